"""The similarity report of a class: answers that look copied, as flags for the instructor.

For every answer cell (by ``grade_id``) of every submission:

1. the lines the learner wrote: the cell's lines minus those of the stub the learner was given
   (the ``def`` line, the docstring, ``return h``: whitespace-normalised comparison), without
   comments, docstrings and blank lines;
2. normalised: tokens only (``tokenize``), every name that is not a keyword or an attribute
   (``np.tanh``, ``W.T`` stay) renamed by order of first appearance (``v1``, ``v2``, ...), so
   renaming variables or reformatting changes nothing;
3. compared, when both sides have at least :data:`MIN_LINES` normalised lines, by the token
   similarity ``difflib.SequenceMatcher(None, a, b).ratio()``: at :data:`THRESHOLD` or more the
   two are similar.

Each submission is compared with every classmate's answer to the same cell
(``similar-to:<student>`` on both) and with the package's own answers: the source of the
reference of every exercise the cell's test checks, and the canonical notebook's solution
region when ``--source`` is ``solutions/`` (``similar-to:reference``). A flag is information
for the instructor, never a penalty: the scores do not change.
"""

from __future__ import annotations

import difflib
import inspect
import io
import itertools
import keyword
import re
import textwrap
import tokenize
from dataclasses import dataclass

__all__ = ["MIN_LINES", "THRESHOLD", "Pair", "learner_lines", "normalise", "similarity", "report"]

MIN_LINES = 5
THRESHOLD = 0.9
_SKIP = {tokenize.COMMENT, tokenize.NL, tokenize.INDENT, tokenize.DEDENT, tokenize.ENCODING,
         tokenize.ENDMARKER}  # fmt: skip


@dataclass(frozen=True)
class Pair:
    """Two similar answers: ``a`` a student, ``b`` a student or "reference"."""

    a: str
    b: str
    cell: str
    ratio: float


def _squash(line: str) -> str:
    return re.sub(r"\s+", " ", line).strip()


def learner_lines(source: str, stub: str = "") -> str:
    """The cell without the lines of its stub (compared whitespace-normalised)."""
    given = {_squash(x) for x in stub.splitlines() if _squash(x)}
    return "\n".join(x for x in source.splitlines() if _squash(x) not in given)


def normalise(source: str) -> list[list[str]]:
    """Normalised lines of code: tokens, names renamed by first appearance, no comments or
    docstrings. Code that does not tokenize is compared by its words."""
    text = textwrap.dedent(source)
    names: dict[str, str] = {}
    lines: list[list[str]] = []
    current: list[str] = []
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(text).readline))
    except (tokenize.TokenError, IndentationError, SyntaxError):
        tokens = []
        for word in re.findall(r"\w+|[^\w\s]", text):
            tokens.append(tokenize.TokenInfo(tokenize.NAME if word[0].isalpha() else tokenize.OP,
                                             word, (0, 0), (0, 0), ""))  # fmt: skip
    for tok in tokens:
        if tok.type in _SKIP:
            continue
        if tok.type == tokenize.NEWLINE:
            if current:
                lines.append(current)
            current = []
            continue
        if tok.type == tokenize.STRING and not current:
            continue  # a docstring (a string alone on its line)
        value = tok.string
        attribute = bool(current) and current[-1] == "."  # np.tanh, x.T: kept as they are
        if tok.type == tokenize.NAME and not keyword.iskeyword(value) and not attribute:
            value = names.setdefault(value, f"v{len(names) + 1}")
        current.append(value)
    if current:
        lines.append(current)
    return lines


def similarity(a: list[list[str]], b: list[list[str]]) -> float:
    """Token similarity of two normalised answers (0 when either is shorter than MIN_LINES)."""
    if len(a) < MIN_LINES or len(b) < MIN_LINES:
        return 0.0
    ta = [t for line in a for t in line]
    tb = [t for line in b for t in line]
    return difflib.SequenceMatcher(None, ta, tb, autojunk=False).ratio()


def reference_sources(functions: list) -> list[str]:
    out = []
    for fn in functions:
        try:
            src = inspect.getsource(inspect.unwrap(fn))
        except (OSError, TypeError):
            continue
        out.append(src)
    return out


def report(
    answers: dict[str, dict[str, str]],
    stubs: dict[str, str],
    references: dict[str, list[str]],
) -> tuple[dict[str, list[str]], list[Pair]]:
    """Flags per student and the similar pairs.

    ``answers``: student -> {answer cell grade_id: source}; ``stubs``: grade_id -> the stub's
    source; ``references``: grade_id -> sources of the package's answers for that cell.
    """
    norm = {
        s: {g: normalise(learner_lines(src, stubs.get(g, ""))) for g, src in cells.items()}
        for s, cells in answers.items()
    }
    refs = {
        g: [normalise(learner_lines(src, stubs.get(g, ""))) for src in sources]
        for g, sources in references.items()
    }
    flags: dict[str, list[str]] = {s: [] for s in answers}
    pairs: list[Pair] = []
    for s in sorted(norm):
        for g, mine in norm[s].items():
            best = max((similarity(mine, r) for r in refs.get(g, [])), default=0.0)
            if best >= THRESHOLD:
                pairs.append(Pair(s, "reference", g, best))
                if "similar-to:reference" not in flags[s]:
                    flags[s].append("similar-to:reference")
    for s, t in itertools.combinations(sorted(norm), 2):
        for g in sorted(set(norm[s]) & set(norm[t])):
            ratio = similarity(norm[s][g], norm[t][g])
            if ratio >= THRESHOLD:
                pairs.append(Pair(s, t, g, ratio))
                for x, y in ((s, t), (t, s)):
                    if f"similar-to:{y}" not in flags[x]:
                        flags[x].append(f"similar-to:{y}")
    return flags, pairs
