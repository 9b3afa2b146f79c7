"""The Gradescope autograder zip: built, installed from its own source, and run against a fake /autograder."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile

import pytest
from typer.testing import CliRunner

from classroom_helpers import solution, stub
from hnml_tutor.cli import app
from test_grade_class import HIDDEN_TEST

GRADESCOPE_VISIBILITY = {"hidden", "after_due_date", "after_published", "visible"}


@pytest.fixture(scope="module")
def autograder(tmp_path_factory):
    """A fake /autograder: the zip unpacked into source/, hnml-tutor built from that source and installed."""
    root = tmp_path_factory.mktemp("gradescope")
    hidden = root / "hidden"
    hidden.mkdir()
    (hidden / "test_02_white.py").write_text(HIDDEN_TEST, encoding="utf-8")
    bundle = root / "autograder.zip"
    result = CliRunner().invoke(app, ["gradescope-bundle", str(bundle), "-e", "02,03", "--tests", str(hidden),
                                      "--timeout", "60"])
    assert result.exit_code == 0, result.output
    fake = root / "autograder"
    with zipfile.ZipFile(bundle) as zipped:
        modes = {info.filename: info.external_attr >> 16 for info in zipped.infolist()}
        zipped.extractall(fake / "source")
    site = root / "site"
    build = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation", "--target", str(site),
         str(fake / "source" / "hnml-tutor")],
        capture_output=True, text=True, timeout=300,
    )
    assert build.returncode == 0, build.stderr[-3000:]
    return {"root": fake, "modes": modes, "site": site}


def run_autograder(autograder, files: dict[str, str]) -> dict:
    root = autograder["root"]
    submission = root / "submission"
    if submission.exists():
        import shutil

        shutil.rmtree(submission)
    submission.mkdir()
    for name, text in files.items():
        (submission / name).write_text(text, encoding="utf-8")
    (root / "results").mkdir(exist_ok=True)
    (root / "results" / "results.json").unlink(missing_ok=True)
    env = {key: value for key, value in os.environ.items() if not key.startswith("HNML_TUTOR_")}
    env.update(AUTOGRADER_ROOT=str(root), HNML_TUTOR_PYTHON=sys.executable, PYTHONPATH=str(autograder["site"]),
               HNML_TUTOR_OFFLINE="1")
    completed = subprocess.run(["bash", str(root / "source" / "run_autograder")], env=env, capture_output=True,
                               text=True, timeout=600)
    assert completed.returncode == 0, completed.stderr[-3000:]
    return json.loads((root / "results" / "results.json").read_text(encoding="utf-8"))


def test_the_zip_has_what_gradescope_needs(autograder):
    modes = autograder["modes"]
    assert modes["setup.sh"] & 0o111 and modes["run_autograder"] & 0o111, "both scripts are executable"
    assert {"hnml-grade.json", "hnml-tutor/pyproject.toml", "hidden_tests/test_02_white.py",
            "hnml-tutor/hnml_tutor/exercises/info.toml", "hnml-tutor/hnml_tutor/graders/grading.ini",
            "data/mnist/train-images-idx3-ubyte.gz"} <= set(modes)
    for script in ("setup.sh", "run_autograder"):
        check = subprocess.run(["bash", "-n", str(autograder["root"] / "source" / script)], capture_output=True, text=True)
        assert check.returncode == 0, check.stderr
    installed = subprocess.run([sys.executable, "-c", "import hnml_tutor.classroom, sys; print(hnml_tutor.__file__)"],
                               env={**os.environ, "PYTHONPATH": str(autograder["site"])}, capture_output=True, text=True,
                               cwd=autograder["root"])
    assert installed.stdout.startswith(str(autograder["site"])), "the bundled source installs as a working package"


def test_run_autograder_grades_a_submission(autograder):
    results = run_autograder(autograder, {"02_preprocess.py": solution("02"), "03_build.py": stub("03")})
    assert results["score"] == pytest.approx(13)  # 02: 10 + the hidden test's 3; 03 still the stub
    assert sum(t["max_score"] for t in results["tests"]) == pytest.approx(28)
    for test in results["tests"]:
        assert {"name", "score", "max_score", "status", "output", "visibility"} <= set(test)
        assert test["status"] in ("passed", "failed") and test["visibility"] in GRADESCOPE_VISIBILITY
    stub_check = next((t for t in results["tests"] if t["number"] == "03.1"), None)
    assert stub_check is not None, json.dumps(results, indent=1)
    assert stub_check["status"] == "failed" and "NotImplementedError" in stub_check["output"]
    assert any("instructor test" in t["name"] and t["status"] == "passed" for t in results["tests"])


def test_run_autograder_explains_an_empty_submission(autograder):
    results = run_autograder(autograder, {"notes.txt": "I ran out of time"})
    assert results["score"] == 0
    assert "no exercise files found" in results["output"].lower()
