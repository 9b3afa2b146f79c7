"""Which backend Keras will run on, and whether it is installed, found without importing it.

hnml-tutor's own dependencies name no TensorFlow package (pyproject.toml says why): the learner picks one
with an extra, or already has one (Colab, conda). When none is installed, the first Keras import fails
inside the learner's sandboxed run, and the message would blame their code. So the commands that run Keras
ask here first, and say in one line what to install.

Keras chooses its backend from ``KERAS_BACKEND``, else from the ``backend`` key of ``keras.json`` in
``$KERAS_HOME`` (default ``~/.keras``), else TensorFlow. This module reads the same places, and looks the
backend's package up with ``importlib.util.find_spec``, which costs a directory scan, not an import.
"""

from __future__ import annotations

import importlib.util
import json
import os
from pathlib import Path

from hnml_tutor.errors import TutorError

DEFAULT = "tensorflow"
PORTABLE_NAMES = {"tensorflow-intel": "tensorflow", "tensorflow-macos": "tensorflow"}
PACKAGES = {"tensorflow": "tensorflow", "jax": "jax", "torch": "torch", "numpy": "numpy"}
INSTALL = {
    "tensorflow": "`pip install tensorflow`, or `pip install tensorflow-cpu` for the smaller CPU-only build (the "
                  "extras `hnml-tutor[tensorflow]` and `hnml-tutor[cpu]` install the same)",
    "jax": "`pip install jax` (the extra `hnml-tutor[jax]` installs the same)",
    "torch": "`pip install torch`",
    "numpy": "`pip install numpy`",
}


def keras_config() -> Path:
    return Path(os.environ.get("KERAS_HOME") or Path.home() / ".keras") / "keras.json"


def chosen_backend() -> tuple[str, str]:
    """The backend Keras will use and where that choice comes from (for the message)."""
    named = os.environ.get("KERAS_BACKEND", "").strip()
    if named:
        return named, "KERAS_BACKEND"
    config = keras_config()
    try:
        backend = json.loads(config.read_text(encoding="utf-8")).get("backend")
    except (OSError, ValueError, AttributeError):
        backend = None
    if isinstance(backend, str) and backend.strip():
        return backend.strip(), str(config)
    return DEFAULT, "Keras' default"


def missing_backend() -> TutorError | None:
    """The error to show when Keras' backend is not installed (or is one Keras does not know), else None."""
    backend, source = chosen_backend()
    package = PACKAGES.get(backend)
    if package is None:
        return TutorError(
            f"Keras is set to the backend {backend!r} (by {source}), which Keras does not know.",
            "Use tensorflow (the default) or jax: `export KERAS_BACKEND=tensorflow`, or fix the backend key in "
            f"{keras_config()}.",
        )
    if importlib.util.find_spec(package) is not None:
        return None
    chosen = "" if source == "Keras' default" else f" (chosen by {source})"
    others = [name for name, module in PACKAGES.items()
              if name not in (backend, "numpy") and importlib.util.find_spec(module) is not None]
    instead = f" Or use {others[0]}, which is installed: `export KERAS_BACKEND={others[0]}`." if others else ""
    return TutorError(
        f"Keras needs a backend to run your models, and {backend}{chosen} is not installed.",
        f"Install it in this environment: {INSTALL[backend]}.{instead} Exercises 14–16 (NumPy only) need no "
        "backend.",
    )


def require_backend() -> None:
    """Raise the friendly error of :func:`missing_backend`, if there is one."""
    problem = missing_backend()
    if problem is not None:
        raise problem


def backend_distributions() -> list[str]:
    """The installed distributions that provide the chosen backend's package, e.g. ``["tensorflow-cpu"]``.

    An autograder built here installs the same one (a CPU-only build stays CPU-only), rather than whichever
    TensorFlow the package index would pick. Empty when the backend is not installed.
    """
    from importlib import metadata

    backend, _ = chosen_backend()
    package = PACKAGES.get(backend, backend)
    names = {name.lower().replace("_", "-") for name in metadata.packages_distributions().get(package, [])}
    # The platform builds Windows and macOS install as `tensorflow` have no Linux wheels (an autograder runs
    # on Linux): the package they come from stands in for them.
    return sorted(PORTABLE_NAMES.get(name, name) for name in names)
