"""What one run of learner code may use, and the operating-system limits that back it up in the child.

The watcher (:mod:`hnml_tutor.sandbox.watch`) enforces time, memory and output by looking; the limits set
here are the floor under it for what looking cannot catch in time: a single huge allocation, a core dump,
a file that fills the disk. Both launchers apply them the same way, in the child, before any learner code.
"""

from __future__ import annotations

import os
import resource
from dataclasses import dataclass

from hnml_tutor.defaults import DEFAULT_MEMORY_MB

MIB = 1024 * 1024
# TensorFlow maps several GiB of address space it never touches, so the address-space limit only stops
# runaway single allocations; the real memory limit is enforced on resident memory by polling.
ADDRESS_SPACE_HEADROOM = 12 * 1024 * MIB
MAX_FILE_SIZE = 512 * MIB


@dataclass(frozen=True)
class Limits:
    """What one run of learner code may use."""

    time_limit: float = 60.0
    memory_mb: int = DEFAULT_MEMORY_MB
    output_bytes: int = 2 * MIB


def apply_in_child(memory_mb: int) -> None:
    """Runs in the child before the job: own session and process group, no core files, capped allocations."""
    try:
        os.setsid()
    except OSError:
        pass  # already leads a session of its own (started that way)
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    address_space = memory_mb * MIB + ADDRESS_SPACE_HEADROOM
    resource.setrlimit(resource.RLIMIT_AS, (address_space, address_space))
    resource.setrlimit(resource.RLIMIT_FSIZE, (MAX_FILE_SIZE, MAX_FILE_SIZE))
