"""A lesson may state a formula in maths; it may not print code that passes a check.

Two ways a learner could copy a lesson into an exercise, both of which must fail every check:

1. A function a lesson code cell defines, built by executing its defining cell's imports and
   definitions together with those of the lesson's earlier cells (a function that cannot be
   built is a test error, not a pass), graded as every graded function whose number of
   arguments it has.
2. A lesson code cell's statements, pasted into a function of each graded function's
   arguments: sizes read from the arguments' shapes (``N, T, D = x.shape`` from the item's
   dims), statements that set an argument or a size dropped, printing and plotting dropped,
   statements that call one of the package's references dropped, and the result returned
   under the item's output names. Statements that read none of the item's arguments, or
   never bind one of its output names, cannot pass and are not run.

In both, the package's reference implementations are excluded: every name a lesson binds to
a catalogued reference raises when called, so a cell that calls ``rnn_forward`` from the
package earns nothing here (what a learner's copy of it would earn is the no-credit rule's
business, not this test's).

The three known transcriptions (lesson 05's full BPTT cell passes ``rnn_backward``; lessons
07's and 08's step cells pass ``lstm_step_forward`` and ``gru_step_forward``) are marked
``xfail(strict=True)`` until the lessons stop printing them; when a lesson is fixed, its
strict xfail fails and the mark must go.
"""

from __future__ import annotations

import ast
from pathlib import Path

import nbformat
import numpy as np
import pytest

from rnncourse.grading import _driver, exercise_names, get_exercise
from rnncourse.grading.check import graded_cases
from rnncourse.grading.compare import decode_item, flat_outputs, relative_errors

REPO = Path(__file__).resolve().parents[1]
LESSONS = sorted((REPO / "notebooks").glob("*.ipynb"))
FUNCTIONS = [get_exercise(n) for n in exercise_names()]
REFERENCES = {id(f) for ex in FUNCTIONS for f in (ex.reference, *ex.equivalents)}
CALL_TIMEOUT = 0.3  # seconds per call: a transcription that loops or trains fails anyway
PLOTTING = {"plt", "ax", "axes", "fig", "display", "print", "widgets"}

# (lesson file, code cell number counting code cells from 0, "defined" | "pasted") -> the
# item that transcription passes today. Empty: lessons 05, 07 and 08 derive in maths and
# call the package's references where they need a graded function. A new entry is a bug to
# fix in the lesson, not a state to keep.
KNOWN: dict[tuple[str, int, str], str] = {}


def _source(cell) -> str:
    """A code cell without IPython magics and shell lines."""
    return "\n".join(
        "" if line.lstrip().startswith(("%", "!")) else line for line in cell.source.split("\n")
    )


def _code_cells(path: Path) -> list[tuple[int, ast.Module]]:
    nb = nbformat.read(path, as_version=4)
    out = []
    for k, cell in enumerate(c for c in nb.cells if c.cell_type == "code"):
        out.append((k, ast.parse(_source(cell))))
    return out


REFERENCE_NAMES = {f.__name__ for ex in FUNCTIONS for f in (ex.reference, *ex.equivalents)} - {
    "derivative"
}


def _excluded(name: str):
    def reference(*args, **kwargs):
        raise RuntimeError(f"{name}: the package's reference is excluded here")

    reference.excluded_reference = True
    return reference


def _namespace(cells: list[tuple[int, ast.Module]], upto: int) -> dict:
    """The imports and definitions of code cells 0..upto, executed; references excluded."""
    ns: dict = {"__name__": "lesson"}
    for k, tree in cells:
        if k > upto:
            break
        keep = [
            s
            for s in tree.body
            if isinstance(s, ast.Import | ast.ImportFrom | ast.FunctionDef | ast.ClassDef)
        ]
        code = compile(ast.Module(body=keep, type_ignores=[]), f"<lesson cell {k}>", "exec")
        exec(code, ns)  # a definition that cannot be built makes the test an error
    for name, value in list(ns.items()):
        if callable(value) and id(value) in REFERENCES:
            ns[name] = _excluded(name)
    ns["print"] = ns["display"] = lambda *a, **k: None
    return ns


def _passes(fn, ex) -> bool:
    """Does ``fn`` pass every visible case of ``ex`` (stopping at the first that fails)?"""
    for case, expected in graded_cases(ex.name, False):
        args = [_driver.copy_value(case.inputs[a]) for a in ex.args]
        meta, arrays = _driver.call(fn, args, len(ex.outputs), CALL_TIMEOUT)
        if meta["status"] != "returned" or "top" in meta:
            return False
        try:
            got = {
                n: decode_item(i, arrays) for n, i in zip(ex.outputs, meta["outputs"], strict=True)
            }
            flat_got, flat_exp = flat_outputs(got), flat_outputs(expected)
            if set(flat_got) != set(flat_exp):
                return False
            for key, exp in flat_exp.items():
                g = np.asarray(flat_got[key], dtype=np.float64)
                if g.shape != np.shape(exp) or relative_errors(g, exp).max(initial=0) > ex.rtol(
                    case
                ):
                    return False
        except (TypeError, ValueError):
            return False
    return True


def _positional(fn) -> int | None:
    code = getattr(fn, "__code__", None)
    if code is None:
        return None
    return code.co_argcount


def _size_prelude(ex) -> list[str]:
    """``N, T, D = x.shape``-style lines binding each size letter from the arguments."""
    lines, bound = [], set()
    for arg in ex.args:
        letters = ex.dims.get(arg, "").split()
        for axis, letter in enumerate(letters):
            if letter.isidentifier() and letter not in bound:
                lines.append(f"{letter} = np.shape({arg})[{axis}]")
                bound.add(letter)
    return lines


