"""The gradebook and Gradescope's results.json: one learner's outcomes turned into points and tests.

The gradebook has one row per learner (``learner``, one column per exercise id, ``total``, ``max``).
Gradescope's schema has one test per check, so a learner sees partial credit check by check; an exercise
that could not be graded at all is one failed test worth the whole exercise, with the reason as output.
"""

from __future__ import annotations

import csv
import io
import json

from hnml_tutor.classroom.outcome import Outcome
from hnml_tutor.render.text import check_text, format_points

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


def _tests(outcome: Outcome) -> list[dict]:
    label = f"{outcome.exercise_id} {outcome.title}"
    tests = []
    for number, check in enumerate(outcome.checks, start=1):
        tests.append({
            "name": f"{label} · {check.description}" + (" (instructor test)" if check.hidden else ""),
            "number": f"{outcome.exercise_id}.{number}",
            "score": round(check.points, 4),
            "max_score": round(check.max_points, 4),
            "status": "passed" if check.passed else "failed",
            "output": check_text(check),
            "visibility": HIDDEN_VISIBILITY if check.hidden else "visible",
            "tags": [outcome.exercise_id],
        })
    if outcome.ungraded_points > 0:
        tests.append({
            "name": f"{label} · could not be graded",
            "number": f"{outcome.exercise_id}.0",
            "score": 0.0,
            "max_score": round(outcome.ungraded_points, 4),
            "status": "failed",
            "output": outcome.reason or "This exercise could not be graded.",
            "visibility": "visible",
            "tags": [outcome.exercise_id],
        })
    return tests


def gradescope_results(outcomes: list[Outcome]) -> dict:
    """One learner's results in Gradescope's results.json schema."""
    total, maximum = learner_total(outcomes)
    lines = [f"**Total: {format_points(total)} / {format_points(maximum)}**", ""]
    for outcome in outcomes:
        line = f"- {outcome.exercise_id} {outcome.title}: {format_points(outcome.points)} / {format_points(outcome.max_points)}"
        if outcome.summary and not outcome.full_marks:
            line += f" — {outcome.summary}"
        lines.append(line)
    broken = [o.exercise_id for o in outcomes if o.grader_error]
    if broken:
        lines += ["", f"⚠ The autograder itself failed on exercise {', '.join(broken)}, so those points say nothing "
                      "about your code. Ask your instructor to regrade it."]
    return {
        "score": round(total, 4),
        "execution_time": round(sum(o.duration for o in outcomes), 1),
        "output": "\n".join(lines),
        "output_format": "md",
        "test_output_format": "text",
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": [test for outcome in outcomes for test in _tests(outcome)],
    }


def results_json(outcomes: list[Outcome]) -> str:
    return json.dumps(gradescope_results(outcomes), indent=2, ensure_ascii=False) + "\n"
