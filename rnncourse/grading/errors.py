"""Explain an exception raised inside a learner's function, in the course's terms.

The driver (``_driver.error_record``) records the exception as plain data: its type and
message, the learner's failing source line and the shapes of the arrays in that frame. From
that alone (so it works for batch grading too, where the exception happened in another
process) we write what failed and, when we can tell, what was meant:

    `x_t @ W_xh` failed: x_t is (N, D) = (3, 4) and W_xh is (H, D) = (5, 4).
    Did you mean `x_t @ W_xh.T`? Weights are stored (out_features, in_features), as in PyTorch.

Shapes are written with the dimension letters where a size names one letter only (the
square-layer cases have D = H: there the sizes are written as numbers).
"""

from __future__ import annotations

import re

from rnncourse.grading.spec import Case, Exercise
from rnncourse.grading.status import ERROR, NOT_IMPLEMENTED, TIMEOUT

__all__ = ["explain_error", "letters_of", "shape_text"]

_OPERAND = r"[A-Za-z_]\w*(?:\.T)?"
_MATMUL = re.compile(rf"({_OPERAND})\s*@\s*({_OPERAND})")
_DOT = re.compile(rf"np\.(?:dot|matmul)\(\s*({_OPERAND})\s*,\s*({_OPERAND})\s*\)")
_BROADCAST = re.compile(r"shapes? ((?:\([\d, ]*\)\s*)+)")


def _tuple(items: list[str]) -> str:
    return "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"


def letters_of(shape: tuple[int, ...], sizes: dict[str, int], dims: str = "") -> list[str]:
    """The letters of an expected ``shape``: from ``dims`` ("N T H") when they fit it, else
    the letters whose size is the only one of its axis's size."""
    given = dims.split()
    if len(given) == len(shape) and all(
        sizes.get(c, s) == s for c, s in zip(given, shape, strict=True)
    ):
        return given
    out = []
    for s in shape:
        choice = [letter for letter, size in sizes.items() if size == s]
        if len(choice) == 1:
            out.append(choice[0])
    return out


def shape_text(
    shape: tuple[int, ...] | list[int], sizes: dict[str, int], letters: list[str] | None = None
) -> str:
    """``(N, H) = (3, 5)``: each axis by its letter when exactly one of ``letters`` (default:
    every letter in ``sizes``) has its size, else by its number; ``(3, 5)`` if none has.

    >>> shape_text((2, 4, 5), {"N": 2, "T": 3, "D": 4, "H": 5})
    '(N, D, H) = (2, 4, 5)'
    >>> shape_text((2, 4, 5), {"N": 2, "T": 3, "D": 4, "H": 5}, ["N", "T", "H"])
    '(N, 4, H) = (2, 4, 5)'
    """
    shape = tuple(int(s) for s in shape)
    letters = list(sizes) if letters is None else letters
    numbers = _tuple([str(s) for s in shape])
    named = []
    for s in shape:
        choice = [c for c in dict.fromkeys(letters) if sizes.get(c) == s]
        named.append(choice[0] if len(choice) == 1 else str(s))
    if any(n != str(s) for n, s in zip(named, shape, strict=True)):
        return f"{_tuple(named)} = {numbers}"
    return numbers


def _resolve(operand: str, shapes: dict[str, list[int]]) -> tuple[int, ...] | None:
    name, transposed = (operand[:-2], True) if operand.endswith(".T") else (operand, False)
    if name not in shapes:
        return None
    shape = tuple(shapes[name])
    return shape[::-1] if transposed else shape


