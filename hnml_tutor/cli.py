"""The ``hnml-tutor`` command: parses arguments, delegates, renders. No teaching logic lives here.

Exit codes are deliberate: 0 a pass (or a command that did its job), 1 a failed check, 2 a usage
problem the user can fix (a bad id, no workspace, no data), 3 an internal error of the tutor, 130 cancelled
with Ctrl-C.
"""

from __future__ import annotations

import functools
import json
import os
import signal
import stat
import sys
import time
import traceback
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Iterator, Optional

import typer
from rich.console import Console

from hnml_tutor import __version__, app as tutor
from hnml_tutor.curriculum import load_curriculum
from hnml_tutor.defaults import DEFAULT_MEMORY_MB, DEFAULT_SEED
from hnml_tutor.errors import TutorError
from hnml_tutor.render import mode as render_mode, terminal
from hnml_tutor.workspace import DEFAULT_DIRNAME

app = typer.Typer(
    name="hnml-tutor",
    help="Learn the hands-on machine-learning workflow with Keras on MNIST and Fashion-MNIST, one graded step at a time.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)

EXIT_FAILED, EXIT_USAGE, EXIT_INTERNAL, EXIT_CANCELLED = 1, 2, 3, 130

# Commands that take --workspace: the session they open pins a relative HNML_TUTOR_DATA (app.open_session).
WORKSPACE_COMMANDS = frozenset({"list", "hint", "show", "check", "run", "watch", "reset", "solution"})
WorkspaceOption = typer.Option(None, "--workspace", "-w", help="The workspace folder (default: the one you are in).")
ExerciseArgument = typer.Argument(None, help="Exercise id or name: 2, 02 or preprocess (default: the current one).")


def _console(stderr: bool = False) -> Console:
    """A console bound to the stream in place now, plain or rich as :mod:`hnml_tutor.render.mode` decides."""
    return render_mode.console(stderr)


def _crash_log(error: BaseException) -> Path:
    from hnml_tutor.cache import cache_dir

    path = cache_dir() / f"crash-{time.strftime('%Y%m%d-%H%M%S')}.log"
    path.write_text("".join(traceback.format_exception(error)), encoding="utf-8")
    return path


_cancel_told = False


def _cancelled(note: str) -> typer.Exit:
    """Say in one line that the command was cancelled; the exit to raise is 130."""
    global _cancel_told
    _console(stderr=True).print(f"cancelled — {note}", markup=False, highlight=False, soft_wrap=True)
    _cancel_told = True
    return typer.Exit(EXIT_CANCELLED)


@contextmanager
def cancelling(note: str) -> Iterator[None]:
    """Ctrl-C inside the block ends the command with "cancelled — ``note``" and exit code 130.

    By the time the interrupt gets here, the layers it passed through have stopped the learner's processes
    and removed their scratch folders (the sandbox, the grading pool and the app layer each clean up on
    every way out); what is left is to say so.
    """
    try:
        yield
    except KeyboardInterrupt:
        raise _cancelled(note) from None


def friendly(command):
    """Turn a TutorError into a short message (exit 2), Ctrl-C into one line (exit 130), and any other error
    into a crash report (exit 3)."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except (typer.Exit, typer.Abort):
            raise
        except TutorError as error:
            _console(stderr=True).print(terminal.error(error))
            raise typer.Exit(EXIT_USAGE) from None
        except KeyboardInterrupt:
            raise _cancelled("stopped before it finished.") from None
        except Exception as error:  # the last line of defence: never show a raw traceback to a learner
            log = _crash_log(error)
            _console(stderr=True).print(terminal.error(TutorError(
                f"hnml-tutor hit an internal error: {type(error).__name__}: {error}",
                f"This is a bug in the tutor, not in your code. The details are in {log}; "
                "please include that file when you report it.",
            )))
            raise typer.Exit(EXIT_INTERNAL) from None

    return wrapper


def _version(value: bool) -> None:
    if value:
        print(f"hnml-tutor {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    context: typer.Context,
    version: bool = typer.Option(False, "--version", "-V", callback=_version, is_eager=True, help="Show the version and exit."),
    plain: bool = typer.Option(False, "--plain", help="Output a screen reader can follow: words and 'label: value' "
                               "lines, no boxes, pictures, colour or redrawn lines (also with NO_COLOR or TERM=dumb)."),
) -> None:
    """Learn the hands-on machine-learning workflow with Keras on MNIST and Fashion-MNIST, one graded step at a time."""
    render_mode.choose_plain(plain)
    from hnml_tutor.data_folder import pin  # a relative HNML_TUTOR_DATA becomes absolute before anything starts

    if context.invoked_subcommand in WORKSPACE_COMMANDS:
        pin(only_if_found=True)  # one found only against the command's --workspace: its session pins (and says) it
        return
    problem = pin()
    if problem is not None and context.invoked_subcommand != "data":  # `data` shows it in full
        _console(stderr=True).print(terminal.warnings([str(problem)]))


@app.command()
@friendly
def start(directory: Path = typer.Argument(Path(DEFAULT_DIRNAME), help="Folder to create the workspace in.")) -> None:
    """Create a workspace with every exercise and show the first one."""
    _console().print(terminal.welcome(tutor.start(directory)))


@app.command("list")
@friendly
def list_exercises(workspace: Optional[Path] = WorkspaceOption) -> None:
    """Show every exercise with its status and your progress."""
    _console().print(terminal.exercise_list(tutor.progress(workspace)))


@app.command()
@friendly
def hint(exercise: Optional[str] = ExerciseArgument, workspace: Optional[Path] = WorkspaceOption) -> None:
    """Reveal the next hint for an exercise: a nudge, then the concept, then a near-solution."""
    _console().print(terminal.hint(tutor.hint(exercise, workspace)))


@app.command()
@friendly
def show(exercise: Optional[str] = ExerciseArgument, workspace: Optional[Path] = WorkspaceOption) -> None:
    """Show an exercise's instructions."""
    _console().print(terminal.instructions(tutor.show(exercise, workspace)))


@app.command()
@friendly
def check(
    exercise: Optional[str] = ExerciseArgument,
    workspace: Optional[Path] = WorkspaceOption,
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON instead of a report."),
    time_limit: Optional[float] = typer.Option(None, "--time-limit", min=1, help="Seconds your code may run (default: the exercise's)."),
) -> None:
    """Grade an exercise: each check passes, or says what was expected, what was found and why."""
    err = _console(stderr=True)
    with cancelling("your code was stopped and this check did not count; check again when you are ready."):
        if as_json:
            checked = tutor.check(exercise, workspace, time_limit=time_limit)
        else:
            session = tutor.open_session(workspace)
            chosen = session.pick(exercise)
            with terminal.live_check(err, chosen, time_limit or chosen.time_limit) as live:
                checked = tutor.check(chosen.id, time_limit=time_limit, session=session, on_progress=live.update)
    if checked.warnings:
        err.print(terminal.warnings(checked.warnings))
    if as_json:
        data = checked.report.to_dict()
        data["next"] = checked.next_exercise.id if checked.passed and checked.next_exercise else None
        sys.stdout.write(json.dumps(data, indent=2) + "\n")
    else:
        _console().print(terminal.report(checked))
    if not checked.passed:
        raise typer.Exit(EXIT_FAILED)


@app.command("run")
@friendly
def run_exercise(
    exercise: Optional[str] = ExerciseArgument,
    workspace: Optional[Path] = WorkspaceOption,
    time_limit: Optional[float] = typer.Option(None, "--time-limit", min=1, help="Seconds your code may run (default: the exercise's)."),
) -> None:
    """Run your functions on the inputs the grader uses and show what they return and print, without grading."""
    from hnml_tutor.render.tryout import tryout

    err = _console(stderr=True)
    with cancelling("your code was stopped; nothing was recorded."):
        session = tutor.open_session(workspace)
        chosen = session.pick(exercise)
        with terminal.live_check(err, chosen, time_limit or chosen.time_limit, verb="Running") as live:
            tried = tutor.try_out(chosen.id, time_limit=time_limit, session=session, on_progress=live.update)
    if tried.warnings:
        err.print(terminal.warnings(tried.warnings))
    _console().print(tryout(tried))


@app.command()
@friendly
def watch(exercise: Optional[str] = ExerciseArgument, workspace: Optional[Path] = WorkspaceOption) -> None:
    """Check the current exercise every time you save it, and move on when it passes (keys: h l n q)."""
    from hnml_tutor.watch import watch as watch_loop

    with cancelling("stopped watching; your progress is saved."):
        watch_loop(_console(), workspace, exercise)


@app.command()
@friendly
def reset(exercise: str = typer.Argument(..., help="Exercise to restore to its original stub."),
          workspace: Optional[Path] = WorkspaceOption) -> None:
    """Restore an exercise's original file; your version is backed up next to it first."""
    _console().print(terminal.reset_done(tutor.reset(exercise, workspace)))


@app.command()
@friendly
def solution(exercise: Optional[str] = ExerciseArgument, workspace: Optional[Path] = WorkspaceOption) -> None:
    """Show the reference solution of an exercise you have passed."""
    from rich.syntax import Syntax

    shown = tutor.solution(exercise, workspace)
    _console().print(Syntax(shown.source, "python", line_numbers=True, word_wrap=True))


@app.command()
@friendly
def notebook(path: Path = typer.Argument(Path("hnml-tutor.ipynb"), help="Where to write the notebook.")) -> None:
    """Write a notebook of the whole course for Jupyter or Colab: instructions and one cell per exercise."""
    from hnml_tutor.notebook import write_notebook

    written = write_notebook(path, load_curriculum())
    _console().print(f"Wrote [bold]{terminal.display_path(written)}[/]. Open it in Jupyter or Colab and run the "
                     "cells in order: each `%%exercise` cell saves your code and checks it.")


data_app = typer.Typer(help="Show where each data set was found; `data install` puts it where your own Keras code finds it.")
app.add_typer(data_app, name="data")


@data_app.callback(invoke_without_command=True)
@friendly
def data(
    context: typer.Context,
    as_json: bool = typer.Option(False, "--json", help="Print the status as JSON instead of a table."),
    verify: bool = typer.Option(False, "--verify", help="Also hash the tutor's copies and Keras' files now (slower)."),
) -> None:
    """Show where each data set was found, and whether your own keras.datasets…load_data() works offline."""
    if context.invoked_subcommand is not None:
        return
    from hnml_tutor.data_report import report
    from hnml_tutor.render.data_view import data_report

    found = report(verify=verify)
    if as_json:
        sys.stdout.write(json.dumps(found.to_dict(), indent=2) + "\n")
    else:
        _console().print(data_report(found))
    if found.problem is not None:
        raise typer.Exit(EXIT_USAGE)


@data_app.command("install")
@friendly
def data_install(as_json: bool = typer.Option(False, "--json", help="Print what was done as JSON.")) -> None:
    """Put the data where plain Keras finds it, so your own keras.datasets…load_data() works offline.

    Exits 1 when a file could not be placed: for MNIST, when no original mnist.npz (the only file Keras
    accepts) is on this machine; the report then says what works instead.
    """
    from hnml_tutor.keras_install import SKIPPED, install
    from hnml_tutor.render.data_view import install_report

    installed = install()
    if as_json:
        sys.stdout.write(json.dumps(installed.to_dict(), indent=2) + "\n")
    else:
        _console().print(install_report(installed))
    if any(placed.outcome == SKIPPED for placed in installed.files):
        raise typer.Exit(EXIT_FAILED)


dev_app = typer.Typer(help="For maintainers of the curriculum.", no_args_is_help=True)
app.add_typer(dev_app, name="dev")


@dev_app.command("check")
@friendly
def dev_check(
    exercises: Optional[str] = typer.Option(None, "--exercises", "-e", help="Which exercises, e.g. 01-07 (default: all)."),
    cold_only: bool = typer.Option(False, "--cold-only", help="Run learner code only in fresh processes (skip the warm launcher)."),
) -> None:
    """Prove the curriculum consistent: files, declared points, every stub fails and every solution passes."""
    import tempfile

    from rich.table import Table

    from hnml_tutor import dev
    from hnml_tutor.sandbox import ColdLauncher, WarmLauncher

    curriculum = load_curriculum()
    chosen = curriculum.select(exercises)
    launchers: dict[str, object] = {"cold": ColdLauncher()}
    starter = WarmLauncher() if WarmLauncher.available() and not cold_only else None
    if starter is not None:
        launchers["warm"] = starter
    err = _console(stderr=True)
    try:
        # A spinner only where a line may be redrawn; elsewhere one line per exercise, as it starts.
        status = err.status("Checking the curriculum…") if render_mode.animate(err.file) else None

        def starting(exercise) -> None:
            text = f"Checking {exercise.id} · {exercise.title}…"
            if status is not None:
                status.update(text)
            else:
                err.print(text)

        with tempfile.TemporaryDirectory(prefix="hnml-dev-check-") as plots, status or nullcontext():
            audits = dev.check_curriculum(curriculum, launchers, Path(plots), chosen, on_exercise=starting)
    finally:
        if starter is not None:
            starter.close()
    console = _console()
    if render_mode.plain():
        for audit in audits:
            launched = ", ".join(audit.checked) or "no launcher"
            verdict = "consistent" if audit.ok else "PROBLEMS: " + "; ".join(audit.problems)
            console.print(f"{audit.exercise.id} {audit.exercise.title} ({launched}): {verdict}", markup=False)
    else:
        table = Table(title="hnml-tutor dev check", title_style="bold")
        for column in ("id", "exercise", "launchers", "result"):
            table.add_column(column)
        for audit in audits:
            verdict = "[green]✓ consistent[/]" if audit.ok else "[red]" + "\n".join(f"✗ {p}" for p in audit.problems) + "[/]"
            table.add_row(audit.exercise.id, audit.exercise.title, ", ".join(audit.checked) or "–", verdict)
        console.print(table)
    broken = [audit for audit in audits if not audit.ok]
    console.print(f"{len(audits) - len(broken)} of {len(audits)} exercise(s) consistent.")
    if broken:
        raise typer.Exit(EXIT_FAILED)


@app.command()
@friendly
def grade(
    submissions: Optional[Path] = typer.Argument(None, help="Folder with one learner per child: a workspace folder or a .zip of one."),
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="Folder for gradebook.csv, results/ and feedback/ (required to grade)."),
    exercises: Optional[str] = typer.Option(None, "--exercises", "-e", help="Which exercises, e.g. 01-07 or 2,5 (default: all)."),
    workers: int = typer.Option(os.cpu_count() or 1, "--workers", "-j", min=1, help="Grading processes working in parallel (default: the number of cores)."),
    timeout: Optional[float] = typer.Option(None, "--timeout", min=1, help="Seconds a learner's code may run per exercise (default: each exercise's own limit)."),
    memory: int = typer.Option(DEFAULT_MEMORY_MB, "--memory", min=256, help="MiB of memory a learner's code may use per exercise."),
    tests: Optional[Path] = typer.Option(None, "--tests", help="Folder of instructor-only tests named test_<id>_*.py (hidden tests)."),
    show_hidden: bool = typer.Option(False, "--show-hidden", help="Show hidden tests' results in the learners' feedback pages (default: only in the gradebook, and on Gradescope once grades are published)."),
    resume: bool = typer.Option(False, "--resume", help="Keep exercises an interrupted run already graded (if their seal verifies); grade the rest."),
    seed: int = typer.Option(DEFAULT_SEED, "--seed", help="Random seed for everything graded (same seed, same grades)."),
    isolation: str = typer.Option("auto", "--isolation", help="How learners' code is sealed off: auto (bubblewrap, or stop and say why), bubblewrap, or process (limits only: their code runs as you, with your files in reach)."),
    verify: Optional[Path] = typer.Option(None, "--verify", metavar="OUT", help="Grade nothing: check the files an earlier `grade --out OUT` wrote against their seals and name any that changed since (exit 1 if one did)."),
) -> None:
    """Grade a whole class: gradebook, Gradescope results and HTML feedback, every learner's code isolated.

    Everything written is sealed with an HMAC keyed by your grading key (~/.config/hnml-tutor/grading.key, or HNML_TUTOR_GRADING_KEY_FILE); `grade --verify OUT` names any file changed since.
    """
    if verify is not None:
        _verify_grades(verify)
        return
    if submissions is None or out is None:
        raise TutorError("grade needs the submissions folder and --out.",
                         "For example: `hnml-tutor grade submissions/ --out grades/` "
                         "(or `hnml-tutor grade --verify grades/` to check earlier grades).")
    from hnml_tutor.classroom.display import GradingDisplay, render_grader_errors, render_summary
    from hnml_tutor.classroom.run import GradeSettings, grade_class

    settings = GradeSettings(exercises=load_curriculum().select(exercises), workers=workers, timeout=timeout,
                             memory_mb=memory, tests_dir=tests, seed=seed, resume=resume, isolation=isolation,
                             show_hidden=show_hidden)
    console = _console()
    with cancelling(f"exercises graded so far are kept in {out}; the same command with --resume carries on."), \
            GradingDisplay(console) as display:
        result = grade_class(submissions, out, settings, display)
    console.print(terminal.warnings([f"skipped {note}" for note in result.skipped]))
    if result.unsealed:
        console.print(terminal.warnings([
            f"{result.unsealed} stored exercise(s) were graded again because their seal did not verify "
            "(changed since they were graded, damaged, or sealed with another key)."]))
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


