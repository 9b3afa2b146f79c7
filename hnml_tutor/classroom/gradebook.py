"""The gradebook and Gradescope's results.json: one learner's outcomes turned into points and tests.

The gradebook has one row per learner (``learner``, one column per exercise id, ``total``, ``max``).
Gradescope's schema has one test per check, so a learner sees partial credit check by check; an exercise
that could not be graded at all is one failed test worth the whole exercise, with the reason as output.

Hidden (instructor) tests are ``after_published`` tests: Gradescope shows them, and the total, only once
grades are published. The top-level ``output`` is always visible, so it speaks of the visible checks
alone and never names a hidden test, quotes its message or counts its points. A skipped check is neither
passed nor failed: it carries no ``status`` (Gradescope knows only those two) and says in its name and
output which check it waits for.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field

from hnml_tutor.classroom.hidden import visible_points
from hnml_tutor.classroom.outcome import Outcome
from hnml_tutor.render.text import check_text, format_points
from hnml_tutor.results import ERROR, FAILED, SKIPPED, CheckResult

HIDDEN_VISIBILITY = "after_published"  # instructors' tests: shown to learners once grades are published


def learner_total(outcomes: list[Outcome]) -> tuple[float, float]:
    return sum(o.points for o in outcomes), sum(o.max_points for o in outcomes)


def gradebook_csv(exercise_ids: list[str], outcomes_by_learner: dict[str, dict[str, Outcome]]) -> str:
    """The whole gradebook as CSV text, learners in name order."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["learner", *exercise_ids, "total", "max"])
    for learner in sorted(outcomes_by_learner):
        outcomes = outcomes_by_learner[learner]
        cells = [format_points(outcomes[e].points) if e in outcomes else "" for e in exercise_ids]
        total, maximum = learner_total(list(outcomes.values()))
        writer.writerow([learner, *cells, format_points(total), format_points(maximum)])
    return buffer.getvalue()


@dataclass
class ShownPart:
    """The checks of one exercise on one side of the hidden line, with their points as shown."""

    checks: list[tuple[CheckResult, float]] = field(default_factory=list)  # each check and its shown max_score
    ungraded: float = 0.0  # points no check of this side accounted for

    @property
    def points(self) -> float:
        return sum(min(check.points, shown) for check, shown in self.checks)

    @property
    def max_points(self) -> float:
        return sum(shown for _, shown in self.checks) + self.ungraded


def visible_and_hidden(outcome: Outcome) -> tuple[ShownPart, ShownPart]:
    """The visible and the hidden part of an outcome; together they hold exactly ``outcome.max_points``.

    A check charged with points no check carried (see ``_charge_leftover``) may hold hidden tests' points
    when they never ran; those go back to the hidden part so the visible numbers never reveal them."""
    cap = visible_points(outcome.exercise_id, outcome.max_points)
    visible, hidden = ShownPart(), ShownPart()
    room = cap
    for check in outcome.checks:
        if check.hidden:
            hidden.checks.append((check, check.max_points))
        else:
            shown = min(check.max_points, max(room, 0.0))
            room -= shown
            visible.checks.append((check, shown))
    visible.ungraded = max(room, 0.0)
    hidden.ungraded = max(outcome.max_points - cap - sum(shown for _, shown in hidden.checks), 0.0)
    return visible, hidden


def _status(check: CheckResult) -> dict:
    if check.status == SKIPPED:
        return {}
    return {"status": "passed" if check.passed else "failed"}


def _check_name(label: str, check: CheckResult) -> str:
    name = f"{label} · {check.description}"
    if check.hidden:
        name += " (instructor test)"
    if check.status == SKIPPED:
        name += f" (skipped: {check.skip_reason})"
    return name


