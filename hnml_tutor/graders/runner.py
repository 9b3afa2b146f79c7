"""Grades one exercise of one learner: runs its pytest grader in-process and returns a report.

Only the grader runs here; the learner's code runs in the sandbox's child processes. Pytest's own
terminal output is silenced: the report is data, and rendering it is the caller's business.
"""

from __future__ import annotations

import contextlib
import gc
import io
import sys
import time
import traceback
from dataclasses import dataclass
from pathlib import Path

import pytest

from hnml_tutor import datasets, sandbox
from hnml_tutor.curriculum import Exercise
from hnml_tutor.defaults import DEFAULT_SEED
from hnml_tutor.graders.mistakes import outdated_spellings
from hnml_tutor.graders.plugin import GradingContext, GradingPlugin, check_points
from hnml_tutor.resources import graders_dir
from hnml_tutor.results import FAILED, CheckResult, ExerciseReport


class GraderBroken(RuntimeError):
    """The grader itself failed to run: a bug in the tutor or in an instructor's hidden test."""

    def __init__(self, message: str, output: str) -> None:
        super().__init__(message)
        self.output = output


def pytest_options(python_files: str = "grade_*.py test_*.py") -> list[str]:
    """How every grading pytest run is started: our settings only, whatever folder it is started from."""
    return ["-c", str(graders_dir() / "grading.ini"), "--rootdir", str(graders_dir()), "--import-mode=importlib",
            "-p", "no:cacheprovider", "-o", f"python_files={python_files}", "-W", "ignore", "-q",
            # Capture Python's streams only: descriptor-level capture would also swallow the live progress
            # line a front end draws on the terminal from another thread while the grader runs.
            "--capture=sys"]


def _missing_file_report(exercise: Exercise, learner_file: Path) -> ExerciseReport:
    check = CheckResult(
        name="test_file_exists",
        description=f"{exercise.filename} exists",
        status=FAILED,
        message=f"{exercise.filename} is missing from your workspace.",
        expected=str(learner_file),
        found="no such file",
        hint=f"`hnml-tutor reset {exercise.id}` puts a fresh copy of the exercise back.",
    )
    return ExerciseReport(exercise.id, exercise.title, checks=[check])


def quiet_tensorflow() -> None:
    """Keep the grader's own TensorFlow import off the learner's terminal (its start-up log lines).

    oneDNN stays as TensorFlow sets it (on, on x86): it was turned off only to hide its start-up line, and
    exercise 12's check takes ~1.6x longer without it. The sandbox's children inherit this environment, so
    the grader and the learner's code compute alike, also when a user sets ``TF_ENABLE_ONEDNN_OPTS``."""
    from hnml_tutor.tensorflow_logs import quiet_start_up

    quiet_start_up()


def release_models() -> None:
    """Free the models graders built, so a long-lived process (``watch``, a notebook, a grading worker) does
    not grow check after check; tidying up never fails a grade. A one-off ``check`` just exits instead."""
    try:
        from hnml_tutor.graders.common import finish_prewarm

        finish_prewarm()  # a learner that failed fast can beat the grader's background Keras import
        if "keras" in sys.modules:
            sys.modules["keras"].backend.clear_session()
    except Exception:  # noqa: BLE001 — a failed tidy-up costs memory, not a verdict
        traceback.print_exc()
    gc.collect()


def _read_source(path: Path) -> str:
    return path.read_bytes().decode("utf-8", errors="replace")


def grade_exercise(
    exercise: Exercise,
    learner_file: Path,
    *,
    limits: sandbox.Limits | None = None,
    plots_dir: Path | None = None,
    hidden_tests: tuple[Path, ...] = (),
    seed: int = DEFAULT_SEED,
    launcher=None,
    on_progress=None,
) -> ExerciseReport:
    """Grade ``learner_file`` as exercise ``exercise``; plots are drawn into ``plots_dir`` when given."""
    started = time.monotonic()
    quiet_tensorflow()
    learner_file = Path(learner_file)
    if not learner_file.is_file():
        return _missing_file_report(exercise, learner_file)
    if exercise.needs_data:
        datasets.load_arrays(exercise.dataset)  # a missing data set is one clear message, not N failed checks
    limits = limits or sandbox.Limits(time_limit=exercise.time_limit)
    plugin = GradingPlugin(GradingContext(exercise, learner_file, limits, seed=seed,
                                           launcher=launcher, on_progress=on_progress))
    plugin.hidden_paths = {Path(p).resolve() for p in hidden_tests}
    args = [str(exercise.grader_path), *(str(p) for p in hidden_tests), *pytest_options()]
    captured = io.StringIO()
    with contextlib.redirect_stdout(captured), contextlib.redirect_stderr(captured):
        exit_code = pytest.main(args, plugins=[plugin])
    if exit_code == pytest.ExitCode.INTERRUPTED:
        # pytest swallows Ctrl-C and reports what ran so far; half a grade must never count as a pass.
        raise KeyboardInterrupt
    if exit_code in (pytest.ExitCode.INTERNAL_ERROR, pytest.ExitCode.USAGE_ERROR) or not plugin.results:
        raise GraderBroken(f"the grader for {exercise.label} did not run (pytest exit code {exit_code})",
                           captured.getvalue()[-4000:])
    report = ExerciseReport(exercise.id, exercise.title, checks=plugin.results)
    report.learner_output = "\n".join(run.output for run in plugin.runs if run.output.strip())
    # Keras' outdated spellings mean nothing in an exercise that refuses Keras.
    spellings = [] if exercise.numpy_only else outdated_spellings(_read_source(learner_file))
    report.notes = plugin.collected.notes + spellings
    report.previews = plugin.collected.previews
    if plots_dir is not None and plugin.collected.plot_requests:
        from hnml_tutor import plots  # Matplotlib is imported only when there is something to draw

        report.plots, not_drawn = plots.draw_all(plugin.collected.plot_requests, Path(plots_dir))
        report.notes += not_drawn
    report.duration = time.monotonic() - started
    return report


@dataclass(frozen=True)
class DeclaredCheck:
    """A check as its grader declares it, before anything runs."""

    name: str
    description: str
    points: float


class _Collector:
    """Records the checks pytest collects for one grader, without running any."""

    def __init__(self) -> None:
        self.checks: list[DeclaredCheck] = []

    def pytest_collection_finish(self, session) -> None:
        for item in session.items:
            doc = (getattr(item, "function", None).__doc__ or item.name).strip().splitlines()[0]
            self.checks.append(DeclaredCheck(item.name, doc, check_points(item)))


def declared_checks(exercise: Exercise) -> list[DeclaredCheck]:
    """The checks ``exercise``'s grader declares, in order, with their points (nothing is run).

    Raises :class:`GraderBroken` when the grader cannot even be collected — a check without points, a
    dependency on a check that does not exist, calls that disagree with the manifest.
    """
    plugin = GradingPlugin(GradingContext(exercise, exercise.solution_path, sandbox.Limits()))
    collector = _Collector()
    captured = io.StringIO()
    with contextlib.redirect_stdout(captured), contextlib.redirect_stderr(captured):
        exit_code = pytest.main([str(exercise.grader_path), "--collect-only", *pytest_options()],
                                plugins=[plugin, collector])
    if exit_code == pytest.ExitCode.INTERRUPTED:
        raise KeyboardInterrupt
    if exit_code != pytest.ExitCode.OK:
        raise GraderBroken(f"the grader for {exercise.label} could not be collected (pytest exit code {exit_code})",
                           captured.getvalue()[-4000:])
    return collector.checks
