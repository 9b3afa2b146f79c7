"""Runs a learner's functions in a child process with a time limit, a memory limit and an output cap.

The grader never imports learner code (DESIGN.md principle 3). It writes a job — which file, which
functions, which arguments — into a fresh temporary folder, starts :mod:`hnml_tutor._child` there, and
watches it: past the time limit, over the memory limit or past the output cap, the whole process group is
killed and the reason recorded. What the child returns is only believed if ``result.json`` carries the
random nonce the grader handed it, so a file that exits early or prints "passed" gets nowhere.
"""

from __future__ import annotations

import json
import os
import resource
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hnml_tutor.defaults import DEFAULT_MEMORY_MB
from hnml_tutor.transport import decode_value, encode_argument

MIB = 1024 * 1024
# TensorFlow maps several GiB of address space it never touches, so the address-space limit only stops
# runaway single allocations; the real memory limit is enforced on resident memory by polling.
ADDRESS_SPACE_HEADROOM = 12 * 1024 * MIB
MAX_FILE_SIZE = 512 * MIB
POLL_SECONDS = 0.05


@dataclass(frozen=True)
class Limits:
    """What one run of learner code may use."""

    time_limit: float = 60.0
    memory_mb: int = DEFAULT_MEMORY_MB
    output_bytes: int = 2 * MIB


@dataclass(frozen=True)
class Call:
    """One function of the learner's module to call, with the arguments the grader chose."""

    function: str
    args: tuple = ()
    return_arguments: bool = False


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
    duration: float = 0.0
    exit_code: int | None = None
    folder: Path | None = None

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def call(self, function: str) -> CallResult | None:
        return next((c for c in self.calls if c.function == function), None)


def _limit_child(memory_mb: int) -> None:
    """Runs in the child just before exec: own process group, no core files, capped allocations."""
    os.setsid()
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    address_space = memory_mb * MIB + ADDRESS_SPACE_HEADROOM
    resource.setrlimit(resource.RLIMIT_AS, (address_space, address_space))
    resource.setrlimit(resource.RLIMIT_FSIZE, (MAX_FILE_SIZE, MAX_FILE_SIZE))


def _children(pid: int) -> list[int]:
    """Direct children of ``pid``; empty once it has gone.

    Processes exit while we look, so every /proc read may fail: a vanished process
    simply has no children (CI once met a ``task`` folder that disappeared mid-listing).
    """
    try:
        threads = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return []
    children = []
    for thread in threads:
        try:
            children.extend(int(child) for child in Path(f"/proc/{pid}/task/{thread}/children").read_text().split())
        except (OSError, ValueError):
            continue
    return children


def _process_tree(pid: int) -> list[int]:
    pids, pending = [], [pid]
    while pending:
        current = pending.pop()
        pids.append(current)
        pending.extend(_children(current))
    return pids


