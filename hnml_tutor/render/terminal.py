"""Everything the learner reads in a terminal, as Rich renderables: the CLI and ``watch`` print them.

Each function turns one result of :mod:`hnml_tutor.app` into a renderable (composed, never printed
here), so ``check`` and ``watch`` show a report exactly alike. It imports nothing heavy, so ``list``,
``hint`` and ``show`` stay fast. When :func:`~hnml_tutor.render.mode.plain` says so, each draws the same
information as lines of words (``label: value``) that a screen reader follows: no panels, tables, rules,
pictures or symbols.
"""

from __future__ import annotations

import os
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Iterator

from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.progress_bar import ProgressBar
from rich.table import Table
from rich.text import Text

from hnml_tutor.captured_text import plain_text
from hnml_tutor.errors import TutorError
from hnml_tutor.progress import DONE, FAILING
from hnml_tutor.render.mode import animate, plain

if TYPE_CHECKING:
    from hnml_tutor.curriculum import Exercise
    from hnml_tutor.app import Checked, HintShown, Instructions, ProgressView, ResetDone, Started
    from hnml_tutor.results import CheckResult

STATUS_STYLE = {DONE: ("✓ done", "green"), FAILING: ("✗ failing", "red"), "not started": ("· not started", "dim")}
PLAIN_STATUS = {DONE: "done", FAILING: "failing", "not started": "not started"}
HINT_NAMES = ("nudge", "concept", "near-solution")
MAX_OUTPUT_LINES = 15
FEEDBACK_STYLES = {"expected": "bold green", "found": "bold red", "hint": "bold yellow"}


def markdown(text: str):
    """Rich's Markdown, imported when an exercise's instructions are shown: it costs ``list`` 50 ms."""
    from rich.markdown import Markdown

    return Markdown(text)


def inline_code(text: str) -> Text:
    """One line of prose whose `backticked` spans are code, without the Markdown parser (hints stay fast)."""
    line = Text()
    for position, part in enumerate(text.split("`")):
        line.append(part, style="bold cyan" if position % 2 else "")
    return line


def display_path(path) -> str:
    """A path as the learner would type it from where they are."""
    try:
        return os.path.relpath(path)
    except ValueError:
        return str(path)


def quoted(text: str) -> list[str]:
    """Lines that came from learner code (what it printed, its traceback), each marked ``| `` in plain output:
    a screen reader then tells them from the tutor's own lines, whatever they say."""
    return [f"  | {line}" for line in text.splitlines()]


def plain_lines(*texts: str | None) -> Text:
    """Plain lines, one after the other (None: no line): what a plain renderer returns instead of a panel or
    a table."""
    return Text("\n".join(text for text in texts if text is not None))


def error(problem: TutorError) -> RenderableType:
    if plain():
        return plain_lines(f"Error: {problem.problem}", f"What to do: {problem.fix}" if problem.fix else None)
    body = Text(problem.problem)
    if problem.fix:
        body.append("\n\n")
        body.append(problem.fix, style="bold")
    return Panel(body, title="hnml-tutor", border_style="red", expand=False)


def warnings(messages) -> RenderableType:
    if plain():
        return Group(*(Text(f"Warning: {message}") for message in messages))
    return Group(*(Text(f"⚠ {message}", style="yellow") for message in messages))


def welcome(started: "Started") -> RenderableType:
    root = display_path(started.workspace.root)
    first = started.first
    if plain():
        return plain_lines("Welcome to hnml-tutor", started.curriculum.welcome.strip(), "",
                           f"Your workspace: {root}", f"First exercise: {first.id} · {first.title}, "
                           f"in the file {display_path(started.first_file)}",
                           f"Then run hnml-tutor check (inside the workspace, or with --workspace {root}).")
    return Group(
        Panel(markdown(started.curriculum.welcome.strip()), title="Welcome to hnml-tutor", border_style="cyan"),
        Text.assemble("Your workspace: ", (root, "bold")),
        Text.assemble("First exercise: ", (f"{first.id} · {first.title}", "bold"), " → open ",
                      (display_path(started.first_file), "bold cyan")),
        Text.assemble("Then run ", ("hnml-tutor check", "bold"), f" (inside the workspace, or with --workspace {root})."),
    )


