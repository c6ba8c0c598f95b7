"""The package's structure, checked by reading its source (the AST only: nothing is imported).

    python -m tools.check_structure              # the repository's rnncourse/
    python -m tools.check_structure --root DIR   # the package rnncourse/ found under DIR

Each rule is printed as PASS or FAIL, a failure with the lines that break it; the exit status is
1 if any rule fails. ``tests/test_structure.py`` runs it (so the test command does) and shows that
every rule can fail. The rules:

1. **cycles**: no import cycles among the package's modules.
2. **maths**: the maths modules (``MATHS_MODULES``; a package there stands for all its modules)
   and the private modules they import (their helpers, e.g. ``rnncourse._cells``) import only
   numpy, the standard library and each other.
3. **layers**: nothing in ``rnncourse.grading`` or ``rnncourse.widgets`` imports
   ``rnncourse.experiments``, directly or through other modules.
4. **private**: no module imports another module's private name (``from M import _x`` or
   ``M._x`` where ``_x`` is not a module). Private *modules* (``rnncourse.grading._driver``, a
   shared ``rnncourse._cells``) may be imported: their public names are their interface.
5. **defined-once**: ``sigmoid``, the gate split and the figure-to-PNG helper are each defined in
   exactly one module (found by their names, ``DEFINED_ONCE``, and for the PNG helper also by what
   it does: a ``savefig(..., format="png")``).
6. **dispatch**: no code outside the cell registry (``REGISTRY_MODULES``) tells cells apart by
   name (``cell == "lstm"``, ``kind in ("rnn", "gru")``, ``match cell: case "gru"``).

Every import counts, also one inside a function (imported late is still imported), except those
under ``if TYPE_CHECKING:``. Standard library only.
"""

from __future__ import annotations

import argparse
import ast
import itertools
import sys
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

__all__ = [
    "CELL_NAMES",
    "DEFINED_ONCE",
    "MATHS_MODULES",
    "NOT_A_GATE_SPLIT",
    "REGISTRY_MODULES",
    "Result",
    "check",
    "main",
]

PACKAGE = "rnncourse"

# The maths: numpy and the standard library only, no plotting, widgets, grading or experiments.
# (rnncourse.models is not here: its training loop imports tqdm for the progress bar.)
MATHS_MODULES: tuple[str, ...] = (
    "rnncourse.rnn",
    "rnncourse.rnn_relu",
    "rnncourse.lstm",
    "rnncourse.gru",
    "rnncourse.layers",
    "rnncourse.losses",
    "rnncourse.optim",
    "rnncourse.gradcheck",
    "rnncourse.tbptt",
    "rnncourse.gradient_flow",
    "rnncourse.masking",
    "rnncourse.dropout",
    "rnncourse.deep",
    "rnncourse.seq2seq",
    "rnncourse.tasks",
    "rnncourse.datasets",
    "rnncourse.initialization",
    "rnncourse.cells",
    "rnncourse.audio",
)

# Only these modules may tell the cells apart by name: the registry that knows each cell.
REGISTRY_MODULES: tuple[str, ...] = ("rnncourse.cells",)
CELL_NAMES: frozenset[str] = frozenset({"rnn", "rnn-relu", "lstm", "gru", "gru-cho"})

# What must be defined once, by the function names it goes by.
DEFINED_ONCE: dict[str, frozenset[str]] = {
    "sigmoid": frozenset({"sigmoid", "_sigmoid"}),
    "the gate split": frozenset(
        {"split", "_split", "split_gates", "_split_gates", "gate_split", "_gate_split"}
    ),
    "the figure-to-PNG helper": frozenset(
        {"figure_png", "_figure_png", "_png", "fig_png", "_fig_png", "png_bytes", "_png_bytes"}
    ),
}
# Functions that share a name with the gate split but split something else.
NOT_A_GATE_SPLIT: frozenset[tuple[str, str]] = frozenset(
    {("rnncourse.experiments.forecast", "split")}  # a series cut into inputs and horizon
)

STDLIB: frozenset[str] = frozenset(sys.stdlib_module_names)
LAYER_SOURCES = ("rnncourse.grading", "rnncourse.widgets")
LAYER_FORBIDDEN = "rnncourse.experiments"


@dataclass(frozen=True)
class Import:
    """One imported module (``import a.b``) or name (``from a import b``) at a line."""

    line: int
    module: str  # the absolute module of the statement: "numpy", "rnncourse.lstm"
    name: str | None  # the imported name for ``from module import name``, else None


