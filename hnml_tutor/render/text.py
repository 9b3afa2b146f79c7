"""Checks and points as plain text, for places that show no markup: Gradescope's output, the gradebook."""

from __future__ import annotations

from hnml_tutor.results import PASSED, CheckResult


def format_points(value: float) -> str:
    """``10`` rather than ``10.0``; two decimals when a fraction is real."""
    rounded = round(value, 2)
    return str(int(rounded)) if rounded == int(rounded) else f"{rounded:.2f}"


def check_text(check: CheckResult) -> str:
    """What was wrong, expected, found, the hint and the details; 'Passed.' or the skip reason otherwise."""
    if check.status == PASSED:
        return "Passed."
    if check.skip_reason:
        return f"Skipped: {check.skip_reason}."
    lines = [check.message] if check.message else []
    lines += [f"{label.capitalize()}: {text}" for label, text in check.feedback()]
    if check.details:
        lines += ["", check.details]
    return "\n".join(lines) or check.status
