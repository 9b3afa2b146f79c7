"""The child's one message to its watcher, sent just before learner code runs: "learner code starts now".

The time limit counts from this moment and memory from what the child holds at it, so what the tutor
does first — starting Python, importing Keras (seconds cold, nothing warm) — is neither the learner's time
nor the learner's memory. It travels on a pipe the launcher hands the
child and the child closes before importing the learner's module, so everything on it was written by the
tutor: learner code can neither add to it nor take it back (a file in the job folder could be rewritten).
It also names the operating-system limits the platform refused the child
(:func:`~hnml_tutor.sandbox.limits.apply_in_child`), so the tutor can say which guarantees are weaker here.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass

from hnml_tutor.sandbox.inherited_pipe import readable
from hnml_tutor.sandbox.limits import OS_LIMITS
from hnml_tutor.sandbox.memory import process_memory

MAX_MESSAGE = 512


@dataclass(frozen=True)
class Started:
    """When learner code started, on the watcher's clock, and what the child held then."""

    at: float  # time.monotonic(): one system-wide clock, the same in child and watcher
    memory: int  # bytes, as :func:`~hnml_tutor.sandbox.memory.process_memory` counts them
    refused: tuple[str, ...] = ()  # limits the platform refused the child (``limits.OS_LIMITS`` names)


def announce(fd: int, refused: tuple[str, ...] = ()) -> None:
    """In the child, right before learner code: send the message and close the pipe for good."""
    message = {"at": time.monotonic(), "memory": process_memory(os.getpid()), "refused": list(refused)}
    try:
        os.write(fd, json.dumps(message).encode() + b"\n")
    except OSError:
        pass  # the watcher is gone; the run is over anyway
    finally:
        os.close(fd)


class StartSignal:
    """The watcher's end of the pipe: waits for the message, tolerating a child that never sends one."""

    def __init__(self, fd: int) -> None:
        self._fd: int | None = fd
        self._received = b""

    def wait(self, timeout: float, *, launched: float) -> Started | None:
        """The message if it arrives within ``timeout`` s (else None; sleeps ``timeout`` once the pipe closed)."""
        if self._fd is None:
            time.sleep(timeout)
            return None
        if not readable(self._fd, timeout):
            return None
        chunk = os.read(self._fd, MAX_MESSAGE)
        self._received += chunk
        if chunk and b"\n" not in self._received and len(self._received) < MAX_MESSAGE:
            return None
        self.close()
        try:
            message = json.loads(self._received)
            at, memory = float(message["at"]), int(message["memory"])
            refused = tuple(name for name in message.get("refused", ()) if name in OS_LIMITS)
        except (ValueError, KeyError, TypeError):
            return None
        # The child's clock is the watcher's; the clamp only guards against nonsense.
        return Started(at=min(max(at, launched), time.monotonic()), memory=max(memory, 0), refused=refused)

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
