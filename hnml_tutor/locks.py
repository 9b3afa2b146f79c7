"""One process at a time: an exclusive lock on a file, for the progress file and the reference cache.

The lock is ``filelock``'s, which takes ``flock`` on POSIX systems and ``msvcrt.locking`` on Windows: both
belong to the open file, so the lock is released when the block ends or the process dies, and a crashed
command never leaves a workspace locked. Each call takes a lock of its own on a file opened afresh, so two
threads exclude each other as two processes do (as before, a block must not nest another on the same path).
"""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from filelock import FileLock


@contextmanager
def exclusive(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``path`` (created if missing) while the block runs; waits as long as it takes."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(path, thread_local=False):
        yield
