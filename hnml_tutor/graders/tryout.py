"""``hnml-tutor run``: the learner's functions called on the grader's own inputs, shown, and not graded.

A learner who wants to see what their code does needs the inputs the grader would give it: the MNIST
arrays, a compiled reference model, a batch of logits. Running the exercise file by hand gives none of
that (it only defines functions). So this runs the exercise's grader in a mode that keeps only its
generated "runs" checks: the grader builds its calls exactly as in ``check``, the sandbox runs them under
the same limits and isolation, and nothing else of the grader runs — no check of the results, no points,
no progress recorded, no plots.

What comes back is data (:class:`Tryout`); :mod:`hnml_tutor.render.tryout` shows it.
"""

from __future__ import annotations

import ast
import contextlib
import io
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from hnml_tutor import datasets, sandbox
from hnml_tutor.captured_text import learner_line, plain_text
from hnml_tutor.curriculum import Exercise
from hnml_tutor.graders.common import expect_ran
from hnml_tutor.graders.plugin import GradingContext, GradingPlugin
from hnml_tutor.graders.runner import GraderBroken, pytest_options, quiet_tensorflow
from hnml_tutor.graders.vocabulary import CheckFailed, describe
from hnml_tutor.transport import InputFile, ModelFile, OutputPath, Reference, written_file

SHOWN_VALUES = 100  # an array this small is shown whole: a softmax row by row, a 10×10 confusion matrix
REFERENCE_NAMES = {
    "mlp/compiled": "the grader's compiled model (step 04's network, untrained)",
    "mnist/dropout-mlp": "the grader's dropout network",
    "fashion/overfitting-mlp": "the grader's Fashion-MNIST network",
}


@dataclass(frozen=True)
class TriedCall:
    """One call the grader would make: its arguments, described, and what became of it."""

    function: str
    arguments: list[tuple[str, str]]  # (parameter name, description)
    constant: bool
    returned: bool
    result: str  # what it returned, described; or the error's headline
    details: str = ""  # a small array's values, a model's layers; or the error's traceback
    hint: str = ""


@dataclass
class Tryout:
    exercise: Exercise
    calls: list[TriedCall] = field(default_factory=list)
    output: str = ""  # what the learner's code printed (plain text)
    duration: float = 0.0


def _parameters(exercise: Exercise, function: str) -> list[str]:
    """The stub's parameter names for ``function``, to label the arguments the way the learner wrote them."""
    try:
        tree = ast.parse(exercise.stub_path.read_bytes())
    except (OSError, SyntaxError, ValueError):
        return []
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name == function:
            return [argument.arg for argument in node.args.args]
    return []


def _values(array: np.ndarray) -> str:
    if array.size == 0 or array.size > SHOWN_VALUES or not np.issubdtype(array.dtype, np.number):
        return ""
    return np.array2string(array, precision=4, suppress_small=True, max_line_width=100)


def describe_argument(value: Any) -> tuple[str, str]:
    """An argument as the learner would want to know it: a one-line description, and its values if few."""
    if isinstance(value, Reference):
        return REFERENCE_NAMES.get(value.name, f"the grader's reference {value.name}"), ""
    if isinstance(value, OutputPath):
        return f"a path to write to (…/{value.name} in the run's folder)", ""
    if isinstance(value, InputFile):
        return f"a path to read: a copy of the grader's {value.name or value.source.name}", ""
    if isinstance(value, ModelFile) or _is_model(value):
        # Always the grader's: a learner who sees their confusion matrix computed on "a Keras model" would
        # take it for the one their own function trained.
        layers = "" if isinstance(value, ModelFile) else _layers(value)
        return "a Keras model of the grader's own (not one your code returned)", layers
    if isinstance(value, np.ndarray):
        return describe(value), _values(value)
    return describe(value), ""


def _is_model(value: Any) -> bool:
    model_class = getattr(sys.modules.get("keras"), "Model", None)  # a grader that passes a model imported Keras
    return model_class is not None and isinstance(value, model_class)


def _layers(model) -> str:
    from hnml_tutor.graders.models import describe_layers

    return describe_layers(model)