def exercise_list(view: "ProgressView") -> RenderableType:
    """Every exercise with its status, part by part (the workflow, Keras further, from scratch)."""
    current = view.current
    if plain():
        return _plain_exercise_list(view)
    table = Table(title="hnml-tutor exercises", title_style="bold")
    table.add_column("", width=1)
    table.add_column("id")
    table.add_column("exercise")
    table.add_column("step")
    table.add_column("status")
    groups = view.curriculum.grouped()
    for number, (part, exercises) in enumerate(groups):
        if len(groups) > 1:
            if number:
                table.add_section()
            passed = sum(view.progress.of(e).status == DONE for e in exercises)
            table.add_row("", "", Text.assemble((part.title, "bold magenta"), (f"  {passed}/{len(exercises)}", "dim")),
                          Text(part.about, style="dim"), "")
        for exercise in exercises:
            label, style = STATUS_STYLE[view.progress.of(exercise).status]
            table.add_row("▶" if exercise is current else "", exercise.id, exercise.title, exercise.step,
                          Text(label, style=style))
    total = len(view.curriculum.exercises)
    bar = Table.grid(padding=(0, 1))
    bar.add_row(ProgressBar(total=total, completed=view.done, width=40), Text(f"{view.done} of {total} exercises done"))
    if current is not None:
        closing = Text.assemble("Next up: ", (f"{current.id} · {current.title}", "bold"),
                                f" — `hnml-tutor check {current.id}`")
    else:
        closing = Text(view.curriculum.final.strip(), style="green")
    return Group(warnings(view.warnings), table, bar, closing)


def _plain_exercise_list(view: "ProgressView") -> RenderableType:
    """The list as lines: each part, then one line per exercise with its status."""
    current = view.current
    text: list[str] = ["hnml-tutor exercises"]
    groups = view.curriculum.grouped()
    for part, exercises in groups:
        if len(groups) > 1:
            passed = sum(view.progress.of(e).status == DONE for e in exercises)
            text += ["", f"{part.title} ({passed} of {len(exercises)} done): {part.about}"]
        for exercise in exercises:
            status = PLAIN_STATUS[view.progress.of(exercise).status]
            marker = ", current exercise" if exercise is current else ""
            text.append(f"{exercise.id} {exercise.title} (step: {exercise.step}): {status}{marker}")
    text += ["", f"Progress: {view.done} of {len(view.curriculum.exercises)} exercises done"]
    if current is not None:
        text.append(f"Next up: {current.id} · {current.title} — `hnml-tutor check {current.id}`")
    else:
        text.append(view.curriculum.final.strip())
    return Group(warnings(view.warnings), plain_lines(*text))


def hint(shown: "HintShown") -> RenderableType:
    exercise, level = shown.exercise, shown.level
    name = HINT_NAMES[level - 1] if level <= len(HINT_NAMES) else f"hint {level}"
    title = f"Hint {level} of {len(exercise.hints)} ({name}) · {exercise.id} {exercise.title}"
    if shown.is_last:
        after = "That was the last hint. The solution unlocks when the exercise passes: `hnml-tutor solution`."
    else:
        after = f"Run `hnml-tutor hint {exercise.id}` again for the next hint."
    if plain():
        return Group(warnings(shown.warnings), plain_lines(f"{title}:", shown.text, after))
    panel = Panel(inline_code(shown.text), title=title, border_style="yellow")
    return Group(warnings(shown.warnings), panel, Text(after, style="dim"))


def instructions(shown: "Instructions") -> RenderableType:
    exercise = shown.exercise
    title = Text(f"{exercise.id} · {exercise.title} — {display_path(shown.path)}")  # a path is not markup
    limit = Text(f"Time limit for your code in `hnml-tutor check {exercise.id}`: {exercise.time_limit:g} s.",
                 style="dim")
    if plain():  # the instructions' Markdown source reads better aloud than Rich's boxed headings
        return Group(warnings(shown.warnings), plain_lines(title.plain, shown.text.strip(), limit.plain))
    return Group(warnings(shown.warnings), Panel(markdown(shown.text), title=title, border_style="cyan"), limit)


