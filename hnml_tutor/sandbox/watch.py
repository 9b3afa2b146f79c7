"""The watch loop: waits for a child while enforcing its limits, whichever launcher started it.

Two clocks. Until the child says learner code starts (:mod:`~hnml_tutor.sandbox.start_signal`), the
tutor is starting up, and that gets a generous allowance of its own: overrunning it is the tutor's
problem (a busy machine, a broken TensorFlow), raised as :class:`SandboxStartFailed`, never a learner's
zero. From that moment on the learner's limits apply. Whoever asked is told how far it got, a few times a
second (:mod:`~hnml_tutor.sandbox.fit_progress`).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from hnml_tutor.errors import TutorError
from hnml_tutor.sandbox import fit_progress
from hnml_tutor.sandbox.fit_progress import SandboxProgress
from hnml_tutor.sandbox.launchers import ChildProcess, Launch
from hnml_tutor.sandbox.limits import MIB, Limits
from hnml_tutor.sandbox.start_signal import Started, StartSignal

POLL_SECONDS = 0.05
PROGRESS_SECONDS = 0.25
STARTUP_ALLOWANCE = 180.0  # starting Python and importing TensorFlow on a busy two-core machine
OUTPUT_TAIL = 600


def _setup_error(launch) -> str:
    """What the child said went wrong while it prepared the grader's inputs, if it said so with our nonce."""
    try:
        result = json.loads((launch.folder / "result.json").read_text())
    except (OSError, ValueError, RecursionError):
        return ""
    if not isinstance(result, dict) or result.get("nonce") != launch.nonce:
        return ""
    return str(result.get("setup_error") or "")[:500]


class SandboxStartFailed(TutorError):
    """The child never got as far as the learner's code: the tutor's problem, not the learner's."""

    def __init__(self, what: str, output: str) -> None:
        tail = output.strip()[-OUTPUT_TAIL:]
        super().__init__(
            f"hnml-tutor could not start Python to run your code: {what}. Your code did not run."
            + (f"\nLast output:\n{tail}" if tail else ""),
            "This is not your code's fault: check again. If it keeps happening, see whether "
            "`python -c \"import keras\"` works in the same environment.",
        )


@dataclass
class Watched:
    """How the child ended, as far as the watcher saw it."""

    status: str  # "finished" when it ended by itself, else timeout | memory | output
    reason: str = ""
    started: Started | None = None
    memory_peak: int = 0  # the most the learner's code was seen to hold, in bytes


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _read_tail(path: Path) -> str:
    try:
        with open(path, "rb") as handle:
            handle.seek(max(_size(path) - OUTPUT_TAIL, 0))
            return handle.read().decode("utf-8", errors="replace")
    except OSError:
        return ""


def _over_limit(watched: Watched, process: ChildProcess, limits: Limits, output_path: Path, launched: float):
    """(status, reason) if the child has gone past a limit, else None; updates ``watched.memory_peak``."""
    now = time.monotonic()
    started = watched.started
    if started is None:
        if now - launched > STARTUP_ALLOWANCE:
            raise SandboxStartFailed(f"it took longer than {STARTUP_ALLOWANCE:g} s to start", _read_tail(output_path))
    else:
        if now - started.at > limits.time_limit:
            return "timeout", f"did not finish within the time limit of {limits.time_limit:g} s"
        watched.memory_peak = max(watched.memory_peak, process.memory() - started.memory)
        if watched.memory_peak > limits.memory_mb * MIB:
            return "memory", f"used more than the memory limit of {limits.memory_mb} MiB"
    if _size(output_path) > limits.output_bytes:
        return "output", f"printed more than {limits.output_bytes // 1024} KiB of output"
    return None


def _report(on_progress: Callable[[SandboxProgress], None], watched: Watched, limits: Limits, folder: Path) -> None:
    started = watched.started
    epoch, epochs = fit_progress.read(folder) if started else (None, None)
    elapsed = time.monotonic() - started.at if started else 0.0
    on_progress(SandboxProgress(elapsed, limits.time_limit, epoch, epochs, started is not None))


def watch(process: ChildProcess, launch: Launch, limits: Limits, start_signal: StartSignal, *, launched: float,
          on_progress: Callable[[SandboxProgress], None] | None = None) -> Watched:
    """Wait for the child started for ``launch`` at ``launched`` (monotonic), enforcing the limits.

    Kills the child's process group on every way out but the child's own end.
    """
    output_path = launch.output_path
    watched = Watched("finished")
    reported = float("-inf")
    try:
        while True:
            if watched.started is None:
                watched.started = start_signal.wait(POLL_SECONDS, launched=launched)
            else:
                time.sleep(POLL_SECONDS)
            if process.poll() is not None:
                break
            verdict = _over_limit(watched, process, limits, output_path, launched)
            if verdict is not None:
                process.kill_group()
                watched.status, watched.reason = verdict
                return watched
            if on_progress is not None and time.monotonic() - reported >= PROGRESS_SECONDS:
                reported = time.monotonic()
                _report(on_progress, watched, limits, launch.folder)
    except BaseException:
        process.kill_group()  # a start that never came, Ctrl-C or a failing caller: nothing may keep running
        raise
    watched.started = watched.started or start_signal.wait(0, launched=launched)  # quicker than one poll
    if watched.started is None:
        problem = _setup_error(launch)
        if problem:
            raise SandboxStartFailed(f"preparing the grader's inputs failed ({problem})", _read_tail(output_path))
        raise SandboxStartFailed(f"it ended (exit code {process.returncode}) before running your code",
                                 _read_tail(output_path))
    return watched
