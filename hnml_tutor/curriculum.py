"""The curriculum manifest (``exercises/info.toml``) as data.

Everything that needs to know about exercises — the CLI, the graders, the workspace, the tests — asks
this module, so an exercise is described in exactly one place.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from hnml_tutor.errors import TutorError
from hnml_tutor.resources import exercises_dir, graders_dir, solutions_dir


@dataclass(frozen=True)
class Exercise:
    """One step of the curriculum, exactly as the manifest describes it."""

    id: str
    slug: str
    title: str
    step: str
    dataset: str
    functions: tuple[str, ...]
    points: float
    time_limit: float
    hints: tuple[str, ...]
    threshold: float | None = None
    credit: tuple[tuple[str, float], ...] = ()

    def check_points(self, check_name: str) -> float:
        """Points a grader check is worth (0 for a check the manifest does not name)."""
        return dict(self.credit).get(check_name, 0.0)

    @property
    def filename(self) -> str:
        """Name of the learner's file, e.g. ``02_preprocess.py``."""
        return f"{self.id}_{self.slug}.py"

    @property
    def label(self) -> str:
        """Short human label, e.g. ``02 preprocess``."""
        return f"{self.id} {self.slug}"

    @property
    def stub_path(self) -> Path:
        return exercises_dir() / self.filename

    @property
    def solution_path(self) -> Path:
        return solutions_dir() / self.filename

    @property
    def grader_path(self) -> Path:
        return graders_dir() / f"grade_{self.id}_{self.slug}.py"


@dataclass(frozen=True)
class Curriculum:
    """All exercises in teaching order, plus the messages that open and close the course."""

    welcome: str
    final: str
    exercises: tuple[Exercise, ...]

    def resolve(self, query: str) -> Exercise:
        """Find an exercise by a forgiving id: ``2``, ``02``, ``preprocess``, ``02_preprocess`` all work."""
        text = str(query).strip().lower().removesuffix(".py")
        key = str(int(text)) if text.isdigit() else text
        for exercise in self.exercises:
            names = {str(int(exercise.id)), exercise.slug, exercise.filename.removesuffix(".py")}
            if key in names:
                return exercise
        known = ", ".join(f"{e.id} ({e.slug})" for e in self.exercises)
        raise TutorError(
            f"There is no exercise called '{query}'.",
            f"Use a number or a name, for example `2`, `02` or `preprocess`. Exercises: {known}.",
        )

    def next_after(self, exercise: Exercise) -> Exercise | None:
        index = self.exercises.index(exercise)
        return self.exercises[index + 1] if index + 1 < len(self.exercises) else None

    def select(self, spec: str | None) -> tuple[Exercise, ...]:
        """Exercises named by a spec such as ``01-07``, ``2,5`` or ``None`` (all of them)."""
        if not spec:
            return self.exercises
        chosen: list[Exercise] = []
        for part in spec.split(","):
            part = part.strip()
            if not part:
                continue
            if "-" in part:
                first, last = (self.resolve(p) for p in part.split("-", 1))
                start, stop = self.exercises.index(first), self.exercises.index(last)
                if start > stop:
                    raise TutorError(f"The range '{part}' runs backwards.", f"Write it low to high, e.g. `{last.id}-{first.id}`.")
                chosen.extend(self.exercises[start : stop + 1])
            else:
                chosen.append(self.resolve(part))
        return tuple({exercise.id: exercise for exercise in chosen}.values())


def _exercise_from_entry(entry: dict) -> Exercise:
    return Exercise(
        id=str(entry["id"]),
        slug=entry["slug"],
        title=entry["title"],
        step=entry["step"],
        dataset=entry["dataset"],
        functions=tuple(entry["functions"]),
        points=float(entry.get("points", 10)),
        time_limit=float(entry.get("time_limit", 60)),
        hints=tuple(entry["hints"]),
        threshold=entry.get("threshold"),
        credit=tuple((str(name), float(points)) for name, points in entry.get("credit", {}).items()),
    )


def _validate_credit(exercise: Exercise, path: Path) -> None:
    if not exercise.credit:
        raise ValueError(f"{path}: exercise {exercise.id} has no [exercises.credit] table")
    total = sum(points for _, points in exercise.credit)
    if abs(total - exercise.points) > 1e-9 or any(points < 0 for _, points in exercise.credit):
        raise ValueError(f"{path}: the credit of exercise {exercise.id} adds up to {total:g}, "
                         f"not its {exercise.points:g} points")


def parse_curriculum(path: Path) -> Curriculum:
    """Read and validate a manifest file; a broken manifest is a bug we want to hear about loudly."""
    data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    exercises = tuple(_exercise_from_entry(entry) for entry in data["exercises"])
    ids = [e.id for e in exercises]
    if len(set(ids)) != len(ids):
        raise ValueError(f"duplicate exercise ids in {path}: {ids}")
    for exercise in exercises:
        _validate_credit(exercise, path)
    return Curriculum(welcome=data["welcome"], final=data["final"], exercises=exercises)


@lru_cache(maxsize=1)
def load_curriculum() -> Curriculum:
    """The shipped curriculum (read once per process)."""
    return parse_curriculum(exercises_dir() / "info.toml")
