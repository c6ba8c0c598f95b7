"""Generate learners' exercise notebooks from the solutions notebooks (one source, two notebooks).

    python -m rnncourse.grading.generate [--source solutions] [--dest exercises] [--check]

For every ``solutions/NN_topic.ipynb`` this writes ``exercises/NN_topic.ipynb`` where

- each solution region (``### BEGIN SOLUTION`` ... ``### END SOLUTION``) becomes
  ``# YOUR CODE HERE`` / ``raise NotImplementedError()`` at the marker's indentation, and an
  answer cell without markers becomes that stub entirely (exactly what
  ``nbgrader generate_assignment`` does, so its release notebooks have the same code cells);
- hidden test regions (``### BEGIN HIDDEN TESTS`` ... ``### END HIDDEN TESTS``) are removed;
- outputs and execution counts are cleared;
- test cells are tagged ``raises-exception`` (they fail until the learner answers, which nbval
  must accept) and made read-only (``editable``/``deletable`` false, honoured by JupyterLab);
- nbgrader metadata is kept; the notebook's ``rnncourse`` metadata says ``"kind": "exercises"``
  and names its source.

The result is deterministic (cell ids come from the source), so a test can regenerate into a
temporary folder and compare. ``--check`` compares with what is in ``--dest`` and fails on any
difference without writing.
"""

from __future__ import annotations

import argparse
import copy
import re
import sys
from pathlib import Path

import nbformat

from rnncourse.grading.notebooks import BEGIN_HIDDEN, END_HIDDEN, END_SOLUTION, is_solution, is_test

__all__ = ["generate", "make_exercise", "main"]

CODE_STUB = ["# YOUR CODE HERE", "raise NotImplementedError()"]
TEXT_STUB = ["YOUR ANSWER HERE"]


def _replace_solutions(source: str, stub: list[str]) -> tuple[str, bool]:
    out, inside, replaced = [], False, False
    for line in source.split("\n"):
        if "BEGIN SOLUTION" in line:
            if inside:
                raise ValueError("nested ### BEGIN SOLUTION")
            inside = replaced = True
            indent = re.match(r"\s*", line).group(0)
            out += [indent + s for s in stub]
        elif "END SOLUTION" in line:
            inside = False
        elif not inside:
            out.append(line)
    if inside:
        raise ValueError(f"no {END_SOLUTION} after ### BEGIN SOLUTION")
    return "\n".join(out), replaced


def _remove_hidden(source: str) -> str:
    out, inside = [], False
    for line in source.split("\n"):
        if BEGIN_HIDDEN.removeprefix("### ") in line:
            inside = True
        elif END_HIDDEN.removeprefix("### ") in line:
            inside = False
        elif not inside:
            out.append(line)
    if inside:
        raise ValueError(f"no {END_HIDDEN} after {BEGIN_HIDDEN}")
    return "\n".join(out)


def make_exercise(nb: nbformat.NotebookNode, source_name: str = "") -> nbformat.NotebookNode:
    """The learner's notebook for a solutions notebook (the input is not modified)."""
    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        stub = CODE_STUB if cell.cell_type == "code" else TEXT_STUB
        cell.source, replaced = _replace_solutions(cell.source, stub)
        if replaced and not is_solution(cell):
            raise ValueError(
                f"solution region in a cell not marked as an answer cell: {cell.source[:80]!r}"
            )
        if is_solution(cell) and not replaced:
            cell.source = "\n".join(stub)
        cell.source = _remove_hidden(cell.source)
        cell.metadata.pop("execution", None)
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
            top_level_stub = (
                is_solution(cell) and "\nraise NotImplementedError()" in "\n" + cell.source
            )
            if is_test(cell) or top_level_stub:
                tags = cell.metadata.setdefault("tags", [])
                if "raises-exception" not in tags:
                    tags.append("raises-exception")
        if is_test(cell):
            cell.metadata["editable"] = False
            cell.metadata["deletable"] = False
    meta = nb.metadata.setdefault("rnncourse", {})
    meta["kind"] = "exercises"
    if source_name:
        meta["source"] = source_name
    nb.metadata.pop("widgets", None)
    return nb


def _text(nb: nbformat.NotebookNode) -> str:
    nbformat.validate(nb)
    return nbformat.writes(nb, version=4).rstrip("\n") + "\n"


def generate(source: Path, dest: Path, *, check: bool = False) -> list[Path]:
    """Write (or with ``check`` compare) every exercise notebook; return those that differ."""
    differ = []
    for path in sorted(Path(source).glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        text = _text(make_exercise(nb, f"{Path(source).name}/{path.name}"))
        target = Path(dest) / path.name
        if not target.exists() or target.read_text(encoding="utf-8") != text:
            differ.append(target)
            if not check:
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(text, encoding="utf-8")
    return differ


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m rnncourse.grading.generate", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--source", type=Path, default=Path("solutions"))
    parser.add_argument("--dest", type=Path, default=Path("exercises"))
    parser.add_argument(
        "--check", action="store_true", help="only compare; exit 1 if anything differs"
    )
    args = parser.parse_args(argv)
    if not args.source.is_dir():
        print(f"no such folder: {args.source}", file=sys.stderr)
        return 2
    differ = generate(args.source, args.dest, check=args.check)
    for path in differ:
        print(f"{'differs' if args.check else 'wrote'}  {path}")
    return 1 if (args.check and differ) else 0


if __name__ == "__main__":
    sys.exit(main())
