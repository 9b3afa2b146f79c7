"""Forking learner runs from a warm parent, so grading a class does not import TensorFlow once per exercise.

:class:`WarmStarter` keeps one :mod:`hnml_tutor._zygote` process (NumPy and Keras already imported) and
asks it to fork a child per run. The sandbox watches that child exactly as it watches a freshly started
one — time limit, resident memory of its process tree, output size, killing its process group — through
the small process handle below. If a learner's code kills the warm parent, the run it was part of ends
as a crash with that reason and the next run starts a new warm parent.

Only instructor grading uses it, and only on Linux (``fork`` after importing TensorFlow is not safe on
macOS); ``hnml-tutor check`` runs one exercise and gains nothing from it.
"""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

READY_TIMEOUT = 180.0  # importing TensorFlow on a busy two-core machine
LOST = ("killed the process that started it (the grader's launcher), so nothing it returned counts; "
        "does your code kill its parent process?")


class WarmStartFailed(RuntimeError):
    """The warm parent could not be started; the caller falls back to cold starts."""


def available() -> bool:
    return sys.platform.startswith("linux")


class WarmProcess:
    """The handle :func:`hnml_tutor.sandbox._watch` needs for a child forked by the warm parent."""

    def __init__(self, starter: "WarmStarter", pid: int) -> None:
        self.starter = starter
        self.pid = pid
        self.returncode: int | None = None
        self.lost = ""

    def poll(self) -> int | None:
        """The exit code once the child has ended (-1 when the warm parent vanished), else None."""
        if self.returncode is None and not self.lost:
            self._take(self.starter.message(timeout=0))
        if self.lost and self.returncode is None:
            return -1
        return self.returncode

    def _take(self, message: dict | None) -> None:
        if message is None:
            return
        if "exit" in message:
            self.returncode = int(message["exit"])
        elif message.get("eof"):
            self.lost = LOST
            self._kill()
            self.starter.close()

    def _kill(self) -> None:
        try:
            os.killpg(self.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass

    def kill_group(self) -> None:
        self._kill()
        deadline = time.monotonic() + 10
        while self.returncode is None and not self.lost and time.monotonic() < deadline:
            self._take(self.starter.message(timeout=0.2))
        if self.returncode is None:
            self.returncode = -signal.SIGKILL
            if not self.lost:
                self.starter.close()  # it never reported: do not trust it with another run


class WarmStarter:
    """One warm parent, started on first use and restarted whenever it is gone."""

    def __init__(self) -> None:
        self._process: subprocess.Popen | None = None
        self._buffer = b""

    def _ensure(self) -> subprocess.Popen:
        if self._process is not None and self._process.poll() is None:
            return self._process
        from hnml_tutor.sandbox import _child_environment

        self.close()
        self._process = subprocess.Popen(
            [sys.executable, "-I", "-m", "hnml_tutor._zygote"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            env=_child_environment(None), start_new_session=True,
        )
        if self.message(timeout=READY_TIMEOUT) != {"ready": True}:
            self.close()
            raise WarmStartFailed("the warm parent did not start")
        return self._process

    def message(self, timeout: float) -> dict | None:
        """The next message from the warm parent within ``timeout`` s; ``{"eof": True}`` once it is gone."""
        if self._process is None:
            return {"eof": True}
        deadline = time.monotonic() + timeout
        fd = self._process.stdout.fileno()
        while b"\n" not in self._buffer:
            remaining = max(deadline - time.monotonic(), 0)
            readable, _, _ = select.select([fd], [], [], remaining)
            if not readable:
                return None
            chunk = os.read(fd, 65536)
            if not chunk:
                return {"eof": True}
            self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\n", 1)
        return json.loads(line)

    def start(self, folder: Path, cwd: Path, memory_mb: int, nonce: str) -> WarmProcess:
        process = self._ensure()
        job = {"folder": str(folder), "cwd": str(cwd), "memory_mb": memory_mb, "nonce": nonce}
        try:
            process.stdin.write((json.dumps(job) + "\n").encode())
            process.stdin.flush()
        except OSError:
            self.close()
            return self.start(folder, cwd, memory_mb, nonce)
        reply = self.message(timeout=30)
        if not reply or "pid" not in reply:
            self.close()
            raise WarmStartFailed(f"the warm parent did not fork ({reply})")
        return WarmProcess(self, int(reply["pid"]))

    def close(self) -> None:
        if self._process is not None:
            try:
                os.killpg(self._process.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            self._process.wait()
            for stream in (self._process.stdin, self._process.stdout):
                try:
                    stream.close()
                except OSError:
                    pass
        self._process = None
        self._buffer = b""
