"""What every grader shares: did the learner's code run, loading a returned model, warming Keras up.

The engine's generated "runs" check calls :func:`expect_ran`, which fails with the learner's own error;
the checks after it read the returned values and are skipped, not failed again, when it did not pass.
"""

from __future__ import annotations

from typing import Any

from hnml_tutor.graders.mistakes import hint_for_error
from hnml_tutor.graders.model_guard import REBUILD_FIX, ModelRefused, check_model_file
from hnml_tutor.graders.vocabulary import describe, fail
from hnml_tutor.sandbox import SandboxRun
from hnml_tutor.transport import HistoryRecord, ModelFile, ModelSaveError, Opaque

def _format_error(error: dict, filename: str) -> str:
    lines = []
    if error.get("type") == "SyntaxError":
        lines.append(f"{filename}, line {error.get('line')}:")
        text = error.get("text") or ""
        if text:
            lines.append(f"    {text.strip()}")
            offset = error.get("offset") or 0
            indent = len(text) - len(text.lstrip())
            lines.append("    " + " " * max(offset - 1 - indent, 0) + "^")
        lines.append(f"SyntaxError: {error.get('message')}")
        return "\n".join(lines)
    for frame in error.get("frames", []):
        lines.append(f"{filename}, line {frame['line']}, in {frame['function']}:")
        lines.append(f"    {frame['code']}")
    if error.get("raised_in") and error.get("raised_in") != filename and error.get("frames"):
        lines.append(f"(raised inside {error['raised_in']})")
    lines.append(f"{error.get('type')}: {error.get('message')}")
    return "\n".join(lines)


def _error_headline(error: dict, filename: str) -> str:
    if error.get("type") == "SyntaxError":
        return f"Python can't read {filename}: there is a syntax error on line {error.get('line')}."
    frames = error.get("frames") or []
    where = f" (line {frames[-1]['line']})" if frames else ""
    return f"Your code raised {error.get('type')}{where}."


def _learner_error(error: dict, filename: str, exercise_id: str, *, importing: bool) -> None:
    hint = hint_for_error(error, exercise_id)
    if error.get("type") == "SyntaxError" and not hint:
        hint = "Look at the marked spot and the line above it: a missing `)`, `:` or quote is the usual cause."
    if error.get("type") == "UnicodeDecodeError":
        fail(f"{filename} is not valid UTF-8 text.", hint="Save the file as UTF-8 in your editor.",
             details=error.get("message"))
    prefix = "While importing your file: " if importing else ""
    fail(prefix + _error_headline(error, filename), hint=hint, details=_format_error(error, filename))


def expect_ran(run: SandboxRun, function: str, filename: str, exercise_id: str, *, occurrence: int = 0,
               constant: bool = False) -> Any:
    """Fail with the learner's own error unless ``function`` ran and returned; returns its value.

    A grader that calls one function on several inputs (a second model, a second batch) reads the
    ``occurrence``-th call, counted from 0 in the order the grader declared them. ``constant`` is a name the
    learner assigns rather than a function (read with ``Call(name, constant=True)``).
    """
    if run.forbidden_import is not None:
        _numpy_only(run.forbidden_import, filename)
    if run.status == "import_error":
        _learner_error(run.import_error, filename, exercise_id, importing=True)
    if not run.ok:
        tail = run.output.strip()[-1500:]
        fail(f"Your code {run.reason}.", hint=_limit_hint(run.status), details=tail or None)
    results = [call for call in run.calls if call.function == function]
    result = results[occurrence] if occurrence < len(results) else None
    if (result is None or result.status == "missing") and constant:
        fail(f"{filename} has no `{function}`.", expected=f"a line `{function} = ...` at the top level of the file",
             found="no such name",
             hint=f"Keep the name exactly as in the exercise; `hnml-tutor reset {exercise_id}` restores the "
                  "original file (your version is backed up).")
    if result is None or result.status == "missing":
        fail(f"{filename} has no function `{function}`.",
             expected=f"a function `def {function}(...)`",
             found="no such function",
             hint=f"Keep the function's name exactly as in the exercise; `hnml-tutor reset {exercise_id}` "
                  "restores the original file (your version is backed up).")
    if result.status == "not_callable":
        fail(f"`{function}` is not a function.", found=f"a {result.error}")
    if result.status == "raised":
        _learner_error(result.error, filename, exercise_id, importing=False)
    return result.value


FRAMEWORK_NAMES = {"tensorflow": "TensorFlow", "keras": "Keras", "jax": "JAX", "torch": "PyTorch",
                   "tf_keras": "Keras", "scipy": "SciPy", "sklearn": "scikit-learn"}


def _numpy_only(attempt: dict, filename: str) -> None:
    """A NumPy-only exercise's file reached for a framework: say why that misses the point, and what to use."""
    name = FRAMEWORK_NAMES.get(attempt["module"], attempt["module"])
    where = f" (line {attempt['line']})" if attempt.get("line") else ""
    fail(f"{filename} imports {name}{where}, and this exercise is NumPy only.",
         expected="only NumPy (`import numpy as np`)", found=f"an import of `{attempt['module']}`",
         hint=f"This part of the course builds what {name} does for you — the softmax, the gradients, the "
              "training loop — out of plain array arithmetic, so that you see the math Keras runs. Remove the "
              "import and write it with NumPy operations: `np.exp`, `np.max`, `@`, `.sum(axis=...)`.")


def _limit_hint(status: str) -> str | None:
    return {
        "timeout": "Look for a loop that never ends, or train for fewer epochs / with a larger batch_size.",
        "memory": "Something holds far more data than needed: avoid copying the data set in a loop.",
        "output": "Something prints in a loop. Remove the print, or pass `verbose=0` to Keras calls.",
        "exited": "Return your result instead of ending the program.",
        "crashed": None,
    }.get(status)


