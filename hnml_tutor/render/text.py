"""Checks and points as plain text, for places that show no markup: Gradescope's output, the gradebook."""

from __future__ import annotations

import re

from hnml_tutor.results import PASSED, CheckResult

# CSI and OSC escape sequences (colours, cursor moves, titles) that progress bars write.
ESCAPE_SEQUENCE = re.compile(r"\x1b(\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)|[@-Z\\-_])")


def clean_output(text: str) -> str:
    """What a terminal would finally show of ``text``: escape codes removed, and of each line redrawn with
    carriage returns (Keras' progress bar) only its last state."""
    lines = ESCAPE_SEQUENCE.sub("", text).replace("\r\n", "\n").split("\n")
    return "\n".join(line.rstrip("\r").rsplit("\r", 1)[-1] for line in lines)


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
