"""How much memory a learner's process tree holds, read from /proc (Linux; 0 elsewhere).

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
"""

from __future__ import annotations

import os
from pathlib import Path

COUNTED = ("RssAnon:", "RssShmem:")


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
    pids, pending = [], [pid]
    while pending:
        current = pending.pop()
        pids.append(current)
        pending.extend(_children(current))
    return pids


def process_memory(pid: int) -> int:
    """Resident anonymous and shared memory of ``pid`` alone, in bytes (0 once it is gone)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    return sum(int(line.split()[1]) * 1024 for line in status.splitlines() if line.startswith(COUNTED))


def resident_memory(pid: int) -> int:
    """Resident anonymous and shared memory in bytes of ``pid`` and all its descendants (0 once they are gone)."""
    return sum(process_memory(current) for current in process_tree(pid))