def reset_done(done: "ResetDone") -> RenderableType:
    lines = [Text(f"Restored {display_path(done.path)}.")]
    if done.backup is not None:
        lines.append(Text(f"Your previous version is kept as {display_path(done.backup)}."))
    return Group(*lines)


def check_feedback(check: "CheckResult") -> RenderableType:
    """What went wrong in one check: the message, then expected / found / hint, then the details."""
    if plain():
        text = ([check.message] if check.message else []) + [f"{label}: {v}" for label, v in check.feedback()]
        return plain_lines(*text, *(["details:", *quoted(check.details)] if check.details else []))
    parts: list[RenderableType] = [Text(check.message)] if check.message else []
    for label, text in check.feedback():
        parts.append(Text.assemble((f"{label}: ".ljust(10), FEEDBACK_STYLES[label]), text))
    if check.details:
        parts.append(Panel(Text(check.details), border_style="dim", expand=False))
    return Group(*parts)


def check_line(check: "CheckResult") -> RenderableType:
    if plain():
        return _plain_check_line(check)
    if check.status == "passed":
        return Text.assemble(("  ✓ ", "green"), check.description)
    if check.status == "skipped":
        reason = check.skip_reason
        return Text.assemble(("  – ", "dim"), (check.description, "dim"),
                             (f" (skipped: {reason})" if reason else " (skipped)", "dim"))
    return Group(Text.assemble(("  ✗ ", "bold red"), (check.description, "bold")),
                 Panel(check_feedback(check), border_style="red", padding=(0, 1)))


def _plain_check_line(check: "CheckResult") -> RenderableType:
    if check.status == "passed":
        return Text(f"pass: {check.description}")
    if check.status == "skipped":
        return Text(f"skipped: {check.description}" + (f" ({check.skip_reason})" if check.skip_reason else ""))
    return Group(Text(f"FAIL: {check.description}"), check_feedback(check))


def preview_in_words(title: str, captions: list[str]) -> Text:
    """What a preview shows, said instead of drawn: its title and each image's caption, in order."""
    return Text(f"{title}: {len(captions)} image(s): " + "; ".join(captions) + ".")


def report(checked: "Checked") -> RenderableType:
    """Each check passed, failed (expected / found / hint) or skipped; then previews, plots and what's next."""
    exercise, result = checked.exercise, checked.report
    if plain():
        return _plain_report(checked)
    from hnml_tutor.preview import DigitStrip  # NumPy is only needed once there is a report

    parts: list[RenderableType] = [Text(f"Checking {exercise.id} · {exercise.title}", style="bold")]
    parts += [check_line(check) for check in result.checks]
    parts += [Text(f"  ℹ {note}", style="cyan") for note in result.notes]
    for preview in result.previews:
        parts += [Text(preview.title, style="bold"), DigitStrip(preview.images, preview.captions)]
    parts += [Text.assemble("  plot written: ", (display_path(plot), "cyan")) for plot in result.plots]
    if not result.passed and result.learner_output.strip():
        lines = plain_text(result.learner_output).strip().splitlines()[-MAX_OUTPUT_LINES:]
        parts.append(Panel(Text("\n".join(lines)), title="your code printed (last lines)", border_style="dim"))
    counts = result.counts
    if result.passed:
        parts.append(Text(f"🎉 {exercise.id} {exercise.slug} passed ({counts['passed']} checks).", style="bold green"))
        if exercise.learned:
            parts.append(Panel(Text(exercise.learned), title="what you just learned", title_align="left",
                               border_style="green"))
        if checked.next_exercise is not None:
            following = checked.next_exercise
            parts.append(Text.assemble("Next: ", (f"{following.id} · {following.title}", "bold"),
                                       f" — `hnml-tutor show {following.id}`, then `hnml-tutor check {following.id}`."))
        if checked.course_finished:
            parts.append(Text(checked.course_final.strip(), style="green"))
    elif result.grader_fault:
        parts.append(Text("hnml-tutor could not finish grading this exercise. That is not about your code and "
                          "your progress is unchanged: check again.", style="bold yellow"))
    else:
        failed = counts["failed"] + counts["error"]
        parts.append(Text(f"{failed} check(s) failed. Fix the first one, then check again; "
                          f"`hnml-tutor hint {exercise.id}` helps.", style="bold red"))
    return Group(*parts)


