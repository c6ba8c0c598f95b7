"""Slide mode: every lesson presents with RISE / jupyterlab-rise as it is committed.

RISE reads ``cell.metadata.slideshow.slide_type``; a cell without it joins the previous slide,
which silently puts a whole section on one slide. So every cell of every lesson carries one of
RISE's types, each ``##`` section heading starts a slide, and the first shown cell does too.
The same holds for solutions notebooks (instructors present the worked answers).
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

REPO = Path(__file__).resolve().parents[1]
SLIDE_TYPES = {"slide", "subslide", "fragment", "skip", "notes", "-"}
NOTEBOOKS = sorted(
    p.relative_to(REPO).as_posix()
    for folder in ("notebooks", "solutions")
    for p in (REPO / folder).glob("[0-9][0-9]_*.ipynb")
)


def slide_type(cell) -> str | None:
    return cell.get("metadata", {}).get("slideshow", {}).get("slide_type")


def slide_problems(nb: nbformat.NotebookNode) -> list[str]:
    """Everything that would make the notebook present badly (empty list: it is fine)."""
    problems = []
    for i, cell in enumerate(nb.cells):
        kind = slide_type(cell)
        if kind is None:
            problems.append(f"cell {i} has no metadata.slideshow.slide_type")
        elif kind not in SLIDE_TYPES:
            problems.append(f"cell {i} has slide_type {kind!r}, not one of {sorted(SLIDE_TYPES)}")
        elif cell.cell_type == "markdown" and cell.source.startswith("## ") and kind != "slide":
            problems.append(f"cell {i} is a section heading (##) but its slide_type is {kind!r}")
    shown = [slide_type(c) for c in nb.cells if slide_type(c) not in ("skip", "notes")]
    if "slide" not in shown:
        problems.append('no cell starts a slide (slide_type "slide")')
    elif shown and shown[0] != "slide":
        problems.append(f'the first shown cell is {shown[0]!r}, not "slide"')
    return problems


def test_lessons_exist():
    assert any(p.startswith("notebooks/") for p in NOTEBOOKS)


@pytest.mark.parametrize("relpath", NOTEBOOKS)
def test_every_cell_has_slide_metadata(relpath):
    problems = slide_problems(nbformat.read(REPO / relpath, as_version=4))
    assert not problems, f"{relpath}:\n  " + "\n  ".join(problems)


def test_the_check_catches_missing_metadata():
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("# Title", metadata={"slideshow": {"slide_type": "slide"}}),
        nbformat.v4.new_markdown_cell("## A section", metadata={"slideshow": {"slide_type": "-"}}),
        nbformat.v4.new_code_cell("x = 1"),
        nbformat.v4.new_code_cell("y = 2", metadata={"slideshow": {"slide_type": "Slide"}}),
    ]
    problems = slide_problems(nb)
    assert any("cell 1 is a section heading" in p for p in problems)
    assert any("cell 2 has no" in p for p in problems)
    assert any("cell 3 has slide_type 'Slide'" in p for p in problems)
    nb.cells[0].metadata.slideshow.slide_type = "skip"
    nb.cells[1].metadata.slideshow.slide_type = "fragment"
    nb.cells[2].metadata.slideshow = {"slide_type": "-"}
    nb.cells[3].metadata.slideshow.slide_type = "slide"
    assert any("first shown cell" in p for p in slide_problems(nb))
