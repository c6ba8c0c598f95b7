"""Real nbgrader round trip: our solutions are a valid nbgrader source.

``nbgrader generate_assignment`` on solutions/ must release notebooks whose cells equal our
generated exercises/, and ``nbgrader autograde`` must give a solved notebook full points (and
the unsolved release none, so the points cannot come for free). nbgrader is slow to import,
so one subprocess does all of it through ``NbGraderAPI`` and reports JSON.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted(p.name for p in (REPO / "solutions").glob("*.ipynb"))

pytestmark = [pytest.mark.notebooks, pytest.mark.slow]

SCRIPT = r"""
import json, re, shutil, sys
from pathlib import Path

import nbformat
from traitlets.config import Config
from nbgrader.apps import NbGraderAPI
from nbgrader.api import Gradebook

root = Path(sys.argv[1])
c = Config()
c.CourseDirectory.root = str(root)
c.CourseDirectory.course_id = "rnncourse"
c.ExecutePreprocessor.timeout = 120
api = NbGraderAPI(config=c)
out = {}
for assignment in ("ps", "idle"):
    r = api.generate_assignment(assignment, force=True)
    out["generate_" + assignment] = {"success": r["success"], "log": r["log"][-3000:]}
# the solver answers every notebook of "ps"; the idler hands in the release of "idle" unchanged
for student, assignment, solved in (("solver", "ps", True), ("idler", "idle", False)):
    folder = root / "submitted" / student / assignment
    folder.mkdir(parents=True)
    for path in sorted((root / "release" / assignment).glob("*.ipynb")):
        name = path.name
        nb = nbformat.read(path, as_version=4)
        if solved:  # the learner fills in each answer cell with the solution's code
            source = nbformat.read(root / "source" / assignment / name, as_version=4)
            answers = {
                cell.metadata["nbgrader"]["grade_id"]: cell.source
                for cell in source.cells
                if cell.metadata.get("nbgrader", {}).get("solution")
            }
            for cell in nb.cells:
                gid = cell.metadata.get("nbgrader", {}).get("grade_id")
                if gid in answers:
                    lines = answers[gid].split("\n")
                    cell.source = "\n".join(x for x in lines if "### BEGIN SOLUTION" not in x and "### END SOLUTION" not in x)
        nbformat.write(nb, folder / name)
    r = api.autograde(assignment, student, force=True, create=True)
    changed = re.findall(r"Attribute 'checksum' for cell (\S+) has changed", r["log"])
    out[student] = {"success": r["success"], "log": r["log"][-3000:], "checksum": sorted(set(changed))}
with Gradebook("sqlite:///" + str(root / "gradebook.db")) as gb:
    for student, assignment in (("solver", "ps"), ("idler", "idle")):
        s = gb.find_submission(assignment, student)
        out[student]["score"] = s.score
        out[student]["max_score"] = s.max_score
print("RESULT" + json.dumps(out))
"""


def test_nbgrader_round_trip(tmp_path):
    if shutil.which("nbgrader", path=str(Path(sys.executable).parent)) is None:
        pytest.fail("nbgrader is a test dependency: pip install -e '.[test]'")
    source = tmp_path / "source" / "ps"
    source.mkdir(parents=True)
    for name in NOTEBOOKS:
        shutil.copy(REPO / "solutions" / name, source / name)
    (tmp_path / "source" / "idle").mkdir()
    shutil.copy(REPO / "solutions" / "02_hidden_state.ipynb", tmp_path / "source" / "idle")
    env = dict(os.environ)
    env["PATH"] = (
        str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    )  # nbgrader runs alembic
    env["OPENBLAS_NUM_THREADS"] = "1"
    proc = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(tmp_path)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    line = next((x for x in proc.stdout.splitlines() if x.startswith("RESULT")), None)
    assert line, proc.stdout[-3000:] + proc.stderr[-3000:]
    out = json.loads(line[len("RESULT") :])
    assert out["generate_ps"]["success"], out["generate_ps"]["log"]
    assert out["generate_idle"]["success"], out["generate_idle"]["log"]

    for name in NOTEBOOKS:
        released = nbformat.read(tmp_path / "release" / "ps" / name, as_version=4)
        ours = nbformat.read(REPO / "exercises" / name, as_version=4)
        assert [c.cell_type for c in released.cells] == [c.cell_type for c in ours.cells]
        for theirs, mine in zip(released.cells, ours.cells, strict=True):
            assert theirs.source == mine.source, name
            if "nbgrader" in mine.metadata:
                for key in ("grade", "solution", "locked", "grade_id", "points"):
                    assert theirs.metadata["nbgrader"].get(key) == mine.metadata["nbgrader"].get(
                        key
                    )

    expected_max = sum(
        c.metadata["nbgrader"]["points"]
        for name in NOTEBOOKS
        for c in nbformat.read(REPO / "solutions" / name, as_version=4).cells
        if c.metadata.get("nbgrader", {}).get("grade")
    )
    assert out["solver"]["success"], out["solver"]["log"]
    assert out["solver"]["max_score"] == expected_max
    assert out["solver"]["score"] == expected_max, out["solver"]["log"]
    assert out["idler"]["max_score"] == 5
    assert out["idler"]["score"] == 0
    # autograde's "Attribute 'checksum' for cell ... has changed!" is expected, and only there:
    # a test cell with hidden tests is released without them, so its checksum differs from the
    # source's, and nbgrader puts the source's cell (hidden tests included) back before grading
    # (instructors/README.md says so)
    with_hidden = sorted(
        c.metadata["nbgrader"]["grade_id"]
        for name in NOTEBOOKS
        for c in nbformat.read(REPO / "solutions" / name, as_version=4).cells
        if c.metadata.get("nbgrader", {}).get("grade") and "### BEGIN HIDDEN TESTS" in c.source
    )
    assert with_hidden, "no solutions notebook has hidden tests any more"
    assert out["solver"]["checksum"] == sorted(set(with_hidden)), out["solver"]["checksum"]
    guide = " ".join((REPO / "instructors" / "README.md").read_text().split())
    assert "has changed!" in guide and "expected" in guide
