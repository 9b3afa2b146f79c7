"""One learner's feedback as a self-contained HTML page: points per exercise, then every check.

The page teaches the way ``hnml-tutor check`` does — what was expected, what was found, the hint — so an
instructor can hand it back as it is. It has no scripts and loads nothing; everything a learner wrote
(their output, error messages) is escaped, so a submission cannot inject markup into its own report.

Hidden (instructor) tests stay off the page unless the instructor asks (``grade --show-hidden``): a page is
handed back straight away, and a hidden test's name, message or points would tell the learner what to
copy. The page then counts only the visible checks and says that the instructor's tests come later.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from hnml_tutor import __version__
from hnml_tutor.classroom.gradebook import visible_and_hidden, visible_summary
from hnml_tutor.classroom.outcome import Outcome
from hnml_tutor.render.html import STYLE, checks_list, escape, learner_output, notes_list
from hnml_tutor.render.text import format_points
from hnml_tutor.results import CheckResult, SKIPPED


@dataclass
class _Shown:
    """What the page shows of one exercise."""

    outcome: Outcome
    checks: list[CheckResult]
    points: float
    max_points: float
    summary: str
    hidden_withheld: bool  # the exercise has instructor tests the page does not show


def _shown(outcome: Outcome, show_hidden: bool) -> _Shown:
    if show_hidden:
        return _Shown(outcome, outcome.checks, outcome.points, outcome.max_points, outcome.summary, False)
    visible, hidden = visible_and_hidden(outcome)
    checks = [dataclasses.replace(check, max_points=shown) for check, shown in visible.checks]
    return _Shown(outcome, checks, visible.points, visible.max_points, visible_summary(outcome),
                  hidden.max_points > 0)


def _status_class(shown: _Shown) -> str:
    if shown.points >= shown.max_points - 1e-9 and shown.outcome.graded:
        return "full"
    return "partial" if shown.points > 0 else "zero"


def _exercise(shown: _Shown) -> str:
    outcome = shown.outcome
    html = [f'<section class="exercise {_status_class(shown)}" id="ex-{escape(outcome.exercise_id)}">',
            f"<h2><span>{escape(outcome.exercise_id)} · {escape(outcome.title)}</span>"
            f'<span class="score">{format_points(shown.points)} / {format_points(shown.max_points)}</span></h2>']
    if outcome.reason:
        html.append(f'<p class="reason">Not graded: {escape(outcome.reason)}</p>')
    if any(check.status == SKIPPED for check in shown.checks):
        html.append('<p class="muted">A skipped check waits for a check it needs; it earns its points once that '
                    "one passes.</p>")
    if shown.checks:
        html.append(checks_list(shown.checks))
    if shown.hidden_withheld:
        html.append('<p class="muted">Your instructor also grades this exercise with tests of their own; their '
                    "results come with your published grade.</p>")
    html.append(notes_list(outcome.notes))
    html.append(learner_output(outcome.learner_output))
    html.append("</section>")
    return "".join(html)


def _overview(shown: list[_Shown]) -> str:
    rows = []
    for item in shown:
        outcome = item.outcome
        note = "" if item.points >= item.max_points - 1e-9 else item.summary
        rows.append(f'<tr><td><a href="#ex-{escape(outcome.exercise_id)}">{escape(outcome.exercise_id)} · '
                    f'{escape(outcome.title)}</a></td><td class="num">{format_points(item.points)} / '
                    f'{format_points(item.max_points)}</td><td>{escape(note)}</td></tr>')
    return ('<table><thead><tr><th>Exercise</th><th class="num">Points</th><th>Where points were lost</th></tr>'
            f"</thead><tbody>{''.join(rows)}</tbody></table>")


def render_feedback_html(learner: str, outcomes: list[Outcome], *, show_hidden: bool = False) -> str:
    """The complete page for one learner (hidden tests only when ``show_hidden``)."""
    shown = [_shown(outcome, show_hidden) for outcome in outcomes]
    total, maximum = sum(item.points for item in shown), sum(item.max_points for item in shown)
    label = "Visible checks" if any(item.hidden_withheld for item in shown) else "Total"
    return (
        "<!doctype html>\n"
        f'<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>Feedback for {escape(learner)} — hnml-tutor</title><style>{STYLE}</style></head><body><main>"
        f"<header><h1>Feedback for {escape(learner)}</h1>"
        f'<p class="total">{label}: <strong id="total">{format_points(total)}</strong> / {format_points(maximum)} points</p>'
        f'<p class="meta">Graded by hnml-tutor {escape(__version__)}. Each check shows what was expected, what was '
        "found and a hint; run <code>hnml-tutor check ID</code> in your workspace to see the same checks.</p></header>"
        f"{_overview(shown)}{''.join(_exercise(item) for item in shown)}</main></body></html>\n"
    )
