"""A warm parent for learner runs: imports NumPy (and Keras, once a job needs it) once, then forks one fresh
child per run.

Started by :class:`hnml_tutor.sandbox.launchers.WarmLauncher` (``watch``, notebooks, ``dev check`` and
instructor grading, on Linux). Importing TensorFlow costs a fresh process seconds, far more than most learner
functions take, so a class of hundreds of exercises would mostly wait for imports. Here the import happens
once — Keras when the first job that needs it arrives, so a parent serving only NumPy exercises (14–16)
never pays for TensorFlow. Each run is a ``fork()`` of this
process that becomes exactly what a cold :mod:`hnml_tutor.sandbox.child` is — its own session, the same
resource limits, its own folder and output file, the same start signal — and then runs the job. Every run
starts from the same clean state: nothing a learner's code does in its child can reach this parent or the
next run.

Nothing a run starts outlives it: this process adopts every orphan of its children (a child subreaper)
and, after each run, kills whatever the run left behind — in a jail with one ``kill(-1)`` over the jail's
own PID namespace, and by walking its descendants everywhere — before it reports the run's end. It is not
dumpable, so a learner's code running as the same user cannot trace it or read its memory.

Protocol, over the ``SOCK_SEQPACKET`` socket whose descriptor is the only argument: the launcher sends a
job ``{"folder", "cwd", "output", "memory_mb", "nonce", "keras"}`` with the start-signal pipe attached
(``SCM_RIGHTS``); this
process says ``{"ready": True, "pid": …}`` once warm, answers ``{"pid": …}`` once the child exists and
``{"exit": …}`` when it has ended and every process it started is gone. Pids are as this process sees them
(inside a jail, the jail's own numbers).
"""

from __future__ import annotations

import gc
import json
import os
import shutil
import signal
import socket
import sys
import time
from pathlib import Path

from hnml_tutor.sandbox import child, keras_hooks
from hnml_tutor.sandbox.limits import apply_in_child
from hnml_tutor.sandbox.memory import process_tree

PR_SET_PDEATHSIG = 1
PR_SET_DUMPABLE = 4
PR_SET_CHILD_SUBREAPER = 36
STRAY_SWEEP_SECONDS = 5.0
JAILED = os.environ.get("HNML_TUTOR_JAILED") == "1"  # set by the jail: this process has a PID namespace of its own

MAX_MESSAGE = 4096


def _become_child(job: dict, control: socket.socket) -> tuple[str, ...]:
    """In the forked child: cut every tie to the parent, apply the limits, point output at the job's file.
    Returns the limits the platform refused."""
    control.close()
    refused = apply_in_child(int(job["memory_mb"]))
    _become_learner()
    os.chdir(job["cwd"])
    output = os.open(job["output"], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(output, 1)
    os.dup2(output, 2)
    os.close(output)
    return refused


def _become_learner() -> None:
    """In ``user`` isolation the warm parent is root and each child drops to the learner account for good."""
    uid, gid = os.environ.get("HNML_TUTOR_LEARNER_UID"), os.environ.get("HNML_TUTOR_LEARNER_GID")
    if uid is None or gid is None:
        return
    os.setgroups([])
    os.setgid(int(gid))
    os.setuid(int(uid))
    for name in ("HNML_TUTOR_LEARNER_UID", "HNML_TUTOR_LEARNER_GID"):
        os.environ.pop(name, None)


def _prctl(option: int, value: int) -> bool:
    import ctypes

    try:
        return ctypes.CDLL(None, use_errno=True).prctl(option, value, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def _reap() -> None:
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def end_strays() -> None:
    """Kill every process the last run left behind (this process adopted them all), or give up and exit.

    An exit ends the jail and everything in it; the launcher starts a fresh warm parent for the next run.
    """
    if JAILED:
        try:
            os.kill(-1, signal.SIGKILL)  # every process of this PID namespace but this one and its init
        except (ProcessLookupError, PermissionError):
            pass
    deadline = time.monotonic() + STRAY_SWEEP_SECONDS
    while True:
        _reap()
        strays = [pid for pid in process_tree(os.getpid()) if pid != os.getpid()]
        if not strays:
            break
        if time.monotonic() > deadline:
            os._exit(75)
        for pid in strays:
            try:
                os.kill(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        time.sleep(0.01)
    if JAILED:
        _empty_jail_scratch()


def _empty_jail_scratch() -> None:
    """Empty the jail's own /tmp and /dev/shm, sparing the job root bound inside: nothing carries over."""
    kept = [Path(p) for p in os.environ.get("HNML_TUTOR_JAIL_WRITABLE", "").split(os.pathsep) if p]
    for scratch in (Path("/tmp"), Path("/dev/shm")):
        try:
            entries = list(scratch.iterdir())
        except OSError:
            continue
        for entry in entries:
            if any(entry == k or entry in k.parents for k in kept):
                continue
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry, ignore_errors=True)
            else:
                try:
                    entry.unlink()
                except OSError:
                    pass


def _die_with_launcher() -> None:
    """End this process the moment the launcher that started it dies (Linux's parent-death signal).

    A launcher killed while this process still imports TensorFlow (seconds on a busy machine) would
    otherwise leave it running until the import ends and it notices the closed socket.
    """
    parent = os.getppid()
    if not _prctl(PR_SET_PDEATHSIG, signal.SIGKILL):
        return  # no prctl: the closed socket still ends this process once it reads again
    if (parent == 1 and not JAILED) or os.getppid() != parent:  # the launcher died before the signal was armed
        os._exit(0)


def _freeze() -> None:
    """Objects that exist now are never collected; without this, the first garbage collection in a child
    writes to every one of them and copies most of this process's memory into the child."""
    gc.freeze()


def main(control_fd: int) -> None:
    _die_with_launcher()
    _prctl(PR_SET_CHILD_SUBREAPER, 1)
    _prctl(PR_SET_DUMPABLE, 0)
    control = socket.socket(fileno=control_fd)
    import numpy  # noqa: F401  the whole point: imported once, inherited by every child

    _freeze()

    def send(message: dict) -> None:
        control.send(json.dumps(message).encode())

    send({"ready": True, "pid": os.getpid()})
    while True:
        data, fds, _, _ = socket.recv_fds(control, MAX_MESSAGE, 1)
        if not data:
            return  # the launcher has gone
        job = json.loads(data)
        start_fd = fds[0]
        if job.get("keras", True) and not keras_hooks.installed():
            keras_hooks.install()  # imports Keras, before the child exists: none of the learner's time
            _freeze()
        pid = os.fork()
        if pid == 0:
            try:
                refused = _become_child(job, control)
                child.run_job(Path(job["folder"]), job["nonce"], start_fd, refused)
            finally:
                os._exit(70)
        os.close(start_fd)
        send({"pid": pid})
        _, status = os.waitpid(pid, 0)
        end_strays()
        send({"exit": os.waitstatus_to_exitcode(status)})


if __name__ == "__main__":
    main(int(sys.argv[1]))
