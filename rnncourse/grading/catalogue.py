"""What the course grades: items per lesson and per kind, points per lesson.

    python -m rnncourse.grading.catalogue --counts [--source solutions] [--json]

A graded item is one catalogue entry (``rnncourse/grading/exercises/<name>.py``) used by a
test cell of a solutions notebook; its kind is one of ``spec.KINDS``. Points are the test
cells' nbgrader points (the rule for choosing them is in ``rnncourse/grading/README.md``).
``tests/test_catalogue_counts.py`` holds the counts to thresholds.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import nbformat

from rnncourse.grading.notebooks import graded_cells
from rnncourse.grading.spec import KINDS, get_exercise, item_names

__all__ = ["counts", "main"]


def counts(source: str | Path = "solutions") -> dict:
    """{"lessons": {NN: {"items", "points", "kinds": {kind: n}, "names"}}, "kinds": {kind: n},
    "items", "points", "unused": [catalogue items no notebook grades]}."""
    lessons: dict[str, dict] = {}
    used: set[str] = set()
    for path in sorted(Path(source).glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        lesson = str(nb.metadata.get("rnncourse", {}).get("lesson", path.stem[:2]))
        entry = lessons.setdefault(
            lesson, {"items": 0, "points": 0.0, "kinds": dict.fromkeys(KINDS, 0), "names": []}
        )
        for cell in graded_cells(nb):
            entry["points"] += cell.points
            for name in dict.fromkeys(c.exercise for c in cell.checks):
                if name in entry["names"]:
                    continue
                entry["names"].append(name)
                entry["items"] += 1
                entry["kinds"][get_exercise(name).kind] += 1
                used.add(name)
    kinds = dict.fromkeys(KINDS, 0)
    for entry in lessons.values():
        for kind, n in entry["kinds"].items():
            kinds[kind] += n
    return {
        "lessons": lessons,
        "kinds": kinds,
        "items": sum(e["items"] for e in lessons.values()),
        "points": sum(e["points"] for e in lessons.values()),
        "unused": sorted(set(item_names()) - used),
    }


def _table(c: dict) -> str:
    head = ["lesson", "items", *KINDS, "points"]
    rows = [
        [lesson, e["items"], *(e["kinds"][k] for k in KINDS), f"{e['points']:g}"]
        for lesson, e in sorted(c["lessons"].items())
    ]
    rows.append(["total", c["items"], *(c["kinds"][k] for k in KINDS), f"{c['points']:g}"])
    widths = [max(len(str(r[i])) for r in [head, *rows]) for i in range(len(head))]
    lines = [
        "  ".join(str(v).rjust(w) for v, w in zip(r, widths, strict=True)) for r in [head, *rows]
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    if c["unused"]:
        lines.append(f"catalogued but graded by no notebook: {', '.join(c['unused'])}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m rnncourse.grading.catalogue", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--counts", action="store_true", help="items and points per lesson")
    parser.add_argument("--source", type=Path, default=Path("solutions"))
    parser.add_argument("--json", action="store_true", help="print the counts as JSON")
    args = parser.parse_args(argv)
    if not args.source.is_dir():
        print(f"no such folder: {args.source}", file=sys.stderr)
        return 2
    c = counts(args.source)
    if args.json:
        print(json.dumps(c, indent=1, sort_keys=True))
    elif args.counts:
        print(_table(c))
    else:
        for name in item_names():
            item = get_exercise(name)
            print(f"{name:28s} {item.kind}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