def _verify_grades(out: Path) -> None:
    """``grade --verify OUT``: name every graded file that changed since grading; exit 1 when any did."""
    from hnml_tutor.classroom.store import OutputFolder

    report = OutputFolder(out).verify()
    console = _console()
    problems = ([f"changed since grading: {name}" for name in report.changed]
                + [f"sealed but gone: {name}" for name in report.missing]
                + [f"not written by grade (no seal): {name}" for name in report.unsealed])
    if not problems:
        console.print(f"All {report.checked} sealed file(s) in {out} are as `grade` wrote them.")
        return
    console.print(terminal.warnings(problems))
    console.print(f"{len(problems)} problem(s) in {out}; {report.checked} sealed file(s) checked. "
                  "Grade again (without --resume) to rewrite the results from the submissions.")
    raise typer.Exit(EXIT_FAILED)


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
    failure = gradescope.grade_submission(submission, results, config)
    if failure is not None:  # the instructor reads run_autograder's stdout; Gradescope shows "autograder failed"
        _console().print(f"The autograder failed as a whole, so no score was recorded:\n{failure}", markup=False,
                         soft_wrap=True)
        raise typer.Exit(EXIT_FAILED)


_RICH_MARKUP_MODE = app.rich_markup_mode


def _plain_before_parsing(argv: list[str]) -> bool:
    """Whether output must be plain, decided before Typer parses ``argv``.

    Typer writes usage errors and ``--help`` itself, before the root callback (which records ``--plain``)
    runs, so the decision is made from the raw arguments and the environment. ``--plain`` counts wherever it
    stands before a ``--``: written after the command name it is itself a usage error, whose message must be
    plain too.
    """
    options = argv[:argv.index("--")] if "--" in argv else argv
    render_mode.choose_plain("--plain" in options)
    return render_mode.plain()


