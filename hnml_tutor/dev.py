"""The maintainer's consistency check of a curriculum (``hnml-tutor dev check``), after rustlings' ``dev check``.

It proves what a learner relies on: the manifest parses; every exercise has its stub, solution and
grader; the grader's declared checks share out exactly the exercise's points and call the functions the
manifest names; every untouched stub fails (with its TODO named) and every solution passes, under each
launcher the machine offers. Results are data; the CLI renders them.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

from hnml_tutor.curriculum import Curriculum, Exercise
from hnml_tutor.errors import TutorError
from hnml_tutor.graders.runner import GraderBroken


@dataclass
class ExerciseAudit:
    """What ``dev check`` found about one exercise: an empty ``problems`` list means all is well."""

    exercise: Exercise
    problems: list[str] = field(default_factory=list)
    checked: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _defined_functions(path: Path) -> set[str]:
    """The functions a file defines at top level, and the names it assigns there (a constant such as
    CLASS_NAMES is one of the manifest's "functions" too)."""
    tree = ast.parse(path.read_bytes())
    defined = {node.name for node in tree.body if isinstance(node, ast.FunctionDef)}
    for node in tree.body:
        targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, ast.AnnAssign) else []
        defined |= {target.id for target in targets if isinstance(target, ast.Name)}
    return defined


def audit_files(exercise: Exercise) -> list[str]:
    """Problems with the exercise's files and declarations that need nothing to run."""
    from hnml_tutor.graders.runner import declared_checks

    problems = []
    for what, path in (("stub", exercise.stub_path), ("solution", exercise.solution_path),
                       ("grader", exercise.grader_path)):
        if not path.is_file():
            problems.append(f"its {what} {path} is missing")
    if problems:
        return problems
    for what, path in (("stub", exercise.stub_path), ("solution", exercise.solution_path)):
        try:
            missing = set(exercise.functions) - _defined_functions(path)
        except SyntaxError as error:
            problems.append(f"its {what} does not parse: {error}")
            continue
        if missing:
            problems.append(f"its {what} does not define {', '.join(sorted(missing))}")
    if len(exercise.hints) < 3:
        problems.append(f"it has {len(exercise.hints)} hint(s); learners expect three layers")
    if not exercise.learned:
        problems.append("it has no `learned` note (what the learner has just learned, shown after a pass)")
    try:
        checks = declared_checks(exercise)
    except GraderBroken as error:
        return problems + [f"{error}: {error.output.strip().splitlines()[-1] if error.output.strip() else ''}"]
    total = sum(check.points for check in checks)
    if abs(total - exercise.points) > 1e-9:
        problems.append(f"its grader's checks are worth {total:g} points, the manifest says {exercise.points:g}")
    return problems


def audit_runs(exercise: Exercise, launchers: dict[str, object], plots_dir: Path) -> tuple[list[str], list[str]]:
    """Grade the stub (must fail, naming its TODO) and the solution (must pass) under every launcher."""
    from hnml_tutor.graders.runner import grade_exercise

    problems, checked = [], []
    for name, launcher in launchers.items():
        stub = grade_exercise(exercise, exercise.stub_path, plots_dir=plots_dir, launcher=launcher)
        first = stub.checks[0] if stub.checks else None
        if stub.passed:
            problems.append(f"the untouched stub passes ({name})")
        elif first is None or "TODO" not in (first.hint or "") + first.message:
            problems.append(f"the untouched stub fails without naming its TODO ({name}): "
                            f"{first.message if first else 'no checks'}")
        solution = grade_exercise(exercise, exercise.solution_path, plots_dir=plots_dir, launcher=launcher)
        if not solution.passed:
            failed = next(c for c in solution.checks if not c.passed)
            problems.append(f"the solution fails “{failed.description}” ({name}): {failed.message}")
        checked.append(name)
    return problems, checked


def check_curriculum(curriculum: Curriculum, launchers: dict[str, object], plots_dir: Path,
                     exercises: Iterable[Exercise] | None = None,
                     on_exercise: Callable[[Exercise], None] | None = None) -> list[ExerciseAudit]:
    """Audit every exercise (or the given ones); files first, then stub and solution runs if the files are sound."""
    audits = []
    for exercise in exercises or curriculum.exercises:
        if on_exercise is not None:
            on_exercise(exercise)
        audit = ExerciseAudit(exercise, audit_files(exercise))
        if audit.ok:
            try:
                problems, checked = audit_runs(exercise, launchers, plots_dir)
            except (TutorError, GraderBroken) as error:  # one broken exercise must not hide the others
                problems, checked = [f"grading it failed: {error}"], []
            audit.problems += problems
            audit.checked = checked
        audits.append(audit)
    return audits