@dataclass
class Module:
    name: str  # "rnncourse.grading.check"
    path: Path
    tree: ast.Module
    is_package: bool
    imports: list[Import] = field(default_factory=list)


@dataclass
class Result:
    key: str  # "cycles", "maths", "layers", "private", "defined-once", "dispatch"
    rule: str
    problems: list[str]

    @property
    def ok(self) -> bool:
        return not self.problems


# ------------------------------------------------------------------------------- reading
def load(root: Path, package: str = PACKAGE) -> dict[str, Module]:
    """Every module of ``root/package``, parsed, by its dotted name."""
    base = root / package
    if not (base / "__init__.py").is_file():
        raise FileNotFoundError(f"no package {package!r} under {root}")
    modules = {}
    for path in sorted(base.rglob("*.py")):
        if "__pycache__" in path.parts:
            continue
        parts = path.relative_to(root).with_suffix("").parts
        is_package = parts[-1] == "__init__"
        name = ".".join(parts[:-1] if is_package else parts)
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        modules[name] = Module(name, path, tree, is_package)
    for m in modules.values():
        m.imports = list(_imports(m))
    return modules


def _type_checking_blocks(tree: ast.AST) -> set[int]:
    """ids of the statements under ``if TYPE_CHECKING:`` (not imported at run time)."""
    skip = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If):
            test = node.test
            name = test.id if isinstance(test, ast.Name) else getattr(test, "attr", None)
            if name == "TYPE_CHECKING":
                for stmt in node.body:
                    skip.update(id(n) for n in ast.walk(stmt))
    return skip


