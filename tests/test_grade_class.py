"""Instructor grading end to end: gradebook, Gradescope schema, hidden tests, idempotence, --resume, crashes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from classroom_helpers import (
    make_workspace,
    read_gradebook,
    solution,
    stop_processes_of_this_test_run,
    strays_after_grace,
    stub,
)
from hnml_tutor.cli import app

HIDDEN_TEST = textwrap.dedent('''
    """Instructor-only: a pure white image must scale to exactly one."""
    import numpy as np
    import pytest

    from hnml_tutor.graders.common import expect_ran
    from hnml_tutor.graders.vocabulary import fail
    from hnml_tutor.sandbox import Call


    @pytest.mark.points(3)
    def test_white_becomes_one(run_learner, filename, exercise):
        """a pure white image becomes all ones"""
        white = np.full((2, 28, 28), 255, dtype=np.uint8)
        value = expect_ran(run_learner([Call("preprocess", (white,))]), "preprocess", filename, exercise.id)
        if not np.allclose(np.asarray(value, dtype=float), 1.0):
            fail("A white pixel (255) must become exactly 1.0.", expected="all ones",
                 found=f"values up to {float(np.max(value)):g}")
''')
PARTIAL_02 = "def preprocess(images):\n    return images.astype('float32')\n"
GRADESCOPE_VISIBILITY = {"hidden", "after_due_date", "after_published", "visible"}


def grade(*args: str, timeout: int = 30) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["grade", *args, "--timeout", str(timeout), "--workers", "2"], env={"COLUMNS": "200"})
    return result.exit_code, result.output


@pytest.fixture(scope="module")
def small_class(tmp_path_factory):
    root = tmp_path_factory.mktemp("small-class")
    subs, hidden = root / "submissions", root / "hidden"
    # 15 (NumPy only) is the second exercise: a class test is about the gradebook, not about Keras, and
    # each learner's jail would otherwise import TensorFlow.
    make_workspace(subs / "alice", {"02": solution("02"), "15": solution("15")})
    make_workspace(subs / "bob", {"02": stub("02"), "15": stub("15")})
    make_workspace(subs / "carol", {"02": PARTIAL_02, "15": solution("15")})
    hidden.mkdir()
    (hidden / "test_02_white.py").write_text(HIDDEN_TEST, encoding="utf-8")
    code, output = grade(str(subs), "--out", str(root / "out"), "-e", "02,15", "--tests", str(hidden))
    assert code == 0, output
    return root


def test_gradebook_has_points_per_exercise_total_and_max(small_class):
    text = (small_class / "out" / "gradebook.csv").read_text(encoding="utf-8")
    assert text.splitlines()[0] == "learner,02,15,total,max"
    book = read_gradebook(small_class / "out" / "gradebook.csv")
    assert book["alice"] == {"learner": "alice", "02": "13", "15": "30", "total": "43", "max": "43"}
    assert book["bob"]["total"] == "0" and book["bob"]["max"] == "43"
    assert 0 < float(book["carol"]["02"]) < 10 and book["carol"]["15"] == "30"


def test_without_a_selection_the_whole_course_is_graded(tmp_path):
    """Every exercise of the curriculum has its gradebook column; a file the learner never wrote is a zero
    and costs no sandbox run, so grading 15 alone stays quick."""
    from hnml_tutor.curriculum import load_curriculum

    curriculum = load_curriculum()
    make_workspace(tmp_path / "subs" / "dana", {"15": solution("15")})
    code, output = grade(str(tmp_path / "subs"), "--out", str(tmp_path / "out"), timeout=60)
    assert code == 0, output
    text = (tmp_path / "out" / "gradebook.csv").read_text(encoding="utf-8")
    assert text.splitlines()[0] == ",".join(["learner", *(e.id for e in curriculum.exercises), "total", "max"])
    row = read_gradebook(tmp_path / "out" / "gradebook.csv")["dana"]
    written = curriculum.resolve("15").points
    assert float(row["15"]) == written and float(row["total"]) == written
    assert float(row["max"]) == sum(e.points for e in curriculum.exercises)


def test_results_follow_the_gradescope_schema(small_class):
    book = read_gradebook(small_class / "out" / "gradebook.csv")
    for learner in ("alice", "bob", "carol"):
        results = json.loads((small_class / "out" / "results" / f"{learner}.json").read_text(encoding="utf-8"))
        assert isinstance(results["score"], float) and isinstance(results["output"], str)
        for test in results["tests"]:
            assert {"name", "score", "max_score", "output", "visibility"} <= set(test)
            assert test["visibility"] in GRADESCOPE_VISIBILITY
            # Gradescope knows only passed and failed: a skipped check carries no status and says it was skipped.
            assert test.get("status") in ("passed", "failed") or "(skipped: needs" in test["name"]
            assert 0 <= test["score"] <= test["max_score"]
        assert sum(t["max_score"] for t in results["tests"]) == pytest.approx(float(book[learner]["max"]))
        assert sum(t["score"] for t in results["tests"]) == pytest.approx(results["score"])
        assert results["score"] == pytest.approx(float(book[learner]["total"]))


def test_partial_credit_follows_the_checks_declarations(small_class):
    from hnml_tutor.curriculum import load_curriculum
    from hnml_tutor.graders.runner import declared_checks

    results = json.loads((small_class / "out" / "results" / "carol.json").read_text(encoding="utf-8"))
    credit = {check.name: check.points for check in declared_checks(load_curriculum().resolve("02"))}
    passed = [t for t in results["tests"] if "02" in t["tags"] and t["status"] == "passed"]
    assert passed and all(t["score"] == t["max_score"] for t in passed)
    by_name = {t["number"]: t for t in results["tests"]}
    assert by_name["02.1"]["max_score"] == credit["test_runs"]
    range_check = next(t for t in results["tests"] if "[0, 1]" in t["name"])
    assert range_check["status"] == "failed" and "255" in range_check["output"]


def test_hidden_tests_count_and_are_marked(small_class):
    results = json.loads((small_class / "out" / "results" / "carol.json").read_text(encoding="utf-8"))
    hidden = [t for t in results["tests"] if "instructor test" in t["name"]]
    assert len(hidden) == 1 and hidden[0]["max_score"] == 3 and hidden[0]["visibility"] == "after_published"
    assert hidden[0]["status"] == "failed" and "exactly 1.0" in hidden[0]["output"]
    page = (small_class / "out" / "feedback" / "carol.html").read_text(encoding="utf-8")
    assert "pure white image" not in page and "tests of their own" in page  # only with grade --show-hidden


def test_regrading_gives_the_same_gradebook(small_class):
    code, output = grade(str(small_class / "submissions"), "--out", str(small_class / "again"), "-e", "02,15",
                         "--tests", str(small_class / "hidden"))
    assert code == 0, output
    assert (small_class / "again" / "gradebook.csv").read_bytes() == (small_class / "out" / "gradebook.csv").read_bytes()


def test_resume_regrades_only_what_changed(small_class, tmp_path):
    import shutil

    out = tmp_path / "out"
    shutil.copytree(small_class / "out", out)
    code, output = grade(str(small_class / "submissions"), "--out", str(out), "-e", "02,15",
                         "--tests", str(small_class / "hidden"), "--resume")
    assert code == 0 and "Graded 0 exercise(s), reused 6" in output, output
    subs = tmp_path / "subs"
    shutil.copytree(small_class / "submissions", subs)
    (subs / "carol" / "exercises" / "02_preprocess.py").write_text(solution("02"), encoding="utf-8")
    code, output = grade(str(subs), "--out", str(out), "-e", "02,15", "--tests", str(small_class / "hidden"), "--resume")
    assert code == 0 and "Graded 1 exercise(s), reused 5" in output, output
    assert read_gradebook(out / "gradebook.csv")["carol"]["total"] == "43"


def test_out_with_foreign_files_is_refused(tmp_path):
    make_workspace(tmp_path / "subs" / "alice", {"02": solution("02")})
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "thesis.tex").write_text("precious")
    code, output = grade(str(tmp_path / "subs"), "--out", str(tmp_path / "out"))
    assert code == 2 and "did not write" in output
    assert (tmp_path / "out" / "thesis.tex").read_text() == "precious"


@pytest.mark.parametrize("problem, expected", [
    ("missing-folder", "does not exist"),
    ("out-inside", "outside the submissions"),
    ("bad-hidden", "does not name an exercise"),
    ("no-learners", "No learners found"),
])
def test_instructor_mistakes_are_explained(tmp_path, problem, expected):
    subs = tmp_path / "subs"
    subs.mkdir()
    if problem != "no-learners":
        make_workspace(subs / "alice", {"02": solution("02")})
    args = [str(subs), "--out", str(tmp_path / "out"), "-e", "02"]
    if problem == "missing-folder":
        args[0] = str(tmp_path / "nope")
    elif problem == "out-inside":
        args[2] = str(subs / "grades")
    elif problem == "bad-hidden":
        (tmp_path / "hidden").mkdir()
        (tmp_path / "hidden" / "test_extra.py").write_text("def test_x():\n    pass\n")
        args += ["--tests", str(tmp_path / "hidden")]
    code, output = grade(*args)
    assert code == 2 and expected in " ".join(output.split()), output
    assert "Traceback" not in output


def test_a_killed_run_loses_no_finished_work(tmp_path):
    """The coordinator itself is killed mid-run; --resume keeps what was finished and grades the rest."""
    subs, out = tmp_path / "subs", tmp_path / "out"
    for name in ("a_first", "b_second"):
        make_workspace(subs / name, {"02": solution("02")})
    make_workspace(subs / "c_hangs", {"02": "import time\ndef preprocess(images):\n    time.sleep(60)\n"})
    command = [sys.executable, "-m", "hnml_tutor", "grade", str(subs), "--out", str(out), "-e", "02",
               "--workers", "1", "--timeout", "5"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        finished = out / ".hnml-grade" / "outcomes" / "b_second" / "02.json"
        while not finished.exists() and time.monotonic() < deadline and process.poll() is None:
            time.sleep(0.2)
        assert finished.exists(), "the second learner should have been graded before the hanging one"
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
    finally:
        if process.poll() is None:
            process.kill()
        stop_processes_of_this_test_run()
    # Results are written only once every learner process is gone, which a killed run never reached; what
    # was finished is kept, sealed, for --resume.
    assert not (out / "gradebook.csv").exists()
    assert (out / ".hnml-grade" / "outcomes" / "a_first" / "02.json").exists()
    code, output = grade(str(subs), "--out", str(out), "-e", "02", "--resume", timeout=5)
    assert code == 0, output
    book = read_gradebook(out / "gradebook.csv")
    assert book["a_first"]["02"] == "10" and book["b_second"]["02"] == "10" and book["c_hangs"]["02"] == "0"
    assert "Graded 1 exercise(s), reused 2" in output
    assert strays_after_grace() == []


BREAKING_HIDDEN_TEST = textwrap.dedent('''
    """Instructor-only, with a fixture that breaks (the grader's fault, never the learner's)."""
    import os
    from pathlib import Path

    import pytest


    @pytest.fixture
    def fragile():
        runs = Path(os.environ["HNML_TEST_RUNS"])
        before = runs.read_text() if runs.exists() else ""
        runs.write_text(before + "run\\n")
        mode = os.environ["HNML_TEST_BREAK"]
        if mode == "exits once" and not before:
            os._exit(3)  # takes the grading worker down with it
        if mode == "always" or (mode == "once" and not before):
            raise RuntimeError("the instructor's fixture broke")


    def test_fixture_ready(fragile):
        """the instructor's fixture is ready"""
