"""One learner's feedback as a self-contained HTML page: points per exercise, then every check.

The page teaches the way ``hnml-tutor check`` does — what was expected, what was found, the hint — so an
instructor can hand it back as it is. It has no scripts and loads nothing; everything a learner wrote
(their output, error messages) is escaped, so a submission cannot inject markup into its own report.
"""

from __future__ import annotations

from hnml_tutor import __version__
from hnml_tutor.classroom.gradebook import learner_total
from hnml_tutor.classroom.outcome import Outcome
from hnml_tutor.render.html import STYLE, checks_list, escape, learner_output, notes_list
from hnml_tutor.render.text import format_points
from hnml_tutor.results import SKIPPED


def _status_class(outcome: Outcome) -> str:
    if outcome.full_marks:
        return "full"
    return "partial" if outcome.points > 0 else "zero"


def _exercise(outcome: Outcome) -> str:
    html = [f'<section class="exercise {_status_class(outcome)}" id="ex-{escape(outcome.exercise_id)}">',
            f"<h2><span>{escape(outcome.exercise_id)} · {escape(outcome.title)}</span>"
            f'<span class="score">{format_points(outcome.points)} / {format_points(outcome.max_points)}</span></h2>']
    if outcome.reason:
        html.append(f'<p class="reason">Not graded: {escape(outcome.reason)}</p>')
    if any(check.status == SKIPPED for check in outcome.checks):
        html.append('<p class="muted">A skipped check waits for a check it needs; it earns its points once that '
                    "one passes.</p>")
    if outcome.checks:
        html.append(checks_list(outcome.checks))
    html.append(notes_list(outcome.notes))
    html.append(learner_output(outcome.learner_output))
    html.append("</section>")
    return "".join(html)


def _overview(outcomes: list[Outcome]) -> str:
    rows = []
    for outcome in outcomes:
        note = "" if outcome.full_marks else outcome.summary
        rows.append(f'<tr><td><a href="#ex-{escape(outcome.exercise_id)}">{escape(outcome.exercise_id)} · '
                    f'{escape(outcome.title)}</a></td><td class="num">{format_points(outcome.points)} / '
                    f'{format_points(outcome.max_points)}</td><td>{escape(note)}</td></tr>')
    return ('<table><thead><tr><th>Exercise</th><th class="num">Points</th><th>Where points were lost</th></tr>'
            f"</thead><tbody>{''.join(rows)}</tbody></table>")


def render_feedback_html(learner: str, outcomes: list[Outcome]) -> str:
    """The complete page for one learner."""
    total, maximum = learner_total(outcomes)
    return (
        "<!doctype html>\n"
        f'<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>Feedback for {escape(learner)} — hnml-tutor</title><style>{STYLE}</style></head><body><main>"
        f"<header><h1>Feedback for {escape(learner)}</h1>"
        f'<p class="total">Total: <strong id="total">{format_points(total)}</strong> / {format_points(maximum)} points</p>'
        f'<p class="meta">Graded by hnml-tutor {escape(__version__)}. Each check shows what was expected, what was '
        "found and a hint; run <code>hnml-tutor check ID</code> in your workspace to see the same checks.</p></header>"
        f"{_overview(outcomes)}{''.join(_exercise(o) for o in outcomes)}</main></body></html>\n"
    )
