"""A room on a real JupyterHub (instructors/jupyterhub.md, "The tested set-up"), 2 learners.

One hub for the module (``tools.hub_load.Room``): JupyterHub from PyPI with npm's
configurable-http-proxy, the guide's ``instructors/hub/jupyterhub_config_local.py``, every
learner's server run by LocalProcessSpawner as a throwaway system user of their own, the course
pulled with the guide's nbgitpuller link from a local repository. The tests:

- two learners at once do what ``make hub-test`` times for eight: log in, open the link, copy
  their exercises into ``work/``, run a lesson, submit a wrong and a right answer to a check ten
  times each, hand in, see ``rnncourse progress``; the instructor collects and grades with the
  guide's commands, and the grades are the expected ones;
- no learner can read (or write) another's files, nor the hub's secrets;
- an update on the hub: the instructor publishes a change to a lesson the learner has edited and
  to one they have not; the learner opens the link again and sees what the guide says they see;
- one more learner is walked through it in Chromium: the login form, the link, JupyterLab
  opening on the start page, its first cells run.

Not as root, or without node, npm (or configurable-http-proxy), git or uv the tests skip with the reason, except
under ``RNNCOURSE_REQUIRE_ALL=1`` (``.ci/run``), where they fail. Everything the hub made (system
users, processes, ports, folders) is removed when the module ends, also after a failure.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tools import hub_load

# it executes a lesson's cells, so it runs where notebooks do (the main environment, not the
# oldest-numpy run of the test command)
pytestmark = pytest.mark.notebooks

REQUIRE_ALL = os.environ.get("RNNCOURSE_REQUIRE_ALL", "") == "1"
REPO = Path(__file__).resolve().parents[1]
LEARNERS = 2  # the load form; the Chromium learner is one more
REPEATS = 10
HEADLESS_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def missing(reason: str) -> None:
    """Skip because `reason`; fail instead under RNNCOURSE_REQUIRE_ALL=1 (tests/conftest.py)."""
    if REQUIRE_ALL:
        pytest.fail(
            f"{reason} -- RNNCOURSE_REQUIRE_ALL=1, so this may not be skipped", pytrace=False
        )
    pytest.skip(reason)


@pytest.fixture(scope="module")
def room():
    problems = hub_load.missing_requirements()
    if problems:
        missing("the hub test needs " + "; ".join(problems))
    with hub_load.Room(LEARNERS + 1) as r:
        yield r


@pytest.fixture(scope="module")
def session(room):
    """The two learners' session, started in the background (the Chromium learner, the first
    test, walks through the hub meanwhile); `ran` waits for it."""
    pool = ThreadPoolExecutor(max_workers=1)
    start = time.monotonic()
    future = pool.submit(room.run, REPEATS, 400, LEARNERS)
    yield future, start
    pool.shutdown(wait=True)  # the learners' threads end (bounded) before the room is removed


@pytest.fixture(scope="module")
def ran(room, session):
    """The two learners' session, run once for the module's tests."""
    future, start = session
    results = future.result(timeout=520)
    wall = time.monotonic() - start
    errors = [f"{r.name}: {r.error}" for r in results if r.error]
    assert not errors, "\n".join(errors) + "\n--- hub log ---\n" + room.hub_tail(60)
    return results, wall


@pytest.mark.browser
def test_one_learner_end_to_end_in_chromium(room, session, chromium):
    """A fresh learner, while the two others work: the login form, the nbgitpuller link (the
    hub starts their server on the way, nbgitpuller pulls the course), JupyterLab opening on the
    start page."""
    from playwright.sync_api import sync_playwright

    name = room.names[LEARNERS]
    link = hub_load.nbgitpuller_link(room.url, room.repo_url)
    shots = REPO / "test-artifacts" / "hub"
    shots.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=HEADLESS_FLAGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 1000})
            page.set_default_timeout(120_000)
            page.goto(link)
            page.fill("input[name=username]", name)
            page.fill("input[name=password]", "any password: the test authenticator")
            page.click("input[type=submit], button[type=submit]")
            # spawn page -> the pull page -> JupyterLab on the start page
            page.wait_for_url(f"**/user/{name}/lab/tree/rnncourse/notebooks/00_start_here.ipynb**")
            page.wait_for_selector(".jp-NotebookPanel .jp-Cell", timeout=120_000)
            heading = page.locator(".jp-NotebookPanel h1").first
            heading.wait_for()
            assert "Start here" in heading.inner_text()
            page.screenshot(path=str(shots / "start_page.png"))
        finally:
            browser.close()
    home = room.home(name) / "rnncourse"
    assert (home / "notebooks" / "00_start_here.ipynb").exists()
    # the pulled clone is the learner's own
    assert os.stat(home).st_uid == os.stat(room.home(name)).st_uid != 0


def test_learners_pull_run_check_and_see_progress(room, ran):
    results, wall = ran
    for r in results:
        assert len(r.checks) == 2 * REPEATS, r
        assert "rnn_step_forward" in r.progress, r.progress
    right, wrong = results[0], results[1]  # learner 1 handed in the right answer, 2 the wrong
    assert "passed" in right.progress.split("rnn_step_forward", 1)[1].splitlines()[0], (
        right.progress
    )
    assert "failed" in wrong.progress.split("rnn_step_forward", 1)[1].splitlines()[0], (
        wrong.progress
    )
    samples = [s for r in results for s in r.checks]
    report = hub_load.report(room, results, None, wall)
    print(
        f"\n{LEARNERS} learners: per learner {[p['seconds'] for p in report['per_learner']]} s; "
        f"check latency median {report['check_latency_ms']['median']} ms, "
        f"p95 {report['check_latency_ms']['p95']} ms over {len(samples)} checks"
    )
    # every check answered (a hang would have hit the cell timeout); generous bound for a busy CI
    assert max(samples) < 30, max(samples)


def test_instructor_collects_and_grades_with_the_guides_commands(room, ran, tmp_path):
    # `rnncourse grade` as the guide runs it: sandboxed wherever the grader has a sandbox (then
    # it refuses to run without bubblewrap unless told --no-sandbox, which the guide does not)
    usage = subprocess.run(
        [sys.executable, "-m", "rnncourse", "grade", "--help"],
        capture_output=True,
        text=True,
        timeout=120,
    ).stdout
    sandboxed = "--no-sandbox" in usage
    if sandboxed and shutil.which("bwrap") is None:
        missing("grading sandboxed needs bubblewrap (Debian: apt-get install bubblewrap)")
    grades = room.collect_and_grade(tmp_path / "instructor")
    got = {s["student"]: s["total"] for s in grades["submissions"]}
    assert got == hub_load.expected_grades(room.names[:LEARNERS]), (got, room.grade_output)
    for s in grades["submissions"]:
        assert s["max"] == 5, s
        if sandboxed:
            assert "unsandboxed" not in s.get("flags", []), s
        status = s["exercises"]["test_rnn_step_forward"]["status"]
        assert status == ("passed" if s["total"] == 2 else "failed"), s
        assert s["exercises"]["test_rnn_forward"]["status"] == "not-implemented", s
    assert (tmp_path / "instructor" / "grades.csv").exists()
    feedback = sorted(p.name for p in (tmp_path / "instructor" / "feedback").iterdir())
    assert feedback == sorted(f"{n}.txt" for n in room.names[:LEARNERS]), feedback


def test_no_learner_reads_another_learners_files(room, ran):
    me, other = room.names[0], room.names[1]
    theirs = room.home(other) / "rnncourse" / "work" / hub_load.EXERCISE
    assert theirs.exists()  # the file is there: what follows is a refusal, not a missing file
    kernel = room.kernel(me, "rnncourse/notebooks/00_start_here.ipynb")
    try:
        probe = kernel.execute(
            "import os, pwd\n"
            "results = {'me': pwd.getpwuid(os.getuid()).pw_name}\n"
            f"for label, path in [('read', {str(theirs)!r}), ('list', {str(room.home(other))!r}),\n"
            f"                    ('secret', {str(room.tmp / 'jupyterhub_cookie_secret')!r})]:\n"
            "    try:\n"
            "        open(path).read() if label != 'list' else os.listdir(path)\n"
            "        results[label] = 'allowed'\n"
            "    except PermissionError:\n"
            "        results[label] = 'denied'\n"
            "try:\n"
            f"    open({str(room.home(other) / 'planted.txt')!r}, 'w').write('x')\n"
            "    results['write'] = 'allowed'\n"
            "except PermissionError:\n"
            "    results['write'] = 'denied'\n"
            "import json; print(json.dumps(results))\n"
        )
    finally:
        kernel.close()
    assert probe.status == "ok", probe.text
    results = json.loads(probe.stdout.strip().splitlines()[-1])
    assert results == {
        "me": me,
        "read": "denied",
        "list": "denied",
        "secret": "denied",
        "write": "denied",
    }, results
    # and the learner's own server process runs as the learner
    uid = os.stat(room.home(me)).st_uid
    assert hub_load.pids_of_uid(uid), "no process runs as the learner"


def _edit_cell(path: Path, index: int, text: str) -> None:
    nb = json.loads(path.read_text())
    cells = [c for c in nb["cells"] if c["cell_type"] == "markdown"]
    cells[index]["source"] = text
    path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n")


def test_update_on_the_hub_keeps_the_learners_edited_lesson(room, ran):
    """The learner edits lesson 02 and deletes lesson 01; the instructor publishes a change to
    lesson 02 (its last text cell, and its second, which the learner has also edited), to lesson
    03 (untouched by the learner) and to the exercise notebook 02; the learner opens the link
    again and sees what the guide's "Updates during a workshop" says."""
    me = room.names[0]
    lesson = "rnncourse/notebooks/02_hidden_state.ipynb"
    # the learner writes a note into the second text cell of lesson 02 and saves it (as
    # JupyterLab does)
    nb = room.contents(me, lesson)["content"]
    text_cells = [c for c in nb["cells"] if c["cell_type"] == "markdown"]
    text_cells[1]["source"] = "MY NOTE: the hidden state is a running summary."
    room.save(me, lesson, nb)
    work_before = (room.home(me) / "rnncourse" / "work" / hub_load.EXERCISE).read_bytes()
    # and deletes lesson 01, to get it afresh
    deleted = "rnncourse/notebooks/01_why_sequences.ipynb"
    status, _, body = hub_load.call(
        "DELETE", f"{room.server(me)}api/contents/{deleted}", room.token(me)
    )
    assert status == 204, body

    def edit(course: Path) -> None:
        _edit_cell(course / "notebooks/02_hidden_state.ipynb", -1, "UPSTREAM: a new summary.")
        _edit_cell(course / "notebooks/02_hidden_state.ipynb", 1, "UPSTREAM: a reworded cell.")
        _edit_cell(course / "notebooks/03_outputs.ipynb", 0, "# UPSTREAM: Outputs, revised")
        _edit_cell(course / "exercises/02_hidden_state.ipynb", 0, "# UPSTREAM: exercises, v2")

    hub_load.upstream_change(room.remote, edit, "an update during the workshop")
    events = room.pull(me)
    log = "".join(e.get("output", "") for e in events)
    assert "merge" in log.lower(), log

    mine = room.contents(me, lesson)["content"]  # valid JSON: the merge produced a notebook
    texts = ["".join(c["source"]) for c in mine["cells"] if c["cell_type"] == "markdown"]
    assert texts[1] == "MY NOTE: the hidden state is a running summary.", texts[1]  # theirs wins
    assert texts[-1] == "UPSTREAM: a new summary.", texts[-1]  # elsewhere, the update arrives
    other = room.contents(me, "rnncourse/notebooks/03_outputs.ipynb")["content"]
    assert "".join(other["cells"][0]["source"]) == "# UPSTREAM: Outputs, revised"
    assert room.contents(me, deleted)["content"]["cells"]  # a deleted lesson comes back
    # work/ is never touched; sync-work reports the changed exercise and copies nothing over it
    assert (room.home(me) / "rnncourse" / "work" / hub_load.EXERCISE).read_bytes() == work_before
    kernel = room.kernel(me, "rnncourse/notebooks/00_start_here.ipynb")
    try:
        out = kernel.execute("!rnncourse sync-work --source ../exercises --work ../work")
    finally:
        kernel.close()
    assert out.status == "ok" and "02_hidden_state" in out.stdout, out.text
    assert "changed" in out.stdout.lower(), out.stdout
    assert (room.home(me) / "rnncourse" / "work" / hub_load.EXERCISE).read_bytes() == work_before
