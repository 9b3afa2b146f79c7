"""The pytest plugin that connects a grader module to one learner's file and collects its results.

It gives graders their fixtures — the exercise, a way to run the learner's functions in the sandbox, the
reference inputs, a place to put plots — and turns each pytest report into a
:class:`~hnml_tutor.results.CheckResult`.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pytest

from hnml_tutor import datasets, reference, sandbox
from hnml_tutor.captured_text import plain_text
from hnml_tutor.curriculum import Exercise
from hnml_tutor.defaults import DEFAULT_SEED
from hnml_tutor.errors import TutorError
from hnml_tutor.graders.checks import CHECK_ATTRIBUTE, CheckSpec, LearnerCalls, check_spec
from hnml_tutor.graders.common import expect_ran, prewarm_keras
from hnml_tutor.graders.vocabulary import CheckFailed, describe, fail
from hnml_tutor.sandbox.import_guard import FRAMEWORKS
from hnml_tutor.results import ERROR, FAILED, PASSED, SKIPPED, CheckResult, DigitPreview


@dataclass
class ReferenceInputs:
    """Correct inputs for a step: the exercise's data set, and reference artefacts by name."""

    dataset_name: str

    @cached_property
    def data(self) -> datasets.Dataset:
        return datasets.load(self.dataset_name)

    def get(self, name: str) -> Any:
        """A reference artefact the curriculum registered as ``name`` (e.g. ``"mnist/trained-mlp"``)."""
        return reference.get(name)


@dataclass
class Artifacts:
    """Plots and terminal previews a grader asks for; drawn after the checks, outside pytest."""

    plot_requests: list[tuple[Callable, dict]] = field(default_factory=list)
    previews: list[DigitPreview] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def note(self, text: str) -> None:
        """A measurement worth showing the learner whether or not the check passed."""
        self.notes.append(text)

    def plot(self, draw: Callable, **data) -> None:
        """Ask for ``draw(path=plots/<filename>, **data)`` once the checks are done (see :mod:`hnml_tutor.plots`)."""
        self.plot_requests.append((draw, data))

    def preview(self, title: str, images: np.ndarray, captions: list[str]) -> None:
        self.previews.append(DigitPreview(title, np.asarray(images), list(captions)))


@dataclass
class GradingContext:
    """Which learner file is graded, for which exercise, under which limits."""

    exercise: Exercise
    learner_file: Path
    limits: sandbox.Limits
    seed: int = DEFAULT_SEED
    launcher: object = None  # a sandbox launcher (WarmLauncher when grading a class); None starts Python afresh
    on_progress: Callable | None = None  # told how far the learner's training got, for a live display
    # `hnml-tutor run`: only the generated "runs" checks, so the learner's calls run and nothing is judged;
    # the runs are left for the caller to read (and clean up) after pytest is done.
    run_only: bool = False


