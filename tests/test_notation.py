"""One meaning per symbol (lesson 00's symbol table): forms that must not come back.

Checked in the prose (markdown cells, code spans and fenced code removed) of the lessons and
of the exercise notebooks' sources (solutions/). Each banned form is a regular expression with
the reason and the form to use instead.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

REPO = Path(__file__).resolve().parents[1]
LESSONS = sorted(p for p in (REPO / "notebooks").glob("[0-9][0-9]_*.ipynb") if p.name[:2] != "00")
NOTEBOOKS = [*LESSONS, REPO / "solutions" / "07_lstm.ipynb"]

_MATH = re.compile(r"\$\$(.+?)\$\$|\$(.+?)\$", re.S)
_STAR = re.compile(r"(?<!\*)\*(?!\*)")  # a lone * (not markdown's **bold**)

# ("folder/stem" of the notebook or "*" for all, pattern, what to write instead)
BANNED: list[tuple[str, str, str]] = [
    ("*", r"\\ast\b", "the element-wise product is \\odot"),
    # lesson 9: c_t is the LSTM's cell state; character ids are s_t
    (
        "notebooks/09_applications",
        r"c_\{t\+1\}|c_\{\\le t\}|\)\[c\]|p_\\tau\(c\)",
        "character ids are s_t",
    ),
    # lesson 8: the GRU's blocks are W_ih^(r), ..., W_hh^(n); W_hr is the LSTM's projection
    (
        "notebooks/08_gru",
        r"W_\{h[rzn]\}\^\\top|W_\{i[rzn]\}|W_\{h[zn]\}|b_\{[ih][rzn]\}",
        "W_ih^{(r)}, W_hh^{(n)}, b_hh^{(n)}",
    ),
    # lesson 7: the projection's input has no name of its own (an undefined m_t was drawn once)
    ("notebooks/07_lstm", r"\bm_t\b", "o_t \\odot \\tanh(c_t)"),
    # lesson 7: the cell's one-step formula is the direct path, not the whole gradient
    (
        "notebooks/07_lstm",
        r"dc_t",
        "\\partial L/\\partial c_t for the whole gradient (dc_t is the exercise's argument)",
    ),
    # lesson 10: character ids are s_t (as in lesson 9); momentum's velocity is u_t, Adam's v_t
    ("notebooks/10_train_it_yourself", r"c_\{t\+1\}|c_\{\\le t\}", "character ids are s_t"),
    (
        "notebooks/10_train_it_yourself",
        r"v_t = \\mu|v_\{t-1\} \+ g_t|v = \\mu v",
        "momentum's velocity is u_t",
    ),
    # lesson 11: the DTW's local cost is the frames' distance, not c (the LSTM's cell state)
    ("notebooks/11_deeper_both_ways", r"\bc_\{i,j\}", "\\lVert x_i - x'_j \\rVert"),
    # lesson 12: the context vector is \bar h_u; c_t is the LSTM's cell state
    ("notebooks/12_seq2seq_attention", r"\bc_u\b|\bc_\{u", "\\bar h_u"),
    # lesson 5: the loss is a mean over the positions
    ("notebooks/05_bptt", r"total loss \$L = \\sum", "L = (1/T) sum_t l_t"),
]

# the row form of the code (x_t W^T) is shown once per lesson, where the code is introduced
ROW_FORM = re.compile(r"(x_t|h_\{t-1\}|h_t)\s*W_\{[a-z]+\}(\^\{\([a-z]\)\})?\^\\top")
ROW_FORM_CELLS_AT_MOST = 1


def _prose(path: Path) -> list[str]:
    nb = nbformat.read(path, as_version=4)
    out = []
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            text = re.sub(r"```.*?```", " ", cell.source, flags=re.S)
            out.append(re.sub(r"`[^`]*`", " ", text))
    return out


def banned_forms(path: Path) -> list[str]:
    """Every banned form in the prose of ``path``, with what to write instead."""
    found = []
    for i, text in enumerate(_prose(path)):
        for m in _MATH.finditer(text):
            if _STAR.search(m.group(0)):
                found.append(f"markdown cell {i}: '*' in {m.group(0)[:60]!r}: write \\odot")
        for stem, pattern, instead in BANNED:
            if stem in ("*", f"{path.parent.name}/{path.stem}"):
                for m in re.finditer(pattern, text):
                    found.append(f"markdown cell {i}: {m.group(0)!r}: {instead}")
    return found


def test_the_checks_catch_each_form(tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("$c_t = f_t * c_{t-1}$ and **bold** and `a * b`")]
    (tmp_path / "notebooks").mkdir()
    p = tmp_path / "notebooks" / "07_lstm.ipynb"
    nbformat.write(nb, p)
    assert len(banned_forms(p)) == 1  # the * in maths, not the bold or the code span
    nb.cells = [nbformat.v4.new_markdown_cell(r"$p(c_{t+1} \mid c_{\le t})$, $m_t$")]
    q = tmp_path / "notebooks" / "09_applications.ipynb"
    nbformat.write(nb, q)
    assert len(banned_forms(q)) == 2  # m_t is banned in lesson 7 only


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_no_banned_notation(path):
    found = banned_forms(path)
    assert not found, f"{path.name}:\n" + "\n".join(found)


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.stem)
def test_row_form_shown_at_most_once(path):
    cells = [i for i, text in enumerate(_prose(path)) if ROW_FORM.search(text)]
    assert len(cells) <= ROW_FORM_CELLS_AT_MOST, (
        f"{path.name}: the row form (x_t W^T) appears in markdown cells {cells}; the prose is in "
        "column form (W x_t), with the row form of the code shown once"
    )
