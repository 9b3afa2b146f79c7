"""How much memory a learner's process tree holds: read from /proc on Linux, asked of psutil elsewhere.

What counts is a process's anonymous and shared-memory pages (``RssAnon`` + ``RssShmem`` in
``/proc/PID/status``): the heap, NumPy arrays, tensors — everything learner code allocates — and not the
file-backed pages of Python and its libraries, which the kernel can always drop and read back. The watcher
subtracts what the child held when learner code started (:mod:`~hnml_tutor.sandbox.start_signal`), so a
cold child and a child forked from the warm parent are charged the same. Growth while learner code ran,
cold / warm, in MiB, measured on one machine (the warm parent's garbage collector frozen):

    learner code             RssAnon (counted)   VmRSS      USS (Private_* of smaps_rollup)
    NumPy only, trivial      6 / 6               6 / 8      6 / 6
    allocates 600 MB         600 / 600           600 / 601  600 / 600
    tiny Keras fit           24 / 24             39 / 80    38 / 68

VmRSS grows more warm because a forked child faults in again the library code its parent had already
touched; private memory because every page of the parent the child writes to becomes a private copy.
Anonymous memory is the same either way: a copy-on-write copy replaces one anonymous page with another.
(Before this, the watcher counted a NumPy-only run's whole VmRSS: 32 MiB cold, 211 MiB warm, since a
forked child starts with every page it shares with its parent.)

Processes the learner's code starts are counted whole (a forked one with the pages it still shares with
its parent). Processes exit while we look, so every /proc read may fail: a process that vanished simply
holds nothing and has no children (CI once met a ``task`` folder that disappeared mid-listing).

macOS and Windows have no /proc, so there psutil measures, with the measure closest to "what the learner's
code allocated" that is cheap enough to poll twenty times a second (only cold children run there, so the
copy-on-write question above does not arise; the watcher still subtracts the start baseline):

* macOS: ``rss``. It counts the libraries' file-backed pages too, but those were mapped before the
  baseline was taken; the growth is within a few MiB of RssAnon's (the cold column above: 6/600/39 against
  6/600/24). USS would be closer but walks every memory region of the process — thousands for TensorFlow —
  on each look.
* Windows: ``private`` (Private Bytes, the commit charge). Windows does not overcommit: an allocation is
  charged in full the moment it is made, whether touched or not, and a working set (``rss``) that Windows
  trims under pressure would let a run hide memory in the page file. Mapped DLLs are not in it.

The tree is psutil's ``children(recursive=True)``: a process whose parent has exited is out of its sight,
as it is on Linux outside a jail and the warm parent (both of which adopt the learner's orphans).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

COUNTED = ("RssAnon:", "RssShmem:")
HAS_PROC = sys.platform.startswith("linux")


def psutil_measure() -> str:
    """The field of psutil's ``memory_info()`` that counts a process's memory on this platform (see above)."""
    return "private" if sys.platform == "win32" else "rss"


def _children(pid: int) -> list[int]:
    """Direct children of ``pid``; empty once it has gone."""
    try:
        threads = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return []
    children = []
    for thread in threads:
        try:
            children.extend(int(child) for child in Path(f"/proc/{pid}/task/{thread}/children").read_text().split())
        except (OSError, ValueError):
            continue
    return children


def process_tree(pid: int) -> list[int]:
    """``pid`` and all its descendants (just ``pid`` once it has gone)."""
    if not HAS_PROC:
        return _psutil_tree(pid)
    pids, pending = [], [pid]
    while pending:
        current = pending.pop()
        pids.append(current)
        pending.extend(_children(current))
    return pids


def process_memory(pid: int) -> int:
    """Resident anonymous and shared memory of ``pid`` alone, in bytes (0 once it is gone)."""
    if not HAS_PROC:
        return _psutil_memory(pid)
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    return sum(int(line.split()[1]) * 1024 for line in status.splitlines() if line.startswith(COUNTED))


def resident_memory(pid: int) -> int:
    """Resident anonymous and shared memory in bytes of ``pid`` and all its descendants (0 once they are gone)."""
    return sum(process_memory(current) for current in process_tree(pid))


def _psutil_tree(pid: int) -> list[int]:
    import psutil

    try:
        return [pid, *(child.pid for child in psutil.Process(pid).children(recursive=True))]
    except psutil.Error:  # gone, or a zombie whose children cannot be listed
        return [pid]


def _psutil_memory(pid: int) -> int:
    import psutil

    try:
        return int(getattr(psutil.Process(pid).memory_info(), psutil_measure()))
    except psutil.Error:
        return 0
