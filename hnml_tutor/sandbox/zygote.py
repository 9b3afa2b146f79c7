"""A warm parent for learner runs: imports NumPy and Keras once, then forks one fresh child per run.

Started by :class:`hnml_tutor.sandbox.launchers.WarmLauncher` (``watch``, notebooks, ``dev check`` and
instructor grading, on Linux). Importing
TensorFlow costs a fresh process seconds, far more than most learner functions take, so a class of hundreds
of exercises would mostly wait for imports. Here the import happens once; each run is a ``fork()`` of this
process that becomes exactly what a cold :mod:`hnml_tutor.sandbox.child` is — its own session, the same
resource limits, its own folder and output file, the same start signal — and then runs the job. Every run
starts from the same clean state: nothing a learner's code does in its child can reach this parent or the
next run.

Protocol, over the ``SOCK_SEQPACKET`` socket whose descriptor is the only argument: the launcher sends a
job ``{"folder", "cwd", "output", "memory_mb", "nonce"}`` with the start-signal pipe attached (``SCM_RIGHTS``); this
process answers ``{"pid": …}`` once the child exists and ``{"exit": …}`` when it has ended.
"""

from __future__ import annotations

import gc
import json
import os
import socket
import sys
from pathlib import Path

from hnml_tutor.sandbox import child, keras_hooks
from hnml_tutor.sandbox.limits import apply_in_child

MAX_MESSAGE = 4096


def _become_child(job: dict, control: socket.socket) -> None:
    """In the forked child: cut every tie to the parent, apply the limits, point output at the job's file."""
    control.close()
    apply_in_child(int(job["memory_mb"]))
    os.chdir(job["cwd"])
    output = os.open(job["output"], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(output, 1)
    os.dup2(output, 2)
    os.close(output)


def _die_with_launcher() -> None:
    """End this process the moment the launcher that started it dies (Linux's parent-death signal).

    A launcher killed while this process still imports TensorFlow (seconds on a busy machine) would
    otherwise leave it running until the import ends and it notices the closed socket.
    """
    import ctypes
    import signal

    parent = os.getppid()
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # 1 = PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return  # no prctl: the closed socket still ends this process once it reads again
    if parent == 1 or os.getppid() != parent:  # the launcher died before the signal was armed
        os._exit(0)


def main(control_fd: int) -> None:
    _die_with_launcher()
    control = socket.socket(fileno=control_fd)
    import numpy  # noqa: F401  the whole point: imported once, inherited by every child

    keras_hooks.install()  # imports Keras
    # Objects that exist now are never collected; without this, the first garbage collection in a child
    # writes to every one of them and copies most of this process's memory into the child.
    gc.freeze()

    def send(message: dict) -> None:
        control.send(json.dumps(message).encode())

    send({"ready": True})
    while True:
        data, fds, _, _ = socket.recv_fds(control, MAX_MESSAGE, 1)
        if not data:
            return  # the launcher has gone
        job = json.loads(data)
        start_fd = fds[0]
        pid = os.fork()
        if pid == 0:
            try:
                _become_child(job, control)
                child.run_job(Path(job["folder"]), job["nonce"], start_fd)
            finally:
                os._exit(70)
        os.close(start_fd)
        send({"pid": pid})
        _, status = os.waitpid(pid, 0)
        send({"exit": os.waitstatus_to_exitcode(status)})


if __name__ == "__main__":
    main(int(sys.argv[1]))
