"""A grading worker: a long-lived process that grades one exercise of one learner at a time.

The coordinator (:mod:`hnml_tutor.classroom.pool`) starts a few of these and hands them tasks. A worker
runs the pytest grader in its own process (so the grader imports TensorFlow once per worker, not once per
task), and the learner's code still runs one level further down, in a sandbox child forked from the
worker's warm parent (:class:`hnml_tutor.sandbox.WarmLauncher`), on a fresh copy of the learner's
exercises. Whatever happens to that copy is thrown away with it.
"""

from __future__ import annotations

import os
import shutil
import signal
import sys
import tempfile
import traceback
from dataclasses import dataclass
from pathlib import Path

from hnml_tutor.classroom.outcome import Outcome
from hnml_tutor.tensorflow_logs import quiet_start_up

# Every process started on behalf of a grading run carries this variable, so strays can be found and stopped.
RUN_MARKER = "HNML_TUTOR_GRADING_RUN"


@dataclass(frozen=True)
class Task:
    """Grade exercise ``exercise_id`` of ``learner`` on a copy of ``files`` (the learner's snapshot)."""

    learner: str
    exercise_id: str
    title: str
    files: tuple[tuple[str, bytes], ...]
    time_limit: float
    memory_mb: int
    max_points: float
    seed: int
    fingerprint: str
    hidden_files: tuple[str, ...] = ()
    attempt: int = 0  # 1 when this is the second go after the grader itself broke
    isolation: str = "bubblewrap"  # as resolved by the coordinator: "bubblewrap" or "process"

    @property
    def key(self) -> tuple[str, str]:
        return self.learner, self.exercise_id

    def not_graded(self, reason: str, duration: float = 0.0, *, grader_error: bool = False) -> Outcome:
        return Outcome.not_graded(self.learner, self.exercise_id, self.title, self.max_points, reason,
                                  fingerprint=self.fingerprint, duration=duration,
                                  grader_error=reason if grader_error else "")


def grade_task(task: Task, scratch: Path, launcher=None) -> Outcome:
    """Grade one task on a throw-away copy of the learner's exercises; never raises."""
    from hnml_tutor.classroom.submissions import write_exercises
    from hnml_tutor.curriculum import load_curriculum
    from hnml_tutor.errors import TutorError
    from hnml_tutor.graders.runner import GraderBroken, grade_exercise, release_models
    from hnml_tutor.sandbox import Limits

    exercise = load_curriculum().resolve(task.exercise_id)
    task_dir = Path(tempfile.mkdtemp(prefix=f"{task.exercise_id}-", dir=scratch))
    workspace_copy = task_dir / "workspace"
    try:
        exercises = write_exercises(task.files, workspace_copy)
        report = grade_exercise(
            exercise,
            exercises / exercise.filename,
            limits=Limits(time_limit=task.time_limit, memory_mb=task.memory_mb),
            hidden_tests=tuple(Path(p) for p in task.hidden_files),
            seed=task.seed,
            launcher=launcher,
        )
        return Outcome.from_report(task.learner, report, task.max_points, task.fingerprint)
    except GraderBroken as error:
        print(f"[{task.learner} {task.exercise_id}] grader broken: {error}\n{error.output}", file=sys.stderr)
        return task.not_graded(f"the grader could not run ({error}); the worker log has pytest's output",
                               grader_error=True)
    except TutorError as error:
        return task.not_graded(error.problem)
    except Exception as error:  # a bug of ours must cost one exercise, not the whole class
        traceback.print_exc()
        return task.not_graded(f"internal error of the grader: {type(error).__name__}: {error}", grader_error=True)
    finally:
        shutil.rmtree(task_dir, ignore_errors=True)
        release_models()


def _quiet(log_path: Path) -> None:
    """Send this process's own output (TensorFlow's C++ logs included) to a log file, off the terminal."""
    log = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(log, 1)
    os.dup2(log, 2)
    os.close(log)
    sys.stdout = open(1, "w", buffering=1, closefd=False)
    sys.stderr = open(2, "w", buffering=1, closefd=False)


def serve(connection, scratch: str, log_path: str, marker: str) -> None:
    """Worker main loop: receive a task, send back its outcome as a dict, until told to stop (None)."""
    _quiet(Path(log_path))
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the coordinator's to handle; it stops the workers
    os.environ[RUN_MARKER] = marker
    quiet_start_up()
    os.environ["TMPDIR"] = scratch
    tempfile.tempdir = None  # pick up TMPDIR: sandbox job folders then live inside the run's scratch folder
    from hnml_tutor.sandbox import WarmLauncher

    launcher, learner = None, None
    try:
        while True:
            try:
                task = connection.recv()
            except (EOFError, OSError):
                return
            if task is None:
                return
            if learner != task.learner and launcher is not None:
                launcher.close()  # a fresh jail for every learner: nothing of one learner's run meets the next
                launcher = None
            if launcher is None:
                # TensorFlow is imported once per learner per worker (cold children where fork is unsafe).
                launcher, learner = WarmLauncher(task.isolation), task.learner
            outcome = grade_task(task, Path(scratch), launcher)
            connection.send(outcome.to_dict())
    finally:
        if launcher is not None:
            launcher.close()
