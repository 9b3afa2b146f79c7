"""TensorFlow's start-up log lines kept off the learner's terminal, in every process of the tutor's that imports it.

``import tensorflow`` writes its C++ start-up lines straight to file descriptor 2: absl's "All log messages
before absl::InitializeLog() is called…", oneDNN's "custom operations are on", the CPU feature guard, CUDA
probes. ``TF_CPP_MIN_LOG_LEVEL=3`` silences only some of them: oneDNN's line comes before that setting is
read. So the first import of ``tensorflow`` in a process runs with descriptor 2 pointed at a pipe, and a
thread passes on, as it arrives, everything written there except those lines. Descriptor 2 belongs to the
whole process, and the import often runs in a background thread (the grader imports Keras while the
learner's code runs), so what the other threads write meanwhile — the live progress line, a warning, the
Ctrl-C message — goes through at once, in order, and is not lost if the process exits before the import
ends: descriptor 2 is restored at exit. If the import fails, the lines held back are shown after all: a
real error is never hidden.
"""

from __future__ import annotations

import atexit
import importlib.abc
import importlib.util
import os
import re
import sys
import threading
from contextlib import contextmanager
from typing import Iterator

# A glog/absl line: severity letter and date, time, thread id, source file and line, then the message; the
# CPU feature guard continues on a line of its own.
START_UP_LINE = re.compile(
    rb"WARNING: All log messages before absl::InitializeLog\(\) is called are written to STDERR\r?\n"
    rb"|[IWEF]\d{4} \d\d:\d\d:\d+\.\d+ +\d+ [\w./-]+:\d+\][^\n]*\n"
    rb"|To enable the following instructions:[^\n]*\n"
)
# The first characters of a line that may still turn out to be a start-up line: held until its end comes.
MAYBE_START_UP = re.compile(rb"[IWEFT]")
JOIN_SECONDS = 2.0


def without_start_up_lines(written: bytes) -> bytes:
    """``written`` minus TensorFlow's start-up log lines."""
    return START_UP_LINE.sub(b"", written)


def _write_all(fd: int, data: bytes) -> None:
    while data:
        try:
            data = data[os.write(fd, data):]
        except OSError:
            return  # the terminal is gone: nothing left to show it to


class _Filter(threading.Thread):
    """Reads what descriptor 2 receives and writes it on, minus start-up lines, as soon as it can tell."""

    def __init__(self, read_fd: int, target_fd: int) -> None:
        super().__init__(name="tensorflow-start-up-filter", daemon=True)
        self.read_fd, self.target_fd = read_fd, target_fd
        self.dropped: list[bytes] = []

    def run(self) -> None:
        pending = b""
        while chunk := self._read():
            pending = self._pass(pending + chunk)
        self._pass(pending, final=True)
        os.close(self.read_fd)
        # The copy of the real stderr is this thread's to close, and only now: a process started during the
        # import may have inherited the pipe and keep writing to it after descriptor 2 is restored.
        os.close(self.target_fd)

    def _read(self) -> bytes:
        try:
            return os.read(self.read_fd, 65536)
        except OSError:
            return b""

    def _pass(self, data: bytes, final: bool = False) -> bytes:
        """Write on every finished line of ``data`` that is not a start-up line, and an unfinished one unless
        it may still become one; returns what is held back."""
        finished, newline, tail = data.rpartition(b"\n")
        if not newline:
            finished, tail = b"", data
        else:
            finished += b"\n"
        self.dropped += [match.group(0) for match in START_UP_LINE.finditer(finished)]
        shown = without_start_up_lines(finished)
        if final or not MAYBE_START_UP.match(tail):
            shown, tail = shown + tail, b""
        _write_all(self.target_fd, shown)
        return tail


@contextmanager
def start_up_lines_dropped() -> Iterator[None]:
    """Run the block with descriptor 2 filtered (start-up lines dropped), then restore it; if the block raised,
    show the dropped lines too."""
    try:
        sys.stderr.flush()
    except (OSError, ValueError):
        pass
    saved = os.dup(2)
    read_fd, write_fd = os.pipe()
    os.dup2(write_fd, 2)
    os.close(write_fd)  # descriptor 2 is now the pipe's only writer: restoring it ends the stream
    stream = _Filter(read_fd, saved)
    stream.start()
    done = threading.Event()

    def restore() -> None:
        if done.is_set():
            return
        done.set()
        try:
            sys.stderr.flush()
        except (OSError, ValueError):
            pass
        os.dup2(saved, 2)
        stream.join(JOIN_SECONDS)

    atexit.register(restore)  # the process may end before a background import does
    failed = True
    try:
        yield
        failed = False
    finally:
        restore()
        atexit.unregister(restore)
        if failed and stream.dropped:
            _write_all(2, b"".join(stream.dropped))


class _QuietTensorFlowFinder(importlib.abc.MetaPathFinder):
    """Finds ``tensorflow`` as the other finders do, and runs its first import under :func:`start_up_lines_dropped`.

    It stays in place until TensorFlow is really imported: a mere look-up (``importlib.util.find_spec``, as
    :mod:`hnml_tutor.backend` does to see whether TensorFlow is installed) executes nothing and keeps it.
    """

    def __init__(self) -> None:
        self._looking = False

    def find_spec(self, name, path=None, target=None):
        if name != "tensorflow" or self._looking:
            return None
        self._looking = True  # the other finders find it; this one stands aside while they do
        try:
            spec = importlib.util.find_spec(name)
        finally:
            self._looking = False
        if spec is None or spec.loader is None:
            return spec
        loader, finder = spec.loader, self
        original = loader.exec_module

        def exec_module(module):
            if finder in sys.meta_path:
                sys.meta_path.remove(finder)  # once: after this import, TensorFlow has nothing more to announce
            with start_up_lines_dropped():
                original(module)

        loader.exec_module = exec_module
        return spec


def quiet_start_up() -> None:
    """Make this process's first ``import tensorflow`` (Keras' included) silent about its start-up.

    Call it early in every process of the tutor's that may import TensorFlow; calling it again does nothing.
    It also sets ``TF_CPP_MIN_LOG_LEVEL=3`` (unless set) so TensorFlow's later C++ log lines stay quiet too.
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    if "tensorflow" in sys.modules or any(isinstance(f, _QuietTensorFlowFinder) for f in sys.meta_path):
        return
    sys.meta_path.insert(0, _QuietTensorFlowFinder())
