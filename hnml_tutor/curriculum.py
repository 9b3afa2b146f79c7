"""The curriculum manifest (``exercises/info.toml``) as data.

Everything that needs to know about exercises — the CLI, the graders, the workspace, the tests — asks
this module, so an exercise is described in exactly one place.

A curriculum is a manifest with its stubs, a folder of reference solutions and a folder of graders. The
shipped one is installed with the package; ``HNML_TUTOR_CURRICULUM`` points the tutor at another folder
laid out as ``exercises/`` (``info.toml`` and the stubs), ``solutions/`` and ``graders/`` — how a
maintainer tries a new exercise, and how the tests prove that adding one needs no engine change.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from hnml_tutor.errors import TutorError
from hnml_tutor.resources import exercises_dir, graders_dir, solutions_dir


NO_DATA = "none"  # the manifest's `dataset` of an exercise whose grader needs no data set


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
    stub_path: Path
    solution_path: Path
    grader_path: Path
    threshold: float | None = None
    learned: str = ""  # what the learner has just learned, shown after a pass
    part: str = ""  # id of the part of the course it belongs to (see Part)
    numpy_only: bool = False  # the learner writes the math in NumPy: no TensorFlow, Keras, JAX or PyTorch

    @property
    def needs_data(self) -> bool:
        """Whether its grader reads a data set (08's one neuron learns from seven numbers it is given)."""
        return self.dataset != NO_DATA

    @property
    def filename(self) -> str:
        """Name of the learner's file, e.g. ``02_preprocess.py``."""
        return f"{self.id}_{self.slug}.py"

    @property
    def label(self) -> str:
        """Short human label, e.g. ``02 preprocess``."""
        return f"{self.id} {self.slug}"


@dataclass(frozen=True)
class Part:
    """A stretch of the course with one theme ("The workflow", "Keras further", "From scratch"), so a
    listing of many exercises reads as a few chapters rather than one long column."""

    id: str
    title: str
    about: str = ""


UNGROUPED = Part("", "Exercises")


@dataclass(frozen=True)
class Curriculum:
    """All exercises in teaching order, plus the messages that open and close the course."""

    welcome: str
    final: str
    exercises: tuple[Exercise, ...]
    graders_dir: Path
    parts: tuple[Part, ...] = ()

    def grouped(self) -> list[tuple[Part, tuple[Exercise, ...]]]:
        """The exercises part by part, in teaching order; parts without exercises are left out, and a
        curriculum that declares no parts is one group."""
        if not self.parts:
            return [(UNGROUPED, self.exercises)] if self.exercises else []
        groups = [(part, tuple(e for e in self.exercises if e.part == part.id)) for part in self.parts]
        return [(part, members) for part, members in groups if members]

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


def _exercise_from_entry(entry: dict, folders: "CurriculumFolders") -> Exercise:
    exercise_id, slug = str(entry["id"]), entry["slug"]
    return Exercise(
        id=exercise_id,
        slug=slug,
        title=entry["title"],
        step=entry["step"],
        dataset=entry["dataset"],
        functions=tuple(entry["functions"]),
        points=float(entry.get("points", 10)),
        time_limit=float(entry.get("time_limit", 60)),
        hints=tuple(entry["hints"]),
        stub_path=folders.exercises / f"{exercise_id}_{slug}.py",
        solution_path=folders.solutions / f"{exercise_id}_{slug}.py",
        grader_path=folders.graders / f"grade_{exercise_id}_{slug}.py",
        threshold=entry.get("threshold"),
        learned=str(entry.get("learned", "")).strip(),
        part=str(entry.get("part", "")),
        numpy_only=bool(entry.get("numpy_only", False)),
    )


@dataclass(frozen=True)
class CurriculumFolders:
    """Where a curriculum's three parts live: manifest and stubs, reference solutions, graders."""

    exercises: Path
    solutions: Path
    graders: Path

    @classmethod
    def shipped(cls) -> "CurriculumFolders":
        return cls(exercises_dir(), solutions_dir(), graders_dir())

    @classmethod
    def in_folder(cls, root: Path) -> "CurriculumFolders":
        root = Path(root).expanduser().resolve()
        return cls(root / "exercises", root / "solutions", root / "graders")

    @property
    def manifest(self) -> Path:
        return self.exercises / "info.toml"


def parse_curriculum(path: Path, folders: CurriculumFolders | None = None) -> Curriculum:
    """Read and validate a manifest file; a broken manifest is a bug we want to hear about loudly.

    ``folders`` says where its solutions and graders are (default: the shipped curriculum's).
    """
    folders = folders or CurriculumFolders.shipped()
    data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    exercises = tuple(_exercise_from_entry(entry, folders) for entry in data["exercises"])
    ids = [e.id for e in exercises]
    if len(set(ids)) != len(ids):
        raise ValueError(f"duplicate exercise ids in {path}: {ids}")
    for exercise in exercises:
        if exercise.points <= 0 or not exercise.functions:
            raise ValueError(f"{path}: exercise {exercise.id} needs points > 0 and at least one function")
    parts = tuple(Part(str(p["id"]), p["title"], str(p.get("about", "")).strip()) for p in data.get("parts", []))
    _check_parts(path, parts, exercises)
    return Curriculum(welcome=data["welcome"], final=data["final"], exercises=exercises,
                      graders_dir=folders.graders, parts=parts)


def _check_parts(path: Path, parts: tuple[Part, ...], exercises: tuple[Exercise, ...]) -> None:
    """Declared parts must each be named by exercises that sit together, in the parts' order."""
    if not parts:
        return
    order = {part.id: index for index, part in enumerate(parts)}
    if len(order) != len(parts):
        raise ValueError(f"{path}: two parts share an id")
    unknown = [f"{e.id} ({e.part or 'none'})" for e in exercises if e.part not in order]
    if unknown:
        raise ValueError(f"{path}: exercises name no declared part: {', '.join(unknown)}")
    positions = [order[e.part] for e in exercises]
    if positions != sorted(positions):
        raise ValueError(f"{path}: the exercises of a part must be listed together, in the order of [[parts]]")


def curriculum_folders() -> CurriculumFolders:
    """The shipped curriculum, or the folder ``HNML_TUTOR_CURRICULUM`` names."""
    chosen = os.environ.get("HNML_TUTOR_CURRICULUM")
    if not chosen:
        return CurriculumFolders.shipped()
    folders = CurriculumFolders.in_folder(Path(chosen))
    if not folders.manifest.is_file():
        raise TutorError(f"HNML_TUTOR_CURRICULUM names {chosen}, which has no exercises/info.toml.",
                         "Point it at a folder with exercises/ (info.toml and stubs), solutions/ and graders/, "
                         "or unset it to use the shipped course.")
    return folders


@lru_cache(maxsize=4)
def _load(folders: CurriculumFolders) -> Curriculum:
    return parse_curriculum(folders.manifest, folders)


def load_curriculum() -> Curriculum:
    """The curriculum in use (read once per process and folder)."""
    return _load(curriculum_folders())