def _model_details(value: ModelFile) -> str:
    from hnml_tutor.graders.common import load_returned_model
    from hnml_tutor.graders.models import compiled_loss, compiled_optimizer, describe_layers

    try:
        model = load_returned_model(value, "the returned model")
    except CheckFailed as refused:
        return refused.rationale
    optimizer = compiled_optimizer(model)
    loss = compiled_loss(model)
    compiled = f"compiled: {optimizer}, loss {loss.name}" if optimizer and loss else "not compiled"
    return f"{describe_layers(model)}\n{compiled}"


def describe_result(value: Any) -> tuple[str, str]:
    """What a function returned: a one-line description, and the details worth a second line."""
    if isinstance(value, ModelFile):
        return describe(value), _model_details(value)
    if isinstance(value, np.ndarray):
        return describe(value), _values(value)
    if isinstance(value, dict):
        arrays = [f"{key}: {_values(item)}" for key, item in value.items()
                  if isinstance(item, np.ndarray) and _values(item)]
        return describe(value), "\n".join(arrays)
    return describe(value), ""


def _tried(call: sandbox.Call, occurrence: int, run: sandbox.SandboxRun, exercise: Exercise) -> TriedCall:
    """What became of the ``occurrence``-th call of ``call.function``, in the words ``check`` would use."""
    names = _parameters(exercise, call.function)
    arguments = []
    for position, value in enumerate(call.args):
        description, values = describe_argument(value)
        name = names[position] if position < len(names) else f"argument {position + 1}"
        arguments.append((name, description + (f"\n{values}" if values else "")))
    try:
        value = expect_ran(run, call.function, exercise.filename, exercise.id, occurrence=occurrence,
                           constant=call.constant)
    except CheckFailed as failed:
        return TriedCall(call.function, arguments, call.constant, False, learner_line(failed.rationale),
                         plain_text(failed.details or ""), plain_text(failed.hint or ""))
    written = [_written(run, argument) for argument in call.args if isinstance(argument, OutputPath)]
    if value is None and written:  # a function that writes a file has nothing to return
        return TriedCall(call.function, arguments, call.constant, True, "None", "\n".join(written))
    result, details = describe_result(value)
    # What the learner's values say of themselves (a repr, a dict key) is theirs: one plain line, plain details.
    return TriedCall(call.function, arguments, call.constant, True, learner_line(result),
                     plain_text("\n".join([details, *written]).strip()))


def _written(run: sandbox.SandboxRun, output: OutputPath) -> str:
    """What the call left at the path it was given to write to."""
    if run.folder is None:
        return ""
    return f"and wrote {output.name}: {describe(written_file(run.folder, output))}"


def try_exercise(exercise: Exercise, learner_file: Path, *, limits: sandbox.Limits | None = None,
                 launcher=None, on_progress=None) -> Tryout:
    """Run ``learner_file``'s functions on the inputs ``exercise``'s grader uses, and say what they did."""
    started = time.monotonic()
    quiet_tensorflow()
    if exercise.needs_data:
        datasets.load_arrays(exercise.dataset)  # no data: one clear message, before anything runs
    limits = limits or sandbox.Limits(time_limit=exercise.time_limit)
    plugin = GradingPlugin(GradingContext(exercise, Path(learner_file), limits, launcher=launcher,
                                           on_progress=on_progress, run_only=True))
    captured = io.StringIO()
    try:
        with contextlib.redirect_stdout(captured), contextlib.redirect_stderr(captured):
            exit_code = pytest.main([str(exercise.grader_path), *pytest_options()], plugins=[plugin])
        if exit_code == pytest.ExitCode.INTERRUPTED:
            raise KeyboardInterrupt
        if not plugin.runs:
            raise GraderBroken(f"the grader for {exercise.label} did not run the learner's code "
                               f"(pytest exit code {exit_code})", captured.getvalue()[-4000:])
        run, requested = plugin.runs[0], plugin.requested[0]
        tryout = Tryout(exercise, output=run.output)
        seen: dict[str, int] = {}
        for call in requested:
            tryout.calls.append(_tried(call, seen.get(call.function, 0), run, exercise))
            seen[call.function] = seen.get(call.function, 0) + 1
    finally:  # every way out, Ctrl-C included: no job folder (the learner's file, models) is left behind
        for finished in plugin.runs:
            sandbox.cleanup(finished)
    tryout.duration = time.monotonic() - started
    return tryout
