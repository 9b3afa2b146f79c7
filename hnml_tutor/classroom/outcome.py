"""What grading one exercise of one learner came to, in a form that can be stored, resumed and reported.

An outcome is plain data (it crosses from a worker process to the coordinator and is kept on disk for
``--resume``). Points are earned per check: a passed check earns what the manifest (or a hidden test's
``points`` mark) says it is worth, and an exercise that could not be graded at all earns nothing, with the
reason kept next to the zero. ``grader_error`` says when the zero is the tutor's fault rather than the
learner's (a grader that broke): the pool grades such a task once more, ``--resume`` never reuses it, and
the instructor is told.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from hnml_tutor.results import FAILED, ERROR, CheckResult, ExerciseReport

NOT_GRADED = "not_graded"


@dataclass
class Outcome:
    learner: str
    exercise_id: str
    title: str
    max_points: float
    points: float = 0.0
    checks: list[CheckResult] = field(default_factory=list)
    reason: str = ""
    notes: list[str] = field(default_factory=list)
    learner_output: str = ""
    duration: float = 0.0
    fingerprint: str = ""
    grader_error: str = ""

    @classmethod
    def from_report(cls, learner: str, report: ExerciseReport, max_points: float, fingerprint: str) -> "Outcome":
        checks = [dataclasses.replace(check) for check in report.checks]
        _charge_leftover(checks, max_points)
        return cls(
            learner=learner,
            exercise_id=report.exercise_id,
            title=report.title,
            max_points=max_points,
            points=round(sum(check.points for check in report.checks), 4),
            checks=checks,
            notes=list(report.notes),
            learner_output=report.learner_output[-20_000:],
            duration=report.duration,
            fingerprint=fingerprint,
            grader_error=next((f"{check.description}: {check.details}" for check in report.checks
                               if check.grader_fault), ""),
        )

    @classmethod
    def not_graded(cls, learner: str, exercise_id: str, title: str, max_points: float, reason: str,
                   fingerprint: str = "", duration: float = 0.0, grader_error: str = "") -> "Outcome":
        return cls(learner, exercise_id, title, max_points, reason=reason, fingerprint=fingerprint,
                   duration=duration, grader_error=grader_error)

    @property
    def graded(self) -> bool:
        return not self.reason

    @property
    def full_marks(self) -> bool:
        return self.graded and self.points >= self.max_points - 1e-9

    @property
    def summary(self) -> str:
        """One line on why points were lost: the reason it was not graded, or the first failed check."""
        if self.reason:
            return self.reason
        for check in self.checks:
            if check.status in (FAILED, ERROR):
                return check.message or check.description
        return ""

    @property
    def ungraded_points(self) -> float:
        """Points no check accounted for (the whole exercise when it could not be graded)."""
        return max(self.max_points - sum(check.max_points for check in self.checks), 0.0)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self) | {"checks": [check.to_dict() for check in self.checks]}

    @classmethod
    def from_dict(cls, data: dict) -> "Outcome":
        values = {key: data[key] for key in cls.__dataclass_fields__ if key in data}
        values["checks"] = [CheckResult.from_dict(check) for check in values.get("checks", [])]
        return cls(**values)


def _charge_leftover(checks: list[CheckResult], max_points: float) -> None:
    """Points no check carries (a missing file reports one check worth nothing) go to its first failed check."""
    leftover = max_points - sum(check.max_points for check in checks)
    if leftover <= 1e-9:
        return
    for check in checks:
        if check.max_points == 0 and check.status in (FAILED, ERROR):
            check.max_points = leftover
            return
