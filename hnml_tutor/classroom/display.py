"""What the instructor sees while a class is graded: a live progress display, then a summary table.

On a terminal the progress is a Rich bar naming what each worker is grading; elsewhere (CI logs, a
redirect to a file, plain output for a screen reader) it is one plain line per finished learner, so the log
still tells the story. In plain output the summary is one line per learner, ``label: value``, not a table.
"""

from __future__ import annotations

from rich.console import Console
from rich.panel import Panel
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from hnml_tutor.classroom.gradebook import format_points, learner_total
from hnml_tutor.classroom.outcome import Outcome
from hnml_tutor.classroom.worker import Task
from hnml_tutor.render.mode import animate, plain


class GradingDisplay:
    """Context manager fed by the coordinator's callbacks."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.active: dict[tuple[str, str], str] = {}
        self.progress: Progress | None = None
        self._task_id = None

    def __enter__(self) -> "GradingDisplay":
        return self

    def planned(self, tasks: int) -> None:
        """Known once the learners are found: how many exercises will be graded (the bar's length)."""
        if animate(self.console.file) and tasks:
            self.progress = Progress(SpinnerColumn(), TextColumn("[bold]Grading[/]"), BarColumn(),
                                     MofNCompleteColumn(), TimeElapsedColumn(), TextColumn("{task.description}"),
                                     console=self.console, transient=True)
            self.progress.start()
            self._task_id = self.progress.add_task("", total=tasks)
        elif tasks:
            self.console.print(f"Grading {tasks} exercise(s)…")

    def __exit__(self, *exc) -> None:
        if self.progress is not None:
            self.progress.stop()

    def _refresh(self, advance: int = 0) -> None:
        if self.progress is not None:
            now = ", ".join(sorted(self.active.values()))
            self.progress.update(self._task_id, advance=advance, description=now)

    def started(self, task: Task) -> None:
        self.active[task.key] = f"{task.learner} {task.exercise_id}"
        self._refresh()

    def finished(self, task: Task, outcome: Outcome) -> None:
        self.active.pop(task.key, None)
        self._refresh(advance=1)

    def learner_done(self, learner: str, outcomes: list[Outcome]) -> None:
        total, maximum = learner_total(outcomes)
        line = Text(f"graded {learner}: {format_points(total)}/{format_points(maximum)}")
        if self.progress is not None:
            self.progress.console.print(line)
        else:
            self.console.print(line)


def render_summary(console: Console, exercise_ids: list[str], outcomes: dict[str, dict[str, Outcome]]) -> None:
    """One row per learner: points per exercise (red for zero), total, and why the first points were lost."""
    if plain():
        _plain_summary(console, exercise_ids, outcomes)
        return
    table = Table(title="Gradebook", header_style="bold", show_lines=False)
    table.add_column("learner")
    for exercise_id in exercise_ids:
        table.add_column(exercise_id, justify="right")
    table.add_column("total", justify="right", style="bold")
    table.add_column("first problem", overflow="fold", max_width=60)
    for learner in sorted(outcomes):
        mine = outcomes[learner]
        cells = []
        for exercise_id in exercise_ids:
            outcome = mine.get(exercise_id)
            if outcome is None:
                cells.append(Text("—", style="dim"))
                continue
            style = "green" if outcome.full_marks else ("red" if outcome.points == 0 else "yellow")
            cells.append(Text(format_points(outcome.points), style=style))
        total, maximum = learner_total(list(mine.values()))
        ordered = [mine[e] for e in exercise_ids if e in mine]
        problem = next((f"{o.exercise_id}: {o.summary}" for o in ordered if not o.full_marks and o.summary), "")
        table.add_row(learner, *cells, f"{format_points(total)}/{format_points(maximum)}", Text(problem, style="dim"))
    console.print(table)


def _plain_summary(console: Console, exercise_ids: list[str], outcomes: dict[str, dict[str, Outcome]]) -> None:
    """The gradebook read aloud: per learner, each exercise's points, the total and the first problem."""
    console.print(Text("Gradebook"))
    for learner in sorted(outcomes):
        mine = outcomes[learner]
        points = ", ".join(f"{e}: {format_points(mine[e].points) if e in mine else 'not graded'}"
                           for e in exercise_ids)
        total, maximum = learner_total(list(mine.values()))
        problem = next((f"{o.exercise_id}: {o.summary}" for o in (mine[e] for e in exercise_ids if e in mine)
                        if not o.full_marks and o.summary), "")
        line = f"{learner}: total {format_points(total)} of {format_points(maximum)}; {points}"
        console.print(Text(line + (f"; first problem: {problem}" if problem else "")))


def render_grader_errors(console: Console, outcomes: list[Outcome]) -> None:
    """The zeros that are hnml-tutor's fault, not the learners': named, so nobody hands them back as grades."""
    ordered = sorted(outcomes, key=lambda o: (o.learner, o.exercise_id))
    title = f"{len(outcomes)} exercise(s) not graded because of an error in hnml-tutor"
    explanation = ("The grader itself broke on these (twice), so their points say nothing about the learners' code. "
                   "The worker logs in OUT/.hnml-grade/logs/ have the details. Run the same command with --resume "
                   "to grade only these again.")
    if plain():
        console.print(Text("\n".join([f"{title}:", *(f"{o.learner} {o.exercise_id}: {o.grader_error}" for o in ordered),
                                      explanation])))
        return
    lines = [f"• {o.learner} {o.exercise_id}: {o.grader_error}" for o in ordered]
    console.print(Panel(
        Text("\n".join(lines) + "\n\n" + explanation),  # Text, not markup: the errors may hold brackets
        title=title,
        border_style="red",
    ))