''')


@pytest.mark.parametrize("breaks", ["once", "exits once", "always"])
def test_a_grader_that_breaks_is_graded_again_then_reported(tmp_path, monkeypatch, breaks):
    """A zero caused by the tutor itself must not silently become a learner's grade."""
    subs, hidden, out, runs = tmp_path / "subs", tmp_path / "hidden", tmp_path / "out", tmp_path / "runs.txt"
    make_workspace(subs / "alice", {"02": solution("02")})
    hidden.mkdir()
    (hidden / "test_02_fragile.py").write_text(BREAKING_HIDDEN_TEST, encoding="utf-8")
    monkeypatch.setenv("HNML_TEST_RUNS", str(runs))
    monkeypatch.setenv("HNML_TEST_BREAK", breaks)

    code, output = grade(str(subs), "--out", str(out), "-e", "02", "--tests", str(hidden))
    assert runs.read_text().count("run") == 2  # the first go broke, so the task was graded once more
    results = json.loads((out / "results" / "alice.json").read_text())
    if breaks != "always":
        assert code == 0 and "1 of them twice after a grader error" in output, output
        assert read_gradebook(out / "gradebook.csv")["alice"]["total"] == "11"
        assert "autograder itself failed" not in results["output"]
        return
    assert code == 1, output
    assert "not graded because of an error in hnml-tutor" in output and "the instructor's fixture broke" in output
    assert "--resume" in output
    assert read_gradebook(out / "gradebook.csv")["alice"]["total"] == "10"  # the grader's own checks still count
    assert "autograder itself failed on exercise 02" in results["output"]
    # --resume does not trust an outcome the grader broke on: it grades it again.
    code, output = grade(str(subs), "--out", str(out), "-e", "02", "--tests", str(hidden), "--resume")
    assert code == 1 and "Graded 1 exercise(s)" in output and "reused" not in output, output
    assert runs.read_text().count("run") == 4
