"""``hnml-tutor grade``: every exercise of every learner, graded in parallel, written to OUT as it finishes.

The coordinator lives here and stays light: it finds the learners, decides which (learner, exercise)
tasks need grading (``--resume`` reuses finished ones whose inputs are unchanged), hands them to the
worker pool and writes each learner's results the moment their last exercise is in. Learner code never
runs in this process, and nothing a learner's code does can reach OUT: it only ever sees a throw-away
copy of its own exercises inside the run's scratch folder.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from hnml_tutor import __version__, datasets
from hnml_tutor.backend import require_backend
from hnml_tutor.classroom import submissions as subs
from hnml_tutor.classroom.gradebook import gradebook_csv, results_json
from hnml_tutor.classroom.hidden import HiddenTests, collect_hidden_tests
from hnml_tutor.classroom.html_report import render_feedback_html
from hnml_tutor.classroom.outcome import Outcome
from hnml_tutor.classroom.pool import WorkerPool
from hnml_tutor.classroom.store import OutputFolder
from hnml_tutor.classroom.worker import Task
from hnml_tutor.curriculum import Exercise, curriculum_folders, load_curriculum
from hnml_tutor.defaults import DEFAULT_MEMORY_MB, DEFAULT_SEED
from hnml_tutor.errors import TutorError
from hnml_tutor.resources import graders_dir



@dataclass(frozen=True)
class GradeSettings:
    """How to grade: which exercises, how many workers, the limits, hidden tests, and whether to resume."""

    exercises: tuple[Exercise, ...]
    workers: int = max(os.cpu_count() or 1, 1)
    timeout: float | None = None  # None: each exercise's own time limit from the manifest
    memory_mb: int = DEFAULT_MEMORY_MB
    tests_dir: Path | None = None
    seed: int = DEFAULT_SEED
    resume: bool = False
    isolation: str = "auto"  # auto | bubblewrap | process (see hnml_tutor.sandbox.isolation)
    show_hidden: bool = False  # hidden tests' checks in the learners' feedback pages (Gradescope shows them when published)

    def time_limit(self, exercise: Exercise) -> float:
        return self.timeout or exercise.time_limit


class Observer(Protocol):
    def planned(self, tasks: int) -> None: ...
    def started(self, task: Task) -> None: ...
    def finished(self, task: Task, outcome: Outcome) -> None: ...
    def learner_done(self, learner: str, outcomes: list[Outcome]) -> None: ...


class _Silent:
    def planned(self, tasks: int) -> None: ...
    def started(self, task: Task) -> None: ...
    def finished(self, task: Task, outcome: Outcome) -> None: ...
    def learner_done(self, learner: str, outcomes: list[Outcome]) -> None: ...


@dataclass
class ClassResult:
    """What a grading run produced (everything is also on disk in OUT)."""

    exercise_ids: list[str]
    outcomes: dict[str, dict[str, Outcome]] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)
    graded: int = 0
    reused: int = 0
    regraded: int = 0  # tasks graded a second time because the grader itself broke on the first go
    unsealed: int = 0  # stored outcomes --resume graded again because their seal did not verify
    wall_time: float = 0.0

    @property
    def grader_errors(self) -> list[Outcome]:
        """Outcomes whose zero is the tutor's fault, not the learner's (still broken on the second go)."""
        return [outcome for mine in self.outcomes.values() for outcome in mine.values() if outcome.grader_error]


def _grader_digest() -> str:
    """Changes whenever the graders, the solutions or the manifest change: old outcomes are then regraded."""
    digest = hashlib.sha256(__version__.encode())
    folders = curriculum_folders()
    for folder in (graders_dir(), folders.graders, folders.solutions, folders.exercises):
        for path in sorted(folder.glob("*")):
            if path.is_file() and path.suffix in (".py", ".toml", ".ini"):
                digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()


def _fingerprint(base: str, submission: subs.Submission, exercise: Exercise, settings: GradeSettings,
                 hidden: HiddenTests) -> str:
    parts = [base, submission.digest(exercise.filename), exercise.id, str(settings.time_limit(exercise)), str(settings.memory_mb),
             str(settings.seed), hidden.digest if hidden.files_for(exercise.id) else ""]
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()


def _check_paths(submissions: Path, out: Path) -> None:
    if not submissions.is_dir():
        raise TutorError(f"The submissions folder {submissions} does not exist.",
                         "Pass a folder with one workspace folder or .zip per learner.")
    submissions, out = submissions.resolve(), out.resolve()
    if out == submissions or submissions in out.parents or out in submissions.parents:
        raise TutorError("--out must be a folder outside the submissions (and not around them).",
                         "For example: `hnml-tutor grade submissions/ --out grades/`.")


class ClassGrading:
    """One grading run over a submissions folder."""

    def __init__(self, submissions: Path, out: Path, settings: GradeSettings, observer: Observer | None = None) -> None:
        self.submissions = Path(submissions)
        self.output = OutputFolder(Path(out))
        self.settings = settings
        self.observer = observer or _Silent()
        self.result = ClassResult([e.id for e in settings.exercises])
        self._waiting: dict[str, int] = {}

    def _max_points(self, exercise: Exercise, hidden: HiddenTests) -> float:
        return exercise.points + hidden.points_for(exercise.id)

    def _record(self, outcome: Outcome) -> None:
        """Keep one finished exercise (sealed, for --resume); once a learner has all of theirs, say so.

        Results, feedback and the gradebook are written only once every learner process of the run is gone.
        """
        self.output.save_outcome(outcome)
        self.result.outcomes.setdefault(outcome.learner, {})[outcome.exercise_id] = outcome
        self._waiting[outcome.learner] -= 1
        if self._waiting[outcome.learner] == 0:
            self.observer.learner_done(outcome.learner, self._ordered(outcome.learner))

    def _ordered(self, learner: str) -> list[Outcome]:
        mine = self.result.outcomes[learner]
        return [mine[e] for e in self.result.exercise_ids if e in mine]

    def _write_learner(self, learner: str) -> None:
        outcomes = self._ordered(learner)
        self.output.write_text(self.output.results_file(learner), results_json(outcomes))
        page = render_feedback_html(learner, outcomes, show_hidden=self.settings.show_hidden)
        self.output.write_text(self.output.feedback_file(learner), page)

    def _write_gradebook(self) -> None:
        complete = {learner: outcomes for learner, outcomes in self.result.outcomes.items()
                    if self._waiting.get(learner) == 0}
        self.output.write_text(self.output.gradebook, gradebook_csv(self.result.exercise_ids, complete))

    def run(self) -> ClassResult:
        """Grade every learner found in the submissions folder."""
        _check_paths(self.submissions, self.output.root)

        def find(unpack_root: Path) -> list[subs.Submission]:
            learners, self.result.skipped = subs.discover(self.submissions, unpack_root)
            if not learners:
                raise TutorError(f"No learners found in {self.submissions}.",
                                 "Each learner is a workspace folder or a .zip of one, directly inside that folder.")
            return learners

        return self._grade(find)

    def run_single(self, learner: str) -> ClassResult:
        """Grade ``submissions`` as one learner's hand-in (Gradescope's ``/autograder/submission``)."""
        return self._grade(lambda unpack_root: [subs.single(self.submissions, learner, unpack_root)])

    def _grade(self, find_learners) -> ClassResult:
        started = time.monotonic()
        settings = self.settings
        from hnml_tutor.sandbox.isolation import for_instructor

        self.isolation = for_instructor(settings.isolation)  # no sandbox, no grading, unless opted out
        if any(not e.numpy_only for e in settings.exercises):
            require_backend()  # no Keras backend: one clear message now, not a crash for every learner
        for name in sorted({e.dataset for e in settings.exercises if e.needs_data}):
            datasets.load_arrays(name)  # no data: one clear message now, not a zero for every learner
        hidden = collect_hidden_tests(settings.tests_dir, load_curriculum())
        self.output.prepare(resume=settings.resume)
        scratch = Path(tempfile.mkdtemp(prefix="hnml-grade-"))
        try:
            tasks = self._plan(find_learners(scratch / "unpacked"), hidden)
            self.result.unsealed = len(self.output.rejected)
            self.observer.planned(len(tasks))
            if tasks:
                (scratch / "tasks").mkdir()
                # All learners share one account in user isolation: one at a time, so none can reach another's run.
                workers = 1 if self.isolation == "user" else max(1, settings.workers)
                pool = WorkerPool(size=workers, scratch=scratch / "tasks",
                                  log_dir=self.output.logs_dir, run_id=secrets.token_hex(8))
                pool.run(tasks, self.observer.started, self._finished)
                self.result.regraded = pool.regraded
            # Written from memory only now that every learner process is gone (the pool has stopped them all).
            for learner in self.result.outcomes:
                self._write_learner(learner)
            self._write_gradebook()
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
        self.result.wall_time = time.monotonic() - started
        return self.result

    def _finished(self, task: Task, outcome: Outcome) -> None:
        self.observer.finished(task, outcome)
        self.result.graded += 1
        self._record(outcome)

    def _plan(self, learners: list[subs.Submission], hidden: HiddenTests) -> list[Task]:
        """The tasks still to grade; outcomes that can be reused or decided without grading are recorded."""
        base = _grader_digest()
        tasks: list[Task] = []
        decided: list[Outcome] = []
        for submission in learners:
            self._waiting[submission.learner] = len(self.settings.exercises)
            for exercise in self.settings.exercises:
                max_points = self._max_points(exercise, hidden)
                fingerprint = _fingerprint(base, submission, exercise, self.settings, hidden)
                if submission.problem:
                    decided.append(Outcome.not_graded(submission.learner, exercise.id, exercise.title, max_points,
                                                      submission.problem, fingerprint=fingerprint))
                    continue
                stored = self.output.stored_outcome(submission.learner, exercise.id) if self.settings.resume else None
                if stored is not None and stored.fingerprint == fingerprint and not stored.grader_error:
                    self.result.reused += 1
                    decided.append(stored)
                    continue
                tasks.append(Task(
                    learner=submission.learner, exercise_id=exercise.id, title=exercise.title,
                    files=submission.files, time_limit=self.settings.time_limit(exercise),
                    memory_mb=self.settings.memory_mb, max_points=max_points, seed=self.settings.seed,
                    fingerprint=fingerprint, hidden_files=tuple(str(p) for p in hidden.files_for(exercise.id)),
                    isolation=self.isolation,
                ))
        for outcome in decided:
            self._record(outcome)
        return tasks


def grade_class(submissions: Path, out: Path, settings: GradeSettings, observer: Observer | None = None) -> ClassResult:
    """Grade everyone in ``submissions`` into ``out``; see :class:`ClassGrading`."""
    return ClassGrading(submissions, out, settings, observer).run()
