"""One learner's feedback as a self-contained HTML page: points per exercise, then every check.

The page teaches the way ``hnml-tutor check`` does — what was expected, what was found, the hint — so an
instructor can hand it back as it is. It has no scripts and loads nothing; everything a learner wrote
(their output, error messages) is escaped, so a submission cannot inject markup into its own report.
"""

from __future__ import annotations

import re
from html import escape as _escape

from hnml_tutor import __version__
from hnml_tutor.classroom.gradebook import format_points, learner_total
from hnml_tutor.classroom.outcome import Outcome
from hnml_tutor.results import ERROR, FAILED, PASSED, SKIPPED

BADGES = {PASSED: "✓ passed", FAILED: "✗ failed", SKIPPED: "– skipped", ERROR: "! error"}
MAX_OUTPUT_CHARS = 4000

STYLE = """
:root { --ok: #1a7f37; --bad: #cf222e; --warn: #9a6700; --muted: #57606a; --line: #d0d7de; }
* { box-sizing: border-box; }
body { font: 16px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1f2328; margin: 0; background: #f6f8fa; }
main { max-width: 60rem; margin: 0 auto; padding: 2rem 1.25rem 4rem; }
header { margin-bottom: 1.5rem; }
h1 { font-size: 1.8rem; margin: 0 0 .25rem; }
h2 { font-size: 1.25rem; margin: 0; display: flex; justify-content: space-between; gap: 1rem; }
.total { font-size: 1.2rem; margin: .25rem 0; }
.meta, .muted { color: var(--muted); font-size: .9rem; }
table { border-collapse: collapse; width: 100%; background: #fff; border: 1px solid var(--line); }
th, td { text-align: left; padding: .45rem .75rem; border-bottom: 1px solid var(--line); vertical-align: top; }
td.num, th.num { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
section.exercise { background: #fff; border: 1px solid var(--line); border-left: 6px solid var(--bad);
  border-radius: 6px; padding: 1rem 1.25rem; margin: 1.25rem 0; }
section.exercise.full { border-left-color: var(--ok); }
section.exercise.partial { border-left-color: var(--warn); }
ol.checks { list-style: none; padding: 0; margin: .75rem 0 0; }
li.check { padding: .5rem 0; border-top: 1px solid var(--line); }
.line { display: flex; gap: .75rem; align-items: baseline; }
.line .desc { flex: 1; }
.badge { font-weight: 600; white-space: nowrap; min-width: 6.5rem; display: inline-block; }
.passed .badge { color: var(--ok); } .failed .badge { color: var(--bad); }
.error .badge { color: var(--warn); } .skipped .badge { color: var(--muted); }
.skipped .desc { color: var(--muted); }
.pts { white-space: nowrap; color: var(--muted); font-variant-numeric: tabular-nums; }
.feedback { margin: .4rem 0 0 7.25rem; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: .2rem .75rem; margin: .4rem 0; }
dt { font-weight: 600; } dd { margin: 0; }
code, pre { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; font-size: .9rem; }
pre { background: #f6f8fa; border: 1px solid var(--line); padding: .6rem .8rem; overflow-x: auto; white-space: pre-wrap; }
.reason { color: var(--bad); font-weight: 600; }
@media (max-width: 600px) {
  main { padding: 1rem .75rem 3rem; }
  .line { flex-wrap: wrap; gap: .25rem .75rem; }
  .feedback { margin-left: 0; }
}
.tag { font-size: .75rem; border: 1px solid var(--line); border-radius: 1rem; padding: 0 .5rem; color: var(--muted); }
"""


def escape(text: str) -> str:
    """HTML-escape ``text`` and show `backticked` spans (as hints write code) in a code font."""
    return re.sub(r"`([^`\n]+)`", r"<code>\1</code>", _escape(str(text)))


def _status_class(outcome: Outcome) -> str:
    if outcome.full_marks:
        return "full"
    return "partial" if outcome.points > 0 else "zero"


def _check(check: dict) -> str:
    status = check["status"]
    parts = [f'<li class="check {escape(status)}"><div class="line">'
             f'<span class="badge">{BADGES.get(status, escape(status))}</span>'
             f'<span class="desc">{escape(check["description"])}'
             + (' <span class="tag">instructor test</span>' if check.get("hidden") else "")
             + f'</span><span class="pts">{format_points(check.get("points", 0))} / '
             f'{format_points(check.get("max_points", 0))}</span></div>']
    body = []
    if status == SKIPPED:  # one short line: which check it waits for
        reason = str(check.get("message") or "").removeprefix("skipped: ")
        return "".join(parts) + (f'<div class="feedback muted">{escape(reason)}</div>' if reason else "") + "</li>"
    if check.get("message") and status != PASSED:
        body.append(f"<p>{escape(check['message'])}</p>")
    fields = [(label, check.get(key)) for label, key in (("Expected", "expected"), ("Found", "found"), ("Hint", "hint"))]
    if any(value for _, value in fields):
        body.append("<dl>" + "".join(f"<dt>{label}</dt><dd>{escape(str(value))}</dd>" for label, value in fields if value) + "</dl>")
    if check.get("details"):
        body.append(f"<pre>{_escape(check['details'][-MAX_OUTPUT_CHARS:])}</pre>")
    if body:
        parts.append(f'<div class="feedback">{"".join(body)}</div>')
    parts.append("</li>")
    return "".join(parts)


def _exercise(outcome: Outcome) -> str:
    html = [f'<section class="exercise {_status_class(outcome)}" id="ex-{escape(outcome.exercise_id)}">',
            f"<h2><span>{escape(outcome.exercise_id)} · {escape(outcome.title)}</span>"
            f'<span class="score">{format_points(outcome.points)} / {format_points(outcome.max_points)}</span></h2>']
    if outcome.reason:
        html.append(f'<p class="reason">Not graded: {escape(outcome.reason)}</p>')
    if any(check["status"] == SKIPPED for check in outcome.checks):
        html.append('<p class="muted">A skipped check waits for a check it needs; it earns its points once that '
                    "one passes.</p>")
    if outcome.checks:
        html.append('<ol class="checks">' + "".join(_check(c) for c in outcome.checks) + "</ol>")
    if outcome.notes:
        html.append('<ul class="muted">' + "".join(f"<li>{escape(n)}</li>" for n in outcome.notes) + "</ul>")
    if outcome.learner_output.strip():
        html.append("<details><summary>What your code printed</summary>"
                    f"<pre>{_escape(outcome.learner_output[-MAX_OUTPUT_CHARS:])}</pre></details>")
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