def _assigned(stmt: ast.stmt) -> set[str]:
    names = set()
    targets = []
    if isinstance(stmt, ast.Assign):
        targets = stmt.targets
    elif isinstance(stmt, ast.AugAssign | ast.AnnAssign):
        targets = [stmt.target]
    for t in targets:
        names |= {n.id for n in ast.walk(t) if isinstance(n, ast.Name)}
    return names


def _prints_or_plots(stmt: ast.stmt) -> bool:
    if not isinstance(stmt, ast.Expr) or not isinstance(stmt.value, ast.Call):
        return False
    func = stmt.value.func
    while isinstance(func, ast.Attribute):
        func = func.value
    return isinstance(func, ast.Name) and func.id in PLOTTING


def _calls_a_reference(stmt: ast.stmt, ns: dict) -> bool:
    for node in ast.walk(stmt):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
            if name in REFERENCE_NAMES or getattr(ns.get(name), "excluded_reference", False):
                return True
    return False


def _could_pass(body: list[ast.stmt], ex) -> bool:
    """Can these statements compute ``ex``'s outputs from its arguments at all? They must
    read an argument and bind every output name (a function that returns a name it never
    sets raises NameError, one that reads no argument returns the same on every case)."""
    names = [n for s in body for n in ast.walk(s) if isinstance(n, ast.Name)]
    read = {n.id for n in names if isinstance(n.ctx, ast.Load)}
    bound = {n.id for n in names if isinstance(n.ctx, ast.Store)}
    return bool(read & set(ex.args)) and set(ex.outputs) <= bound | set(ex.args)


def _wrapped(tree: ast.Module, ex, ns: dict):
    """The cell's statements as a function of ``ex``'s arguments (see the module doc);
    None when they cannot compute its outputs at all (see :func:`_could_pass`)."""
    sizes = {line.split(" = ")[0] for line in _size_prelude(ex)}
    drop = set(ex.args) | sizes
    body = [
        s
        for s in tree.body
        if not isinstance(s, ast.Import | ast.ImportFrom)
        and not (_assigned(s) & drop)
        and not _prints_or_plots(s)
        and not _calls_a_reference(s, ns)
    ]
    if not body or not _could_pass(body, ex):
        return None
    outputs = ", ".join(ex.outputs) + ("," if len(ex.outputs) > 1 else "")
    text = "\n".join(
        [f"def _transcribed({', '.join(ex.args)}):"]
        + ["    " + line for line in _size_prelude(ex)]
        + ["    " + line for s in body for line in ast.unparse(s).split("\n")]
        + [f"    return ({outputs})" if len(ex.outputs) > 1 else f"    return {ex.outputs[0]}"]
    )
    local = dict(ns)
    exec(compile(text, "<transcribed cell>", "exec"), local)
    return local["_transcribed"]


def _defined(tree: ast.Module) -> list[str]:
    return [s.name for s in tree.body if isinstance(s, ast.FunctionDef)]


def _cases():
    defined, cells = [], []
    for path in LESSONS:
        code = _code_cells(path)
        for k, tree in code:
            cells.append((path, k))
            defined += [(path, k, name) for name in _defined(tree)]
    return defined, cells


DEFINED, CELLS = _cases()


def _known(path: Path, k: int, how: str) -> list:
    item = KNOWN.get((path.name, k, how))
    if item is None:
        return []
    return [
        pytest.mark.xfail(
            strict=True,
            reason=f"known: this cell passes {item} (until the lesson stops printing it)",
        )
    ]


@pytest.mark.parametrize(
    ("path", "k", "name"),
    [
        pytest.param(p, k, n, id=f"{p.stem}: cell {k}: {n}", marks=_known(p, k, "defined"))
        for p, k, n in DEFINED
    ],
)
def test_a_function_a_lesson_defines_fails_every_check_it_could_be_copied_into(path, k, name):
    ns = _namespace(_code_cells(path), k)
    fn = ns[name]
    assert callable(fn), f"{name} could not be built"
    n_args = _positional(fn)
    passing = [ex.name for ex in FUNCTIONS if len(ex.args) == n_args and _passes(fn, ex)]
    assert passing == [], f"{path.name}: {name} passes {passing}"


@pytest.mark.parametrize(
    ("path", "k"),
    [
        pytest.param(
            p,
            k,
            id=f"{p.stem}: cell {k}",
            marks=_known(p, k, "pasted"),
        )
        for p, k in CELLS
    ],
)
# The call limit's alarm can land inside a gc callback (hypothesis installs one), where Python
# ignores the exception and pytest would turn "exception ignored" into a failure; the limit's
# timer repeats every 0.5 s, so the call is still stopped (seen once in CI, lesson 10's cell 3).
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_a_lesson_cell_pasted_into_a_function_fails_every_check(path, k):
    code = _code_cells(path)
    ns = _namespace(code, k)
    tree = dict(code)[k]
    passing = []
    for ex in FUNCTIONS:
        try:
            fn = _wrapped(tree, ex, ns)
        except SyntaxError:  # e.g. a `return` or `yield` at the top of a cell cannot be wrapped
            continue
        if fn is not None and _passes(fn, ex):
            passing.append(ex.name)
    assert passing == [], f"{path.name} code cell {k} passes {passing}"


def test_the_known_transcriptions_are_lesson_cells():
    """Each known entry names a code cell that exists (a moved cell must update the entry)."""
    cells = {(p.name, k) for p, k in CELLS}
    defined = {(p.name, k) for p, k, _ in DEFINED}
    for (name, k, how), item in KNOWN.items():
        assert (name, k) in (defined if how == "defined" else cells), (name, k, how)
        assert item in exercise_names()
