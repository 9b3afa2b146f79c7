"""The pytest plugin that connects a grader module to one learner's file and collects its results.

It gives graders their fixtures — the exercise, a way to run the learner's functions in the sandbox, the
reference inputs, a place to put plots — and turns each pytest report into a
:class:`~hnml_tutor.results.CheckResult`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np
import pytest

from hnml_tutor import datasets, reference, sandbox
from hnml_tutor.curriculum import Exercise
from hnml_tutor.defaults import DEFAULT_SEED
from hnml_tutor.errors import TutorError
from hnml_tutor.graders.vocabulary import CheckFailed
from hnml_tutor.results import ERROR, FAILED, PASSED, SKIPPED, CheckResult, DigitPreview


@dataclass
class ReferenceInputs:
    """Correct inputs for a step, from the reference pipeline (loaded lazily, at most once)."""

    dataset_name: str

    @cached_property
    def data(self) -> datasets.Dataset:
        return datasets.load(self.dataset_name)

    @cached_property
    def x_train(self) -> np.ndarray:
        return reference.preprocess(self.data.x_train)

    @cached_property
    def x_test(self) -> np.ndarray:
        return reference.preprocess(self.data.x_test)

    @cached_property
    def trained(self) -> reference.TrainedReference:
        return reference.trained_reference(self.dataset_name)


@dataclass
class Artifacts:
    """Plots and terminal previews a grader asks for; drawn after the checks, outside pytest."""

    plot_requests: list[tuple[str, dict]] = field(default_factory=list)
    previews: list[DigitPreview] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def note(self, text: str) -> None:
        """A measurement worth showing the learner whether or not the check passed."""
        self.notes.append(text)

    def plot(self, kind: str, **data) -> None:
        self.plot_requests.append((kind, data))

    def preview(self, title: str, images: np.ndarray, captions: list[str]) -> None:
        self.previews.append(DigitPreview(title, np.asarray(images), list(captions)))


@dataclass
class GradingContext:
    """Which learner file is graded, for which exercise, under which limits."""

    exercise: Exercise
    learner_file: Path
    limits: sandbox.Limits
    seed: int = DEFAULT_SEED
    workdir: Path | None = None
    launcher: object = None  # a hnml_tutor.warm.WarmStarter when grading a class; None starts Python afresh


class GradingPlugin:
    """Registered with ``pytest.main(plugins=[...])`` for one exercise of one learner."""

    def __init__(self, context: GradingContext) -> None:
        self.context = context
        self.results: list[CheckResult] = []
        self.collected = Artifacts()
        self.runs: list[sandbox.SandboxRun] = []
        self.hidden_paths: set[Path] = set()

    @pytest.fixture(scope="session")
    def exercise(self) -> Exercise:
        return self.context.exercise

    @pytest.fixture(scope="session")
    def filename(self) -> str:
        return self.context.exercise.filename

    @pytest.fixture(scope="session")
    def reference_inputs(self) -> ReferenceInputs:
        return ReferenceInputs(self.context.exercise.dataset)

    @pytest.fixture(scope="session")
    def artifacts(self) -> Artifacts:
        return self.collected

    @pytest.fixture(scope="session")
    def run_learner(self):
        """``run_learner(calls)`` runs the learner's functions in the sandbox and returns the run."""

        def run(calls, *, seed: int | None = None) -> sandbox.SandboxRun:
            result = sandbox.run(
                self.context.learner_file,
                tuple(calls),
                self.context.limits,
                seed=self.context.seed if seed is None else seed,
                workdir=self.context.workdir,
                launcher=self.context.launcher,
            )
            self.runs.append(result)
            return result

        yield run
        for finished in self.runs:
            sandbox.cleanup(finished)

    def _record(self, item: pytest.Item, status: str, error: BaseException | None, skip_reason: str = "") -> None:
        doc = (item.function.__doc__ or item.name).strip().splitlines()[0] if hasattr(item, "function") else item.name
        result = CheckResult(name=item.name, description=doc, status=status)
        result.hidden = Path(str(item.fspath)) in self.hidden_paths
        result.max_points = check_points(item, self.context.exercise, result.hidden)
        if isinstance(error, CheckFailed):
            result.message = error.rationale
            result.expected, result.found = error.expected, error.found
            result.hint, result.details = error.hint, error.details
        elif isinstance(error, TutorError):
            result.status = ERROR
            result.message, result.hint = error.problem, error.fix
        elif error is not None and status == FAILED:
            result.message = "A check in the grader failed unexpectedly."
            result.details = f"{type(error).__name__}: {error}"
        elif status == SKIPPED:
            result.message = skip_reason
        elif status == ERROR and error is not None:
            # Learner mistakes reach us as CheckFailed; anything else while preparing a check is ours.
            result.message = "The grader could not run this check."
            result.details = f"{type(error).__name__}: {error}"
            result.hint = ("This is a problem in hnml-tutor's grader, not in your code: check again, and report "
                           "it (with the details below) if it keeps happening.")
            result.grader_fault = True
        self.results.append(result)

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(self, item, call):
        report = yield
        error = call.excinfo.value if call.excinfo is not None else None
        if report.when == "call":
            if report.passed:
                self._record(item, PASSED, None)
            elif report.skipped:
                self._record(item, SKIPPED, None, _skip_reason(report))
            else:
                self._record(item, FAILED, error)
        elif report.when == "setup" and not report.passed:
            if report.skipped:
                self._record(item, SKIPPED, None, _skip_reason(report))
            else:
                self._record(item, FAILED if isinstance(error, CheckFailed) else ERROR, error)
        return report


def check_points(item: pytest.Item, exercise: Exercise, hidden: bool) -> float:
    """What a check is worth: the manifest's credit for a grader check, ``@pytest.mark.points(n)`` (default 1)
    for an instructor's hidden test."""
    if not hidden:
        return exercise.check_points(getattr(item, "originalname", item.name))
    marker = item.get_closest_marker("points")
    return float(marker.args[0]) if marker is not None and marker.args else 1.0


def _skip_reason(report) -> str:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2]).removeprefix("Skipped: ")
    return str(longrepr)
