"""``hnml-tutor run`` in a terminal: each call the grader would make, its arguments and what came back.

Laid out like a check's report (the same error panel and hint), but with no verdict: it is for looking.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.text import Text

from hnml_tutor.captured_text import plain_text
from hnml_tutor.render.mode import plain
from hnml_tutor.render.terminal import FEEDBACK_STYLES, inline_code, plain_lines, quoted

if TYPE_CHECKING:
    from hnml_tutor.app import TriedOut
    from hnml_tutor.graders.tryout import TriedCall

MAX_OUTPUT_LINES = 30
INDENT = "    "


def _indented(text: str, style: str = "") -> Text:
    return Text("\n".join(INDENT + line for line in text.splitlines()), style=style)


def _call_head(call: "TriedCall") -> Text:
    names = ", ".join(name for name, _ in call.arguments)
    return Text(call.function if call.constant else f"{call.function}({names})", style="bold")


def _call_and_arguments(call: "TriedCall") -> list[RenderableType]:
    parts: list[RenderableType] = [_call_head(call)]
    width = max((len(name) for name, _ in call.arguments), default=0) + 2
    for name, description in call.arguments:
        first, *rest = description.splitlines()
        parts.append(Text.assemble(INDENT, (f"{name}:".ljust(width), "cyan"), first))
        if rest:
            parts.append(_indented("\n".join(" " * width + line for line in rest), "dim"))
    return parts


def _call(call: "TriedCall", *, repeated: bool = False) -> RenderableType:
    parts = _call_and_arguments(call)
    if repeated:  # an unfilled stub, an import error, a time-out: every call fails alike
        parts.append(Text(f"{INDENT}raised: the same as above") if plain()
                     else Text.assemble(INDENT, ("✗ the same as above", "red")))
        return Group(*parts)
    if call.returned:
        verb = "is" if call.constant else "returned"
        parts.append(Text(f"{INDENT}{verb}: {call.result}") if plain()
                     else Text.assemble(INDENT, (f"→ {verb} ", "green"), call.result))
        if call.details:
            parts.append(_indented(call.details, "dim"))
        return Group(*parts)
    if plain():
        parts.append(plain_lines(f"{INDENT}raised: {call.result}", f"{INDENT}hint: {call.hint}" if call.hint else None,
                                 *([f"{INDENT}details:", *quoted(call.details)] if call.details else [])))
        return Group(*parts)
    failure: list[RenderableType] = [Text(call.result)]
    if call.hint:
        failure.append(Text.assemble(("hint: ".ljust(10), FEEDBACK_STYLES["hint"]), inline_code(call.hint)))
    if call.details:
        failure.append(Panel(Text(call.details), border_style="dim", expand=False))
    parts.append(Panel(Group(*failure), border_style="red", padding=(0, 1)))
    return Group(*parts)


def tryout(tried: "TriedOut") -> RenderableType:
    run = tried.tryout
    exercise = run.exercise
    parts: list[RenderableType] = [
        Text(f"Running {exercise.id} · {exercise.title} on the grader's inputs (nothing is graded)", style="bold")]
    shown_failures: set[tuple[str, str]] = set()
    for call in run.calls:
        failure = (call.result, call.details)
        repeated = not call.returned and failure in shown_failures
        if not call.returned:
            shown_failures.add(failure)
        parts.append(_call(call, repeated=repeated))
    printed = plain_text(run.output).strip()
    if printed:
        lines = printed.splitlines()
        shown = lines[-MAX_OUTPUT_LINES:]
        title = "your code printed" + (f" (last {MAX_OUTPUT_LINES} of {len(lines)} lines)" if len(lines) > len(shown) else "")
        if plain():
            parts.append(plain_lines(f"{title[0].upper()}{title[1:]} (each line marked |):", *quoted("\n".join(shown))))
        else:
            parts.append(Panel(Text("\n".join(shown)), title=title, title_align="left", border_style="dim"))
    else:
        parts.append(Text("Your code printed nothing.", style="dim"))
    parts.append(Text.assemble(f"Ran in {run.duration:.1f} s. Nothing was graded or recorded: ",
                               (f"hnml-tutor check {exercise.id}", "bold"), " grades it."))
    return Group(*parts)