def _matmul_hint(line: str, record: dict, ex: Exercise, case: Case) -> str | None:
    shapes = record.get("shapes", {})
    sizes = case.sizes
    for pattern in (_MATMUL, _DOT):
        for left, right in pattern.findall(line):
            a, b = _resolve(left, shapes), _resolve(right, shapes)
            if a is None or b is None or len(a) < 1 or len(b) < 2 or a[-1] == b[-2]:
                continue
            right_name = right[:-2] if right.endswith(".T") else right
            said = (
                f"`{left} @ {right}` failed: {left} is {shape_text(a, sizes)} and "
                f"{right} is {shape_text(b, sizes)}; the last axis of the left operand must "
                "equal the first axis of the right one."
            )
            if not right.endswith(".T") and a[-1] == b[-1]:
                return (
                    f"{said} Did you mean `{left} @ {right}.T`? Weights are stored "
                    "(out_features, in_features), as in PyTorch, so a batch of rows is "
                    "multiplied by the transpose."
                )
            transposed = right.endswith(".T")
            if transposed and a[-1] == b[-1] and (left.startswith("d") or "backward" in ex.name):
                return f"{said} Did you mean `{left} @ {right_name}` (without .T)? Backward undoes x @ W.T with @ W."
            fits = []
            for n in ex.args:
                if (
                    n == right_name
                    or n not in shapes
                    or len(shapes[n]) != 2
                    or "N" in ex.dims.get(n, "N")
                ):
                    continue
                other = tuple(shapes[n])[::-1] if transposed else tuple(shapes[n])
                if other[-2] == a[-1]:
                    fits.append(n + (".T" if transposed else ""))
            if fits:
                return f"{said} Did you mean `{left} @ {fits[0]}`?"
            if transposed and a[-1] == b[-1]:
                return f"{said} Did you mean `{left} @ {right_name}` (without .T)?"
            return said
    return None


def _broadcast_hint(record: dict, case: Case) -> str | None:
    m = _BROADCAST.search(record.get("message", ""))
    if not m or "broadcast" not in record.get("message", ""):
        return None
    shapes = [
        tuple(int(s) for s in grp.split(",") if s.strip())
        for grp in re.findall(r"\(([\d, ]*)\)", m.group(1))
    ]
    listed = " and ".join(shape_text(s, case.sizes) for s in shapes)
    return (
        f"arrays of shapes {listed} cannot be combined element-wise; check each operand's "
        "shape against the table in the exercise (is one of them transposed, or indexed on "
        "the wrong axis?)"
    )


def explain_error(record: dict, ex: Exercise, case: Case) -> tuple[str, str, str]:
    """``(status, message, hint)`` for an exception record from the driver."""
    if record.get("timeout"):
        return TIMEOUT, "", ""
    if record.get("not_implemented"):
        return (
            NOT_IMPLEMENTED,
            f"{ex.name}: not implemented yet (replace `raise NotImplementedError()` with your code)",
            "",
        )
    line = record.get("line", "")
    message = f"{ex.name} raised {record['type']}: {record['message']}"
    if line:
        message += f"\n    in the line: {line}"
    callers = [s for s in record.get("stack", [])[:-1] if s]
    if callers:
        message += f"\n    called from: {callers[-1]}"
    hint = None
    searched = "\n".join([f"{record['type']}: {record['message']}", line, *record.get("stack", [])])
    for pattern, text in ex.error_hints:
        if re.search(pattern, searched):
            hint = text
            break
    if hint is None and record["type"] == "ValueError":
        hint = _matmul_hint(line, record, ex, case) or _broadcast_hint(record, case)
    if (
        hint is None
        and record["type"] == "ValueError"
        and not line
        and ("matmul" in record["message"] or "align" in record["message"])
    ):
        shown = ", ".join(
            f"{n} is {shape_text(record['shapes'][n], case.sizes)}"
            for n in ex.args
            if n in record.get("shapes", {})
        )
        hint = f"a matrix product has shapes that do not fit ({shown}); weights are stored (out_features, in_features), so multiply by their transpose, e.g. x_t @ W_xh.T"
    if hint is None and record["type"] == "NameError":
        hint = "a name is used before it is defined: is it spelled as in the function's arguments?"
    if hint is None and record["type"] == "IndexError":
        hint = "an index is out of range: check which axis is time (x is (N, T, D), so x[:, t])."
    return ERROR, message, hint or ""
