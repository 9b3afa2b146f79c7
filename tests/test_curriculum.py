"""The manifest is the single source of truth: every entry has its stub, solution and grader, and each
grader's declared checks add up to the points the manifest gives the exercise."""

import ast

import pytest

from hnml_tutor.curriculum import load_curriculum
from hnml_tutor.errors import TutorError
from hnml_tutor.graders.runner import declared_checks

CURRICULUM = load_curriculum()
CURRICULUM_MANIFEST = CURRICULUM.exercises[0].stub_path.parent / "info.toml"


@pytest.mark.parametrize("exercise", CURRICULUM.exercises, ids=lambda e: e.id)
def test_every_exercise_has_its_files(exercise):
    assert exercise.stub_path.is_file()
    assert exercise.solution_path.is_file()
    assert exercise.grader_path.is_file()
    assert len(exercise.hints) >= 3
    assert exercise.points > 0 and exercise.time_limit > 0
    assert exercise.learned.startswith("You ") and len(exercise.learned) > 80  # what a pass teaches, in a few sentences


def test_ids_are_two_digits_in_teaching_order():
    ids = [e.id for e in CURRICULUM.exercises]
    assert ids == sorted(ids) and all(len(i) == 2 and i.isdigit() for i in ids)
    assert all(e.filename == f"{e.id}_{e.slug}.py" for e in CURRICULUM.exercises)


@pytest.mark.parametrize("exercise", CURRICULUM.exercises, ids=lambda e: e.id)
def test_stub_defines_the_manifests_functions(exercise):
    tree = ast.parse(exercise.stub_path.read_text(encoding="utf-8"))
    defined = {node.name for node in tree.body if isinstance(node, ast.FunctionDef)}
    constants = {target.id for node in tree.body if isinstance(node, ast.Assign) for target in node.targets
                 if isinstance(target, ast.Name) and target.id.isupper()}
    assert set(exercise.functions) <= defined | constants


def _imported_packages(path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("exercise", [e for e in CURRICULUM.exercises if e.numpy_only] or [None],
                         ids=lambda e: e.id if e else "none")
def test_numpy_only_exercises_teach_and_solve_with_numpy_alone(exercise):
    """What the stub starts from and the solution shows must live by the rule the sandbox enforces."""
    if exercise is None:
        pytest.skip("no NumPy-only exercise in the curriculum")
    for path in (exercise.stub_path, exercise.solution_path):
        assert _imported_packages(path) <= {"numpy", "math", "time", "__future__", "typing"}, path.name


def test_every_exercise_belongs_to_a_declared_part_in_order():
    assert CURRICULUM.parts and CURRICULUM.grouped()[0][0].id == "workflow"
    grouped = [e for _, exercises in CURRICULUM.grouped() for e in exercises]
    assert grouped == list(CURRICULUM.exercises)


@pytest.mark.parametrize("change, problem", [
    (lambda text: text.replace('part = "workflow"', 'part = "nowhere"', 1), "name no declared part"),
    (lambda text: text.replace('part = "workflow"', 'part = "scratch"', 1), "listed together"),
])
def test_a_manifest_with_parts_out_of_place_is_refused(tmp_path, change, problem):
    from hnml_tutor.curriculum import parse_curriculum

    manifest = tmp_path / "info.toml"
    manifest.write_text(change(CURRICULUM_MANIFEST.read_text(encoding="utf-8")), encoding="utf-8")
    with pytest.raises(ValueError, match=problem):
        parse_curriculum(manifest)


@pytest.mark.parametrize("query", ["2", "02", "preprocess", "02_preprocess", "02_preprocess.py", " PREPROCESS "])
def test_ids_are_forgiving(query):
    assert CURRICULUM.resolve(query).id == "02"


def test_unknown_id_names_the_choices():
    with pytest.raises(TutorError) as error:
        CURRICULUM.resolve("42")
    assert "42" in error.value.problem and "preprocess" in error.value.fix


def test_select_ranges_and_lists():
    assert [e.id for e in CURRICULUM.select("02-04")] == ["02", "03", "04"]
    assert [e.id for e in CURRICULUM.select("7,1,1")] == ["07", "01"]
    assert len(CURRICULUM.select(None)) == len(CURRICULUM.exercises)


@pytest.mark.parametrize("exercise", CURRICULUM.exercises, ids=lambda e: e.id)
def test_declared_checks_add_up_to_the_manifests_points(exercise):
    """Partial credit is declared next to each check; the grader's checks share out exactly the exercise's points."""
    checks = declared_checks(exercise)
    assert len(checks) >= 4
    assert all(check.points > 0 for check in checks)
    assert sum(check.points for check in checks) == pytest.approx(exercise.points)
    runs = [check for check in checks if check.name.startswith("test_") and check.name.endswith("runs")]
    assert len(runs) == len(exercise.functions), "one generated 'runs' check per function of the manifest"
    constants = {f"{name} is defined" for name in exercise.functions if name.isupper()}  # CLASS_NAMES = [...]
    assert all("runs without error" in check.description or check.description in constants for check in runs)


def test_curriculum_folder_must_hold_a_manifest(tmp_path, monkeypatch):
    from hnml_tutor.curriculum import curriculum_folders

    monkeypatch.setenv("HNML_TUTOR_CURRICULUM", str(tmp_path))
    with pytest.raises(TutorError, match="info.toml"):
        curriculum_folders()
