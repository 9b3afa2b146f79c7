"""Writing files so that a crash or a full disk never leaves half a file behind.

Progress, learner files and gradebooks all go through here: the new content is written to a temporary
file in the same folder, flushed to disk, and renamed over the target in one step.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from pathlib import Path


def write_bytes_atomic(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` in one step; readers see the old file or the new one, never a mix."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.chmod(tmp_name, _mode_for(path))
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp_name, path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise


def _mode_for(path: Path) -> int:
    """Keep an existing file's permissions; a new file gets the usual ones (mkstemp's 0600 is too private)."""
    try:
        return path.stat().st_mode & 0o7777
    except OSError:
        umask = os.umask(0o022)
        os.umask(umask)
        return 0o666 & ~umask


def write_text_atomic(path: Path, text: str) -> None:
    """Text version of :func:`write_bytes_atomic` (always UTF-8)."""
    write_bytes_atomic(path, text.encode("utf-8"))


def backup_file(path: Path, label: str = "backup") -> Path:
    """Copy ``path`` next to itself under a timestamped name and return the copy's path.

    Used before anything of the learner's is replaced, so no work is ever lost.
    """
    path = Path(path)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    target = path.with_name(f"{path.name}.{label}-{stamp}")
    counter = 1
    while target.exists():
        target = path.with_name(f"{path.name}.{label}-{stamp}-{counter}")
        counter += 1
    shutil.copy2(path, target)
    return target
