"""The OUT folder of ``hnml-tutor grade``: what goes where, written so that nothing is ever half written.

    OUT/gradebook.csv              one row per learner
    OUT/results/<learner>.json     Gradescope's results.json schema
    OUT/feedback/<learner>.html    a readable report per learner
    OUT/.hnml-grade/outcomes/…     every finished exercise, kept the moment it finishes (for --resume)
    OUT/.hnml-grade/logs/…         the grading workers' own logs

Every file is replaced atomically, and each finished exercise is stored on its own, so a crash or an
interrupt loses at most the exercises that were being graded at that moment.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path

from hnml_tutor.atomic import write_text_atomic
from hnml_tutor.classroom.outcome import Outcome
from hnml_tutor.errors import TutorError

STATE_DIRNAME = ".hnml-grade"
GENERATED = ("gradebook.csv", "results", "feedback")


@dataclass(frozen=True)
class OutputFolder:
    root: Path

    @property
    def state_dir(self) -> Path:
        return self.root / STATE_DIRNAME

    @property
    def outcomes_dir(self) -> Path:
        return self.state_dir / "outcomes"

    @property
    def logs_dir(self) -> Path:
        return self.state_dir / "logs"

    @property
    def gradebook(self) -> Path:
        return self.root / "gradebook.csv"

    def results_file(self, learner: str) -> Path:
        return self.root / "results" / f"{learner}.json"

    def feedback_file(self, learner: str) -> Path:
        return self.root / "feedback" / f"{learner}.html"

    def _outcome_file(self, learner: str, exercise_id: str) -> Path:
        return self.outcomes_dir / learner / f"{exercise_id}.json"

    def prepare(self, *, resume: bool) -> None:
        """Make OUT ready: refuse a folder that holds someone else's files; start afresh unless resuming."""
        if self.root.exists() and not self.root.is_dir():
            raise TutorError(f"{self.root} is a file, not a folder.", "Give --out a folder for the grades.")
        if self.root.is_dir() and any(self.root.iterdir()) and not self.state_dir.is_dir():
            raise TutorError(
                f"{self.root} already holds files that hnml-tutor grade did not write; nothing was changed.",
                "Give --out a new or empty folder (or one an earlier `hnml-tutor grade` wrote).",
            )
        if resume and not self.outcomes_dir.is_dir():
            raise TutorError(f"There is no earlier grading run in {self.root} to resume.",
                             "Run the same command without --resume to grade everyone.")
        if not resume:
            shutil.rmtree(self.outcomes_dir, ignore_errors=True)
            for name in GENERATED:
                path = self.root / name
                if path.is_dir():
                    shutil.rmtree(path)
                elif path.exists():
                    path.unlink()
        self.outcomes_dir.mkdir(parents=True, exist_ok=True)
        self.logs_dir.mkdir(parents=True, exist_ok=True)

    def save_outcome(self, outcome: Outcome) -> None:
        write_text_atomic(self._outcome_file(outcome.learner, outcome.exercise_id), json.dumps(outcome.to_dict()))

    def stored_outcome(self, learner: str, exercise_id: str) -> Outcome | None:
        """A finished exercise from an earlier run, or None (also for a damaged file: it is simply regraded)."""
        try:
            return Outcome.from_dict(json.loads(self._outcome_file(learner, exercise_id).read_text(encoding="utf-8")))
        except (OSError, ValueError, TypeError, KeyError):
            return None

    def write_text(self, path: Path, text: str) -> None:
        write_text_atomic(path, text)
