"""What the tutor does for a learner, as functions that return data: the one layer every front end calls.

``start``, ``check``, ``hint``, ``show``, ``reset``, ``solution`` and ``progress`` open the workspace,
do the work, record progress and hand back a small dataclass. Nothing here prints: the CLI renders the
result in a terminal, ``watch`` redraws it on every save, and the notebook front end shows it as HTML.
Problems the learner can fix are raised as :class:`~hnml_tutor.errors.TutorError`.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from hnml_tutor.backend import require_backend
from hnml_tutor.curriculum import Curriculum, Exercise, load_curriculum
from hnml_tutor.errors import TutorError
from hnml_tutor.progress import DONE, Progress, load_progress, require_usable_state, updating_progress
from hnml_tutor.workspace import Workspace, create_workspace, find_workspace, reset_exercise

if TYPE_CHECKING:  # grading pulls in NumPy and pytest; only `check` needs them, and imports them itself
    from hnml_tutor.graders.tryout import Tryout
    from hnml_tutor.results import ExerciseReport


@dataclass(frozen=True)
class Session:
    """What every workspace use case starts from: the curriculum, the workspace and its progress."""

    curriculum: Curriculum
    workspace: Workspace
    progress: Progress
    warnings: tuple[str, ...] = ()

    def pick(self, query: str | None) -> Exercise:
        """The exercise named by ``query``, or the current one (the last, once all are done)."""
        if query is not None:
            return self.curriculum.resolve(query)
        return self.progress.current(self.curriculum) or self.curriculum.exercises[-1]


def open_session(workspace: Path | None = None) -> Session:
    from hnml_tutor.data_folder import pin  # front ends that are not the CLI (notebooks) start here

    found = find_workspace(workspace)
    progress, warnings = load_progress(found)
    data_problem = pin(found.root)
    return Session(load_curriculum(), found, progress, (*warnings, *([str(data_problem)] if data_problem else [])))


@dataclass(frozen=True)
class Started:
    curriculum: Curriculum
    workspace: Workspace
    first: Exercise

    @property
    def first_file(self) -> Path:
        return self.workspace.exercise_file(self.first)


def start(directory: Path) -> Started:
    """Create a workspace with every exercise's stub."""
    curriculum = load_curriculum()
    return Started(curriculum, create_workspace(directory, curriculum), curriculum.exercises[0])


@dataclass(frozen=True)
class ProgressView:
    curriculum: Curriculum
    progress: Progress
    warnings: tuple[str, ...] = ()

    @property
    def current(self) -> Exercise | None:
        return self.progress.current(self.curriculum)

    @property
    def done(self) -> int:
        return self.progress.done_count(self.curriculum)


def progress(workspace: Path | None = None) -> ProgressView:
    """Every exercise with its status."""
    session = open_session(workspace)
    return ProgressView(session.curriculum, session.progress, session.warnings)


@dataclass(frozen=True)
class HintShown:
    exercise: Exercise
    level: int
    warnings: tuple[str, ...] = ()

    @property
    def text(self) -> str:
        return self.exercise.hints[self.level - 1]

    @property
    def is_last(self) -> bool:
        return self.level >= len(self.exercise.hints)


def hint(query: str | None = None, workspace: Path | None = None) -> HintShown:
    """Reveal the next of the exercise's layered hints (the last one again once all are shown)."""
    session = open_session(workspace)
    chosen = session.pick(query)
    with updating_progress(session.workspace) as saved:
        entry = saved.of(chosen)
        entry.hints_shown = min(entry.hints_shown + 1, len(chosen.hints))
        level = entry.hints_shown
    return HintShown(chosen, level, session.warnings)


@dataclass(frozen=True)
class Instructions:
    exercise: Exercise
    path: Path
    text: str
    warnings: tuple[str, ...] = ()


def instructions_text(exercise: Exercise, learner_file: Path | None = None) -> str:
    """The exercise's instructions: the docstring of the learner's file, or of the stub if theirs has none."""
    for candidate in (learner_file, exercise.stub_path):
        if candidate is None:
            continue
        try:
            docstring = ast.get_docstring(ast.parse(candidate.read_bytes()))
        except (OSError, SyntaxError, ValueError):
            continue
        if docstring:
            return docstring
    return "(This exercise has no instructions.)"


def show(query: str | None = None, workspace: Path | None = None) -> Instructions:
    session = open_session(workspace)
    chosen = session.pick(query)
    path = session.workspace.exercise_file(chosen)
    return Instructions(chosen, path, instructions_text(chosen, path), session.warnings)


def _runnable(session: Session, query: str | None) -> Exercise:
    """The exercise ``check`` or ``run`` is about, once it is sure Keras has a backend to run it on (exercises
    14–16 need none): without one, the learner's code would fail in the sandbox and seem at fault."""
    chosen = session.pick(query)
    if not chosen.numpy_only:
        require_backend()
    return chosen


