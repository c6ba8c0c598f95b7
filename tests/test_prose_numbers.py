"""Every number in a lesson's prose is printed by a code cell above it (docs/CONVENTIONS.md).

A "number" is any decimal in a markdown cell with two or more significant digits (16, 0.0074,
1,200, 4.80e-01, 61%; not 50, 200, 0.01 or single digits, which are mostly names of settings
and steps). It must appear in the stored text output (stdout, text/plain) of a code cell
earlier in the notebook, written the same way (a trailing zero more is allowed: 0.16 matches
0.160; thousands separators are ignored). Not checked: code spans and fenced code (they are
code, not claims), link targets, HTML comments, lesson and exercise numbers ("Lesson 11"), LaTeX sub- and superscripts (indices and exponents), numbers
inside identifiers (float64, W_hh, S4), years (an integer from 1900 to 2030) and arXiv
identifiers. The few
numbers that are definitions rather than results are listed in ALLOWED with the reason.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

REPO = Path(__file__).resolve().parents[1]
LESSONS = sorted((REPO / "notebooks").glob("[0-9][0-9]_*.ipynb"))

# (lesson file stem, number as written) -> why it needs no printing cell
ALLOWED: dict[tuple[str, str], str] = {
    (
        "00_start_here",
        "3.10",
    ): "the oldest Python the course supports (a requirement, not a result)",
    ("00_start_here", "1.26"): "the oldest numpy the course supports (a requirement)",
    ("07_lstm", "12"): "Var(U[0, 1]) = 1/12, a definition used in a derivation",
    ("09_applications", "3.11"): "the Python the code snapshot was taken from (results/README.md)",
    ("00_start_here", "11"): "a lesson's number in the lesson map",
    ("00_start_here", "12"): "a lesson's number in the lesson map",
    ("11_deeper_both_ways", "4.0"): "the data's licence, CC BY-SA 4.0 (a citation)",
    ("11_deeper_both_ways", "2595"): "the mel scale's constant, mel(f) = 2595 log10(1 + f/700)",
}

_NUMBER = re.compile(r"(?<![\w.])(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?(e[-+]?\d+)?(?![\w])")


def significant_digits(number: str) -> int:
    """Significant digits of a number as written: 16 -> 2, 50 -> 1, 0.0074 -> 2, 4.80e-01 -> 3.

    >>> [significant_digits(s) for s in ("16", "50", "200", "0.0074", "1,200", "4.80e-01", "0.5")]
    [2, 1, 1, 2, 2, 3, 1]
    """
    mantissa = number.replace(",", "").lower().split("e")[0]
    if "." in mantissa:
        return len(mantissa.replace(".", "").lstrip("0"))
    return len(mantissa.lstrip("0").rstrip("0"))


def prose_numbers(markdown: str) -> list[str]:
    """The numbers of two or more significant digits in the prose of a markdown cell."""
    text = re.sub(r"```.*?```", " ", markdown, flags=re.S)  # fenced code
    text = re.sub(r"`[^`]*`", " ", text)  # code spans
    text = re.sub(r"\]\([^)]*\)", "]", text)  # link targets
    text = re.sub(r"<!--.*?-->", " ", text, flags=re.S)  # HTML comments (not shown)
    text = re.sub(r"\b([Ll]essons?|[Ee]xercises?|[Pp]art)\s+\d+", " ", text)  # names, not claims
    text = re.sub(r"[_^]\{[^{}]*\}|[_^]\d+", " ", text)  # LaTeX indices and exponents
    found = []
    for m in _NUMBER.finditer(text):
        number = m.group(0)
        plain = number.replace(",", "")
        if re.fullmatch(r"\d{4}", plain) and 1900 <= int(plain) <= 2030:
            continue  # a year
        if (
            re.fullmatch(r"\d{4}\.\d{4,5}", plain)
            and text[max(0, m.start() - 6) : m.start()] == "arXiv:"
        ):
            continue  # an arXiv identifier (a citation)
        if significant_digits(number) >= 2:
            found.append(number)
    return found


def _printed(outputs_text: str, number: str) -> bool:
    plain = re.escape(number.replace(",", ""))
    if "." in number:
        plain += "0*"  # 0.16 matches 0.1600
    return re.search(rf"(?<![\d.]){plain}(?![\d])", outputs_text) is not None


def _output_text(cell) -> str:
    parts = []
    for o in cell.get("outputs", []):
        if o.get("output_type") == "stream":
            parts.append(o.get("text", ""))
        elif "data" in o and "text/plain" in o["data"]:
            parts.append(o["data"]["text/plain"])
    text = "\n".join(parts)
    return re.sub(r"(?<=\d),(?=\d{3})", "", text)  # 1,217,089 -> 1217089


def unprinted_numbers(path: Path) -> list[tuple[int, str]]:
    """(markdown cell index, number) for every prose number no code cell above prints."""
    nb = nbformat.read(path, as_version=4)
    seen, missing = "", []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            seen += "\n" + _output_text(cell)
        elif cell.cell_type == "markdown":
            for number in prose_numbers(cell.source):
                if (path.stem, number) in ALLOWED:
                    continue
                if not _printed(seen, number):
                    missing.append((i, number))
    return missing


def test_the_number_finder():
    md = (
        "H = 16 units, batch 32, `lr=0.003` in code, 1,200 iterations, $h_{t-1}$ and $10^{-12}$, "
        "float64, Kaplan et al. 2020, [link](05_bptt.ipynb), 61%, 4.80e-01, T = 50, 0.01, "
        "Lesson 11 <!-- 12.5 -->."
    )
    assert prose_numbers(md) == ["16", "32", "1,200", "61", "4.80e-01"]
    assert _printed("x = 0.1600\n", "0.16") and not _printed("x = 0.1615\n", "0.16")
    assert _printed("total 1200 its", "1,200") and not _printed("21200", "1,200")


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.stem)
def test_every_prose_number_is_printed_above(path):
    missing = unprinted_numbers(path)
    assert not missing, (
        f"{path.name}: numbers in the prose that no code cell above prints "
        f"(print them in a cell above, or explain in ALLOWED why not): "
        + ", ".join(f"cell {i}: {n}" for i, n in missing)
    )
