"""The learner's progress: which exercises are done, failing or not started, and how many hints they saw.

A small JSON file in the workspace's state folder, written atomically. A missing or corrupted file never
stops the learner: the damaged file is kept aside, a fresh state is rebuilt, and a warning says so. A folder
or a looping link where the file or its lock should be is a TutorError naming what to remove.
"""

from __future__ import annotations

import json
import time
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from typing import Iterator

from hnml_tutor.atomic import write_text_atomic
from hnml_tutor.curriculum import Curriculum, Exercise
from hnml_tutor.locks import damaged_file_error, exclusive, not_a_file
from hnml_tutor.workspace import Workspace

STATE_FILENAME = "progress.json"
LOCK_FILENAME = "progress.lock"
FORMAT_VERSION = 1
DONE, FAILING, NOT_STARTED = "done", "failing", "not started"


@dataclass
class ExerciseProgress:
    status: str = NOT_STARTED
    hints_shown: int = 0
    last_checked: str | None = None


@dataclass
class Progress:
    """Progress of every exercise, keyed by id."""

    exercises: dict[str, ExerciseProgress] = field(default_factory=dict)

    def of(self, exercise: Exercise) -> ExerciseProgress:
        return self.exercises.setdefault(exercise.id, ExerciseProgress())

    def record_check(self, exercise: Exercise, passed: bool) -> None:
        entry = self.of(exercise)
        entry.status = DONE if passed else FAILING
        entry.last_checked = time.strftime("%Y-%m-%dT%H:%M:%S")

    def done_count(self, curriculum: Curriculum) -> int:
        return sum(self.of(e).status == DONE for e in curriculum.exercises)

    def current(self, curriculum: Curriculum) -> Exercise | None:
        """The first exercise not done yet, or None when the course is finished."""
        return next((e for e in curriculum.exercises if self.of(e).status != DONE), None)


def _state_path(workspace: Workspace):
    return workspace.state_dir / STATE_FILENAME


def _lock_path(workspace: Workspace):
    return workspace.state_dir / LOCK_FILENAME


_FRESH_PROGRESS = ("your progress starts fresh and your exercise files are untouched: `hnml-tutor check` each "
                   "one to record it again.")


def require_usable_state(workspace: Workspace) -> None:
    """Raise a :class:`~hnml_tutor.errors.TutorError` when the progress file or its lock cannot be a file.

    A folder or a looping link in their place cannot be repaired by the tutor (unlike a corrupted file's
    contents, which are set aside): ``check`` asks before grading, so a learner is not kept waiting for a
    result that could then not be recorded.
    """
    problem = not_a_file(_state_path(workspace))
    if problem is not None:
        raise damaged_file_error(_state_path(workspace), problem, "progress file", _FRESH_PROGRESS)
    problem = not_a_file(_lock_path(workspace), through_links=False)
    if problem is not None:
        raise damaged_file_error(_lock_path(workspace), problem, "progress lock",
                                 "the tutor makes a fresh one when it next records progress.")


def _parse(text: str) -> Progress:
    data = json.loads(text)
    if not isinstance(data, dict) or data.get("version") != FORMAT_VERSION:
        raise ValueError("unknown format")
    progress = Progress()
    for key, entry in data.get("exercises", {}).items():
        status = entry.get("status", NOT_STARTED)
        if status not in (DONE, FAILING, NOT_STARTED):
            raise ValueError(f"unknown status {status!r}")
        progress.exercises[str(key)] = ExerciseProgress(
            status=status, hints_shown=int(entry.get("hints_shown", 0)), last_checked=entry.get("last_checked")
        )
    return progress


def load_progress(workspace: Workspace) -> tuple[Progress, list[str]]:
    """The saved progress and any warnings about rebuilding it."""
    path = _state_path(workspace)
    problem = not_a_file(path)
    if problem is not None:
        raise damaged_file_error(path, problem, "progress file", _FRESH_PROGRESS)
    if not path.exists():
        return Progress(), []
    try:
        return _parse(path.read_text(encoding="utf-8")), []
    except (ValueError, TypeError, AttributeError, UnicodeDecodeError) as error:
        aside = path.with_name(f"{path.name}.corrupt-{time.strftime('%Y%m%d-%H%M%S')}")
        path.replace(aside)
        warning = (f"Your progress file was damaged ({error}); it was moved to {aside.name} and progress "
                   "starts fresh. Your exercise files are untouched: `hnml-tutor check` each one to "
                   "record it again.")
        return Progress(), [warning]


def save_progress(workspace: Workspace, progress: Progress) -> None:
    data = {"version": FORMAT_VERSION, "exercises": {k: asdict(v) for k, v in sorted(progress.exercises.items())}}
    write_text_atomic(_state_path(workspace), json.dumps(data, indent=2) + "\n")


@contextmanager
def updating_progress(workspace: Workspace) -> Iterator[Progress]:
    """The saved progress to change, saved again on leaving; one command at a time.

    ``watch`` checks while the learner asks for a hint in another terminal: each reads the file, changes
    its own entry and writes it back under the lock, so neither overwrites what the other recorded.
    """
    require_usable_state(workspace)  # names the file to remove: the progress file's role, not a bare lock's
    with exclusive(_lock_path(workspace)):
        progress, _ = load_progress(workspace)
        yield progress
        save_progress(workspace, progress)
