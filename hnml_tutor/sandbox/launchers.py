"""The two ways to start the child that runs a job, behind one interface.

A :class:`Launcher` has ``start(launch)``, which starts :mod:`hnml_tutor.sandbox.child` on a prepared job
folder and returns a :class:`ChildProcess`, and ``close()``. The watcher treats every child alike: the
same limits, the same checks, the same verdicts.

* :class:`ColdLauncher` (the default, used by a one-off ``check``): a fresh
  ``python -I -m hnml_tutor.sandbox.child`` per run.

Both seal the child off as :mod:`~hnml_tutor.sandbox.isolation` decides: in a bubblewrap jail of its own
(a cold child: one jail per run; the warm parent: one jail for the parent and every child it forks, with
one writable job root that only ever holds the job being run) or, where bubblewrap cannot work, with
process limits only. A launcher's ``isolation`` says which.
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
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from hnml_tutor.backend import chosen_backend
from hnml_tutor.sandbox import inherited_pipe
from hnml_tutor.sandbox.isolation import (BUBBLEWRAP, PASSED_ENVIRONMENT, USER, Jail, hand_to_learner, learner_account,
                                          python_command, resolve, user_environment, user_jobs, user_runtime)
from hnml_tutor.sandbox.memory import process_memory, process_tree, resident_memory
from hnml_tutor.sandbox.tree_kill import PROCESS_GROUP, ProcessGroup, ProcessTree, hold, popen_options

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
    uses_keras: bool = True  # whether the job needs Keras: a warm parent imports it for the first job that does

    @property
    def output_path(self) -> Path:
        return self.folder / "output.log"


class ChildProcess(Protocol):
    """What the watcher needs of a started child, whichever launcher started it."""

    pid: int  # also its process group on POSIX: a child leads a session of its own
    lost: str  # why nothing it returned counts (its warm parent vanished), else ""
    tree_kind: str  # how its whole tree is held for the kill (:mod:`~hnml_tutor.sandbox.tree_kill`)

    @property
    def returncode(self) -> int | None: ...

    def poll(self) -> int | None: ...

    def kill_group(self) -> None: ...

    def memory(self) -> int:
        """Bytes held by every process of this run (orphans included), as :mod:`~hnml_tutor.sandbox.memory` counts."""
        ...


class Launcher(Protocol):
    """Starts children for jobs; ``close()`` ends whatever it keeps between runs."""

    isolation: str  # "bubblewrap" or "process"

    def start(self, launch: Launch) -> ChildProcess: ...

    def job_root(self) -> Path | None:
        """The folder job folders must be made in (the only one a warm jail can write), or None for anywhere."""
        ...

    def close(self) -> None: ...


def _child_environment(extra: dict[str, str] | None) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        TF_CPP_MIN_LOG_LEVEL="3",
        MPLBACKEND="Agg",
        PYTHONUNBUFFERED="1",
        PYTHONDONTWRITEBYTECODE="1",
        # NumPy's matrix products on one thread: the small products of a learner's network gain little from
        # more, and OpenBLAS threads that spin-wait for each other on busy cores (a class graded by several
        # workers, a laptop compiling something) made exercise 16's training 3-10x slower. Keras computes
        # with its own thread pools and is not affected.
        OPENBLAS_NUM_THREADS=env.get("OPENBLAS_NUM_THREADS", "1"),
        # The backend the tutor chose (KERAS_BACKEND, else keras.json): a child run as the learner account
        # has no home folder of its own, so it would not find keras.json.
        KERAS_BACKEND=chosen_backend()[0],
    )
    env.update(extra or {})
    return env


def _learner_environment(extra: dict[str, str] | None) -> dict[str, str]:
    """The whole environment of a child run as the learner account: no path of the tutor's, no secret."""
    base = _child_environment(None)
    return {**{name: base[name] for name in PASSED_ENVIRONMENT if name in base}, **user_environment(), **(extra or {})}


def _kill_group(pid: int) -> None:
    ProcessGroup(pid).kill()  # the warm parent and its children: Linux only


def _direct_interpreter(command: list[str], env: dict[str, str]) -> list[str]:
    """On Windows in a venv, the real interpreter instead of the venv's ``python.exe``.

    That ``python.exe`` is a small launcher that starts the base interpreter as a process of its own, which
    would begin running before the launcher is put in the job object (:mod:`~hnml_tutor.sandbox.tree_kill`)
    and so escape it. Started directly, with ``__PYVENV_LAUNCHER__`` naming the venv's executable, the base
    interpreter runs in the venv as multiprocessing's spawned processes do (CPython bpo-35797).
    """
    base = getattr(sys, "_base_executable", sys.executable)
    if os.name != "nt" or not command or command[0] != sys.executable or base == sys.executable:
        return command
    env["__PYVENV_LAUNCHER__"] = sys.executable
    return [base, *command[1:]]


