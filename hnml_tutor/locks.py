"""One process at a time: an exclusive lock on a file, for the progress file and the reference cache.

The lock is ``filelock``'s, which takes ``flock`` on POSIX systems and ``msvcrt.locking`` on Windows: both
belong to the open file, so the lock is released when the block ends or the process dies, and a crashed
command never leaves a workspace locked. Each call takes a lock of its own on a file opened afresh, so two
threads exclude each other as two processes do (as before, a block must not nest another on the same path).
"""

from __future__ import annotations

import errno
import os
import stat
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from filelock import FileLock

from hnml_tutor.errors import TutorError


def not_a_file(path: Path, *, through_links: bool = True) -> str | None:
    """What is wrong with ``path`` as a file the tutor reads, writes or locks, or None when nothing is.

    A missing file is fine: it is created. A folder, a link that loops, or anything else that is not a regular
    file can never be opened as one, and nothing the tutor does would repair it: say so before work that could
    then not be recorded. ``through_links=False`` is for lock files, which filelock opens without following a
    link (``O_NOFOLLOW``): there any link is a problem, even one to a regular file.
    """
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        mode = None
    except OSError as error:
        if error.errno == errno.ELOOP:
            return "is a symbolic link that loops back on itself"
        return f"cannot be read ({error.strerror or error})"
    if not through_links and os.path.islink(path):
        return "is a symbolic link; a lock is taken on a file of its own, never through a link"
    if mode is None:
        return None
    if stat.S_ISDIR(mode):
        return "is a folder, not a file"
    if not stat.S_ISREG(mode):
        return "is not a regular file"
    return None


def damaged_file_error(path: Path, problem: str, role: str,
                       after: str = "the tutor makes a fresh one on its next command.") -> TutorError:
    """The error for a ``path`` that :func:`not_a_file` found ``problem`` with: what it is, what to remove,
    and (``after``) what happens once it is gone."""
    removal = f'rmdir /s "{path}"' if os.name == "nt" else f"rm -r '{path}'"
    return TutorError(f"{path} {problem}, so the tutor cannot use it as its {role}.",
                      f"Remove it (`{removal}`); {after}")


@contextmanager
def exclusive(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``path`` (created if missing) while the block runs; waits as long as it takes.

    A lock path that cannot be a file raises :class:`~hnml_tutor.errors.TutorError` saying what to remove.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    problem = not_a_file(path, through_links=False)
    if problem is not None:
        raise damaged_file_error(path, problem, "lock file")
    with FileLock(path, thread_local=False):
        yield