class GradingPlugin:
    """Registered with ``pytest.main(plugins=[...])`` for one exercise of one learner."""

    def __init__(self, context: GradingContext) -> None:
        self.context = context
        self.results: list[CheckResult] = []
        self.collected = Artifacts()
        self.runs: list[sandbox.SandboxRun] = []
        self.requested: list[tuple[sandbox.Call, ...]] = []  # the calls of each run, in the same order
        self.hidden_paths: set[Path] = set()
        self._status: dict[tuple[Path, str], CheckResult] = {}
        self._run_checks: dict[Path, tuple[str, ...]] = {}

    # -- fixtures every grader and hidden test can use -------------------------------------------------

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
                launcher=self.context.launcher,
                on_progress=self.context.on_progress,
                forbidden_imports=FRAMEWORKS if self.context.exercise.numpy_only else (),
            )
            self.runs.append(result)
            self.requested.append(tuple(calls))
            return result

        yield run
        if not self.context.run_only:
            for finished in self.runs:
                sandbox.cleanup(finished)

    @pytest.fixture(scope="module")
    def run(self, request, run_learner) -> sandbox.SandboxRun:
        """The run of the calls the grader module declared with ``learner_calls`` (made once per module)."""
        declaration = _declaration(request.module)
        if declaration is None:
            raise pytest.UsageError(f"{request.module.__name__} declares no learner_calls, so it has no `run`")
        if declaration.loads_models:
            prewarm_keras()
        arguments = {name: request.getfixturevalue(name) for name in declaration.parameters}
        return run_learner(declaration.build(**arguments))

    @pytest.fixture(scope="module")
    def returned(self, run) -> dict[str, Any]:
        """What each of the learner's functions returned, by name (functions that did not return are absent)."""
        return {call.function: call.value for call in run.calls if call.status == "returned"}

    # -- collection: the generated "runs" checks, and every check's declaration ------------------------

    @pytest.hookimpl(tryfirst=True)
    def pytest_pycollect_makeitem(self, collector, name, obj):
        if not isinstance(obj, LearnerCalls) or not isinstance(collector, pytest.Module):
            return None
        exercise = self.context.exercise
        try:
            generated = obj.run_checks(exercise.functions)
        except ValueError as error:
            raise pytest.UsageError(f"{collector.path.name}: {error}") from None
        self._run_checks[Path(collector.path)] = tuple(check_name for check_name, _, _ in generated)
        return [pytest.Function.from_parent(collector, name=check_name,
                                            callobj=_runs_check(function, points, exercise))
                for check_name, function, points in generated]

    def pytest_collection_modifyitems(self, config, items) -> None:
        """A grader's checks must each declare their points, depend only on checks before them, and — unless
        they say ``after=()`` — lead back to a "runs" check, since they read what the learner's code returned.
        In run-only mode every other check is deselected."""
        if self.context.run_only:
            kept = [item for item in items if item.name in self._run_checks.get(Path(item.path), ())]
            config.hook.pytest_deselected(items=[item for item in items if item not in kept])
            items[:] = kept
        needs: dict[Path, dict[str, set[str]]] = {}
        for item in items:
            path = Path(item.path)
            earlier = needs.setdefault(path, {})
            spec = check_spec(getattr(item, "function", None))
            if spec is None and path.resolve() not in self.hidden_paths:
                raise pytest.UsageError(f"{path.name}::{item.name} does not declare its points: decorate it "
                                        "with @check(points=...)")
            direct = self._dependencies(item)
            missing = [name for name in direct if name not in earlier]
            if missing:
                raise pytest.UsageError(f"{path.name}::{item.name} depends on {', '.join(missing)}, which is not a "
                                        "check defined before it in the same module")
            closure = set(direct).union(*(earlier[name] for name in direct))
            runs = set(self._run_checks.get(path, ()))
            if runs and item.name not in runs and direct and not closure & runs:
                raise pytest.UsageError(f"{path.name}::{item.name} does not lead back to a 'runs' check: it would "
                                        "read a value the learner's code may never have returned")
            earlier[item.name] = closure

    # -- running: skip a check whose dependencies did not pass ----------------------------------------

    def _dependencies(self, item) -> tuple[str, ...]:
        """The checks ``item`` needs: the ones it names, or by default its module's "runs" checks."""
        spec = check_spec(getattr(item, "function", None))
        if spec is not None and spec.after is not None:
            return spec.after
        return tuple(name for name in self._run_checks.get(Path(item.path), ()) if name != item.name)

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_setup(self, item) -> None:
        for name in self._dependencies(item):
            before = self._status.get((Path(item.path), name))
            if before is None or before.status != PASSED:
                what = before.description if before is not None else name
                pytest.skip(f"skipped: needs “{what}” to pass first")

    # -- results -------------------------------------------------------------------------------------

    def _record(self, item: pytest.Item, status: str, error: BaseException | None, skip_reason: str = "") -> None:
        doc = (item.function.__doc__ or item.name).strip().splitlines()[0] if hasattr(item, "function") else item.name
        result = CheckResult(name=item.name, description=doc, status=status)
        result.hidden = Path(str(item.fspath)).resolve() in self.hidden_paths
        result.max_points = check_points(item)
        if isinstance(error, CheckFailed):
            # Learner code's words (an exception message, an object's repr, a dict key) reach these fields:
            # plain text, so none of it can draw on the learner's terminal, in the HTML feedback or on Gradescope.
            result.message = _plain(error.rationale)
            result.expected, result.found = _plain(error.expected), _plain(error.found)
            result.hint, result.details = _plain(error.hint), _plain(error.details)
        elif isinstance(error, TutorError):
            # A problem on this machine (no data, a sandbox that could not start), never the learner's code:
            # worth grading again on a fresh worker.
            result.status = ERROR
            result.message, result.hint = error.problem, error.fix
            result.grader_fault = True
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
        self._status[(Path(item.path), item.name)] = result

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