def _ended_unreaped(pid: int) -> bool:
    """Whether child ``pid`` has ended, without reaping it (POSIX; on Windows a job object ends the tree)."""
    if not hasattr(os, "waitid"):
        return False
    try:
        return os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None
    except (ChildProcessError, OSError):
        return False


class ColdProcess:
    """A child started afresh: Popen, with its whole tree held for the kill the limits need
    (:mod:`~hnml_tutor.sandbox.tree_kill`: a process group, or on Windows a job object)."""

    lost = ""

    def __init__(self, popen: subprocess.Popen, jailed: bool = False, tree: ProcessTree | None = None) -> None:
        self.popen = popen
        self.pid = popen.pid
        self.jailed = jailed
        self.tree = tree or ProcessGroup(popen.pid)
        self.tree_kind = self.tree.kind

    @property
    def returncode(self) -> int | None:
        code = self.popen.returncode
        if self.jailed and code is not None and code > 128:
            return 128 - code  # bubblewrap reports a child killed by signal N as exit 128 + N
        return code

    def poll(self) -> int | None:
        if self.popen.returncode is None and _ended_unreaped(self.pid):
            # The child ended on its own. Its zombie still holds its process group's id, so the group can be
            # killed without risk of reaching a process that reused the id: whatever it started (outside a
            # jail, where nothing else would end it) does not outlive the run.
            self.tree.kill()
        if self.popen.poll() is not None:
            self.tree.close()
        return self.returncode

    def kill_group(self) -> None:
        self.tree.kill()
        self.popen.wait()
        self.tree.close()

    def memory(self) -> int:
        return resident_memory(self.pid)  # in a jail, orphans are adopted inside the tree that starts here


class ColdLauncher:
    """A fresh Python per run (in a jail of its own where bubblewrap works): nothing to keep, nothing to close."""

    def __init__(self, isolation: str | None = None) -> None:
        self.isolation = resolve(isolation)

    def job_root(self) -> Path | None:
        return user_jobs() if self.isolation == USER else None

    def start(self, launch: Launch) -> ColdProcess:
        args = [str(launch.folder), inherited_pipe.child_argument(launch.start_fd)]
        jailed = self.isolation == BUBBLEWRAP
        env, account = _child_environment(launch.env), {}
        if jailed:
            command = python_command("hnml_tutor.sandbox.child", args, jailed=True)
            command = Jail(writable=(launch.folder,), chdir=launch.cwd, extra_env=launch.env or {},
                           base_env=env).command(command)
        elif self.isolation == USER:
            command = python_command("hnml_tutor.sandbox.child", args, jailed=True, runtime=str(user_runtime()))
            env = _learner_environment(launch.env)
            learner = learner_account()
            account = {"user": learner.pw_uid, "group": learner.pw_gid, "extra_groups": []}
            hand_to_learner(launch.folder)
        else:
            command = _direct_interpreter(python_command("hnml_tutor.sandbox.child", args, jailed=False), env)
        with open(launch.output_path, "ab") as output:
            popen = subprocess.Popen(
                command,
                stdin=subprocess.PIPE,
                stdout=output,
                stderr=subprocess.STDOUT,
                cwd=launch.cwd,
                env=env,
                **popen_options(),  # the child sets its own limits before any learner code
                **inherited_pipe.popen_options(launch.start_fd),
                **account,
            )
        tree = hold(popen.pid, launch.memory_mb)
        try:
            popen.stdin.write((launch.nonce + "\n").encode())
            popen.stdin.close()
        except OSError:  # the child has already ended (Windows says EINVAL where POSIX says EPIPE); the watcher
            pass         # reports how it ended
        return ColdProcess(popen, jailed, tree)

    def close(self) -> None:
        pass


class WarmStartFailed(RuntimeError):
    """The warm parent could not be started or did not fork; the run starts cold instead."""


class WarmProcess:
    """A child forked by the warm parent; its exit code arrives as a message from that parent."""

    tree_kind = PROCESS_GROUP  # and the warm parent, a subreaper, ends whatever strays the run left

    def __init__(self, launcher: "WarmLauncher", pid: int, parent_pid: int) -> None:
        self.launcher = launcher
        self.pid = pid
        self.parent_pid = parent_pid  # the warm parent: it adopts every orphan of the run (a subreaper)
        self.returncode: int | None = None
        self.lost = ""

    def memory(self) -> int:
        return resident_memory(self.parent_pid) - process_memory(self.parent_pid)

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
            self.launcher._stop_parent()

    def kill_group(self) -> None:
        _kill_group(self.pid)
        deadline = time.monotonic() + 10
        while self.returncode is None and not self.lost and time.monotonic() < deadline:
            self._take(self.launcher.message(timeout=0.2))
        if self.returncode is None:
            self.returncode = -signal.SIGKILL
            if not self.lost:
                self.launcher._stop_parent()  # it never reported: do not trust it with another run


