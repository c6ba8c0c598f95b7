"""Looking inside the character model: do single cells track quotes, brackets or indentation?

For every character of a piece of code we compute a few facts a programmer would track,

    column       characters since the start of the line
    indent       leading spaces of the current line
    in_string    1 inside a string literal ('...', "...", '''...''', \"\"\"...\"\"\"), else 0
    in_comment   1 from a ``#`` (outside strings) to the end of the line, else 0
    depth        how many brackets ( [ { are open (outside strings and comments)

and correlate each with every unit's activation (LSTM cell states c_t, shape (L, H)). A unit
whose activation follows a fact closely (|r| near 1) is a candidate "quote cell" or "bracket
cell"; most units follow nothing simple. The scanner is a simplification of Python's
tokenizer (no f-string nesting), good enough for this purpose.
"""

from __future__ import annotations

import numpy as np

__all__ = ["FEATURES", "best_units", "code_features", "plot_char_activations"]

FEATURES = ("column", "indent", "in_string", "in_comment", "depth")


def code_features(text: str) -> dict[str, np.ndarray]:
    """Per-character facts about a piece of Python code, each (L,) float64.

    A character's value describes the situation *after* reading it (a closing quote is
    outside the string, an opening one inside).

    >>> f = code_features("x = f('a(')  # c")
    >>> f["in_string"].astype(int).tolist()
    [0, 0, 0, 0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0]
    >>> f["in_comment"].astype(int).tolist()[-3:]
    [1, 1, 1]
    >>> f["depth"].astype(int).tolist()[4:11]
    [0, 1, 1, 1, 1, 1, 0]
    """
    L = len(text)
    out = {name: np.zeros(L) for name in FEATURES}
    column = indent = depth = 0
    at_line_start = True
    quote = ""  # the delimiter of the open string: ', ", ''' or \"\"\"
    comment = escaped = False
    i = 0
    while i < L:
        ch = text[i]
        n = 1  # characters consumed
        if ch == "\n":
            column, indent, at_line_start, comment = -1, 0, True, False
            if len(quote) == 1:  # an unterminated one-line string ends here
                quote = ""
        elif quote:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif text.startswith(quote, i):
                n, quote = len(quote), ""
        elif comment:
            pass
        elif ch == "#":
            comment = True
        elif ch in "'\"":
            triple = ch * 3
            quote = triple if text.startswith(triple, i) else ch
            n = len(quote)
        elif ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth = max(0, depth - 1)
        if ch == " " and at_line_start:
            indent += 1
        elif ch != "\n":
            at_line_start = False
        for k in range(i, min(i + n, L)):
            column += 1
            out["column"][k] = column
            out["indent"][k] = indent
            out["in_string"][k] = 1.0 if quote or (n > 1 and k < i + n - 1) else 0.0
            out["in_comment"][k] = float(comment)
            out["depth"][k] = depth
        i += n
    return out


def best_units(states: np.ndarray, features: dict[str, np.ndarray]) -> dict[str, tuple[int, float]]:
    """For each feature, the unit whose activation correlates most with it: ``(unit, r)``.

    Args:
        states: activations, (L, H); features: name -> (L,) as from ``code_features``.

    >>> rng = np.random.default_rng(0)
    >>> f = {"a": rng.normal(size=50)}
    >>> s = np.stack([rng.normal(size=50), -2 * f["a"] + 1], axis=1)
    >>> unit, r = best_units(s, f)["a"]
    >>> unit, round(r, 6)
    (1, -1.0)
    """
    s = states - states.mean(axis=0)
    s_norm = np.sqrt((s * s).sum(axis=0)) + 1e-12  # (H,)
    result = {}
    for name, v in features.items():
        v = v - v.mean()
        r = (v @ s) / (s_norm * (np.sqrt(v @ v) + 1e-12))  # (H,) Pearson correlations
        unit = int(np.argmax(np.abs(r)))
        result[name] = (unit, float(r[unit]))
    return result


def plot_char_activations(text: str, values: np.ndarray, *, title: str, width: int = 72):
    """Draw ``text`` with each character's background coloured by ``values`` (L,).

    Blue is negative, white zero, orange-red positive (the course's diverging map, scaled
    to the largest |value|). Lines longer than ``width`` are cut.
    """
    from matplotlib.patches import Rectangle

    from rnncourse.plots import DIVERGING, new_figure

    lines = text.split("\n")
    rows = len(lines)
    fig, ax = new_figure(width=9.0, height=0.22 * rows + 0.7)
    vmax = float(np.max(np.abs(values))) or 1.0
    pos = 0
    for r, line in enumerate(lines):
        for c in range(len(line) + 1):  # + 1: the newline's own cell
            if pos >= len(values):
                break
            if c < width:
                color = DIVERGING(0.5 + 0.5 * float(values[pos]) / vmax)
                ax.add_patch(Rectangle((c, -r - 0.5), 1, 1, color=color, lw=0))
                if c < len(line) and line[c] != " ":
                    ax.text(
                        c + 0.5,
                        -r,
                        line[c],
                        ha="center",
                        va="center",
                        family="monospace",
                        fontsize=8,
                    )
            pos += 1
    ax.set_xlim(0, width)
    ax.set_ylim(-rows + 0.5, 0.5)
    ax.set_axis_off()
    ax.set_title(title, fontsize=10)
    return fig