@dataclass(frozen=True)
class Checked:
    """One check of one exercise, with what it means for the learner's way through the course."""

    exercise: Exercise
    report: "ExerciseReport"
    workspace: Workspace
    next_exercise: Exercise | None
    course_finished: bool
    course_final: str
    warnings: tuple[str, ...] = field(default=())

    @property
    def passed(self) -> bool:
        return self.report.passed


def check(
    query: str | None = None,
    workspace: Path | None = None,
    *,
    time_limit: float | None = None,
    launcher=None,
    session: Session | None = None,
    on_progress: Callable | None = None,
) -> Checked:
    """Grade one exercise of the workspace (default: the current one) and record the result.

    ``session`` reuses one the caller already opened (to name the exercise before grading starts);
    ``launcher`` a warm launcher kept between checks; ``on_progress`` hears how far training got.
    """
    from hnml_tutor.graders.runner import grade_exercise  # pytest and NumPy load only when grading
    from hnml_tutor.sandbox import ColdLauncher, Limits
    from hnml_tutor.sandbox.platform_support import notes_once

    session = session or open_session(workspace)
    require_usable_state(session.workspace)  # before grading: a result that could not be recorded is wasted
    chosen = _runnable(session, query)
    limits = Limits(time_limit=time_limit or chosen.time_limit)
    launcher = launcher or ColdLauncher()
    report = grade_exercise(chosen, session.workspace.exercise_file(chosen), limits=limits,
                            plots_dir=session.workspace.plots_dir, launcher=launcher, on_progress=on_progress)
    with updating_progress(session.workspace) as saved:
        if not report.grader_fault:  # the tutor failed, not the learner: their record stays as it was
            saved.record_check(chosen, report.passed)
        finished = report.passed and saved.current(session.curriculum) is None
    notes = notes_once(launcher.isolation)  # after the record: nothing about a note may cost a check
    return Checked(chosen, report, session.workspace, session.curriculum.next_after(chosen), finished,
                   session.curriculum.final, (*session.warnings, *notes))


@dataclass(frozen=True)
class TriedOut:
    """``hnml-tutor run``: what the learner's functions did on the grader's inputs."""

    tryout: "Tryout"
    warnings: tuple[str, ...] = ()


def try_out(
    query: str | None = None,
    workspace: Path | None = None,
    *,
    time_limit: float | None = None,
    session: Session | None = None,
    on_progress: Callable | None = None,
) -> TriedOut:
    """Run the exercise's functions on the inputs its grader uses and return what they did; nothing is graded
    and nothing is recorded. Sandboxed and limited exactly as ``check`` is."""
    from hnml_tutor.graders.tryout import try_exercise
    from hnml_tutor.sandbox import ColdLauncher, Limits
    from hnml_tutor.sandbox.platform_support import notes_once

    session = session or open_session(workspace)
    chosen = _runnable(session, query)
    learner_file = session.workspace.exercise_file(chosen)
    if not learner_file.is_file():
        raise TutorError(f"{chosen.filename} is missing from your workspace.",
                         f"`hnml-tutor reset {chosen.id}` puts a fresh copy of the exercise back.")
    launcher = ColdLauncher()
    tryout = try_exercise(chosen, learner_file, limits=Limits(time_limit=time_limit or chosen.time_limit),
                          launcher=launcher, on_progress=on_progress)
    return TriedOut(tryout, (*session.warnings, *notes_once(launcher.isolation)))


@dataclass(frozen=True)
class ResetDone:
    exercise: Exercise
    path: Path
    backup: Path | None


def reset(query: str, workspace: Path | None = None) -> ResetDone:
    """Put the exercise's original stub back; the learner's version is backed up first."""
    found = find_workspace(workspace)
    chosen = load_curriculum().resolve(query)
    backup = reset_exercise(found, chosen)
    return ResetDone(chosen, found.exercise_file(chosen), backup)


@dataclass(frozen=True)
class Solution:
    exercise: Exercise
    source: str


def solution(query: str | None = None, workspace: Path | None = None) -> Solution:
    """The reference solution of an exercise the learner has passed (default: the last one passed)."""
    session = open_session(workspace)
    done = [e for e in session.curriculum.exercises if session.progress.of(e).status == DONE]
    chosen = session.pick(query) if query or not done else done[-1]
    if session.progress.of(chosen).status != DONE:
        raise TutorError(f"The solution of {chosen.id} unlocks once your own version passes.",
                         f"Keep going: `hnml-tutor check {chosen.id}`, and `hnml-tutor hint {chosen.id}` if stuck.")
    return Solution(chosen, chosen.solution_path.read_text(encoding="utf-8"))
