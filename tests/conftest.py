"""Shared test set-up: offline data from ../shared/data, a fresh tutor cache, and a grading helper."""

from __future__ import annotations

import os
import tempfile
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"


_MADE_HERE: list[str] = []  # temporary folders this process made for the run, removed when it ends


def pytest_configure(config):
    os.environ.setdefault("HNML_TUTOR_DATA", str(SHARED_DATA))
    os.environ["HNML_TUTOR_OFFLINE"] = "1"
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    # grade seals its results with the instructor's key; tests must not make one in the real ~/.config.
    if "HNML_TUTOR_GRADING_KEY_FILE" not in os.environ:
        _MADE_HERE.append(tempfile.mkdtemp(prefix="hnml-tutor-test-key-"))
        os.environ["HNML_TUTOR_GRADING_KEY_FILE"] = os.path.join(_MADE_HERE[-1], "grading.key")
    if "HNML_TUTOR_CACHE" not in os.environ:
        # One cache for the whole run: the reference model is trained once, then reused by every test.
        _MADE_HERE.append(tempfile.mkdtemp(prefix="hnml-tutor-test-cache-"))
        os.environ["HNML_TUTOR_CACHE"] = _MADE_HERE[-1]


def pytest_unconfigure(config):
    """xdist's workers inherit the controller's folders through the environment; only the process that made
    them removes them, once every worker is done."""
    import shutil

    for folder in _MADE_HERE:
        shutil.rmtree(folder, ignore_errors=True)


# The longest tests (trainings of whole solutions, classes graded through the CLI, real terminals and kernels),
# most expensive first. Left in collection order, most of them would start last and keep one worker busy
# while the others idle. pytest-xdist's `load` scheduling hands each worker a first batch of consecutive
# tests (a quarter of its share), then small batches as it runs dry; so the longest tests are dealt out like
# cards, one to the front of each worker's first batch in turn, and every worker starts with its share of
# them. Under a plain `pytest` they simply run first. (Module-scoped fixtures are unaffected: only these
# tests move, and none of their modules shares one.)
LONGEST_FIRST = (
    "test_solutions_and_stubs.py::test_solution_passes_under_both_launchers[12",
    "test_solutions_and_stubs.py::test_solution_passes_under_both_launchers[08",
    "test_solutions_and_stubs.py::test_solution_passes_under_both_launchers[05",
    "test_solutions_and_stubs.py::test_solution_passes_under_both_launchers[09",
    "test_cli.py::test_subprocess_session",
    "test_isolation.py::test_a_hostile_learner",
    "test_notebook.py::test_the_course_notebook_passes",
    "test_watch.py::test_watch_rechecks_on_save",
    "test_solutions_and_stubs.py::test_solution_passes_under_both_launchers[11",
    "test_solutions_and_stubs.py::test_solution_passes_under_both_launchers[10",
)


def pytest_collection_modifyitems(config, items):
    def rank(item) -> int:
        return next((i for i, prefix in enumerate(LONGEST_FIRST) if prefix in item.nodeid), len(LONGEST_FIRST))

    longest = sorted((item for item in items if rank(item) < len(LONGEST_FIRST)), key=rank)
    rest = [item for item in items if rank(item) == len(LONGEST_FIRST)]
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    first_batch = max(len(items) // workers // 4, 2)  # as xdist's LoadScheduling sizes it
    slots = [worker * first_batch + turn for turn in range(first_batch) for worker in range(workers)]
    ordered: list = [None] * len(items)
    for item, slot in zip(longest, slots):
        ordered[slot] = item
    rest_iter = iter(rest)
    items[:] = [item if item is not None else next(rest_iter) for item in ordered]


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
