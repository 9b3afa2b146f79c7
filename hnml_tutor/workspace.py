"""A learner's workspace on disk: exercise files, plots, and the folder the tutor keeps its state in.

``hnml-tutor start DIR`` creates one; every other command finds it (``--workspace``, the
``HNML_TUTOR_WORKSPACE`` variable, or the current folder and its parents). Nothing of the learner's is
ever overwritten: creating refuses an existing workspace, and resetting an exercise backs it up first.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from hnml_tutor.atomic import backup_file, write_bytes_atomic
from hnml_tutor.curriculum import Curriculum, Exercise
from hnml_tutor.errors import TutorError

STATE_DIRNAME = ".hnml-tutor"
DEFAULT_DIRNAME = "hnml-workspace"


@dataclass(frozen=True)
class Workspace:
    """Paths inside one workspace."""

    root: Path

    @property
    def exercises_dir(self) -> Path:
        return self.root / "exercises"

    @property
    def plots_dir(self) -> Path:
        return self.root / "plots"

    @property
    def state_dir(self) -> Path:
        return self.root / STATE_DIRNAME

    def exercise_file(self, exercise: Exercise) -> Path:
        return self.exercises_dir / exercise.filename

    def display_path(self, path: Path) -> str:
        """A path as the learner would type it from where they are."""
        try:
            return os.path.relpath(path)
        except ValueError:
            return str(path)


def create_workspace(root: Path, curriculum: Curriculum) -> Workspace:
    """Create a fresh workspace at ``root`` with every exercise stub; refuses to touch an existing one."""
    workspace = Workspace(Path(root).resolve())
    existing = [workspace.exercise_file(e) for e in curriculum.exercises if workspace.exercise_file(e).exists()]
    if workspace.state_dir.exists() or existing:
        raise TutorError(
            f"{workspace.root} already holds an hnml-tutor workspace; nothing was changed.",
            f"To carry on where you left off: `cd {workspace.display_path(workspace.root)}` and run "
            "`hnml-tutor list` or `hnml-tutor check`. To start over somewhere else, give another folder: "
            "`hnml-tutor start my-new-workspace`.",
        )
    if workspace.root.exists() and not workspace.root.is_dir():
        raise TutorError(f"{workspace.root} is a file, not a folder.", "Choose a folder name for the workspace.")
    workspace.exercises_dir.mkdir(parents=True, exist_ok=True)
    workspace.plots_dir.mkdir(exist_ok=True)
    workspace.state_dir.mkdir(exist_ok=True)
    for exercise in curriculum.exercises:
        write_bytes_atomic(workspace.exercise_file(exercise), exercise.stub_path.read_bytes())
    return workspace


def _is_workspace(path: Path) -> bool:
    return (path / STATE_DIRNAME).is_dir()


def find_workspace(explicit: Path | None = None, start: Path | None = None) -> Workspace:
    """The workspace the learner means: explicit, from the environment, or around the current folder."""
    candidates: list[Path] = []
    if explicit is not None:
        candidates = [Path(explicit)]
    elif os.environ.get("HNML_TUTOR_WORKSPACE"):
        candidates = [Path(os.environ["HNML_TUTOR_WORKSPACE"])]
    else:
        here = Path(start or Path.cwd()).resolve()
        candidates = [here, *here.parents, here / DEFAULT_DIRNAME]
    for candidate in candidates:
        if _is_workspace(candidate):
            return Workspace(candidate.resolve())
    where = candidates[0] if explicit is not None or os.environ.get("HNML_TUTOR_WORKSPACE") else Path.cwd()
    raise TutorError(
        f"No hnml-tutor workspace found at {where}.",
        "Create one with `hnml-tutor start`, or run the command inside your workspace folder "
        "(or pass `--workspace PATH`).",
    )


def reset_exercise(workspace: Workspace, exercise: Exercise) -> Path | None:
    """Put the original stub back; the learner's version is backed up first. Returns the backup's path."""
    target = workspace.exercise_file(exercise)
    backup = backup_file(target) if target.exists() else None
    write_bytes_atomic(target, exercise.stub_path.read_bytes())
    return backup
