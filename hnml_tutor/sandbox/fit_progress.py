"""How far the learner's training got, for a front end to show ("epoch 3/5, 12 s of 60 s").

The child writes a tiny JSON file, ``{"epoch": 3, "epochs": 5}``, into the job folder at the start of
``fit`` and after each epoch; the watcher reads it a few times a second. Learner code can write that file
too, so it is read as untrusted — a regular file only, a few bytes, sane numbers or nothing — and it only
ever feeds the display: at worst a learner misleads their own progress bar, never the verdict.
"""

from __future__ import annotations

import json
import os
import stat
from dataclasses import dataclass
from pathlib import Path

FILENAME = "progress.json"
MAX_BYTES = 256
MAX_EPOCHS = 1_000_000


@dataclass(frozen=True)
class SandboxProgress:
    """What ``run(..., on_progress=...)`` is told while the child runs."""

    elapsed: float  # seconds of the time limit used so far (0 until learner code starts)
    time_limit: float
    epoch: int | None  # epochs finished in the current ``fit``; None when nothing is training
    epochs: int | None
    started: bool  # False while the tutor is still starting Python (and Keras)


def write(folder: Path, epoch: int, epochs: int) -> None:
    """In the child: replace the progress file atomically, so the watcher never reads half of it."""
    partial = folder / (FILENAME + ".tmp")
    partial.write_text(json.dumps({"epoch": epoch, "epochs": epochs}))
    partial.replace(folder / FILENAME)


def read(folder: Path) -> tuple[int | None, int | None]:
    """In the watcher: (epoch, epochs) from the progress file, or (None, None) for anything doubtful."""
    try:
        # No symlinks, no blocking on a FIFO, nothing but a regular file, and only its first bytes.
        fd = os.open(folder / FILENAME, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return None, None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None, None
        data = json.loads(os.read(fd, MAX_BYTES))
        epoch, epochs = data["epoch"], data["epochs"]
    except (OSError, ValueError, KeyError, TypeError):
        return None, None
    finally:
        os.close(fd)
    numbers = (epoch, epochs)
    if all(type(n) is int for n in numbers) and 0 <= epoch <= epochs <= MAX_EPOCHS:
        return epoch, epochs
    return None, None
