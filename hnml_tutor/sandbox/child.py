"""The child process that runs a learner's code: ``python -I -m hnml_tutor.sandbox.child FOLDER`` or forked.

It imports the learner's module, calls the requested functions with the arguments the grader prepared,
and writes what came back to ``result.json`` in the job folder. It reports; it never judges. Everything
it writes is re-checked by the grader, so a learner who tampers with this process can only make their
own check fail.
"""

from __future__ import annotations

import importlib.util
import json
import os
import sys
import tempfile
import traceback
from pathlib import Path

from hnml_tutor.sandbox import import_guard, keras_hooks
from hnml_tutor.sandbox.inherited_pipe import child_fd
from hnml_tutor.sandbox.limits import apply_in_child
from hnml_tutor.sandbox.start_signal import announce
from hnml_tutor.transport import ReturnedBytes, decode_argument, encode_value, safe_str, short_repr

MAX_MESSAGE = 2000


def _describe_exception(error: BaseException, learner_file: str) -> dict:
    """What the learner's exception says, in plain data; never raises.

    Everything read from ``error`` is the learner's (``__str__``, a SyntaxError subclass's ``msg``, a
    SystemExit's code): an exception that breaks while being described must not end this process, which
    would lose every other call's result. Its message then names what broke.
    """
    try:
        return _describe(error, learner_file)
    except BaseException as broken:  # e.g. a property of the learner's that raises
        return {"type": type(error).__name__, "frames": [], "raised_in": "",
                "message": f"<describing {type(error).__name__} raised {type(broken).__name__}>"}


def _describe(error: BaseException, learner_file: str) -> dict:
    frames = traceback.extract_tb(error.__traceback__)
    learner_frames = [
        {"line": frame.lineno, "function": frame.name, "code": (frame.line or "").strip()}
        for frame in frames
        if os.path.abspath(frame.filename) == learner_file
    ]
    last = frames[-1] if frames else None
    description = {
        "type": type(error).__name__,
        "message": safe_str(error, MAX_MESSAGE),
        "frames": learner_frames,
        "raised_in": os.path.basename(last.filename) if last else "",
    }
    if isinstance(error, SyntaxError):
        description.update(  # only plain values: result.json must stay writable
            line=error.lineno if isinstance(error.lineno, int) else None,
            offset=error.offset if isinstance(error.offset, int) else None,
            text=safe_str(error.text or "", MAX_MESSAGE).rstrip("\n"),
            message=safe_str(error.msg, MAX_MESSAGE),
        )
    if isinstance(error, SystemExit):
        description["message"] = f"exit code {short_repr(error.code)}"
    return description


def _import_learner_module(path: str):
    spec = importlib.util.spec_from_file_location("learner_exercise", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules["learner_exercise"] = module
    spec.loader.exec_module(module)
    return module


def _seed(seed: int | None) -> None:
    if seed is None:
        return
    if "keras" in sys.modules:
        sys.modules["keras"].utils.set_random_seed(seed)
    else:
        import random

        import numpy as np

        random.seed(seed)
        np.random.seed(seed)


def _run_call(module, call: dict, args: list, learner_file: str, seed: int | None, folder: Path,
              returned: ReturnedBytes) -> dict:
    """Call one function and describe what came back; ``returned`` is shared by every call of the run."""
    if call.get("constant"):
        if not hasattr(module, call["function"]):
            return {"status": "missing"}
        return {"status": "returned", "value": encode_value(getattr(module, call["function"]), folder, returned)}
    function = getattr(module, call["function"], None)
    if function is None:
        return {"status": "missing"}
    if not callable(function):
        return {"status": "not_callable", "type": type(function).__name__}
    _seed(seed)
    try:
        value = function(*args)
    except BaseException as error:  # the learner's code may raise anything, SystemExit included
        return {"status": "raised", "error": _describe_exception(error, learner_file)}
    outcome = {"status": "returned", "value": encode_value(value, folder, returned)}
    if call.get("return_arguments"):
        outcome["arguments_after"] = [encode_value(arg, folder, returned) for arg in args]
    return outcome


def run_job(folder: Path, nonce: str, start_fd: int, refused: tuple[str, ...] = ()) -> None:
    """Run the job in ``folder``, write ``result.json`` stamped with ``nonce``, and end this process.

    Everything before :func:`~hnml_tutor.sandbox.start_signal.announce` on ``start_fd`` is the tutor's
    start-up; from there on it is the learner's time. ``refused`` names the limits the platform would not
    set, passed on in that announcement.
    """
    job = json.loads((folder / "job.json").read_text())
    _private_places(folder)
    learner_file = os.path.abspath(job["exercise_file"])
    result: dict = {"nonce": nonce, "calls": []}
    if job.get("uses_keras"):
        keras_hooks.install()
    keras_hooks.report_progress_to(folder)
    try:
        # The grader's inputs (a reference model to build, arrays to read) are the tutor's work, done
        # before the clock starts: the learner's time and memory begin with their own code.
        arguments = [[decode_argument(spec, folder) for spec in call["args"]] for call in job["calls"]]
    except Exception as error:  # a broken input is the tutor's problem, never the learner's exit
        _finish(folder, {"nonce": nonce, "setup_error": f"{type(error).__name__}: {str(error)[:MAX_MESSAGE]}"})
    import_guard.install(job.get("forbidden_imports", ()), learner_file)
    announce(start_fd, refused)
    try:
        source = Path(learner_file).read_bytes().decode("utf-8")
        compile(source, learner_file, "exec")
        module = _import_learner_module(learner_file)
    except UnicodeDecodeError as error:
        result["import_error"] = {"type": "UnicodeDecodeError", "message": str(error), "frames": []}
    except BaseException as error:  # a broken file is the learner's to fix, reported in their terms
        result["import_error"] = _describe_exception(error, learner_file)
    else:
        returned = ReturnedBytes()
        for call, args in zip(job["calls"], arguments):
            result["calls"].append(_run_call(module, call, args, learner_file, job.get("seed"), folder, returned))
    forbidden = import_guard.first_attempt()
    if forbidden is not None:
        result["forbidden_import"] = forbidden
    _finish(folder, result)


def _private_places(folder: Path) -> None:
    """Home, temporary files and Matplotlib's cache inside the job folder: nothing a run writes outlives it."""
    for name, variable in (("home", "HOME"), ("tmp", "TMPDIR"), ("mpl", "MPLCONFIGDIR")):
        place = folder / name
        place.mkdir(exist_ok=True)
        os.environ[variable] = str(place)
    tempfile.tempdir = None


def _finish(folder: Path, result: dict) -> None:
    """Write ``result.json`` atomically and end this process."""
    sys.stdout.flush()
    sys.stderr.flush()
    tmp = folder / "result.json.tmp"
    tmp.write_text(json.dumps(result))
    tmp.replace(folder / "result.json")
    # Skip interpreter teardown: TensorFlow's can take seconds and adds nothing.
    os._exit(0)


def main(folder: Path, start_fd: int) -> None:
    """A cold child: set its own limits (it is still the tutor's code), then run the job."""
    job = json.loads((folder / "job.json").read_text())
    refused = apply_in_child(int(job["memory_mb"]))
    run_job(folder, sys.stdin.readline().strip(), start_fd, refused)


if __name__ == "__main__":
    main(Path(sys.argv[1]), child_fd(sys.argv[2]))
