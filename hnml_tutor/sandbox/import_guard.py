"""Keep a NumPy-only exercise NumPy-only: the learner's code cannot import a deep-learning framework.

Exercises 14–16 ask the learner to write softmax, backpropagation and gradient descent themselves; a file
that calls ``keras.ops.softmax`` or lets TensorFlow differentiate has skipped the exercise. So, in the
child of such an exercise, importing TensorFlow, Keras, JAX or PyTorch raises an ``ImportError`` that
says why, and the first such attempt is recorded for the grader, which fails the file with the same
explanation — whether the import sits at the top of the file or inside a function.

A child forked from a warm parent that had already imported Keras for an earlier job would hand the
learner the loaded modules straight from ``sys.modules``; :func:`install` removes them from this process
first (the parent keeps its own). This is a teaching guard, not a wall: the trust model does not rely on
it, and a learner determined to reach a framework through some other module's globals only cheats
themselves of the exercise, never another learner's grade.
"""

from __future__ import annotations

import sys
import traceback
from importlib.abc import MetaPathFinder

# The deep-learning frameworks, and the libraries that hold these exercises' answers ready-made
# (scipy.special.softmax, sklearn's MLPClassifier): neither is a tutor dependency, so refusing them also keeps
# a verdict the same on a learner's Anaconda and on the instructor's machine.
FRAMEWORKS = ("tensorflow", "keras", "jax", "torch", "tf_keras", "scipy", "sklearn")


class ForbiddenImport(ImportError):
    """What the learner's ``import keras`` raises in a NumPy-only exercise."""


class _Guard(MetaPathFinder):
    def __init__(self, forbidden: tuple[str, ...], learner_file: str) -> None:
        self.forbidden = forbidden
        self.learner_file = learner_file
        self.first: dict | None = None

    def _is_forbidden(self, fullname: str) -> bool:
        return fullname.split(".", 1)[0] in self.forbidden

    def find_spec(self, fullname, path=None, target=None):
        if not self._is_forbidden(fullname):
            return None
        if self.first is None:
            self.first = {"module": fullname.split(".", 1)[0], "line": self._learner_line()}
        raise ForbiddenImport(
            f"{fullname.split('.', 1)[0]} is not available in this exercise: it is NumPy only, so that you "
            "write the math yourself", name=fullname)

    def _learner_line(self) -> int | None:
        """The line of the learner's file that asked for the import (the innermost one, if several)."""
        lines = [frame.lineno for frame in traceback.extract_stack() if frame.filename == self.learner_file]
        return lines[-1] if lines else None


_guard: _Guard | None = None


def install(forbidden: tuple[str, ...] | list[str], learner_file: str) -> None:
    """Refuse ``forbidden`` top-level packages from now on in this process, and forget any already loaded."""
    global _guard
    forbidden = tuple(forbidden)
    if not forbidden:
        return
    for name in [name for name in sys.modules if name.split(".", 1)[0] in forbidden]:
        del sys.modules[name]
    _guard = _Guard(forbidden, learner_file)
    sys.meta_path.insert(0, _guard)


def first_attempt() -> dict | None:
    """``{"module", "line"}`` of the first forbidden import the learner's code tried, or None.

    Code that takes the guard out of ``sys.meta_path`` first imports without asking it; what it loaded is
    still in ``sys.modules`` when the learner's calls are done, and counts the same.
    """
    if _guard is None:
        return None
    if _guard.first is None:
        loaded = sorted({name.split(".", 1)[0] for name in sys.modules} & set(_guard.forbidden))
        if loaded:
            _guard.first = {"module": loaded[0], "line": None}
    return _guard.first