def _use_plain_typer(plain: bool) -> None:
    """Make Typer print its own usage errors and help as plain text (Click's formatter) instead of Rich panels.

    ``rich_markup_mode=None`` is Typer's documented way to turn Rich off for an app; every command and sub-app
    inherits it from the root when the Click command is built, which ``app()`` does on each call, so setting
    the attribute before the call is enough. (``TYPER_USE_RICH`` cannot be used: Typer reads it when it is
    imported, before ``main`` runs.)
    """
    app.rich_markup_mode = None if plain else _RICH_MARKUP_MODE


# Ctrl-C, `kill` (or a shutdown) and a closed terminal: each ends a command the same way. Windows has no SIGHUP.
_STOP_SIGNALS = tuple(getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name))
_stopped_by: Optional[int] = None


def _stop_once(signum, frame) -> None:
    """The first of SIGINT, SIGTERM or SIGHUP stops the command as Ctrl-C does, and later ones are ignored.

    Raising KeyboardInterrupt reuses the one way out every layer already cleans up on: the learner's processes
    are stopped and their /tmp/hnml-job-* folders (which can hold gigabytes) removed. Left at their defaults,
    SIGTERM and SIGHUP would end Python at once and leave those folders behind. Ignoring the signals that
    follow keeps a second press, or a `kill` after a hang-up, from cutting short that clean-up (every step of
    which is bounded in time).
    """
    global _stopped_by
    for each in _STOP_SIGNALS:
        signal.signal(each, signal.SIG_IGN)
    _stopped_by = signum
    if signum == getattr(signal, "SIGHUP", None):
        _forget_lost_terminal()
    raise KeyboardInterrupt


