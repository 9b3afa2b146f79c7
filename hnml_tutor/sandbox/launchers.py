"""The two ways to start the child that runs a job, behind one interface.

A :class:`Launcher` has ``start(launch)``, which starts :mod:`hnml_tutor.sandbox.child` on a prepared job
folder and returns a :class:`ChildProcess`, and ``close()``. The watcher treats every child alike: the
same limits, the same checks, the same verdicts.

* :class:`ColdLauncher` (the default, used by a one-off ``check``): a fresh
  ``python -I -m hnml_tutor.sandbox.child`` per run.
* :class:`WarmLauncher` (for everything that checks again and again: ``watch``, the notebook, ``dev check``
  and instructor grading): forks each child from one warm parent
  (:mod:`hnml_tutor.sandbox.zygote`) that has imported NumPy and Keras once, so a class does not pay a
  TensorFlow import per exercise. ``fork`` after importing TensorFlow is only safe on Linux; elsewhere,
  and whenever the warm parent cannot be started, it starts cold children instead. If a learner's code
  kills the warm parent, the run it was part of ends as a crash with that reason and the next run starts
  a new warm parent.
"""

from __future__ import annotations

import json
import os
import select
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from hnml_tutor.sandbox.limits import apply_in_child

READY_TIMEOUT = 180.0  # importing TensorFlow on a busy two-core machine
MAX_MESSAGE = 4096
LOST = ("killed the process that started it (the grader's launcher), so nothing it returned counts; "
        "does your code kill its parent process?")


@dataclass(frozen=True)
class Launch:
    """Everything a launcher needs to start one child: the job folder and how to confine the child."""

    folder: Path
    cwd: Path
    memory_mb: int
    nonce: str
    start_fd: int  # the writing end of the start-signal pipe, handed to the child
    env: dict[str, str] | None = None  # extra environment variables (a cold child only)

    @property
    def output_path(self) -> Path:
        return self.folder / "output.log"


class ChildProcess(Protocol):
    """What the watcher needs of a started child, whichever launcher started it."""

    pid: int  # also its process group: a child leads a session of its own
    lost: str  # why nothing it returned counts (its warm parent vanished), else ""

    @property
    def returncode(self) -> int | None: ...

    def poll(self) -> int | None: ...

    def kill_group(self) -> None: ...


class Launcher(Protocol):
    """Starts children for jobs; ``close()`` ends whatever it keeps between runs."""

    def start(self, launch: Launch) -> ChildProcess: ...

    def close(self) -> None: ...


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


def _kill_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


class ColdProcess:
    """A child started afresh: Popen, with the group kill the limits need."""

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
        _kill_group(self.pid)
        self.popen.wait()


class ColdLauncher:
    """A fresh Python per run: nothing to keep, nothing to close."""

    def start(self, launch: Launch) -> ColdProcess:
        memory_mb = launch.memory_mb
        with open(launch.output_path, "ab") as output:
            popen = subprocess.Popen(
                [sys.executable, "-I", "-m", "hnml_tutor.sandbox.child", str(launch.folder), str(launch.start_fd)],
                pass_fds=(launch.start_fd,),
                stdin=subprocess.PIPE,
                stdout=output,
                stderr=subprocess.STDOUT,
                cwd=launch.cwd,
                env=_child_environment(launch.env),
                preexec_fn=lambda: apply_in_child(memory_mb),
            )
        try:
            popen.stdin.write((launch.nonce + "\n").encode())
            popen.stdin.close()
        except BrokenPipeError:
            pass
        return ColdProcess(popen)

    def close(self) -> None:
        pass


class WarmStartFailed(RuntimeError):
    """The warm parent could not be started or did not fork; the run starts cold instead."""


class WarmProcess:
    """A child forked by the warm parent; its exit code arrives as a message from that parent."""

    def __init__(self, launcher: "WarmLauncher", pid: int) -> None:
        self.launcher = launcher
        self.pid = pid
        self.returncode: int | None = None
        self.lost = ""

    def poll(self) -> int | None:
        """The exit code once the child has ended (-1 when the warm parent vanished), else None."""
        if self.returncode is None and not self.lost:
            self._take(self.launcher.message(timeout=0))
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
            _kill_group(self.pid)
            self.launcher.close()

    def kill_group(self) -> None:
        _kill_group(self.pid)
        deadline = time.monotonic() + 10
        while self.returncode is None and not self.lost and time.monotonic() < deadline:
            self._take(self.launcher.message(timeout=0.2))
        if self.returncode is None:
            self.returncode = -signal.SIGKILL
            if not self.lost:
                self.launcher.close()  # it never reported: do not trust it with another run


class WarmLauncher:
    """One warm parent, started on first use and restarted whenever it is gone.

    It talks to the warm parent over a Unix socket of its own (``SOCK_SEQPACKET``: one message per
    datagram, EOF when the parent is gone), which is also how the start-signal pipe reaches the child.
    """

    def __init__(self) -> None:
        self._process: subprocess.Popen | None = None
        self._control: socket.socket | None = None
        self._cold = ColdLauncher()

    @staticmethod
    def available() -> bool:
        """Whether children can be forked from a warm parent here (Linux only)."""
        return sys.platform.startswith("linux")

    def start(self, launch: Launch) -> WarmProcess | ColdProcess:
        if not self.available() or launch.env:
            return self._cold.start(launch)  # the warm parent's environment is fixed when it starts
        try:
            return self._fork(launch)
        except WarmStartFailed:
            return self._cold.start(launch)

    def _ensure(self) -> socket.socket:
        if self._process is not None and self._process.poll() is None:
            return self._control
        self.close()
        self._control, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        with theirs:
            self._process = subprocess.Popen(
                [sys.executable, "-I", "-m", "hnml_tutor.sandbox.zygote", str(theirs.fileno())],
                pass_fds=(theirs.fileno(),),
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                env=_child_environment(None), start_new_session=True,
            )
        if self.message(timeout=READY_TIMEOUT) != {"ready": True}:
            self.close()
            raise WarmStartFailed("the warm parent did not start")
        return self._control

    def message(self, timeout: float) -> dict | None:
        """The next message from the warm parent within ``timeout`` s; ``{"eof": True}`` once it is gone."""
        if self._control is None:
            return {"eof": True}
        readable, _, _ = select.select([self._control], [], [], timeout)
        if not readable:
            return None
        try:
            data = self._control.recv(MAX_MESSAGE)
        except OSError:
            data = b""
        return json.loads(data) if data else {"eof": True}

    def _fork(self, launch: Launch) -> WarmProcess:
        control = self._ensure()
        job = {"folder": str(launch.folder), "cwd": str(launch.cwd), "output": str(launch.output_path),
               "memory_mb": launch.memory_mb, "nonce": launch.nonce}
        try:
            socket.send_fds(control, [json.dumps(job).encode()], [launch.start_fd])
        except OSError:
            self.close()
            raise WarmStartFailed("the warm parent stopped listening") from None
        reply = self.message(timeout=30)
        if not reply or "pid" not in reply:
            self.close()
            raise WarmStartFailed(f"the warm parent did not fork ({reply})")
        return WarmProcess(self, int(reply["pid"]))

    def close(self) -> None:
        if self._process is not None:
            _kill_group(self._process.pid)
            self._process.wait()
        if self._control is not None:
            self._control.close()
        self._process = None
        self._control = None
