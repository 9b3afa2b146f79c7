"""The tutor's per-user cache folder (decoded data sets, the trained reference model).

``HNML_TUTOR_CACHE`` overrides the location, which tests use to start clean; otherwise it follows the XDG
convention (``~/.cache/hnml-tutor``).
"""

from __future__ import annotations

import os
from pathlib import Path


def cache_dir() -> Path:
    """Root of the cache; created on first use."""
    explicit = os.environ.get("HNML_TUTOR_CACHE")
    if explicit:
        root = Path(explicit).expanduser()
    else:
        base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
        root = Path(base) / "hnml-tutor"
    root.mkdir(parents=True, exist_ok=True)
    return root
