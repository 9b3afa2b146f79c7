"""The start signal's pipe across the cold child's start, on POSIX and on Windows.

POSIX hands the child the pipe's writing end by number (``pass_fds``) and the watcher waits on the reading
end with ``select``. Windows has neither: ``Popen`` refuses ``pass_fds`` and ``select`` takes only sockets.
There the writing end travels as an inheritable *handle*, named in ``STARTUPINFO``'s handle list so the
child inherits that one handle and no other, and reaches the child as a number on its command line that it
turns back into a file descriptor; the watcher asks ``PeekNamedPipe`` whether anything (or the end of the
pipe) is waiting, a few times per poll.
"""

from __future__ import annotations

import os
import subprocess
import time

PEEK_SECONDS = 0.01


def popen_options(fd: int) -> dict:
    """What ``Popen`` needs so that the child inherits the writing end ``fd`` (and nothing else of ours)."""
    if os.name != "nt":
        return {"pass_fds": (fd,)}
    import msvcrt

    handle = msvcrt.get_osfhandle(fd)
    os.set_handle_inheritable(handle, True)
    return {"close_fds": True, "startupinfo": subprocess.STARTUPINFO(lpAttributeList={"handle_list": [handle]})}


def child_argument(fd: int) -> str:
    """How the child is told which inherited descriptor (POSIX) or handle (Windows) is the pipe."""
    if os.name != "nt":
        return str(fd)
    import msvcrt

    return str(msvcrt.get_osfhandle(fd))


def child_fd(argument: str) -> int:
    """In the child: the file descriptor of the pipe the launcher named in ``argument``."""
    if os.name != "nt":
        return int(argument)
    import msvcrt

    return msvcrt.open_osfhandle(int(argument), os.O_WRONLY)


def readable(fd: int, timeout: float) -> bool:
    """Whether reading ``fd`` would not block (data, or the writer gone) within ``timeout`` seconds."""
    if os.name != "nt":
        import select

        ready, _, _ = select.select([fd], [], [], timeout)
        return bool(ready)
    import _winapi
    import msvcrt

    handle = msvcrt.get_osfhandle(fd)
    deadline = time.monotonic() + timeout
    while True:
        try:
            available, _ = _winapi.PeekNamedPipe(handle, 0)
        except BrokenPipeError:
            return True  # the child closed its end: a read returns the end of the pipe at once
        if available:
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(PEEK_SECONDS)