def resident_memory(pid: int) -> int:
    """Resident memory in bytes of ``pid`` and all its descendants (0 once they are gone)."""
    total = 0
    for current in _process_tree(pid):
        try:
            for line in Path(f"/proc/{current}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
                    break
        except OSError:
            continue
    return total


class ColdProcess:
    """A learner run in a process of its own (the default): Popen, with the group kill the limits need."""

    lost = ""

    def __init__(self, popen: subprocess.Popen) -> None:
        self.popen = popen
        self.pid = popen.pid

    @property
    def returncode(self) -> int | None:
        return self.popen.returncode

    def poll(self) -> int | None:
        return self.popen.poll()

    def kill_group(self) -> None:
        try:
            os.killpg(self.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        self.popen.wait()


def _child_environment(extra: dict[str, str] | None) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        TF_CPP_MIN_LOG_LEVEL="3",
        TF_ENABLE_ONEDNN_OPTS=env.get("TF_ENABLE_ONEDNN_OPTS", "0"),
        MPLBACKEND="Agg",
        PYTHONUNBUFFERED="1",
        PYTHONDONTWRITEBYTECODE="1",
    )
    env.update(extra or {})
    return env


def _read_output(path: Path, cap: int) -> str:
    with open(path, "rb") as handle:
        return handle.read(cap).decode("utf-8", errors="replace")


def _watch(process, limits: Limits, output_path: Path) -> tuple[str, str]:
    """Wait for the child, enforcing the limits; returns (status, reason)."""
    started = time.monotonic()
    peak = 0
    while process.poll() is None:
        elapsed = time.monotonic() - started
        if elapsed > limits.time_limit:
            process.kill_group()
            return "timeout", f"did not finish within the time limit of {limits.time_limit:g} s"
        memory = resident_memory(process.pid)
        peak = max(peak, memory)
        if memory > limits.memory_mb * MIB:
            process.kill_group()
            return "memory", f"used more than the memory limit of {limits.memory_mb} MiB"
        try:
            size = output_path.stat().st_size
        except OSError:
            size = 0
        if size > limits.output_bytes:
            process.kill_group()
            return "output", f"printed more than {limits.output_bytes // 1024} KiB of output"
        time.sleep(POLL_SECONDS)
    return "finished", ""


def _signal_reason(code: int) -> tuple[str, str]:
    signum = -code
    if signum == signal.SIGXFSZ:
        return "output", "wrote a file larger than the sandbox allows"
    if signum in (signal.SIGKILL, signal.SIGSEGV, signal.SIGABRT, signal.SIGBUS):
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


def mentions_keras(path: Path) -> bool:
    """Whether the learner's file talks about Keras at all (only then does the child import it early)."""
    try:
        source = path.read_bytes()
    except OSError:
        return False
    return b"keras" in source or b"tensorflow" in source


def _warm_start(launcher, folder: Path, cwd: Path, limits: Limits, nonce: str):
    """A child forked by ``launcher``'s warm parent, or None to start one the ordinary way."""
    if launcher is None:
        return None
    from hnml_tutor.warm import WarmStartFailed

    (folder / "output.log").touch()
    try:
        return launcher.start(folder, cwd, limits.memory_mb, nonce)
    except WarmStartFailed:
        return None


def run(
    exercise_file: Path,
    calls: tuple[Call, ...],
    limits: Limits,
    *,
    seed: int | None = None,
    uses_keras: bool | None = None,
    workdir: Path | None = None,
    env: dict[str, str] | None = None,
    launcher=None,
) -> SandboxRun:
    """Run ``calls`` against the learner's ``exercise_file`` in a child process and collect the results.

    The job folder (arrays, saved models) stays alive until the returned run is discarded by the caller
    through :func:`cleanup`; graders load returned models from it. ``launcher`` (a
    :class:`hnml_tutor.warm.WarmStarter`) forks the child from a warm parent instead of starting Python
    afresh: the same limits and the same checks, without paying for the TensorFlow import every time.
    """
    if uses_keras is None:
        uses_keras = mentions_keras(Path(exercise_file))
    folder = Path(tempfile.mkdtemp(prefix="hnml-job-"))
    job = {
        "exercise_file": str(Path(exercise_file).resolve()),
        "calls": [
            {
                "function": call.function,
                "args": [encode_argument(arg, folder, f"{n}_{i}") for i, arg in enumerate(call.args)],
                "return_arguments": call.return_arguments,
            }
            for n, call in enumerate(calls)
        ],
        "seed": seed,
        "uses_keras": uses_keras,
    }
    (folder / "job.json").write_text(json.dumps(job))
    output_path = folder / "output.log"
    nonce = secrets.token_hex(16)
    started = time.monotonic()
    process = _warm_start(launcher, folder, Path(workdir or folder), limits, nonce) if env is None else None
    if process is not None:
        status, reason = _watch(process, limits, output_path)
    else:
        with open(output_path, "wb") as output:
            popen = subprocess.Popen(
                [sys.executable, "-I", "-m", "hnml_tutor._child", str(folder)],
                stdin=subprocess.PIPE,
                stdout=output,
                stderr=subprocess.STDOUT,
                cwd=workdir or folder,
                env=_child_environment(env),
                preexec_fn=lambda: _limit_child(limits.memory_mb),
            )
            try:
                popen.stdin.write((nonce + "\n").encode())
                popen.stdin.close()
            except BrokenPipeError:
                pass
            process = ColdProcess(popen)
            status, reason = _watch(process, limits, output_path)
    duration = time.monotonic() - started
    run_result = SandboxRun(
        status=status,
        reason=reason,
        output=_read_output(output_path, limits.output_bytes),
        duration=duration,
        exit_code=process.returncode,
        folder=folder,
    )
    if status != "finished":
        return run_result
    if process.lost:
        run_result.status, run_result.reason = "crashed", process.lost
        return run_result
    if process.returncode and process.returncode < 0:
        run_result.status, run_result.reason = _signal_reason(process.returncode)
        return run_result
    result_path = folder / "result.json"
    result = json.loads(result_path.read_text()) if result_path.is_file() else None
    if result is None or result.get("nonce") != nonce:
        run_result.status = "exited"
        run_result.reason = (
            f"stopped before returning (exit code {process.returncode}); "
            "does your file call sys.exit(), os._exit() or quit()?"
        )
        return run_result
    if result.get("import_error"):
        run_result.status = "import_error"
        run_result.import_error = result["import_error"]
        run_result.reason = "your file could not be imported"
        return run_result
    run_result.status = "ok"
    run_result.calls = _decode_calls(result["calls"], calls, folder)
    return run_result


def cleanup(run_result: SandboxRun) -> None:
    """Delete the job folder of a finished run."""
    if run_result.folder is not None:
        shutil.rmtree(run_result.folder, ignore_errors=True)
