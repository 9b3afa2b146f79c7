"""The watch loop: waits for a child while enforcing its limits, whichever launcher started it."""

from __future__ import annotations

import time
from pathlib import Path

from hnml_tutor.sandbox.limits import MIB, Limits
from hnml_tutor.sandbox.memory import resident_memory

POLL_SECONDS = 0.05


def watch(process, limits: Limits, output_path: Path) -> tuple[str, str]:
    """Wait for the child, enforcing the limits; returns (status, reason), status "finished" if it ended itself."""
    started = time.monotonic()
    while process.poll() is None:
        elapsed = time.monotonic() - started
        if elapsed > limits.time_limit:
            process.kill_group()
            return "timeout", f"did not finish within the time limit of {limits.time_limit:g} s"
        if resident_memory(process.pid) > limits.memory_mb * MIB:
            process.kill_group()
            return "memory", f"used more than the memory limit of {limits.memory_mb} MiB"
        try:
            size = output_path.stat().st_size
        except OSError:
            size = 0
        if size > limits.output_bytes:
            process.kill_group()
            return "output", f"printed more than {limits.output_bytes // 1024} KiB of output"
        time.sleep(POLL_SECONDS)
    return "finished", ""
