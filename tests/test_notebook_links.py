"""Every relative link in a notebook's text leads to a file of the course.

Links into ``work/`` (the learner's copies, made by ``make lab``) must name an exercise
notebook in ``exercises/``, since that is where the copy comes from.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote

import nbformat
import pytest

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted(
    p for folder in ("notebooks", "solutions", "exercises") for p in (REPO / folder).glob("*.ipynb")
)
LINK = re.compile(
    r"\]\(\s*(?:<([^>]+)>|([^)\s]+))(?:\s+\"[^\"]*\")?\s*\)"  # [text](target) or [text](<target>)
    r"|href=[\"']([^\"']+)[\"']"  # <a href="target">
)


def relative_links(nb_path: Path) -> list[str]:
    nb = nbformat.read(nb_path, as_version=4)
    links = []
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            continue
        for groups in LINK.findall(cell.source):
            target = next(g for g in groups if g)
            if re.match(r"^[a-z][a-z0-9+.-]*:", target, flags=re.I) or target.startswith("#"):
                continue  # http:, mailto:, an anchor in the same notebook
            links.append(unquote(target.split("#", 1)[0]))
    return links


def resolve(nb_path: Path, target: str) -> Path:
    path = (nb_path.parent / target).resolve()
    work = (REPO / "work").resolve()
    if path.is_relative_to(work):
        return REPO / "exercises" / path.relative_to(work)
    return path


@pytest.mark.parametrize("nb_path", NOTEBOOKS, ids=lambda p: p.relative_to(REPO).as_posix())
def test_relative_links_resolve(nb_path):
    broken = [t for t in relative_links(nb_path) if not resolve(nb_path, t).exists()]
    assert broken == [], f"{nb_path.relative_to(REPO)} links to missing files: {broken}"


def test_link_pattern():
    text = '[a](01_x.ipynb) [b](<../work/02 y.ipynb>) [c](https://e.org) [d](#top) <a href="f.md">'
    found = [next(g for g in groups if g) for groups in LINK.findall(text)]
    assert found == ["01_x.ipynb", "../work/02 y.ipynb", "https://e.org", "#top", "f.md"]
