"""Adding an exercise is one unit: a manifest entry, a stub, a solution and a grader — no engine change.

The test copies the shipped curriculum into a temporary folder, adds a toy exercise there, points the
tutor at it with ``HNML_TUTOR_CURRICULUM`` and walks it end to end through the real command: nothing
under ``hnml_tutor/`` is touched or needs to know the new exercise.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap

import pytest

from hnml_tutor.curriculum import CurriculumFolders

MANIFEST_ENTRY = '''
[[exercises]]
id = "99"
slug = "double"
title = "Double the values"
step = "toy"
part = "scratch"  # appended after the last exercise, so it joins the last part
dataset = "mnist"
functions = ["double"]
points = 5
time_limit = 30
hints = [
    "Multiplication works on a whole array at once.",
    "NumPy broadcasts `values * 2` over every element.",
    "`return values * 2`",
]
learned = "NumPy applies arithmetic to a whole array at once."
'''

STUB = '''"""
# 99 · Double the values

Return a new array in which every value is twice the one you were given.
"""

import numpy as np


def double(values: np.ndarray) -> np.ndarray:
    """Every value times two."""
    raise NotImplementedError("TODO: double the values")
'''

SOLUTION = '''import numpy as np


def double(values: np.ndarray) -> np.ndarray:
    return values * 2
'''

GRADER = '''"""Grader for the toy exercise 99: content only, the engine does the rest."""

import numpy as np

from hnml_tutor.graders.checks import check, learner_calls
from hnml_tutor.graders.vocabulary import describe_array, expect_array, fail
from hnml_tutor.sandbox import Call

VALUES = np.arange(12, dtype=np.float32).reshape(3, 4)


@learner_calls(points=1)
def calls():
    return [Call("double", (VALUES,))]


@check(points=1)
def test_returns_array(returned):
    """returns a NumPy array"""
    expect_array(returned["double"], "double()'s result")


@check(points=3, after=test_returns_array)
def test_doubles(returned):
    """every value is doubled"""
    if returned["double"].shape == VALUES.shape and np.allclose(returned["double"], VALUES * 2):
        return
    fail("The values are not doubled.", expected="values * 2", found=describe_array(returned["double"]),
         hint="Multiply by 2, don't add 2.")
'''


@pytest.fixture
def toy_curriculum(tmp_path, monkeypatch):
    """A copy of the shipped curriculum plus exercise 99, selected through HNML_TUTOR_CURRICULUM."""
    shipped, root = CurriculumFolders.shipped(), tmp_path / "course"
    shutil.copytree(shipped.exercises, root / "exercises", ignore=shutil.ignore_patterns("__*"))
    shutil.copytree(shipped.solutions, root / "solutions", ignore=shutil.ignore_patterns("__*"))
    (root / "graders").mkdir()
    for grader in [*shipped.graders.glob("grade_*.py"), shipped.graders / "references.py"]:
        shutil.copy(grader, root / "graders" / grader.name)
    with open(root / "exercises" / "info.toml", "a", encoding="utf-8") as manifest:
        manifest.write(MANIFEST_ENTRY)
    (root / "exercises" / "99_double.py").write_text(STUB, encoding="utf-8")
    (root / "solutions" / "99_double.py").write_text(SOLUTION, encoding="utf-8")
    (root / "graders" / "grade_99_double.py").write_text(GRADER, encoding="utf-8")
    monkeypatch.setenv("HNML_TUTOR_CURRICULUM", str(root))
    return root


def cli(*args, cwd, columns=100):
    env = dict(os.environ, COLUMNS=str(columns))
    return subprocess.run([sys.executable, "-m", "hnml_tutor", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)


def test_a_new_exercise_needs_no_engine_change(toy_curriculum, tmp_path):
    from hnml_tutor.curriculum import load_curriculum
    from hnml_tutor.graders.runner import declared_checks

    toy = load_curriculum().resolve("double")
    assert toy.grader_path.parent == toy_curriculum / "graders"
    assert [(c.name, c.points) for c in declared_checks(toy)] == [
        ("test_runs", 1.0), ("test_returns_array", 1.0), ("test_doubles", 3.0)]

    assert cli("start", "ws", cwd=tmp_path).returncode == 0
    workspace = tmp_path / "ws"
    assert (workspace / "exercises" / "99_double.py").read_text(encoding="utf-8") == STUB
    listing = cli("list", cwd=workspace)
    assert listing.returncode == 0 and "Double the values" in listing.stdout

    stub = cli("check", "99", cwd=workspace)
    assert stub.returncode == 1 and "TODO" in stub.stdout and "hnml-tutor hint 99" in stub.stdout

    (workspace / "exercises" / "99_double.py").write_text(textwrap.dedent('''
        def double(values):
            return values + 2
    '''), encoding="utf-8")
    wrong = json.loads(cli("check", "99", "--json", cwd=workspace).stdout)
    statuses = {check["name"]: check["status"] for check in wrong["checks"]}
    assert statuses == {"test_runs": "passed", "test_returns_array": "passed", "test_doubles": "failed"}

    shutil.copy(toy_curriculum / "solutions" / "99_double.py", workspace / "exercises" / "99_double.py")
    passing = cli("check", "99", cwd=workspace)
    assert passing.returncode == 0, passing.stdout + passing.stderr
    assert "Traceback" not in stub.stderr + passing.stderr


def test_a_grader_check_without_points_is_refused(toy_curriculum):
    from hnml_tutor.curriculum import load_curriculum
    from hnml_tutor.graders.runner import GraderBroken, declared_checks

    grader = toy_curriculum / "graders" / "grade_99_double.py"
    grader.write_text(GRADER.replace("@check(points=3, after=test_returns_array)\n", ""), encoding="utf-8")
    with pytest.raises(GraderBroken) as error:
        declared_checks(load_curriculum().resolve("99"))
    assert "does not declare its points" in error.value.output


def test_a_dependency_on_a_later_check_is_refused(toy_curriculum):
    from hnml_tutor.curriculum import load_curriculum
    from hnml_tutor.graders.runner import GraderBroken, declared_checks

    grader = toy_curriculum / "graders" / "grade_99_double.py"
    grader.write_text(GRADER.replace("@check(points=1)\n", "@check(points=1, after='test_doubles')\n"),
                      encoding="utf-8")
    with pytest.raises(GraderBroken) as error:
        declared_checks(load_curriculum().resolve("99"))
    assert "depends on test_doubles" in error.value.output


def test_dev_check_proves_the_new_exercise_consistent(toy_curriculum, tmp_path):
    consistent = cli("dev", "check", "--exercises", "99", cwd=tmp_path)
    assert consistent.returncode == 0, consistent.stdout + consistent.stderr
    assert "1 of 1 exercise(s) consistent" in consistent.stdout

    (toy_curriculum / "solutions" / "99_double.py").write_text("def double(values):\n    return values + 2\n")
    grader = toy_curriculum / "graders" / "grade_99_double.py"
    grader.write_text(GRADER.replace("@check(points=3,", "@check(points=2,"), encoding="utf-8")
    broken = cli("dev", "check", "--exercises", "99", "--cold-only", cwd=tmp_path, columns=250)
    assert broken.returncode == 1
    text = " ".join(broken.stdout.split())
    assert "worth 4 points, the manifest says 5" in text


CONSTANT_STUB = STUB.replace("import numpy as np\n", "import numpy as np\n\nFACTOR = None  # TODO: how many times larger\n")
CONSTANT_GRADER = GRADER.replace('@learner_calls(points=1)\ndef calls():\n    return [Call("double", (VALUES,))]',
                                 '@learner_calls(points={"double": 1, "FACTOR": 0})\ndef calls():\n'
                                 '    return [Call("double", (VALUES,)), Call("FACTOR", constant=True)]')


@pytest.mark.parametrize("source, expected", [
    ("FACTOR = 2\ndef double(values):\n    return values * FACTOR\n", "passed"),
    ("def double(values):\n    return values * 2\n", "failed"),
])
def test_a_constant_of_the_learners_module_is_read_not_called(toy_curriculum, tmp_path, warm_launcher, source,
                                                                 expected):
    """A grader reads a name the learner assigns (CLASS_NAMES = [...]) with Call(name, constant=True): its
    check says "is defined", and a file without it is told which line to write."""
    from hnml_tutor.curriculum import load_curriculum
    from hnml_tutor.graders.runner import grade_exercise

    manifest = toy_curriculum / "exercises" / "info.toml"
    manifest.write_text(manifest.read_text(encoding="utf-8").replace('functions = ["double"]',
                                                                      'functions = ["double", "FACTOR"]'))
    (toy_curriculum / "exercises" / "99_double.py").write_text(CONSTANT_STUB, encoding="utf-8")
    (toy_curriculum / "graders" / "grade_99_double.py").write_text(CONSTANT_GRADER, encoding="utf-8")
    learner = tmp_path / "99_double.py"
    learner.write_text(source, encoding="utf-8")
    report = grade_exercise(load_curriculum().resolve("99"), learner, plots_dir=tmp_path, launcher=warm_launcher)
    constant = next(c for c in report.checks if c.name == "test_FACTOR_runs")
    assert constant.description == "FACTOR is defined"
    assert constant.status == expected
    if expected == "failed":
        assert "no `FACTOR`" in constant.message and "FACTOR = ..." in constant.expected