def _imports(m: Module) -> Iterator[Import]:
    skip = _type_checking_blocks(m.tree)
    for node in ast.walk(m.tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield Import(node.lineno, alias.name, None)
        elif isinstance(node, ast.ImportFrom):
            source = _absolute(m, node.module, node.level)
            for alias in node.names:
                yield Import(node.lineno, source, alias.name)


def _absolute(m: Module, module: str | None, level: int) -> str:
    if level == 0:
        return module or ""
    parts = m.name.split(".") if m.is_package else m.name.split(".")[:-1]
    parts = parts[: len(parts) - (level - 1)]
    return ".".join([*parts, module] if module else parts)


def _internal_target(imp: Import, modules: dict[str, Module]) -> str | None:
    """The package module an import loads (a submodule if ``name`` is one), or None if external."""
    if imp.name is not None and f"{imp.module}.{imp.name}" in modules:
        return f"{imp.module}.{imp.name}"
    parts = imp.module.split(".")
    while parts:  # ``import rnncourse.grading.check``: the longest prefix that is a module
        if ".".join(parts) in modules:
            return ".".join(parts)
        parts.pop()
    return None


def _edges(modules: dict[str, Module]) -> dict[str, dict[str, int]]:
    """module -> {imported package module: first line}."""
    graph: dict[str, dict[str, int]] = {}
    for m in modules.values():
        out = graph.setdefault(m.name, {})
        for imp in m.imports:
            target = _internal_target(imp, modules)
            if target is not None and target != m.name:
                out.setdefault(target, imp.line)
    return graph


def _relative_where(m: Module, line: int, root: Path) -> str:
    return f"{m.path.relative_to(root).as_posix()}:{line}"


# ------------------------------------------------------------------------------- the rules
def rule_cycles(modules: dict[str, Module], root: Path) -> list[str]:
    graph = _edges(modules)
    problems, seen_cycles = [], set()
    for cycle in _cycles(graph):
        key = frozenset(cycle)
        if key in seen_cycles:
            continue
        seen_cycles.add(key)
        steps = [
            f"{a} ({_relative_where(modules[a], graph[a][b], root)})"
            for a, b in itertools.pairwise(cycle)
        ]
        problems.append("import cycle: " + " -> ".join([*steps, cycle[-1]]))
    return problems


def _cycles(graph: dict[str, dict[str, int]]) -> list[list[str]]:
    """Closed paths a -> ... -> a: one for every import that leads back to a module being read
    (depth first, in sorted order, so the report is the same on every run)."""
    done: set[str] = set()
    path: list[str] = []
    found = []

    def visit(v: str) -> None:
        path.append(v)
        for w in sorted(graph.get(v, {})):
            if w in path:
                found.append([*path[path.index(w) :], w])
            elif w not in done:
                visit(w)
        path.pop()
        done.add(v)

    for v in sorted(graph):
        if v not in done:
            visit(v)
    return found


def _covered(name: str, listed: Iterable[str]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in listed)


def _is_private_module(name: str) -> bool:
    return any(_is_private(part) for part in name.split("."))


def _maths_closure(modules: dict[str, Module], maths: Sequence[str]) -> set[str]:
    """The listed maths modules and the private modules they import (their helpers: a private
    module such as ``rnncourse._cells`` is part of the maths that imports it)."""
    inside = {name for name in modules if _covered(name, maths)}
    graph = _edges(modules)
    frontier = sorted(inside)
    while frontier:
        for w in graph.get(frontier.pop(), {}):
            if w not in inside and _is_private_module(w):
                inside.add(w)
                frontier.append(w)
    return inside


def rule_maths(modules: dict[str, Module], root: Path, maths: Sequence[str]) -> list[str]:
    problems = [
        f"{name} is listed as a maths module but does not exist"
        for name in maths
        if name not in modules
    ]
    inside = _maths_closure(modules, maths)
    for m in modules.values():
        if m.name not in inside:
            continue
        for imp in m.imports:
            top = imp.module.split(".")[0]
            target = _internal_target(imp, modules)
            if target is not None:
                if target not in inside:
                    problems.append(
                        f"{_relative_where(m, imp.line, root)}: {m.name} imports {target},"
                        " which is not a maths module"
                    )
            elif top == PACKAGE:
                problems.append(
                    f"{_relative_where(m, imp.line, root)}: {m.name} imports {imp.module}, which does not exist"
                )
            elif top != "numpy" and top not in STDLIB:
                problems.append(
                    f"{_relative_where(m, imp.line, root)}: {m.name} imports {imp.module}"
                    " (only numpy and the standard library)"
                )
    return problems


def _chain(graph: dict[str, dict[str, int]], source: str, goal: str) -> list[str] | None:
    """The shortest chain of imports from ``source`` to a module of ``goal`` (breadth first)."""
    previous: dict[str, str | None] = {source: None}
    queue = deque([source])
    while queue:
        v = queue.popleft()
        for w in sorted(graph.get(v, {})):
            if w in previous:
                continue
            previous[w] = v
            if _covered(w, [goal]):
                chain = [w]
                while (back := previous[chain[-1]]) is not None:
                    chain.append(back)
                return chain[::-1]
            queue.append(w)
    return None


def rule_layers(modules: dict[str, Module], root: Path) -> list[str]:
    graph = _edges(modules)
    problems = []
    for source in sorted(modules):
        if _covered(source, LAYER_SOURCES):
            chain = _chain(graph, source, LAYER_FORBIDDEN)
            if chain is not None:
                where = _relative_where(modules[source], graph[source][chain[1]], root)
                problems.append(f"{where}: " + " -> ".join(chain))
    return problems


def _is_private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def rule_private(modules: dict[str, Module], root: Path) -> list[str]:
    problems = []
    for m in modules.values():
        aliases: dict[str, str] = {}  # local name -> package module it is bound to
        for node in ast.walk(m.tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name.split(".")[0] == PACKAGE:
                        if alias.asname:
                            aliases[alias.asname] = alias.name
                        else:
                            aliases[alias.name.split(".")[0]] = alias.name.split(".")[0]
            elif isinstance(node, ast.ImportFrom):
                source = _absolute(m, node.module, node.level)
                if source.split(".")[0] != PACKAGE:
                    continue
                for alias in node.names:
                    local = alias.asname or alias.name
                    if f"{source}.{alias.name}" in modules:
                        aliases[local] = f"{source}.{alias.name}"
                    elif _is_private(alias.name) and source != m.name:
                        problems.append(
                            f"{_relative_where(m, node.lineno, root)}: {m.name} imports"
                            f" {alias.name} from {source}"
                        )
        for node in ast.walk(m.tree):
            if isinstance(node, ast.Attribute) and _is_private(node.attr):
                owner = _dotted(node.value)
                if owner is None:
                    continue
                head, _, rest = owner.partition(".")
                if head not in aliases:
                    continue
                target = aliases[head] + (f".{rest}" if rest else "")
                if (
                    target in modules
                    and target != m.name
                    and f"{target}.{node.attr}" not in modules
                ):
                    problems.append(
                        f"{_relative_where(m, node.lineno, root)}: {m.name} uses {target}.{node.attr}"
                    )
    return problems


def _dotted(node: ast.AST) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        inner = _dotted(node.value)
        return None if inner is None else f"{inner}.{node.attr}"
    return None


def _png_by_behaviour(func: ast.AST) -> bool:
    """A function that itself calls ``something.savefig(..., format="png", ...)``."""
    for node in ast.walk(func):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "savefig"
        ):
            for kw in node.keywords:
                if (
                    kw.arg == "format"
                    and isinstance(kw.value, ast.Constant)
                    and kw.value.value == "png"
                ):
                    return True
    return False


def rule_defined_once(modules: dict[str, Module], root: Path) -> list[str]:
    problems = []
    for concept, names in DEFINED_ONCE.items():
        where: dict[str, list[str]] = {}
        for m in modules.values():
            for node in ast.walk(m.tree):
                if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    continue
                by_name = node.name in names and (m.name, node.name) not in NOT_A_GATE_SPLIT
                by_behaviour = concept == "the figure-to-PNG helper" and _png_by_behaviour(node)
                if by_name or by_behaviour:
                    where.setdefault(m.name, []).append(
                        f"{_relative_where(m, node.lineno, root)} {node.name}"
                    )
        if len(where) != 1:
            found = "; ".join(d for defs in where.values() for d in defs) or "nowhere"
            problems.append(f"{concept} is defined in {len(where)} modules, not 1: {found}")
    return problems


def _names_a_cell(node: ast.AST) -> bool:
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str) and node.value in CELL_NAMES
    if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
        return any(_names_a_cell(e) for e in node.elts)
    return False


