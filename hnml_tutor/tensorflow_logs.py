"""TensorFlow's start-up log lines kept off the learner's terminal, in every process of the tutor's that imports it.

``import tensorflow`` writes its C++ start-up lines straight to file descriptor 2: absl's "All log messages
before absl::InitializeLog() is called…", oneDNN's "custom operations are on", the CPU feature guard, CUDA
probes. ``TF_CPP_MIN_LOG_LEVEL=3`` silences only some of them: oneDNN's line comes before that setting is
read. So the first import of ``tensorflow`` in a process runs with descriptor 2 pointed at a temporary file;
afterwards what was written there goes back to the real stderr without the start-up lines. If the import
fails, everything is shown unchanged: a real error is never hidden. Anything else written meanwhile (another
thread's output) is kept, in order.
"""

from __future__ import annotations

import importlib.abc
import importlib.util
import os
import re
import sys
import tempfile
from contextlib import contextmanager
from typing import Iterator

# A glog/absl line: severity letter and date, time, thread id, source file and line, then the message; the
# CPU feature guard continues on a second line.
START_UP_LINE = re.compile(
    rb"WARNING: All log messages before absl::InitializeLog\(\) is called are written to STDERR\r?\n"
    rb"|[IWEF]\d{4} \d\d:\d\d:\d+\.\d+ +\d+ [\w./-]+:\d+\][^\n]*\n(?:To enable the following instructions:[^\n]*\n)?"
)


def without_start_up_lines(written: bytes) -> bytes:
    """``written`` minus TensorFlow's start-up log lines."""
    return START_UP_LINE.sub(b"", written)


@contextmanager
def start_up_lines_dropped() -> Iterator[None]:
    """Run the block with descriptor 2 held in a temporary file, then show what it wrote, minus start-up lines
    (or all of it if the block raised)."""
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as held:
        os.dup2(held.fileno(), 2)
        failed = True
        try:
            yield
            failed = False
        finally:
            try:
                sys.stderr.flush()
            except (OSError, ValueError):
                pass
            os.dup2(saved, 2)
            os.close(saved)
            held.seek(0)
            written = held.read()
            shown = written if failed else without_start_up_lines(written)
            if shown:
                os.write(2, shown)


class _QuietTensorFlowFinder(importlib.abc.MetaPathFinder):
    """Finds ``tensorflow`` as the other finders do, and runs its first import under :func:`start_up_lines_dropped`."""

    def find_spec(self, name, path=None, target=None):
        if name != "tensorflow":
            return None
        sys.meta_path.remove(self)  # once: after this import, TensorFlow has nothing more to announce
        spec = importlib.util.find_spec(name)
        if spec is None or spec.loader is None:
            return spec
        loader = spec.loader
        original = loader.exec_module

        def exec_module(module):
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
