"""Shared test set-up: offline data from ../shared/data, a fresh tutor cache, and a grading helper."""

from __future__ import annotations

import os
import tempfile
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"


def pytest_configure(config):
    os.environ.setdefault("HNML_TUTOR_DATA", str(SHARED_DATA))
    os.environ["HNML_TUTOR_OFFLINE"] = "1"
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    # grade seals its results with the instructor's key; tests must not make one in the real ~/.config.
    os.environ.setdefault("HNML_TUTOR_GRADING_KEY_FILE", os.path.join(tempfile.mkdtemp(prefix="hnml-tutor-test-key-"),
                                                                      "grading.key"))
    if "HNML_TUTOR_CACHE" not in os.environ:
        # One cache for the whole run: the reference model is trained once, then reused by every test.
        os.environ["HNML_TUTOR_CACHE"] = tempfile.mkdtemp(prefix="hnml-tutor-test-cache-")


# The longest tests (trainings of whole solutions, classes graded through the CLI, real terminals and kernels),
# listed so that they start first: xdist hands out tests in collection order, and a long test begun last
# keeps one worker busy while the others idle. Most expensive first; anything not named keeps its order.
LONGEST_FIRST = (
    "test_solutions_and_stubs.py::test_solution_passes_under_both_launchers[12",
    "test_solutions_and_stubs.py::test_solution_passes_under_both_launchers[08",
    "test_solutions_and_stubs.py::test_solution_passes_under_both_launchers[05",
    "test_solutions_and_stubs.py::test_solution_passes_under_both_launchers[09",
    "test_grade_hostile.py",
    "test_cli.py::test_subprocess_session",
    "test_isolation.py::test_a_hostile_learner",
    "test_notebook.py",
    "test_watch.py",
    "test_solutions_and_stubs.py::test_solution_passes_under_both_launchers",
)


def pytest_collection_modifyitems(config, items):
    def rank(item) -> int:
        return next((i for i, prefix in enumerate(LONGEST_FIRST) if prefix in item.nodeid), len(LONGEST_FIRST))

    items.sort(key=rank)


@pytest.fixture(scope="session")
def warm_launcher():
    """One warm launcher for the whole run: tests about what a grader says need not pay a TensorFlow import
    per learner file (the cold path has tests of its own: solutions, sandbox, launchers, the CLI)."""
    from hnml_tutor.sandbox import WarmLauncher

    launcher = WarmLauncher()
    yield launcher
    launcher.close()


@pytest.fixture
def grade(tmp_path, warm_launcher):
    """``grade("02", source)`` grades a learner-style file and returns the report (warm unless told otherwise)."""
    from hnml_tutor.curriculum import load_curriculum
    from hnml_tutor.graders.runner import grade_exercise
    from hnml_tutor.sandbox import Limits

    def run(exercise_id: str, source: str, *, time_limit: float | None = None, memory_mb: int = 4096, **kwargs):
        exercise = load_curriculum().resolve(exercise_id)
        path = tmp_path / exercise.filename
        path.write_text(textwrap.dedent(source), encoding="utf-8")
        limits = Limits(time_limit=time_limit or exercise.time_limit, memory_mb=memory_mb)
        kwargs.setdefault("launcher", warm_launcher)
        return grade_exercise(exercise, path, limits=limits, plots_dir=tmp_path / "plots", **kwargs)

    return run


def failure_text(report) -> str:
    """Every word the learner would read about the failed checks, lower-cased for matching."""
    parts = []
    for check in report.checks:
        if check.status in ("failed", "error"):
            parts += [check.description, check.message, check.expected or "", check.found or "",
                      check.hint or "", check.details or ""]
    return "\n".join(parts + report.notes).lower()
