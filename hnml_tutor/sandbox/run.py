"""One run of a learner's functions: write the job, start the child, watch it, read back what it returned."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from hnml_tutor.sandbox.fit_progress import SandboxProgress
from hnml_tutor.captured_text import plain_text
from hnml_tutor.job_files import is_plain_name
from hnml_tutor.sandbox import platform_support
from hnml_tutor.sandbox.isolation import USER, end_learner_processes
from hnml_tutor.sandbox.launchers import ColdLauncher, Launch, Launcher
from hnml_tutor.sandbox.limits import Limits
from hnml_tutor.sandbox.start_signal import StartSignal
from hnml_tutor.sandbox.watch import watch
from hnml_tutor.transport import decode_value, encode_argument

WORKSPACE = "workspace"
MAX_SIBLING_BYTES = 1024 * 1024
MAX_SIBLINGS = 100


@dataclass(frozen=True)
class Call:
    """One function of the learner's module to call, with the arguments the grader chose.

    ``constant`` reads a module-level name the learner fills in (``CLASS_NAMES = [...]``) instead of calling
    it: the value comes back like a return value, and nothing is called even if it happens to be callable.
    """

    function: str
    args: tuple = ()
    return_arguments: bool = False
    constant: bool = False

    def __post_init__(self) -> None:
        if self.constant and (self.args or self.return_arguments):
            raise ValueError(f"{self.function} is read as a constant, so it takes no arguments")


@dataclass
class CallResult:
    """What became of one :class:`Call`: returned a value, raised, or was missing."""

    function: str
    status: str
    value: Any = None
    error: dict | None = None
    arguments_after: list = field(default_factory=list)


@dataclass
class SandboxRun:
    """Everything the grader learns from one child process."""

    status: str  # ok | import_error | timeout | memory | output | crashed | exited
    reason: str = ""
    calls: list[CallResult] = field(default_factory=list)
    import_error: dict | None = None
    output: str = ""
    duration: float = 0.0  # from asking for the child to its end
    startup: float | None = None  # of which the tutor spent this before the learner's code started
    memory_peak: int = 0  # bytes the learner's code held at most, as far as the watcher saw
    exit_code: int | None = None
    folder: Path | None = None
    forbidden_import: dict | None = None  # {"module", "line"}: the learner's code tried a package it may not use

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def call(self, function: str) -> CallResult | None:
        return next((c for c in self.calls if c.function == function), None)


def _read_output(path: Path, cap: int) -> str:
    """What the learner's code printed, as plain text (no escape codes, progress bars in their final state),
    with the run's scratch folder left out of paths: a warning names ``14_softmax.py:43``, as a traceback does,
    not ``/tmp/hnml-job-…/workspace/14_softmax.py:43``."""
    with open(path, "rb") as handle:
        text = plain_text(handle.read(cap).decode("utf-8", errors="replace"))
    return text.replace(f"{path.parent / WORKSPACE}{os.sep}", "")


# Signals that mean a crash, by name: Windows has none of SIGKILL, SIGBUS and SIGXFSZ.
CRASH_SIGNALS = {getattr(signal, name) for name in ("SIGKILL", "SIGSEGV", "SIGABRT", "SIGBUS") if hasattr(signal, name)}
# A Windows process that crashes ends with its NTSTATUS as exit code (0xC0000005 an access violation).
WINDOWS_ERROR_CODES = 0xC0000000


def _signal_reason(code: int) -> tuple[str, str]:
    signum = -code
    if signum == getattr(signal, "SIGXFSZ", None):
        return "output", "wrote a file larger than the sandbox allows"
    if signum in CRASH_SIGNALS:
        name = signal.Signals(signum).name
        return "crashed", f"crashed with {name} (often a memory allocation that failed)"
    try:
        name = signal.Signals(signum).name
    except ValueError:
        name = str(signum)
    return "crashed", f"was stopped by signal {name}"


def _decode_calls(raw_calls: list[dict], calls: tuple[Call, ...], folder: Path) -> list[CallResult]:
    results = []
    for call, raw in zip(calls, raw_calls):
        result = CallResult(call.function, raw["status"], error=raw.get("error"))
        if raw["status"] == "returned":
            result.value = decode_value(raw["value"], folder)
            result.arguments_after = [decode_value(spec, folder) for spec in raw.get("arguments_after", [])]
        results.append(result)
    return results


def _copy_learner_files(exercise_file: Path, target: Path) -> Path:
    """Copy the learner's file, and the Python files beside it (an exercise may import its neighbour), into
    the job folder; the child runs the copy, in that folder. Only small regular files are copied: the
    learner's own folder is never in the child's view, and nothing the child writes lands in it."""
    target.mkdir()
    exercise_file = Path(exercise_file)
    siblings = [exercise_file]
    try:
        siblings += sorted(p for p in exercise_file.parent.glob("*.py") if p.name != exercise_file.name)[:MAX_SIBLINGS]
    except OSError:
        pass
    for source in siblings:
        if not is_plain_name(source.name) or source.is_symlink() or not source.is_file():
            continue
        if source != exercise_file and source.stat().st_size > MAX_SIBLING_BYTES:
            continue
        shutil.copyfile(source, target / source.name)
    return target / exercise_file.name


def mentions_keras(path: Path) -> bool:
    """Whether the learner's file talks about Keras at all (only then does the child import it early)."""
    try:
        source = path.read_bytes()
    except OSError:
        return False
    return b"keras" in source or b"tensorflow" in source