def _tests(outcome: Outcome) -> list[dict]:
    label = f"{outcome.exercise_id} {outcome.title}"
    visible, hidden = visible_and_hidden(outcome)
    tests = []
    for number, check in enumerate(outcome.checks, start=1):
        part = hidden if check.hidden else visible
        shown = next(value for candidate, value in part.checks if candidate is check)
        tests.append({
            "name": _check_name(label, check),
            "number": f"{outcome.exercise_id}.{number}",
            "score": round(min(check.points, shown), 4),
            "max_score": round(shown, 4),
            **_status(check),
            "output": check_text(check),
            "visibility": HIDDEN_VISIBILITY if check.hidden else "visible",
            "tags": [outcome.exercise_id],
            "extra_data": {"status": check.status},
        })
    reason = outcome.reason or "This exercise could not be graded."
    for part, suffix, visibility in ((visible, "", "visible"), (hidden, "h", HIDDEN_VISIBILITY)):
        if part.ungraded > 1e-9:
            tests.append({
                "name": f"{label} · could not be graded" + (" (instructor tests)" if suffix else ""),
                "number": f"{outcome.exercise_id}.0{suffix}",
                "score": 0.0,
                "max_score": round(part.ungraded, 4),
                "status": "failed",
                "output": reason,
                "visibility": visibility,
                "tags": [outcome.exercise_id],
            })
    return tests


def visible_summary(outcome: Outcome) -> str:
    """Why visible points were lost: the reason it was not graded, or the first visible failed check."""
    if outcome.reason:
        return outcome.reason
    for check in outcome.checks:
        if not check.hidden and check.status in (FAILED, ERROR):
            return check.message or check.description
    return ""


def summary_lines(outcomes: list[Outcome]) -> list[str]:
    """The summary every learner sees at once: visible checks only, with skipped checks named as skipped."""
    parts = [(outcome, *visible_and_hidden(outcome)) for outcome in outcomes]
    seen = sum(visible.points for _, visible, _ in parts)
    seen_max = sum(visible.max_points for _, visible, _ in parts)
    has_hidden = any(hidden.max_points > 0 for _, _, hidden in parts)
    lines = [f"**{'Visible checks' if has_hidden else 'Total'}: {format_points(seen)} / {format_points(seen_max)}**"]
    if has_hidden:
        lines.append("Your instructor's own tests count too; their results and your total appear when grades "
                     "are published.")
    lines.append("")
    for outcome, visible, _ in parts:
        line = (f"- {outcome.exercise_id} {outcome.title}: {format_points(visible.points)} / "
                f"{format_points(visible.max_points)}")
        summary = visible_summary(outcome)
        if summary and visible.points < visible.max_points - 1e-9:
            line += f" — {summary}"
        lines.append(line)
        lines += [f"  - {check.description}: skipped, {check.skip_reason}" for check in outcome.checks
                  if check.status == SKIPPED and not check.hidden]
    return lines


def gradescope_results(outcomes: list[Outcome], *, execution_time: float | None = None) -> dict:
    """One learner's results in Gradescope's results.json schema. ``execution_time`` is the wall-clock
    seconds of the whole run when the caller timed it; otherwise the time this learner's exercises took."""
    total, _ = learner_total(outcomes)
    lines = summary_lines(outcomes)
    broken = [o.exercise_id for o in outcomes if o.grader_error]
    if broken:
        lines += ["", f"⚠ The autograder itself failed on exercise {', '.join(broken)}, so those points say nothing "
                      "about your code. Ask your instructor to regrade it."]
    if execution_time is None:
        execution_time = sum(o.duration for o in outcomes)
    return {
        "score": round(total, 4),
        "execution_time": round(execution_time, 1),
        "output": "\n".join(lines),
        "output_format": "md",
        "test_output_format": "text",
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": [test for outcome in outcomes for test in _tests(outcome)],
    }


def results_json(outcomes: list[Outcome], *, execution_time: float | None = None) -> str:
    return json.dumps(gradescope_results(outcomes, execution_time=execution_time), indent=2, ensure_ascii=False) + "\n"