def _plain_report(checked: "Checked") -> RenderableType:
    """The report as lines, in the order the rich one draws them; previews are said in words."""
    exercise, result = checked.exercise, checked.report
    parts: list[RenderableType] = [Text(f"Checking {exercise.id} · {exercise.title}")]
    parts += [check_line(check) for check in result.checks]
    parts += [Text(f"note: {note}") for note in result.notes]
    parts += [preview_in_words(preview.title, preview.captions) for preview in result.previews]
    parts += [Text(f"plot written: {display_path(plot)}") for plot in result.plots]
    if not result.passed and result.learner_output.strip():
        printed = plain_text(result.learner_output).strip().splitlines()[-MAX_OUTPUT_LINES:]
        parts.append(plain_lines("Your code printed (last lines, each marked |):", *quoted("\n".join(printed))))
    counts = result.counts
    if result.passed:
        parts.append(Text(f"Result: {exercise.id} {exercise.slug} passed ({counts['passed']} checks)."))
        if exercise.learned:
            parts.append(Text(f"What you just learned: {exercise.learned}"))
        if checked.next_exercise is not None:
            following = checked.next_exercise
            parts.append(Text(f"Next: {following.id} · {following.title} — `hnml-tutor show {following.id}`, "
                              f"then `hnml-tutor check {following.id}`."))
        if checked.course_finished:
            parts.append(Text(checked.course_final.strip()))
    elif result.grader_fault:
        parts.append(Text("Result: hnml-tutor could not finish grading this exercise. That is not about your code "
                          "and your progress is unchanged: check again."))
    else:
        failed = counts["failed"] + counts["error"]
        parts.append(Text(f"Result: {failed} check(s) failed. Fix the first one, then check again; "
                          f"`hnml-tutor hint {exercise.id}` helps."))
    return Group(*parts)


@contextmanager
def live_check(console, exercise: "Exercise", limit: float, verb: str = "Checking") -> Iterator["LiveCheck"]:
    """Show a :class:`LiveCheck` line on ``console`` while the block runs; it disappears afterwards.

    Where nothing may be redrawn (plain output, a pipe, a notebook's ``!hnml-tutor``) the line is not
    drawn; plain output says once, in words, that the check (or run) has started, so a long wait is not silence.
    """
    line = LiveCheck(exercise, limit, verb=verb)
    if not animate(console.file):
        if plain():
            console.print(Text(f"{verb} {exercise.id} · {exercise.title}: your code may run up to {limit:g} s…"))
        yield line
        return
    from rich.live import Live

    with Live(line, console=console, refresh_per_second=4, transient=True):
        yield line


@dataclass
class LiveCheck:
    """The line shown while a check runs, so a long check is never a blank screen: the time the learner's
    code has used against its limit, and the epoch its training has reached."""

    exercise: "Exercise"
    limit: float
    started: float = field(default_factory=time.monotonic)
    progress: object = None  # the latest hnml_tutor.sandbox.SandboxProgress
    verb: str = "Checking"  # or "Running", for `hnml-tutor run`

    def update(self, progress) -> None:
        self.progress = progress

    def __rich__(self) -> Text:
        head = f"⏳ {self.verb} {self.exercise.id} · {self.exercise.title} — "
        progress = self.progress
        if progress is None or not progress.started:
            waited = time.monotonic() - self.started
            return Text(head + f"starting Python and your file ({waited:.0f} s)", style="cyan")
        line = head + f"your code: {progress.elapsed:.0f} s of {progress.time_limit:g} s"
        if progress.epoch is not None:
            line += f" · epoch {progress.epoch}" + (f" of {progress.epochs}" if progress.epochs else "")
        return Text(line, style="cyan")
