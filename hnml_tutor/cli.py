"""The ``hnml-tutor`` command: parses arguments, delegates, renders. No teaching logic lives here.

Exit codes are deliberate: 0 a pass (or a command that did its job), 1 a failed check, 2 a usage
problem the user can fix (a bad id, no workspace, no data), 3 an internal error of the tutor.
"""

from __future__ import annotations

import ast
import functools
import json
import os
import sys
import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console

from hnml_tutor import __version__
from hnml_tutor.curriculum import Curriculum, Exercise, load_curriculum
from hnml_tutor.defaults import DEFAULT_MEMORY_MB, DEFAULT_SEED
from hnml_tutor.errors import TutorError
from hnml_tutor.feedback import (
    render_error,
    render_hint,
    render_list,
    render_markdown_file,
    render_warnings,
    render_welcome,
)
from hnml_tutor.progress import DONE, Progress, load_progress, save_progress
from hnml_tutor.workspace import DEFAULT_DIRNAME, Workspace, create_workspace, find_workspace, reset_exercise

app = typer.Typer(
    name="hnml-tutor",
    help="Learn the hands-on machine-learning workflow with Keras on MNIST, one graded step at a time.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

EXIT_FAILED, EXIT_USAGE, EXIT_INTERNAL = 1, 2, 3

WorkspaceOption = typer.Option(None, "--workspace", "-w", help="The workspace folder (default: the one you are in).")
ExerciseArgument = typer.Argument(None, help="Exercise id or name: 2, 02 or preprocess (default: the current one).")


def _console(stderr: bool = False) -> Console:
    return Console(stderr=stderr, highlight=False)


def _crash_log(error: BaseException) -> Path:
    from hnml_tutor.cache import cache_dir

    path = cache_dir() / f"crash-{time.strftime('%Y%m%d-%H%M%S')}.log"
    path.write_text("".join(traceback.format_exception(error)), encoding="utf-8")
    return path


def friendly(command):
    """Turn a TutorError into a short message (exit 2), and any other error into a crash report (exit 3)."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except (typer.Exit, typer.Abort):
            raise
        except TutorError as error:
            render_error(_console(stderr=True), error)
            raise typer.Exit(EXIT_USAGE) from None
        except KeyboardInterrupt:
            _console(stderr=True).print("Interrupted; nothing was lost.")
            raise typer.Exit(130) from None
        except Exception as error:  # the last line of defence: never show a raw traceback to a learner
            log = _crash_log(error)
            render_error(_console(stderr=True), TutorError(
                f"hnml-tutor hit an internal error: {type(error).__name__}: {error}",
                f"This is a bug in the tutor, not in your code. The details are in {log}; "
                "please include that file when you report it.",
            ))
            raise typer.Exit(EXIT_INTERNAL) from None

    return wrapper


@dataclass
class Session:
    """What every workspace command starts from: the curriculum, the workspace and its progress."""

    curriculum: Curriculum
    workspace: Workspace
    progress: Progress
    warnings: list[str]

    def pick(self, query: Optional[str]) -> Exercise:
        """The exercise named by ``query``, or the current one (the last, once all are done)."""
        if query is not None:
            return self.curriculum.resolve(query)
        return self.progress.current(self.curriculum) or self.curriculum.exercises[-1]


def _open(workspace: Optional[Path]) -> Session:
    found = find_workspace(workspace)
    progress, warnings = load_progress(found)
    return Session(load_curriculum(), found, progress, warnings)


def _version(value: bool) -> None:
    if value:
        print(f"hnml-tutor {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Show the version and exit."),
) -> None:
    """Learn the hands-on machine-learning workflow with Keras on MNIST, one graded step at a time."""


@app.command()
@friendly
def start(directory: Path = typer.Argument(Path(DEFAULT_DIRNAME), help="Folder to create the workspace in.")) -> None:
    """Create a workspace with every exercise and show the first one."""
    curriculum = load_curriculum()
    workspace = create_workspace(directory, curriculum)
    first = curriculum.exercises[0]
    render_welcome(_console(), curriculum, workspace.display_path(workspace.root), first,
                   workspace.display_path(workspace.exercise_file(first)))


@app.command("list")
@friendly
def list_exercises(workspace: Optional[Path] = WorkspaceOption) -> None:
    """Show every exercise with its status and your progress."""
    session = _open(workspace)
    console = _console()
    render_warnings(console, session.warnings)
    render_list(console, session.curriculum, session.progress)


@app.command()
@friendly
def hint(exercise: Optional[str] = ExerciseArgument, workspace: Optional[Path] = WorkspaceOption) -> None:
    """Reveal the next hint for an exercise: a nudge, then the concept, then a near-solution."""
    session = _open(workspace)
    chosen = session.pick(exercise)
    entry = session.progress.of(chosen)
    entry.hints_shown = min(entry.hints_shown + 1, len(chosen.hints))
    save_progress(session.workspace, session.progress)
    console = _console()
    render_warnings(console, session.warnings)
    render_hint(console, chosen, entry.hints_shown)


def _instructions(path: Path, fallback: Path) -> str:
    for candidate in (path, fallback):
        try:
            docstring = ast.get_docstring(ast.parse(candidate.read_bytes()))
        except (OSError, SyntaxError, ValueError):
            continue
        if docstring:
            return docstring
    return "(This exercise has no instructions.)"


@app.command()
@friendly
def show(exercise: Optional[str] = ExerciseArgument, workspace: Optional[Path] = WorkspaceOption) -> None:
    """Show an exercise's instructions."""
    session = _open(workspace)
    chosen = session.pick(exercise)
    path = session.workspace.exercise_file(chosen)
    text = _instructions(path, chosen.stub_path)
    render_markdown_file(_console(), f"{chosen.id} · {chosen.title} — {session.workspace.display_path(path)}", text)


@app.command()
@friendly
def check(
    exercise: Optional[str] = ExerciseArgument,
    workspace: Optional[Path] = WorkspaceOption,
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON instead of a report."),
    time_limit: Optional[float] = typer.Option(None, "--time-limit", min=1, help="Seconds your code may run (default: the exercise's)."),
) -> None:
    """Grade an exercise: each check passes, or says what was expected, what was found and why."""
    from hnml_tutor.graders.runner import grade_exercise  # pytest and NumPy load only when grading
    from hnml_tutor.sandbox import Limits

    session = _open(workspace)
    curriculum, found, progress = session.curriculum, session.workspace, session.progress
    chosen = session.pick(exercise)
    err = _console(stderr=True)
    render_warnings(err, session.warnings)
    limits = Limits(time_limit=time_limit or chosen.time_limit)
    grade = functools.partial(grade_exercise, chosen, found.exercise_file(chosen), limits=limits, plots_dir=found.plots_dir)
    if as_json:
        report = grade()
    else:
        with err.status(f"Checking {chosen.id} · {chosen.title} (time limit {limits.time_limit:g} s)…"):
            report = grade()
    progress.record_check(chosen, report.passed)
    save_progress(found, progress)
    next_exercise = curriculum.next_after(chosen)
    if as_json:
        data = report.to_dict()
        data["next"] = next_exercise.id if report.passed and next_exercise else None
        sys.stdout.write(json.dumps(data, indent=2) + "\n")
    else:
        from hnml_tutor.feedback import render_report

        plots = [found.display_path(p) for p in report.plots]
        render_report(_console(), report, chosen, next_exercise, plots)
        if report.passed and progress.current(curriculum) is None:
            _console().print(curriculum.final.strip(), style="green")
    if not report.passed:
        raise typer.Exit(EXIT_FAILED)


@app.command()
@friendly
def reset(exercise: str = typer.Argument(..., help="Exercise to restore to its original stub."),
          workspace: Optional[Path] = WorkspaceOption) -> None:
    """Restore an exercise's original file; your version is backed up next to it first."""
    found = find_workspace(workspace)
    chosen = load_curriculum().resolve(exercise)
    backup = reset_exercise(found, chosen)
    console = _console()
    console.print(f"Restored {found.display_path(found.exercise_file(chosen))}.")
    if backup is not None:
        console.print(f"Your previous version is kept as {found.display_path(backup)}.")


@app.command()
@friendly
def solution(exercise: Optional[str] = ExerciseArgument, workspace: Optional[Path] = WorkspaceOption) -> None:
    """Show the reference solution of an exercise you have passed."""
    from rich.syntax import Syntax

    session = _open(workspace)
    done = [e for e in session.curriculum.exercises if session.progress.of(e).status == DONE]
    chosen = session.pick(exercise) if exercise or not done else done[-1]
    if session.progress.of(chosen).status != DONE:
        raise TutorError(f"The solution of {chosen.id} unlocks once your own version passes.",
                         f"Keep going: `hnml-tutor check {chosen.id}`, and `hnml-tutor hint {chosen.id}` if stuck.")
    source = chosen.solution_path.read_text(encoding="utf-8")
    _console().print(Syntax(source, "python", line_numbers=True, word_wrap=True))


@app.command()
@friendly
def grade(
    submissions: Path = typer.Argument(..., help="Folder with one learner per child: a workspace folder or a .zip of one."),
    out: Path = typer.Option(..., "--out", "-o", help="Folder for gradebook.csv, results/ and feedback/."),
    exercises: Optional[str] = typer.Option(None, "--exercises", "-e", help="Which exercises, e.g. 01-07 or 2,5 (default: all)."),
    workers: int = typer.Option(os.cpu_count() or 1, "--workers", "-j", min=1, help="Grading processes working in parallel (default: the number of cores)."),
    timeout: Optional[float] = typer.Option(None, "--timeout", min=1, help="Seconds a learner's code may run per exercise (default: each exercise's own limit)."),
    memory: int = typer.Option(DEFAULT_MEMORY_MB, "--memory", min=256, help="MiB of memory a learner's code may use per exercise."),
    tests: Optional[Path] = typer.Option(None, "--tests", help="Folder of instructor-only tests named test_<id>_*.py (hidden tests)."),
    resume: bool = typer.Option(False, "--resume", help="Keep exercises an interrupted run already graded; grade the rest."),
    seed: int = typer.Option(DEFAULT_SEED, "--seed", help="Random seed for everything graded (same seed, same grades)."),
) -> None:
    """Grade a whole class: gradebook, Gradescope results and HTML feedback, every learner's code isolated."""
    from hnml_tutor.classroom.display import GradingDisplay, render_grader_errors, render_summary
    from hnml_tutor.classroom.run import GradeSettings, grade_class

    settings = GradeSettings(exercises=load_curriculum().select(exercises), workers=workers, timeout=timeout,
                             memory_mb=memory, tests_dir=tests, seed=seed, resume=resume)
    console = _console()
    try:
        with GradingDisplay(console) as display:
            result = grade_class(submissions, out, settings, display)
    except KeyboardInterrupt:
        _console(stderr=True).print("Interrupted. Every exercise graded so far is kept in "
                                    f"{out}; run the same command with --resume to carry on.")
        raise typer.Exit(130) from None
    render_warnings(console, [f"skipped {note}" for note in result.skipped])
    render_summary(console, result.exercise_ids, result.outcomes)
    console.print(f"Graded {result.graded} exercise(s)" + (f", reused {result.reused} from the earlier run" if result.reused else "")
                  + (f", {result.regraded} of them twice after a grader error" if result.regraded else "")
                  + f" in {result.wall_time:.1f} s.")
    console.print(f"Gradebook:          [bold]{out / 'gradebook.csv'}[/]")
    console.print(f"Gradescope results: [bold]{out / 'results'}/[/]")
    console.print(f"Feedback pages:     [bold]{out / 'feedback'}/[/]")
    if result.grader_errors:
        render_grader_errors(_console(stderr=True), result.grader_errors)
        raise typer.Exit(1)


@app.command("gradescope-bundle")
@friendly
def gradescope_bundle(
    target: Path = typer.Argument(Path("autograder.zip"), help="The zip to write (upload it as the assignment's autograder)."),
    exercises: Optional[str] = typer.Option(None, "--exercises", "-e", help="Which exercises to grade, e.g. 01-07 (default: all)."),
    timeout: Optional[float] = typer.Option(None, "--timeout", min=1, help="Seconds per exercise (default: each exercise's own limit)."),
    memory: int = typer.Option(DEFAULT_MEMORY_MB, "--memory", min=256, help="MiB a learner's code may use per exercise."),
    tests: Optional[Path] = typer.Option(None, "--tests", help="Folder of hidden tests named test_<id>_*.py to include."),
    workers: int = typer.Option(2, "--workers", "-j", min=1, help="Exercises graded in parallel inside Gradescope's container."),
    no_data: bool = typer.Option(False, "--no-data", help="Leave the data sets out (setup.sh then needs Keras' download)."),
) -> None:
    """Write a Gradescope autograder zip (setup.sh, run_autograder) that grades with hnml-tutor."""
    from hnml_tutor.classroom.gradescope import write_bundle
    from hnml_tutor.classroom.run import GradeSettings

    if target.exists() and not target.is_file():
        raise TutorError(f"{target} is a folder.", "Give the zip file's name, e.g. `hnml-tutor gradescope-bundle autograder.zip`.")
    settings = GradeSettings(exercises=load_curriculum().select(exercises), workers=workers, timeout=timeout,
                             memory_mb=memory, tests_dir=tests)
    names = write_bundle(target, settings, include_data=not no_data)
    console = _console()
    console.print(f"Wrote [bold]{target}[/] ({target.stat().st_size / 1e6:.1f} MB, {len(names)} files): "
                  f"exercises {', '.join(e.id for e in settings.exercises)}"
                  + (f", hidden tests from {tests}" if tests else "") + ".")
    console.print("Upload it on Gradescope as the programming assignment's autograder (Ubuntu base image). "
                  "Learners submit their exercises/ files or their whole workspace as a zip.")


@app.command("gradescope-run", hidden=True)
@friendly
def gradescope_run(
    submission: Optional[Path] = typer.Argument(None, help="The submission folder (/autograder/submission)."),
    results: Path = typer.Option(Path("/autograder/results/results.json"), "--results"),
    config: Path = typer.Option(..., "--config", help="hnml-grade.json from the autograder zip."),
    prepare_only: bool = typer.Option(False, "--prepare", help="Only decode the data and train the reference model."),
) -> None:
    """Inside Gradescope: grade one submission into results.json (run by run_autograder)."""
    from hnml_tutor.classroom import gradescope

    if prepare_only:
        gradescope.prepare(config)
        return
    if submission is None:
        raise TutorError("No submission folder given.", "run_autograder passes /autograder/submission.")
    gradescope.grade_submission(submission, results, config)


def main() -> None:
    """Entry point of the ``hnml-tutor`` script."""
    app()
