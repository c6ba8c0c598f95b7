"""Gradebooks: the JSON and CSV files, and one readable feedback file per student."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from rnncourse.grading.status import PASSED

__all__ = ["feedback_text", "write_outputs"]


def feedback_text(entry: dict) -> str:
    """A student's readable feedback: score, each exercise's verdict, what happened on the way."""
    lines = [
        f"Feedback for {entry['student']} ({Path(entry['file']).name})",
        f"Score: {entry['total']:g} / {entry['max']:g}",
        "",
    ]
    if "reference-used" in entry.get("flags", []):
        lines += ["A graded function used the package's own answer: it earns no credit.", ""]
    for gid, e in entry["exercises"].items():
        mark = "✓" if e["status"] == PASSED else "✗"
        lines.append(f"{mark} {gid}: {e['status']} ({e['points']:g}/{e['max']:g})")
        lines += ["    " + line for line in e["message"].splitlines() if e["status"] != PASSED]
    if entry.get("notes"):
        lines += ["", "While your notebook ran:"] + [f"  - {n}" for n in entry["notes"]]
    return "\n".join(lines) + "\n"


PUBLIC_KEYS = ("file", "student", "source", "total", "max", "flags", "exercises")


def _public(entry: dict) -> dict:
    """An entry as the JSON gradebook has it (the contract's keys, in this order)."""
    out = {k: entry.get(k) for k in PUBLIC_KEYS}
    out["source"] = out["source"] or ""
    out["flags"] = list(out["flags"] or [])
    return out


def write_outputs(
    entries: list[dict], json_path: Path | None, csv_path: Path | None, feedback_dir: Path | None
) -> None:
    for path in (json_path, csv_path):
        if path:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
    if json_path:
        Path(json_path).write_text(
            json.dumps({"submissions": [_public(e) for e in entries]}, indent=1) + "\n"
        )
    if csv_path:
        ids = list(dict.fromkeys(gid for e in entries for gid in e["exercises"]))
        with open(csv_path, "w", newline="", encoding="utf-8") as f:
            w = csv.writer(f)
            w.writerow(
                ["student", "file", *ids, *(f"{g}_status" for g in ids), "total", "max", "flags"]
            )
            for e in entries:
                ex = e["exercises"]
                w.writerow(
                    [
                        e["student"],
                        e["file"],
                        *(f"{ex[g]['points']:g}" if g in ex else "" for g in ids),
                        *(ex[g]["status"] if g in ex else "" for g in ids),
                        f"{e['total']:g}",
                        f"{e['max']:g}",
                        " ".join(e.get("flags", [])),
                    ]
                )
    if feedback_dir:
        Path(feedback_dir).mkdir(parents=True, exist_ok=True)
        for e in entries:
            (Path(feedback_dir) / f"{e['student']}.txt").write_text(
                feedback_text(e), encoding="utf-8"
            )