def _forget_lost_terminal() -> None:
    """After a hang-up, point standard output and error at the null device where they were on a terminal.

    The terminal is gone and every write to it fails (EIO): the live line closing, the "cancelled" line, then
    the crash report about that failure, which would leave a crash log for an error no one made. Output going
    to a file or a pipe is left where it is (``nohup`` does the same).
    """
    try:
        null = os.open(os.devnull, os.O_WRONLY)
    except OSError:
        return
    for descriptor in (1, 2):
        try:
            if stat.S_ISCHR(os.fstat(descriptor).st_mode):
                os.dup2(null, descriptor)
        except OSError:
            pass
    os.close(null)


def main() -> None:
    """Entry point of the ``hnml-tutor`` script.

    A command stopped by a signal says "cancelled — …" and exits 130 after Ctrl-C, or 128 + the signal's
    number after SIGTERM (143) or SIGHUP (129), as a shell reports a process that signal ended.
    """
    for each in _STOP_SIGNALS:
        signal.signal(each, _stop_once)
    _use_plain_typer(_plain_before_parsing(sys.argv[1:]))
    try:
        app()
    except SystemExit as ending:
        if ending.code != EXIT_CANCELLED:
            raise
        # Typer turns a Ctrl-C that came before any command started (while parsing) into 130 without a word.
        if not _cancel_told:
            _cancelled("nothing had started yet.")
        if _stopped_by is not None and _stopped_by != signal.SIGINT:
            raise SystemExit(128 + _stopped_by) from None
        raise
