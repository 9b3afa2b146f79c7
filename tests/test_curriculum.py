"""The manifest is the single source of truth: every entry has its stub, solution and grader."""

import pytest

from hnml_tutor.curriculum import load_curriculum
from hnml_tutor.errors import TutorError

CURRICULUM = load_curriculum()


@pytest.mark.parametrize("exercise", CURRICULUM.exercises, ids=lambda e: e.id)
def test_every_exercise_has_its_files(exercise):
    assert exercise.stub_path.is_file()
    assert exercise.solution_path.is_file()
    assert exercise.grader_path.is_file()
    assert len(exercise.hints) >= 3
    assert exercise.points > 0 and exercise.time_limit > 0


def test_the_workflow_is_in_order():
    assert [e.filename for e in CURRICULUM.exercises] == [
        "01_load.py", "02_preprocess.py", "03_build.py", "04_compile.py",
        "05_train.py", "06_evaluate.py", "07_predict.py",
    ]


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
def test_credit_names_exactly_the_graders_checks(exercise):
    """Partial credit comes from the manifest: every check of the grader is worth something, and nothing else is."""
    import ast

    tree = ast.parse(exercise.grader_path.read_text(encoding="utf-8"))
    checks = [node.name for node in tree.body if isinstance(node, ast.FunctionDef) and node.name.startswith("test_")]
    assert [name for name, _ in exercise.credit] == checks
    assert sum(points for _, points in exercise.credit) == exercise.points


def test_a_manifest_whose_credit_does_not_add_up_is_refused(tmp_path):
    from hnml_tutor.curriculum import parse_curriculum
    from hnml_tutor.resources import exercises_dir

    text = (exercises_dir() / "info.toml").read_text(encoding="utf-8").replace("test_is_mnist = 2", "test_is_mnist = 3")
    (tmp_path / "info.toml").write_text(text, encoding="utf-8")
    with pytest.raises(ValueError, match="adds up to 11"):
        parse_curriculum(tmp_path / "info.toml")
