"""Everything the learner reads: check results, the exercise list, hints, instructions, errors.

Domain code returns data; this module alone decides how it looks (Rich renderables, composed rather than
concatenated). It imports nothing heavy, so ``list``, ``hint`` and ``show`` stay fast.
"""

from __future__ import annotations

from rich.console import Console, Group
from rich.markdown import Markdown
from rich.panel import Panel
from rich.progress_bar import ProgressBar
from rich.table import Table
from rich.text import Text

from hnml_tutor.curriculum import Curriculum, Exercise
from hnml_tutor.errors import TutorError
from hnml_tutor.progress import DONE, FAILING, Progress

STATUS_STYLE = {DONE: ("✓ done", "green"), FAILING: ("✗ failing", "red"), "not started": ("· not started", "dim")}
MAX_OUTPUT_LINES = 15


def render_error(console: Console, error: TutorError) -> None:
    body = Text(error.problem)
    if error.fix:
        body.append("\n\n")
        body.append(error.fix, style="bold")
    console.print(Panel(body, title="hnml-tutor", border_style="red", expand=False))


def render_warnings(console: Console, warnings: list[str]) -> None:
    for warning in warnings:
        console.print(Text(f"⚠ {warning}", style="yellow"))


def render_welcome(console: Console, curriculum: Curriculum, workspace_path: str, first: Exercise, first_file: str) -> None:
    console.print(Panel(Markdown(curriculum.welcome.strip()), title="Welcome to hnml-tutor", border_style="cyan"))
    console.print(f"Your workspace: [bold]{workspace_path}[/]")
    console.print(f"First exercise: [bold]{first.id} · {first.title}[/] → open [bold cyan]{first_file}[/]")
    console.print(f"Then run [bold]hnml-tutor check[/] (inside the workspace, or with --workspace {workspace_path}).")


def render_list(console: Console, curriculum: Curriculum, progress: Progress) -> None:
    current = progress.current(curriculum)
    table = Table(title="hnml-tutor exercises", title_style="bold")
    table.add_column("", width=1)
    table.add_column("id")
    table.add_column("exercise")
    table.add_column("step")
    table.add_column("status")
    for exercise in curriculum.exercises:
        label, style = STATUS_STYLE[progress.of(exercise).status]
        marker = "▶" if exercise is current else ""
        table.add_row(marker, exercise.id, exercise.title, exercise.step, Text(label, style=style))
    console.print(table)
    done, total = progress.done_count(curriculum), len(curriculum.exercises)
    bar = Table.grid(padding=(0, 1))
    bar.add_row(ProgressBar(total=total, completed=done, width=40), Text(f"{done} of {total} exercises done"))
    console.print(bar)
    if current is not None:
        console.print(f"Next up: [bold]{current.id} · {current.title}[/] — `hnml-tutor check {current.id}`")
    else:
        console.print(Text(curriculum.final.strip(), style="green"))


def render_hint(console: Console, exercise: Exercise, level: int) -> None:
    total = len(exercise.hints)
    names = ["nudge", "concept", "near-solution"]
    name = names[level - 1] if level <= len(names) else f"hint {level}"
    body = Markdown(exercise.hints[level - 1])
    console.print(Panel(body, title=f"Hint {level} of {total} ({name}) · {exercise.id} {exercise.title}", border_style="yellow"))
    if level < total:
        console.print(f"[dim]Run `hnml-tutor hint {exercise.id}` again for the next hint.[/]")
    else:
        console.print("[dim]That was the last hint. The solution unlocks when the exercise passes: `hnml-tutor solution`.[/]")


def render_markdown_file(console: Console, title: str, text: str) -> None:
    console.print(Panel(Markdown(text), title=title, border_style="cyan"))


def _check_block(check) -> Group:
    parts = []
    if check.message:
        parts.append(Text(check.message))
    if check.expected is not None:
        parts.append(Text.assemble(("expected: ", "bold green"), str(check.expected)))
    if check.found is not None:
        parts.append(Text.assemble(("found:    ", "bold red"), str(check.found)))
    if check.hint:
        parts.append(Text.assemble(("hint: ", "bold yellow"), check.hint))
    if check.details:
        parts.append(Panel(Text(check.details), border_style="dim", expand=False))
    return Group(*parts)


def render_report(console: Console, report, exercise: Exercise, next_exercise: Exercise | None, plots: list[str]) -> None:
    """Each check passed or failed with expected / found / hint, then previews, plots and what's next."""
    from hnml_tutor.preview import DigitStrip  # NumPy is only needed once there is a report

    console.print(Text(f"Checking {exercise.id} · {exercise.title}", style="bold"))
    for check in report.checks:
        if check.status == "passed":
            console.print(Text.assemble(("  ✓ ", "green"), check.description))
        elif check.status == "skipped":
            reason = check.message.removeprefix("skipped: ")
            console.print(Text.assemble(("  – ", "dim"), (check.description, "dim"), (f" (skipped: {reason})" if reason else " (skipped)", "dim")))
        else:
            console.print(Text.assemble(("  ✗ ", "bold red"), (check.description, "bold")))
            console.print(Panel(_check_block(check), border_style="red", padding=(0, 1)), style="")
    for note in report.notes:
        console.print(Text(f"  ℹ {note}", style="cyan"))
    for preview in report.previews:
        console.print(Text(preview.title, style="bold"))
        console.print(DigitStrip(preview.images, preview.captions))
    for plot in plots:
        console.print(f"  plot written: [cyan]{plot}[/]")
    if not report.passed and report.learner_output.strip():
        lines = report.learner_output.strip().splitlines()[-MAX_OUTPUT_LINES:]
        console.print(Panel(Text("\n".join(lines)), title="your code printed (last lines)", border_style="dim"))
    counts = report.counts
    if report.passed:
        console.print(Text(f"🎉 {exercise.id} {exercise.slug} passed ({counts['passed']} checks).", style="bold green"))
        if next_exercise is not None:
            console.print(f"Next: [bold]{next_exercise.id} · {next_exercise.title}[/] — "
                          f"`hnml-tutor show {next_exercise.id}`, then `hnml-tutor check {next_exercise.id}`.")
    else:
        failed = counts["failed"] + counts["error"]
        console.print(Text(f"{failed} check(s) failed. Fix the first one, then check again; "
                           f"`hnml-tutor hint {exercise.id}` helps.", style="bold red"))
