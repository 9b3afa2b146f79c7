"""Instructor-only tests (``hnml-tutor grade --tests DIR``): which exercise each belongs to and what it is worth.

A hidden test module is named ``test_<id>_<anything>.py`` (``test_05_robust.py`` adds checks to exercise
05). It uses the same fixtures as the shipped graders (``run_learner``, ``reference_inputs``, ``exercise``,
``artifacts``) and the same ``CheckFailed`` vocabulary; ``@pytest.mark.points(3)`` says what a test is worth
(1 when unmarked). Hidden tests are collected once, before any learner is graded, so a broken one is
reported to the instructor straight away instead of as a zero for every learner.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

from hnml_tutor.curriculum import Curriculum, load_curriculum
from hnml_tutor.errors import TutorError

HIDDEN_NAME = re.compile(r"^test_(\d\d)_\w*\.py$")


@dataclass
class HiddenTests:
    """The hidden test files of every exercise and the points each test is worth."""

    files: dict[str, list[Path]] = field(default_factory=dict)
    points: dict[str, dict[str, float]] = field(default_factory=dict)
    digest: str = ""

    def files_for(self, exercise_id: str) -> tuple[Path, ...]:
        return tuple(self.files.get(exercise_id, ()))

    def points_for(self, exercise_id: str) -> float:
        return sum(self.points.get(exercise_id, {}).values())


class _Collector:
    """A pytest plugin that only records the collected tests and their ``points`` marks."""

    def __init__(self) -> None:
        self.items: list[tuple[Path, str, float]] = []
        self.errors: list[str] = []

    def pytest_collection_modifyitems(self, items) -> None:
        for item in items:
            marker = item.get_closest_marker("points")
            value = marker.args[0] if marker is not None and marker.args else 1
            if not isinstance(value, (int, float)) or value < 0:
                self.errors.append(f"{item.nodeid}: @pytest.mark.points needs a number ≥ 0, got {value!r}")
                value = 0
            self.items.append((Path(str(item.fspath)).resolve(), item.name, float(value)))

    def pytest_collectreport(self, report) -> None:
        if report.failed:
            self.errors.append(f"{report.nodeid or 'collection'}:\n{str(report.longrepr)[-1500:]}")


def collect_hidden_tests(folder: Path | None, curriculum: Curriculum) -> HiddenTests:
    """Find, check and weigh the hidden tests in ``folder`` (none when ``folder`` is None)."""
    hidden = HiddenTests()
    if folder is None:
        return hidden
    folder = Path(folder)
    if not folder.is_dir():
        raise TutorError(f"The hidden tests folder {folder} does not exist.", "Pass the folder that holds your test_<id>_*.py files.")
    digest = hashlib.sha256()
    known = {exercise.id for exercise in curriculum.exercises}
    for path in sorted(folder.glob("test_*.py")):
        match = HIDDEN_NAME.match(path.name)
        if not match or match.group(1) not in known:
            raise TutorError(
                f"{path.name} in {folder} does not name an exercise.",
                f"Name hidden tests test_<id>_<anything>.py with an id from {', '.join(sorted(known))}, "
                "for example test_05_robust.py.",
            )
        hidden.files.setdefault(match.group(1), []).append(path.resolve())
        digest.update(path.name.encode() + hashlib.sha256(path.read_bytes()).digest())
    if not hidden.files:
        raise TutorError(f"No hidden tests found in {folder}.", "Hidden test files are named test_<id>_<anything>.py, e.g. test_05_robust.py.")
    hidden.digest = digest.hexdigest()
    _weigh(hidden)
    return hidden


def _weigh(hidden: HiddenTests) -> None:
    import pytest

    from hnml_tutor.graders.runner import pytest_options

    collector = _Collector()
    paths = [str(p) for files in hidden.files.values() for p in files]
    args = [*paths, "--collect-only", *pytest_options("test_*.py")]
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        pytest.main(args, plugins=[collector])
    if collector.errors:
        raise TutorError("Your hidden tests could not be loaded:\n" + "\n".join(collector.errors),
                         "Fix the test files above; no learner was graded.")
    by_file = {p: exercise_id for exercise_id, files in hidden.files.items() for p in files}
    for path, name, points in collector.items:
        hidden.points.setdefault(by_file[path], {})[name] = points
    empty = [str(p.name) for p, exercise_id in by_file.items() if not any(i[0] == p for i in collector.items)]
    if empty:
        raise TutorError(f"These hidden test files hold no tests: {', '.join(empty)}.",
                         "Each needs at least one function named test_… .")


def visible_points(exercise_id: str, max_points: float) -> float:
    """The part of an exercise's ``max_points`` learners may see before grades are published: what the manifest
    says the exercise is worth. Anything beyond it is the instructor's hidden tests (see ``points_for``)."""
    try:
        return min(float(load_curriculum().resolve(exercise_id).points), max_points)
    except TutorError:  # an exercise no longer in the manifest: nothing to tell hidden from visible by
        return max_points