def rule_dispatch(modules: dict[str, Module], root: Path, registry: Sequence[str]) -> list[str]:
    problems = []
    for m in modules.values():
        if _covered(m.name, registry):
            continue
        for node in ast.walk(m.tree):
            if isinstance(node, ast.Compare):
                if any(
                    isinstance(op, (ast.Eq, ast.NotEq, ast.In, ast.NotIn)) for op in node.ops
                ) and any(_names_a_cell(side) for side in [node.left, *node.comparators]):
                    problems.append(f"{_relative_where(m, node.lineno, root)}: {ast.unparse(node)}")
            elif isinstance(node, ast.Match):
                for case in node.cases:
                    values = [
                        p.value for p in ast.walk(case.pattern) if isinstance(p, ast.MatchValue)
                    ]
                    if any(_names_a_cell(v) for v in values):
                        problems.append(
                            f"{_relative_where(m, case.pattern.lineno, root)}: match"
                            f" {ast.unparse(node.subject)}: case {ast.unparse(case.pattern)}"
                        )
    return problems


# ------------------------------------------------------------------------------- running
RULES = {
    "cycles": "no import cycles in the package",
    "maths": "the maths modules import only numpy and the standard library",
    "layers": "nothing in grading or widgets imports experiments",
    "private": "no module imports another module's private names",
    "defined-once": "sigmoid, the gate split and the figure-to-PNG helper are each defined once",
    "dispatch": "no dispatch on the cell's name outside the registry",
}


def check(
    root: Path,
    *,
    maths: Sequence[str] = MATHS_MODULES,
    registry: Sequence[str] = REGISTRY_MODULES,
) -> list[Result]:
    """Every rule's result for the package under ``root``."""
    root = Path(root)
    modules = load(root)
    found = {
        "cycles": rule_cycles(modules, root),
        "maths": rule_maths(modules, root, maths),
        "layers": rule_layers(modules, root),
        "private": rule_private(modules, root),
        "defined-once": rule_defined_once(modules, root),
        "dispatch": rule_dispatch(modules, root, registry),
    }
    return [Result(key, RULES[key], sorted(set(found[key]))) for key in RULES]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--root",
        type=Path,
        default=Path(__file__).resolve().parents[1],
        help="the folder that holds the package rnncourse/ (default: this repository)",
    )
    args = parser.parse_args(argv)
    results = check(args.root)
    for r in results:
        print(f"{'PASS' if r.ok else 'FAIL'}  {r.key:<13} {r.rule}")
        for problem in r.problems:
            print(f"      {problem}")
    failed = [r.key for r in results if not r.ok]
    print(f"structure: {len(results) - len(failed)} of {len(results)} rules pass")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