def _plain(text: str | None) -> str | None:
    return plain_text(text) if isinstance(text, str) else text


def _declaration(module) -> LearnerCalls | None:
    return next((value for value in vars(module).values() if isinstance(value, LearnerCalls)), None)


def _stub_definition(exercise: Exercise, function: str) -> ast.stmt | None:
    """Where the exercise's stub defines ``function``: a ``def``, or an assignment for a constant the
    learner fills in (``CLASS_NAMES = ...``)."""
    try:
        tree = ast.parse(exercise.stub_path.read_bytes())
    except (OSError, SyntaxError, ValueError):
        return None
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name == function:
            return node
        targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, ast.AnnAssign) else []
        if any(isinstance(target, ast.Name) and target.id == function for target in targets):
            return node
    return None


_NO_PLACEHOLDER = object()


def _placeholder(definition: ast.stmt) -> Any:
    """The literal a stub's constant starts as (``CLASS_NAMES = []``): a learner file still holding it has not
    filled the constant in, so it earns no "is defined" point on the untouched stub."""
    if getattr(definition, "value", None) is None:
        return _NO_PLACEHOLDER
    try:
        return ast.literal_eval(definition.value)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return _NO_PLACEHOLDER


def _is_placeholder(value: Any, placeholder: Any) -> bool:
    if placeholder is _NO_PLACEHOLDER or type(value) is not type(placeholder):
        return False
    try:
        return bool(value == placeholder)
    except (ValueError, TypeError):  # e.g. a list holding arrays, which compare element by element
        return False


def _runs_check(function: str, points: float, exercise: Exercise) -> Callable:
    """The check "``function(...)`` runs without error", generated for each function a grader calls; for a
    constant of the stub's, "``NAME`` is defined" (reading it runs the learner's module, so it fails the
    same way when the file does not import)."""
    definition = _stub_definition(exercise, function)
    constant = definition is not None and not isinstance(definition, ast.FunctionDef)
    placeholder = _placeholder(definition) if constant else _NO_PLACEHOLDER

    def runs_check(run, filename, exercise):
        value = expect_ran(run, function, filename, exercise.id, constant=constant)
        if constant and _is_placeholder(value, placeholder):
            written = f"{function} = {ast.unparse(definition.value)}"
            fail(f"`{function}` still holds the exercise's placeholder: fill it in.",
                 expected=f"a value of your own in place of `{written}`", found=describe(value),
                 hint=f"Replace the TODO line `{written}` with your value; `hnml-tutor show {exercise.id}` "
                      "repeats the instructions.")

    if constant:
        runs_check.__doc__ = f"{function} is defined"
    else:
        parameters = ", ".join(a.arg for a in definition.args.args) if definition is not None else ""
        runs_check.__doc__ = f"{function}({parameters}) runs without error"
    setattr(runs_check, CHECK_ATTRIBUTE, CheckSpec(points, after=()))
    return runs_check


def check_points(item: pytest.Item) -> float:
    """What a check is worth: its ``@check(points=...)``; for an instructor's hidden test without one,
    ``@pytest.mark.points(n)`` (default 1)."""
    spec = check_spec(getattr(item, "function", None))
    if spec is not None:
        return spec.points
    marker = item.get_closest_marker("points")
    return float(marker.args[0]) if marker is not None and marker.args else 1.0


def _skip_reason(report) -> str:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2]).removeprefix("Skipped: ")
    return str(longrepr)