class WarmLauncher:
    """One warm parent, started on first use and restarted whenever it is gone.

    It talks to the warm parent over a Unix socket of its own (``SOCK_SEQPACKET``: one message per
    datagram, EOF when the parent is gone), which is also how the start-signal pipe reaches the child.
    """

    def __init__(self, isolation: str | None = None) -> None:
        self._process: subprocess.Popen | None = None
        self._control: socket.socket | None = None
        self._parent_pid = 0  # the warm parent's pid as this machine sees it (not as its jail does)
        self._job_root: Path | None = None
        self._cold = ColdLauncher(isolation)
        self.isolation = self._cold.isolation

    def job_root(self) -> Path | None:
        """In a jail, job folders must live in the jail's one writable folder; it exists while the jail does."""
        if self.isolation == USER:
            return user_jobs()
        if self.isolation != BUBBLEWRAP or not self.available():
            return None
        if self._job_root is None:
            self._job_root = Path(tempfile.mkdtemp(prefix="hnml-jail-"))
        return self._job_root

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
        self._stop_parent()
        self._control, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        jailed = self.isolation == BUBBLEWRAP
        env = _child_environment(None)
        if jailed:
            command = python_command("hnml_tutor.sandbox.zygote", [str(theirs.fileno())], jailed=True)
            command = Jail(writable=(self.job_root(),), base_env=env).command(command)
        elif self.isolation == USER:  # the warm parent stays root; each child becomes the learner account
            command = python_command("hnml_tutor.sandbox.zygote", [str(theirs.fileno())], jailed=True,
                                     runtime=str(user_runtime()))
            env = {**_learner_environment(None), "HNML_TUTOR_LEARNER_UID": str(learner_account().pw_uid),
                   "HNML_TUTOR_LEARNER_GID": str(learner_account().pw_gid)}
        else:
            command = python_command("hnml_tutor.sandbox.zygote", [str(theirs.fileno())], jailed=False)
        with theirs:
            self._process = subprocess.Popen(
                command, pass_fds=(theirs.fileno(),),
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                env=env, start_new_session=True,
            )
        ready = self.message(timeout=READY_TIMEOUT)
        if not ready or not ready.get("ready"):
            self._stop_parent()
            raise WarmStartFailed("the warm parent did not start")
        self._parent_pid = self._process.pid
        if jailed:
            self._parent_pid = host_pid(self._process.pid, int(ready["pid"])) or self._process.pid
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
        if self.isolation == USER:
            hand_to_learner(launch.folder)
        job = {"folder": str(launch.folder), "cwd": str(launch.cwd), "output": str(launch.output_path),
               "memory_mb": launch.memory_mb, "nonce": launch.nonce, "keras": launch.uses_keras}
        try:
            socket.send_fds(control, [json.dumps(job).encode()], [launch.start_fd])
        except OSError:
            self._stop_parent()
            raise WarmStartFailed("the warm parent stopped listening") from None
        # The first job that needs Keras waits for the warm parent to import it (seconds, before the clock).
        reply = self.message(timeout=READY_TIMEOUT if launch.uses_keras else 30)
        if not reply or "pid" not in reply:
            self._stop_parent()
            raise WarmStartFailed(f"the warm parent did not fork ({reply})")
        pid = int(reply["pid"])
        if self.isolation == BUBBLEWRAP:
            pid = host_pid(self._parent_pid, pid) or 0
            if not pid:
                self._stop_parent()
                raise WarmStartFailed("the child of the warm parent could not be found")
        return WarmProcess(self, pid, self._parent_pid)

    def _stop_parent(self) -> None:
        if self._process is not None:
            _kill_group(self._process.pid)  # in a jail, its whole PID namespace ends with it
            self._process.wait()
        if self._control is not None:
            self._control.close()
        self._process = None
        self._control = None

    def close(self) -> None:
        """End the warm parent (and its jail, whose writable folder goes with it)."""
        self._stop_parent()
        if self._job_root is not None:
            shutil.rmtree(self._job_root, ignore_errors=True)
            self._job_root = None


def _namespace_pid(pid: int) -> int | None:
    """``pid``'s number inside its innermost PID namespace (the last field of ``NSpid``), if readable."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("NSpid:"):
                return int(line.split()[-1])
    except (OSError, ValueError, IndexError):
        return None
    return None


def host_pid(ancestor: int, inner: int) -> int | None:
    """The pid this machine knows a jailed process by, found among ``ancestor``'s descendants by its jail pid."""
    for candidate in process_tree(ancestor):
        if candidate != ancestor and _namespace_pid(candidate) == inner:
            return candidate
    return None
