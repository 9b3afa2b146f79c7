"""A warm parent for learner runs: imports NumPy and Keras once, then forks one fresh child per run.

Started by :class:`hnml_tutor.sandbox.launchers.WarmLauncher` (instructor grading only, on Linux). Importing TensorFlow
costs a fresh process about 2.5 s, far more than most learner functions take, so a class of hundreds of
exercises would mostly wait for imports. Here the import happens once; each run is a ``fork()`` of this
process that becomes exactly what a cold :mod:`hnml_tutor.sandbox.child` is — its own session, the same resource
limits, its own folder and output file — and then runs the job. Every run starts from the same clean
state: nothing a learner's code does in its child can reach this parent or the next run.

Protocol (JSON lines): the parent writes a job ``{"folder", "cwd", "memory_mb", "nonce"}``; this process
answers ``{"pid": …}`` once the child exists and ``{"exit": …}`` when it has ended.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from hnml_tutor.sandbox import child, keras_hooks
from hnml_tutor.sandbox.limits import apply_in_child


def _become_child(job: dict, control: int) -> None:
    """In the forked child: cut every tie to the parent, apply the limits, point output at the job's file."""
    os.close(control)
    apply_in_child(int(job["memory_mb"]))
    os.chdir(job["cwd"])
    output = os.open(Path(job["folder"]) / "output.log", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    stdin = os.open(os.devnull, os.O_RDONLY)
    os.dup2(stdin, 0)
    os.dup2(output, 1)
    os.dup2(output, 2)
    os.close(stdin)
    os.close(output)


def main() -> None:
    control = os.dup(1)
    quiet = os.open(os.devnull, os.O_WRONLY)
    os.dup2(quiet, 1)  # TensorFlow's import chatter must never reach the control pipe
    os.dup2(quiet, 2)
    os.close(quiet)
    import keras  # noqa: F401  the whole point: imported once, inherited by every child
    import numpy  # noqa: F401

    keras_hooks.install()

    def send(message: dict) -> None:
        os.write(control, (json.dumps(message) + "\n").encode())

    send({"ready": True})
    for line in sys.stdin:
        job = json.loads(line)
        pid = os.fork()
        if pid == 0:
            try:
                _become_child(job, control)
                child.run_job(Path(job["folder"]), job["nonce"])
            finally:
                os._exit(70)
        send({"pid": pid})
        _, status = os.waitpid(pid, 0)
        send({"exit": os.waitstatus_to_exitcode(status)})


if __name__ == "__main__":
    main()
