"""What one run of learner code may use, and the operating-system limits that back it up in the child.

The watcher (:mod:`hnml_tutor.sandbox.watch`) enforces time, memory and output by looking; the limits set
here are the floor under it for what looking cannot catch in time: a single huge allocation, a core dump,
a file that fills the disk. Both launchers apply them the same way, in the child, before any learner code.

Not every platform has them: Windows has no ``resource`` module at all (its floor is the job object of
:mod:`~hnml_tutor.sandbox.tree_kill`), and macOS refuses to lower ``RLIMIT_AS``. Each limit is
tried on its own; one the platform refuses is skipped — the watcher is then the only limit — and named in
what :func:`apply_in_child` returns, so the tutor can say so (:mod:`~hnml_tutor.sandbox.platform_support`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from hnml_tutor.defaults import DEFAULT_MEMORY_MB

try:
    import resource
except ImportError:  # Windows
    resource = None

MIB = 1024 * 1024
# TensorFlow maps several GiB of address space it never touches, so the address-space limit only stops
# runaway single allocations; the real memory limit is enforced on resident memory by polling.
ADDRESS_SPACE_HEADROOM = 12 * 1024 * MIB
MAX_FILE_SIZE = 512 * MIB
OS_LIMITS = ("RLIMIT_CORE", "RLIMIT_AS", "RLIMIT_FSIZE")


@dataclass(frozen=True)
class Limits:
    """What one run of learner code may use."""

    time_limit: float = 60.0
    memory_mb: int = DEFAULT_MEMORY_MB
    output_bytes: int = 2 * MIB


def _wanted(memory_mb: int) -> dict[str, int]:
    address_space = memory_mb * MIB + ADDRESS_SPACE_HEADROOM
    return {"RLIMIT_CORE": 0, "RLIMIT_AS": address_space, "RLIMIT_FSIZE": MAX_FILE_SIZE}


def _set(name: str, value: int) -> bool:
    """Set the soft and hard limit ``name`` to ``value`` (or to a lower hard limit already in force)."""
    which = getattr(resource, name, None)
    if which is None:
        return False
    try:
        _, hard = resource.getrlimit(which)
        if hard != resource.RLIM_INFINITY:
            value = min(value, hard)  # a stricter limit someone already set stays; raising it is not ours to do
        resource.setrlimit(which, (value, value))
    except (ValueError, OSError):  # macOS: "current limit exceeds maximum limit" for RLIMIT_AS
        return False
    return True


def apply_in_child(memory_mb: int) -> tuple[str, ...]:
    """Runs in the child before the job: its own session and process group where there are such things, no
    core files, capped allocations and file sizes. Returns the limits this platform refused (``OS_LIMITS``
    names); a Windows child is put in its job object by the launcher instead."""
    if hasattr(os, "setsid"):
        try:
            os.setsid()
        except OSError:
            pass  # already leads a session of its own (started that way)
    if resource is None:
        return OS_LIMITS
    return tuple(name for name, value in _wanted(memory_mb).items() if not _set(name, value))