def arguments_after(run: SandboxRun, function: str) -> list:
    """The arguments as they were after ``function`` returned (to detect mutation)."""
    result = run.call(function)
    return result.arguments_after if result else []


_prewarm_thread = None


def prewarm_keras() -> None:
    """Start importing Keras in a background thread of the grader.

    Graders that inspect a returned model need Keras; importing it while the learner's child process
    runs overlaps the two multi-second imports instead of paying for them one after the other. A
    long-lived process that grades again afterwards must call :func:`finish_prewarm` before touching
    ``keras`` outside a grader: until the thread is done, ``sys.modules["keras"]`` is half built.
    """
    import threading

    global _prewarm_thread

    def _import() -> None:
        import keras  # noqa: F401  (imported for its side effect of being loaded)

    if _prewarm_thread is None or not _prewarm_thread.is_alive():
        _prewarm_thread = threading.Thread(target=_import, name="prewarm-keras", daemon=True)
        _prewarm_thread.start()


def finish_prewarm() -> None:
    """Wait for a Keras import :func:`prewarm_keras` started (a learner that failed fast can beat it)."""
    if _prewarm_thread is not None:
        _prewarm_thread.join()


def load_returned_model(value: Any, what: str):
    """Load a model the learner returned (``safe_mode=True``), failing with a reason when impossible.

    The archive is sized first (:mod:`~hnml_tutor.graders.model_guard`): loading builds every layer before
    reading a weight, so an oversized or crafted model is refused before the grader allocates anything.
    ``value`` came through :func:`hnml_tutor.transport.decode_value`, so its file is the grader's copy of
    a regular file of the job folder; a pipe, a link or a folder stood there instead arrives as an Opaque.
    """
    if isinstance(value, ModelSaveError) and value.subclassed:
        fail(f"{what} is a subclassed model (your class {value.class_name}), which the grader can't grade.",
             expected="a keras.Sequential model, or a functional keras.Model(inputs, outputs), of built-in layers",
             found=f"an instance of {value.class_name}, your own subclass of keras.Model",
             hint="A subclassed model's forward pass is Python code of yours (its call()), so it can't be saved and "
                  "loaded safely without running that code, and the grader reads a model's layers one by one. "
                  "Write the same network as keras.Sequential([...]), or with the functional API "
                  "(keras.Input → layers → keras.Model(inputs, outputs)): the layers you used stay the same.")
    if isinstance(value, ModelSaveError):
        fail(f"{what} could not be saved, so the grader can't inspect it.",
             found=value.message,
             hint="Build the model from Keras' own layers (no Lambda layers or custom classes).")
    if isinstance(value, Opaque) and value.type_name == "model":
        fail(f"{what} was a model, but the file it was saved to could not be read back.", found=value.text,
             hint=REBUILD_FIX)
    if not isinstance(value, ModelFile):
        fail(f"{what} should be a Keras model.", expected="a keras.Model (e.g. keras.Sequential)",
             found=describe(value))
    try:
        check_model_file(value.path)
    except ModelRefused as refused:
        fail(f"{what} was not loaded: {refused.problem}.", found=refused.found, hint=refused.fix)
    try:
        return value.load()
    except Exception as error:  # unsafe or broken models are the learner's to fix
        fail(f"{what} could not be loaded safely.", found=f"{type(error).__name__}: {str(error)[:300]}",
             hint="Use Keras' built-in layers only; Lambda layers and custom classes can't be loaded safely.")


def expect_history(value: Any, function: str, *, returned_model_hint: str = "") -> HistoryRecord:
    """Fail unless ``function`` returned the History that ``model.fit`` returns; returning the model is the
    usual slip, and is named."""
    if isinstance(value, HistoryRecord):
        return value
    hint = "`return model.fit(...)`: fit returns a History with the loss of every epoch."
    if isinstance(value, ModelFile):
        hint = returned_model_hint or "You returned the model. Return what `model.fit(...)` returns instead: the History."
    fail(f"{function}() should return a History.", expected="a keras.callbacks.History", found=describe(value),
         hint=hint)


def expect_uncompiled(model, function: str, compiled_by: str) -> None:
    """Fail when ``function`` compiled the model it built: in these exercises ``compiled_by`` compiles it,
    so building and compiling stay two steps the learner can tell apart."""
    if not model.get_compile_config():
        return
    fail(f"{function}() returned a compiled model.", expected="an uncompiled model",
         found="a model after model.compile(...)",
         hint=f"Building and compiling are separate steps here: {compiled_by} compiles it. Remove the "
              f"`model.compile(...)` call from {function}.")


def trained_model_of(history: HistoryRecord, what: str = "the trained model"):
    """Load the model a returned History carries (the one ``fit`` trained), or fail saying why there is none."""
    if history.model is None:
        fail("The History has no model attached, so the grader can't measure it.",
             hint="Return the History from `model.fit` on the model you were given.")
    return load_returned_model(history.model, what)


def expect_accuracy(accuracy: float, exercise, artifacts, *, problem: str, measured_on: str, hint: str) -> None:
    """Note the test accuracy the grader measured (always, first, in one wording the tests and the bench
    read) and fail with ``problem`` when it is under the exercise's threshold."""
    threshold = exercise.threshold
    artifacts.note(f"Test accuracy measured by the grader: {accuracy:.2%} (required: {threshold:.0%}).")
    if accuracy >= threshold:
        return
    fail(problem, expected=f"at least {threshold:.1%}", found=f"{accuracy:.2%} (measured by the grader on {measured_on})",
         hint=hint)