def run(
    exercise_file: Path,
    calls: tuple[Call, ...],
    limits: Limits,
    *,
    seed: int | None = None,
    env: dict[str, str] | None = None,
    launcher: Launcher | None = None,
    on_progress: Callable[[SandboxProgress], None] | None = None,
    forbidden_imports: tuple[str, ...] = (),
) -> SandboxRun:
    """Run ``calls`` against the learner's ``exercise_file`` in a child process and collect the results.

    The job folder (arrays, saved models) stays alive until the returned run is discarded by the caller
    through :func:`cleanup`; graders load returned models from it. ``launcher`` starts the child: a
    :class:`~hnml_tutor.sandbox.launchers.ColdLauncher` when None, or a
    :class:`~hnml_tutor.sandbox.launchers.WarmLauncher` that forks it from a warm parent — the same limits
    and the same checks, without paying for the TensorFlow import every time. The time limit counts from
    the moment the child starts the learner's code. ``on_progress``, if given, is called from this thread
    a few times a second with a :class:`~hnml_tutor.sandbox.fit_progress.SandboxProgress`.
    ``forbidden_imports`` names top-level packages the learner's code may not import (a NumPy-only
    exercise: :mod:`~hnml_tutor.sandbox.import_guard`); the first attempt is reported in
    :attr:`SandboxRun.forbidden_import`, and the child does not load Keras for such a job. Raises
    :class:`~hnml_tutor.sandbox.watch.SandboxStartFailed` when the child never got that far.
    """
    launcher = launcher or ColdLauncher()
    folder = Path(tempfile.mkdtemp(prefix="hnml-job-", dir=launcher.job_root()))
    try:
        learner_copy = _copy_learner_files(Path(exercise_file), folder / WORKSPACE)
        encoded_calls = [
            {
                "function": call.function,
                "args": [encode_argument(arg, folder, f"{n}_{i}") for i, arg in enumerate(call.args)],
                "return_arguments": call.return_arguments,
                "constant": call.constant,
            }
            for n, call in enumerate(calls)
        ]
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    job = {
        "exercise_file": str(learner_copy),
        "calls": encoded_calls,
        "seed": seed,
        "memory_mb": limits.memory_mb,
        # Keras is loaded before the clock starts when the learner's file or the grader's inputs need it.
        "uses_keras": not forbidden_imports and (
            mentions_keras(learner_copy)
            or any(arg.get("kind") == "model_file" for call in encoded_calls for arg in call["args"])),
        "forbidden_imports": list(forbidden_imports),
    }
    (folder / "job.json").write_text(json.dumps(job))
    nonce = secrets.token_hex(16)
    start_read, start_write = os.pipe()
    launch = Launch(folder=folder, cwd=folder / WORKSPACE, memory_mb=limits.memory_mb, nonce=nonce,
                    start_fd=start_write, env=env, uses_keras=job["uses_keras"])
    launch.output_path.touch()
    start_signal = StartSignal(start_read)
    launched = time.monotonic()
    try:
        try:
            process = launcher.start(launch)
        finally:
            os.close(start_write)  # the child holds the only writing end: its end of the run closes the pipe
        watched = watch(process, launch, limits, start_signal, launched=launched, on_progress=on_progress)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    finally:
        start_signal.close()
        if launcher.isolation == USER:
            end_learner_processes()  # whatever the run left, whichever process group or session it made
    platform_support.observe(watched.started.refused if watched.started else (), process.tree_kind)
    run_result = SandboxRun(
        status=watched.status,
        reason=watched.reason,
        output=_read_output(launch.output_path, limits.output_bytes),
        duration=time.monotonic() - launched,
        startup=watched.started.at - launched if watched.started else None,
        memory_peak=watched.memory_peak,
        exit_code=process.returncode,
        folder=folder,
    )
    if watched.status != "finished":
        return run_result
    if process.lost:
        run_result.status, run_result.reason = "crashed", process.lost
        return run_result
    if process.returncode and process.returncode < 0:
        run_result.status, run_result.reason = _signal_reason(process.returncode)
        return run_result
    if process.returncode and process.returncode >= WINDOWS_ERROR_CODES:
        run_result.status = "crashed"
        run_result.reason = f"crashed with Windows error {process.returncode:#010x} (often a memory allocation that failed)"
        return run_result
    result = _read_result(folder / "result.json")
    if result is None or result.get("nonce") != nonce:
        run_result.status = "exited"
        run_result.reason = (
            f"stopped before returning (exit code {process.returncode}); "
            "does your file call sys.exit(), os._exit() or quit()?"
        )
        return run_result
    run_result.forbidden_import = _forbidden_import(result.get("forbidden_import"))
    if result.get("import_error"):
        run_result.status = "import_error"
        run_result.import_error = result["import_error"]
        run_result.reason = "your file could not be imported"
        return run_result
    try:
        run_result.calls = _decode_calls(result["calls"], calls, folder)
    except (KeyError, TypeError, ValueError, RecursionError):
        # Only learner code that wrote result.json itself (it runs beside the nonce) gets here.
        run_result.status, run_result.reason = "exited", "left a result the grader cannot read; did your code write it?"
        return run_result
    run_result.status = "ok"
    return run_result


def _read_result(path: Path) -> dict | None:
    """``result.json`` as a dict, or None when it is missing or is not the JSON the child writes."""
    try:
        result = json.loads(path.read_text()) if path.is_file() else None
    except (OSError, ValueError, RecursionError):
        return None
    return result if isinstance(result, dict) else None


def _forbidden_import(record: Any) -> dict | None:
    """The child's record of a forbidden import, kept only in the shape the child writes it."""
    if not isinstance(record, dict) or not isinstance(record.get("module"), str):
        return None
    line = record.get("line")
    return {"module": record["module"][:100], "line": line if isinstance(line, int) else None}


def cleanup(run_result: SandboxRun) -> None:
    """Delete the job folder of a finished run."""
    if run_result.folder is not None:
        shutil.rmtree(run_result.folder, ignore_errors=True)
