"""The OUT folder of ``hnml-tutor grade``: what goes where, written so that nothing is ever half written.

    OUT/gradebook.csv              one row per learner
    OUT/results/<learner>.json     Gradescope's results.json schema
    OUT/feedback/<learner>.html    a readable report per learner
    OUT/.hnml-grade/outcomes/…     every finished exercise, kept the moment it finishes (for --resume)
    OUT/.hnml-grade/seals/…        the seal (HMAC) of each file above, see integrity.py
    OUT/.hnml-grade/logs/…         the grading workers' own logs

Every file is replaced atomically, and each finished exercise is stored on its own, so a crash or an
interrupt loses at most the exercises that were being graded at that moment. Every file the grade stands
on is sealed with the instructor's key as it is written: an outcome carries its seal inside, the other
files have one under ``seals/``, so a file rewritten by anyone without the key is noticed.
"""

from __future__ import annotations

import functools
import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from hnml_tutor.atomic import write_bytes_atomic
from hnml_tutor.classroom import integrity
from hnml_tutor.classroom.outcome import Outcome
from hnml_tutor.errors import TutorError

STATE_DIRNAME = ".hnml-grade"
GENERATED = ("gradebook.csv", "results", "feedback")
SEAL_SUFFIX = ".hmac"


@dataclass
class Verification:
    """What ``grade --verify`` found: files whose content no longer matches their seal, sealed files that are
    gone, and files in OUT's graded places that were never sealed (added or re-created since grading)."""

    checked: int = 0
    changed: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    unsealed: list[str] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        return not (self.changed or self.missing or self.unsealed)


@dataclass(frozen=True)
class OutputFolder:
    root: Path
    rejected: list[str] = field(default_factory=list, compare=False)  # outcomes --resume refused: seal broken

    @functools.cached_property
    def key(self) -> bytes:
        return integrity.load_key(self.root)

    @property
    def seals_dir(self) -> Path:
        return self.state_dir / "seals"

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

    def _name(self, path: Path) -> str:
        """The path as sealed: relative to OUT, so a moved OUT still verifies."""
        return Path(path).relative_to(self.root).as_posix()

    def _seal_file(self, path: Path) -> Path:
        return self.seals_dir / f"{self._name(path)}{SEAL_SUFFIX}"

    def prepare(self, *, resume: bool) -> None:
        """Make OUT ready: refuse a folder that holds someone else's files; start afresh unless resuming."""
        if self.root.exists() and not self.root.is_dir():
            raise TutorError(f"{self.root} is a file, not a folder.", "Give --out a folder for the grades.")
        if self.root.is_dir() and any(self.root.iterdir()) and not self.state_dir.is_dir():
            raise TutorError(
                f"{self.root} already holds files that hnml-tutor grade did not write; nothing was changed.",
                "Give --out a new or empty folder (or one an earlier `hnml-tutor grade` wrote).",
            )
        self.key  # load (or make) the key now: a key problem stops the run before any earlier grades are cleared
        if resume and not self.outcomes_dir.is_dir():
            raise TutorError(f"There is no earlier grading run in {self.root} to resume.",
                             "Run the same command without --resume to grade everyone.")
        if not resume:
            shutil.rmtree(self.outcomes_dir, ignore_errors=True)
            shutil.rmtree(self.seals_dir, ignore_errors=True)
            for name in GENERATED:
                path = self.root / name
                if path.is_dir():
                    shutil.rmtree(path)
                elif path.exists():
                    path.unlink()
        self.outcomes_dir.mkdir(parents=True, exist_ok=True)
        self.logs_dir.mkdir(parents=True, exist_ok=True)

    def save_outcome(self, outcome: Outcome) -> None:
        path = self._outcome_file(outcome.learner, outcome.exercise_id)
        data = outcome.to_dict()
        sealed = {"outcome": data, "hmac": integrity.seal(self.key, self._name(path), _canonical(data))}
        write_bytes_atomic(path, json.dumps(sealed).encode("utf-8"))

    def stored_outcome(self, learner: str, exercise_id: str) -> Outcome | None:
        """A finished exercise from an earlier run, or None. A file that is there but whose seal does not
        verify (rewritten, damaged, or from before seals) is noted in ``rejected`` and regraded."""
        path = self._outcome_file(learner, exercise_id)
        if not path.is_file():
            return None
        outcome = _unseal_outcome(self.key, self._name(path), path)
        if outcome is None:
            self.rejected.append(self._name(path))
        return outcome

    def write_text(self, path: Path, text: str) -> None:
        """Write one of OUT's graded files and its seal."""
        data = text.encode("utf-8")
        write_bytes_atomic(path, data)
        write_bytes_atomic(self._seal_file(path), (integrity.seal(self.key, self._name(path), data) + "\n").encode())

    def verify(self) -> Verification:
        """Check every sealed file (and every outcome) against its seal; name whatever changed since grading."""
        if not self.state_dir.is_dir():
            raise TutorError(f"{self.root} is not a folder `hnml-tutor grade` wrote (no {STATE_DIRNAME} inside).",
                             "Pass the folder you gave `grade --out`.")
        key = integrity.load_key(self.root, create=False)
        report = Verification()
        sealed: set[str] = set()
        for seal_path in sorted(self.seals_dir.rglob(f"*{SEAL_SUFFIX}")) if self.seals_dir.is_dir() else ():
            name = seal_path.relative_to(self.seals_dir).as_posix().removesuffix(SEAL_SUFFIX)
            sealed.add(name)
            report.checked += 1
            target = self.root / name
            if not target.is_file():
                report.missing.append(name)
            elif not integrity.verifies(key, name, target.read_bytes(), _read_seal(seal_path)):
                report.changed.append(name)
        for path in self._graded_files():
            if self._name(path) not in sealed:
                report.unsealed.append(self._name(path))
        for path in sorted(self.outcomes_dir.rglob("*.json")) if self.outcomes_dir.is_dir() else ():
            report.checked += 1
            if _unseal_outcome(key, self._name(path), path) is None:
                report.changed.append(self._name(path))
        return report

    def _graded_files(self) -> list[Path]:
        files = [self.gradebook] if self.gradebook.is_file() else []
        for folder in ("results", "feedback"):
            if (self.root / folder).is_dir():
                files += [p for p in sorted((self.root / folder).rglob("*")) if p.is_file() or p.is_symlink()]
        return files


def _canonical(data: dict) -> bytes:
    return json.dumps(data, sort_keys=True, ensure_ascii=True).encode("utf-8")


def _read_seal(path: Path) -> str | None:
    try:
        return path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        return None


def _unseal_outcome(key: bytes, name: str, path: Path) -> Outcome | None:
    """The outcome stored at ``path`` if its seal verifies, else None."""
    try:
        sealed = json.loads(path.read_text(encoding="utf-8"))
        data = sealed["outcome"]
        if not isinstance(data, dict) or not integrity.verifies(key, name, _canonical(data), sealed.get("hmac")):
            return None
        return Outcome.from_dict(data)
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return None
