"""Reading back files from a job folder that the learner's code could write to.

Whatever the child leaves in its job folder is the learner's: a returned array or model may have been
swapped for a symbolic link to a file of the grader's, a named pipe that blocks whoever opens it, or a
folder. So the grader reads only a regular file directly inside the job folder, opened without following
links and without waiting on a pipe, and checks what it opened (not what the name pointed at a moment
earlier). Anything else is described in words the learner understands, never read.
"""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path
from typing import BinaryIO

MAX_FILE_BYTES = 512 * 1024 * 1024  # the most the sandbox lets a learner write to one file
CHUNK_BYTES = 1024 * 1024


class NotARegularFile(Exception):
    """What stood where the grader expected a file, described for the learner (``found``)."""

    def __init__(self, found: str) -> None:
        super().__init__(found)
        self.found = found


def is_plain_name(name: object) -> bool:
    """Whether ``name`` names an entry directly inside a folder (no separators, no ``..``)."""
    return (isinstance(name, str) and name not in {"", ".", ".."}
            and "/" not in name and "\\" not in name and "\0" not in name)


def human_size(size: int) -> str:
    """``512 bytes``, ``12.3 kB``, ``4.5 MB``: file sizes as a learner reads them (decimal units)."""
    if size < 1000:
        return f"{size} byte{'' if size == 1 else 's'}"
    for unit in ("kB", "MB"):
        size /= 1000
        if size < 1000:
            return f"{size:.1f} {unit}"
    return f"{size / 1000:.1f} GB"


def _refusal(info: os.stat_result) -> str | None:
    """Why the grader won't read an entry with this ``stat``, or None for a regular file of its own."""
    mode = info.st_mode
    if stat.S_ISREG(mode):
        if info.st_nlink > 1:
            return "a second name (hard link) for another file, not a file of its own"
        if info.st_size > MAX_FILE_BYTES:
            return (f"a file of {human_size(info.st_size)}, larger than the grader reads "
                    f"({human_size(MAX_FILE_BYTES)})")
        return None
    if stat.S_ISDIR(mode):
        return "a folder, not a file"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO), not a file"
    if stat.S_ISSOCK(mode):
        return "a socket, not a file"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device, not a file"
    return "something that is not a file"


def _look(folder: Path, name: str) -> tuple[os.stat_result | None, str]:
    """The entry's ``lstat`` if it is a regular file of its own, else None and what is there instead."""
    if not is_plain_name(name):
        return None, f"a path outside the job folder ({str(name)[:80]!r})"
    path = Path(folder) / name
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return None, "nothing: no file was written there"
    except OSError as error:
        return None, f"something the grader cannot look at ({error.strerror})"
    if stat.S_ISLNK(info.st_mode):
        try:
            target = os.readlink(path)
        except OSError:
            target = "?"
        return None, f"a symbolic link to {target[:120]}, not a file"
    refusal = _refusal(info)
    return (None, refusal) if refusal else (info, f"a file of {human_size(info.st_size)}")


def what_is_there(folder: Path, name: str) -> str:
    """Describe the entry ``name`` in ``folder`` without following it: a file and its size, a link, …"""
    return _look(folder, name)[1]


def open_regular(folder: Path, name: str) -> BinaryIO:
    """Open ``folder/name`` for reading, only if it is a regular file of its own inside ``folder``.

    Raises :class:`NotARegularFile` describing what is there instead. Looking with ``lstat`` first means a
    pipe or a device is never opened; ``O_NOFOLLOW`` and ``fstat`` on the open descriptor close the gap in
    which the entry could be swapped between the look and the open.
    """
    info, found = _look(folder, name)
    if info is None:
        raise NotARegularFile(found)
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
    try:
        descriptor = os.open(Path(folder) / name, flags)
    except OSError:
        raise NotARegularFile(what_is_there(folder, name)) from None
    refusal = _refusal(os.fstat(descriptor))
    if refusal:
        os.close(descriptor)
        raise NotARegularFile(refusal)
    return os.fdopen(descriptor, "rb")


def copy_out(folder: Path, name: str, suffix: str = "") -> tuple[Path, int]:
    """Copy the regular file ``folder/name`` to a fresh name of the grader's; returns (copy, size).

    The grader then opens the copy by name (Keras loads models from a path), so what it loads is exactly
    what :func:`open_regular` checked. Raises :class:`NotARegularFile` like it. At most
    :data:`MAX_FILE_BYTES` are copied, even from a file that is still growing.
    """
    with open_regular(folder, name) as source:
        handle, copy = tempfile.mkstemp(prefix="received-", suffix=suffix, dir=folder)
        with os.fdopen(handle, "wb") as target:
            size = 0
            while size <= MAX_FILE_BYTES and (chunk := source.read(CHUNK_BYTES)):
                target.write(chunk)
                size += len(chunk)
    if size > MAX_FILE_BYTES:
        os.unlink(copy)
        raise NotARegularFile(f"a file that grew past what the grader reads ({human_size(MAX_FILE_BYTES)})")
    return Path(copy), size
