"""Results as data: what a check found, and what grading one exercise produced.

One result type for every front end: graders produce :class:`CheckResult` and :class:`ExerciseReport`;
the terminal, the HTML pages (instructor feedback and notebooks), JSON and Gradescope all render these
same objects (see :mod:`hnml_tutor.render`). Nothing here prints.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # renderers of plain results (the terminal's fast commands) must not pay for NumPy
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

    @property
    def skip_reason(self) -> str:
        """Why a skipped check did not run, e.g. 'needs “returns a NumPy array” to pass first'."""
        return self.message.removeprefix("skipped: ") if self.status == SKIPPED else ""

    def feedback(self) -> list[tuple[str, str]]:
        """What the learner reads about a check that did not pass, in order: the one layout of
        expected / found / hint that every renderer shows."""
        if self.status in (PASSED, SKIPPED):
            return []
        return [(label, str(value)) for label, value in
                (("expected", self.expected), ("found", self.found), ("hint", self.hint)) if value]

    def to_dict(self) -> dict:
        return asdict(self) | {"points": self.points}

    @classmethod
    def from_dict(cls, data: dict) -> "CheckResult":
        """Rebuild a check from :meth:`to_dict` (keys it does not know, such as ``points``, are ignored)."""
        names = {f.name for f in fields(cls)}
        return cls(**{key: value for key, value in data.items() if key in names})


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
    def grader_fault(self) -> bool:
        """Whether a check could not be run because the tutor itself failed (not the learner's code)."""
        return any(check.grader_fault for check in self.checks)

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
            "checks": [check.to_dict() for check in self.checks],
            "plots": [str(path) for path in self.plots],
            "notes": self.notes,
            "learner_output": self.learner_output,
            "duration_seconds": round(self.duration, 3),
        }
