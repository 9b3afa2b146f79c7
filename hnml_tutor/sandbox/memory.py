"""How much memory a learner's process tree holds, read from /proc (Linux; 0 elsewhere).

Processes exit while we look, so every /proc read may fail: a process that vanished simply holds nothing
and has no children (CI once met a ``task`` folder that disappeared mid-listing).
"""

from __future__ import annotations

import os
from pathlib import Path


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


def _process_tree(pid: int) -> list[int]:
    pids, pending = [], [pid]
    while pending:
        current = pending.pop()
        pids.append(current)
        pending.extend(_children(current))
    return pids


def resident_memory(pid: int) -> int:
    """Resident memory in bytes of ``pid`` and all its descendants (0 once they are gone)."""
    total = 0
    for current in _process_tree(pid):
        try:
            for line in Path(f"/proc/{current}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
                    break
        except OSError:
            continue
    return total
