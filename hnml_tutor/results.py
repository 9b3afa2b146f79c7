"""Results as data: what a check found, and what grading one exercise produced.

Graders produce these; renderers (Rich in :mod:`hnml_tutor.feedback`, JSON for ``--json``, the
instructor's gradebook) turn them into output. Nothing here prints.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

PASSED, FAILED, SKIPPED, ERROR = "passed", "failed", "skipped", "error"


@dataclass
class CheckResult:
    """One check of one exercise: passed, or failed with what was expected, found and likely wrong."""

    name: str
    description: str
    status: str
    message: str = ""
    expected: str | None = None
    found: str | None = None
    hint: str | None = None
    details: str | None = None
    hidden: bool = False
    max_points: float = 0.0
    grader_fault: bool = False  # the grader itself broke (not the learner's code): worth grading again

    @property
    def passed(self) -> bool:
        return self.status == PASSED

    @property
    def points(self) -> float:
        """Points earned: all of the check's points when it passed, none otherwise."""
        return self.max_points if self.passed else 0.0


@dataclass
class DigitPreview:
    """A few images with captions, for the terminal preview (not serialised to JSON)."""

    title: str
    images: np.ndarray
    captions: list[str]


@dataclass
class ExerciseReport:
    """The outcome of grading one exercise."""

    exercise_id: str
    title: str
    checks: list[CheckResult] = field(default_factory=list)
    plots: list[Path] = field(default_factory=list)
    previews: list[DigitPreview] = field(default_factory=list)
    learner_output: str = ""
    duration: float = 0.0
    notes: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return bool(self.checks) and all(check.passed for check in self.checks)

    @property
    def counts(self) -> dict[str, int]:
        counts = {PASSED: 0, FAILED: 0, SKIPPED: 0, ERROR: 0}
        for check in self.checks:
            counts[check.status] += 1
        return counts

    def to_dict(self) -> dict:
        """JSON-ready form (previews are for terminals and are left out)."""
        return {
            "exercise": self.exercise_id,
            "title": self.title,
            "passed": self.passed,
            "counts": self.counts,
            "checks": [asdict(check) for check in self.checks],
            "plots": [str(path) for path in self.plots],
            "notes": self.notes,
            "learner_output": self.learner_output,
            "duration_seconds": round(self.duration, 3),
        }
