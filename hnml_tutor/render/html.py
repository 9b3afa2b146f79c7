"""Checks and reports as HTML: the instructor's feedback pages and the notebook front end share these.

Everything a learner's code can influence (messages quoting their values, their output) is escaped, so a
submission cannot inject markup into a page; the pages have no scripts and load nothing.
"""

from __future__ import annotations

import re
from html import escape as _escape

from hnml_tutor.captured_text import plain_text
from hnml_tutor.render.text import format_points
from hnml_tutor.results import ERROR, FAILED, PASSED, SKIPPED, CheckResult

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

# Scoped under .hnml-report: a notebook page is not ours to restyle.
NOTEBOOK_STYLE = """
.hnml-report { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; }
.hnml-report ol.checks { list-style: none; padding: 0; margin: .5rem 0; }
.hnml-report li.check { padding: .35rem 0; border-top: 1px solid #d0d7de; }
.hnml-report .line { display: flex; gap: .75rem; align-items: baseline; }
.hnml-report .line .desc { flex: 1; }
.hnml-report .badge { font-weight: 600; white-space: nowrap; min-width: 6.5rem; display: inline-block; }
.hnml-report .passed .badge, .hnml-report .verdict.pass { color: #1a7f37; font-weight: 600; }
.hnml-report .failed .badge, .hnml-report .verdict.fail { color: #cf222e; font-weight: 600; }
.hnml-report .error .badge { color: #9a6700; }
.hnml-report .skipped .badge, .hnml-report .skipped .desc, .hnml-report .muted { color: #57606a; }
.hnml-report .feedback { margin: .3rem 0 0 7.25rem; }
.hnml-report dl { display: grid; grid-template-columns: max-content 1fr; gap: .15rem .75rem; margin: .3rem 0; }
.hnml-report dt { font-weight: 600; }
.hnml-report dd { margin: 0; }
.hnml-report pre { background: #f6f8fa; border: 1px solid #d0d7de; padding: .5rem .7rem; white-space: pre-wrap; }
"""


def escape(text: str) -> str:
    """HTML-escape ``text`` and show `backticked` spans (as hints write code) in a code font."""
    return re.sub(r"`([^`\n]+)`", r"<code>\1</code>", _escape(str(text)))


def check_item(check: CheckResult, *, show_points: bool = True) -> str:
    """One check as a list item: badge, description, points, then what went wrong."""
    points = (f'<span class="pts">{format_points(check.points)} / {format_points(check.max_points)}</span>'
              if show_points else "")
    head = (f'<li class="check {escape(check.status)}"><div class="line">'
            f'<span class="badge">{BADGES.get(check.status, escape(check.status))}</span>'
            f'<span class="desc">{escape(check.description)}'
            + (' <span class="tag">instructor test</span>' if check.hidden else "")
            + f"</span>{points}</div>")
    if check.status == SKIPPED:
        reason = check.skip_reason
        return head + (f'<div class="feedback muted">{escape(reason)}</div>' if reason else "") + "</li>"
    body = []
    if check.message and check.status != PASSED:
        body.append(f"<p>{escape(check.message)}</p>")
    fields = check.feedback()
    if fields:
        body.append("<dl>" + "".join(f"<dt>{label.capitalize()}</dt><dd>{escape(text)}</dd>"
                                     for label, text in fields) + "</dl>")
    if check.details:
        body.append(f"<pre>{_escape(check.details[-MAX_OUTPUT_CHARS:])}</pre>")
    return head + (f'<div class="feedback">{"".join(body)}</div>' if body else "") + "</li>"


def checks_list(checks: list[CheckResult], *, show_points: bool = True) -> str:
    return '<ol class="checks">' + "".join(check_item(c, show_points=show_points) for c in checks) + "</ol>"


def learner_output(text: str) -> str:
    """What the learner's code printed, folded away under a summary."""
    if not text.strip():
        return ""
    return ("<details><summary>What your code printed</summary>"
            f"<pre>{_escape(plain_text(text)[-MAX_OUTPUT_CHARS:])}</pre></details>")


def notes_list(notes: list[str]) -> str:
    return ('<ul class="muted">' + "".join(f"<li>{escape(n)}</li>" for n in notes) + "</ul>") if notes else ""
