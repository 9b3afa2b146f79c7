"""A relative ``HNML_TUTOR_DATA``, made absolute once, against the folder where it was set.

A learner who types ``export HNML_TUTOR_DATA=data`` means the ``data`` folder next to them at that moment.
The tutor cannot see where a variable was exported, so it takes the first of these that is a folder:

1. ``<the folder the command runs in>/data``;
2. when that folder is inside a workspace (or ``--workspace``/``HNML_TUTOR_WORKSPACE`` names one):
   ``<workspace>/data``, then ``<the folder holding the workspace>/data`` — the folder ``hnml-tutor start``
   was run in, where a learner who set the variable there and then went into the workspace set it.

This happens in the tutor's own process as soon as it starts (the CLI, or the first notebook call), and
``HNML_TUTOR_DATA`` is rewritten to the absolute path found, so every process the tutor starts (a sandboxed
child running in its job folder, a grading worker, the warm parent) receives that path and none resolves
the name again against a folder of its own. Nothing is written to the workspace: the rule needs no memory
that could go stale when the learner moves a folder. A relative value that names no folder is reported
with every place tried, and pinned to the first of them, so the data search says where it looked instead of
each process guessing anew.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from hnml_tutor.errors import TutorError

VARIABLE = "HNML_TUTOR_DATA"


@dataclass(frozen=True)
class DataFolder:
    """How ``HNML_TUTOR_DATA`` was understood: the value as set, the folder it names and on what basis."""

    value: str
    path: Path | None  # None: a relative value that names no folder
    basis: str  # "absolute", or which folder a relative value was taken against
    tried: tuple[Path, ...] = ()
    error: str = ""  # why the places could not even be looked at (the current folder was deleted)

    @property
    def relative(self) -> bool:
        return self.basis != "absolute"

    def problem(self) -> TutorError | None:
        """The error to show when the value names no folder, with every place tried; None when it does."""
        if self.path is not None and self.path.is_dir():
            return None
        if self.error:
            return TutorError(f"{VARIABLE}={self.value} is a relative path, and the tutor could not look for it "
                              f"({self.error}).",
                              f"Give an absolute path (`export {VARIABLE}=/path/to/data`), or run the tutor from an "
                              "existing folder.")
        if not self.relative:
            return TutorError(f"{VARIABLE}={self.value} names no folder.",
                              f"Point {VARIABLE} at the folder that holds mnist/ and fashion-mnist/, "
                              f"e.g. `export {VARIABLE}=$HOME/data`, or unset it.")
        tried = "\n".join(f"  - {path}" for path in self.tried)
        return TutorError(
            f"{VARIABLE}={self.value} is a relative path, and it names no folder in any of the places the tutor "
            f"takes it against:\n{tried}",
            f"Give an absolute path (`export {VARIABLE}=\"$PWD/{self.value}\"` in the folder that holds it), "
            "or run the tutor from the folder you set it in.",
        )


def _workspace_root(explicit: Path | None, here: Path) -> Path | None:
    """The workspace the command is about, or None outside one (never an error: this is only a hint)."""
    from hnml_tutor.workspace import find_workspace

    try:
        return find_workspace(explicit, start=here).root
    except TutorError:
        return None


def resolve(value: str, cwd: Path | None = None, workspace: Path | None = None) -> DataFolder:
    """Understand ``value`` by the rule of this module's docstring (``cwd`` default: the current folder)."""
    expanded = Path(os.path.expanduser(value))
    if expanded.is_absolute():
        return DataFolder(value, expanded, "absolute")
    here = Path(os.path.abspath(cwd or os.getcwd()))
    first = Path(os.path.normpath(here / expanded))
    if first.is_dir():
        return DataFolder(value, first, "the folder the tutor was started in", (first,))
    tried = [first]
    root = _workspace_root(workspace, here)  # looked up only when needed: it reads the folders above
    if root is not None:
        for basis, base in (("the workspace folder", root), ("the folder that holds the workspace", root.parent)):
            candidate = Path(os.path.normpath(base / expanded))
            if candidate in tried:
                continue
            tried.append(candidate)
            if candidate.is_dir():
                return DataFolder(value, candidate, basis, tuple(tried))
    return DataFolder(value, None, "relative", tuple(tried))


_pinned: DataFolder | None = None


def pin(workspace: Path | None = None, *, only_if_found: bool = False) -> TutorError | None:
    """Make a relative ``HNML_TUTOR_DATA`` absolute in this process's environment, once.

    Returns the problem to show when a relative value names no folder (the variable is then pinned to the
    first place tried, so later processes look exactly there); None otherwise. An absolute value, or one
    pinned before, is left as it is. ``only_if_found`` pins only a value that names a folder and reports
    nothing otherwise: the CLI calls it so before it knows the command's ``--workspace``, and the session,
    which knows it, pins (and reports) what is left.
    """
    global _pinned
    value = os.environ.get(VARIABLE)
    if not value or Path(os.path.expanduser(value)).is_absolute():
        return None
    found = _resolve_safely(value, workspace)
    if found.error:
        return None if only_if_found else found.problem()  # nothing to pin to
    if found.path is None and only_if_found:
        return None
    _pinned = found
    os.environ[VARIABLE] = str(found.path or found.tried[0])
    return found.problem()


def _resolve_safely(value: str, workspace: Path | None = None) -> DataFolder:
    """:func:`resolve`, with a folder that cannot be read (the current one deleted, a parent that cannot be
    entered) reported in the result instead of raised."""
    try:
        return resolve(value, workspace=workspace)
    except OSError as error:
        return DataFolder(value, None, "relative", (), error=error.strerror or str(error))


def current() -> DataFolder | None:
    """How ``HNML_TUTOR_DATA`` is understood in this process: as pinned (the value the learner set and the
    folder found), or as set when it was absolute; None when it is not set."""
    value = os.environ.get(VARIABLE)
    if not value:
        return None
    if _pinned is not None and os.environ[VARIABLE] == str(_pinned.path or _pinned.tried[0]):
        return _pinned
    return _resolve_safely(value)
