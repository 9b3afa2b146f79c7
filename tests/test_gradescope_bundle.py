"""The Gradescope autograder zip: built, installed from its own source, and run against a fake /autograder."""

from __future__ import annotations

import importlib.metadata
import json
import os
import shutil
import subprocess
import sys
import textwrap
import time
import zipfile

import pytest
from typer.testing import CliRunner

from classroom_helpers import solution, stub
from hnml_tutor.cli import app
from test_grade_class import BREAKING_HIDDEN_TEST, HIDDEN_TEST

GRADESCOPE_VISIBILITY = {"hidden", "after_due_date", "after_published", "visible"}


@pytest.fixture(scope="module")
def autograder(tmp_path_factory):
    """A fake /autograder: the zip unpacked into source/, hnml-tutor built from that source and installed."""
    root = tmp_path_factory.mktemp("gradescope")
    hidden = root / "hidden"
    hidden.mkdir()
    (hidden / "test_02_white.py").write_text(HIDDEN_TEST, encoding="utf-8")
    bundle = root / "autograder.zip"
    result = CliRunner().invoke(app, ["gradescope-bundle", str(bundle), "-e", "02,15", "--tests", str(hidden),
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


def run_autograder_at(root, site, files: dict[str, str], **env_changes: str) -> tuple[int, dict, str, float]:
    """Run the bundle's run_autograder on ``files`` as Gradescope would: its exit code, results.json, stdout
    and how long it took."""
    submission = root / "submission"
    if submission.exists():
        shutil.rmtree(submission)
    submission.mkdir()
    for name, text in files.items():
        (submission / name).write_text(text, encoding="utf-8")
    (root / "results").mkdir(exist_ok=True)
    (root / "results" / "results.json").unlink(missing_ok=True)
    env = {key: value for key, value in os.environ.items() if not key.startswith("HNML_TUTOR_")}
    env.update(AUTOGRADER_ROOT=str(root), HNML_TUTOR_PYTHON=sys.executable, PYTHONPATH=str(site),
               HNML_TUTOR_OFFLINE="1", **env_changes)
    started = time.monotonic()
    completed = subprocess.run(["bash", str(root / "source" / "run_autograder")], env=env, capture_output=True,
                               text=True, timeout=600)
    wall = time.monotonic() - started
    results = json.loads((root / "results" / "results.json").read_text(encoding="utf-8"))
    return completed.returncode, results, completed.stdout + completed.stderr, wall


def run_autograder(autograder, files: dict[str, str]) -> dict:
    code, results, output, _ = run_autograder_at(autograder["root"], autograder["site"], files)
    assert code == 0, output[-3000:]
    return results


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
    code, results, output, wall = run_autograder_at(autograder["root"], autograder["site"],
                                                    {"02_preprocess.py": solution("02"), "15_backprop.py": stub("15")})
    assert code == 0, output[-3000:]
    assert results["score"] == pytest.approx(13)  # 02: 10 + the hidden test's 3; 15 still the stub
    assert sum(t["max_score"] for t in results["tests"]) == pytest.approx(43)
    for test in results["tests"]:
        assert {"name", "score", "max_score", "output", "visibility"} <= set(test)
        assert test["visibility"] in GRADESCOPE_VISIBILITY
    stub_check = next((t for t in results["tests"] if t["number"] == "15.1"), None)
    assert stub_check is not None, json.dumps(results, indent=1)
    assert stub_check["status"] == "failed" and "NotImplementedError" in stub_check["output"]
    hidden = [t for t in results["tests"] if "instructor test" in t["name"]]
    assert len(hidden) == 1 and hidden[0]["status"] == "passed" and hidden[0]["visibility"] == "after_published"
    # execution_time is the wall clock of the whole run (the workers' start-up included), not the learner's
    # code alone, which takes a fraction of it here.
    assert 0.6 * wall <= results["execution_time"] <= wall + 0.1, (results["execution_time"], wall)


@pytest.fixture(scope="module")
def list_returned(autograder):
    """02 returns a list: its later visible checks are skipped, and the hidden test fails."""
    return run_autograder(autograder, {"02_preprocess.py": "def preprocess(images):\n    return (images / 255).tolist()\n",
                                       "15_backprop.py": solution("15")})


def test_hidden_tests_stay_out_of_the_visible_summary(list_returned):
    results = list_returned
    hidden = next(t for t in results["tests"] if "instructor test" in t["name"])
    assert hidden["status"] == "failed" and hidden["visibility"] == "after_published"
    summary = results["output"]
    assert results["visibility"] == "visible" and results["stdout_visibility"] == "hidden"
    assert "pure white image" not in summary and "A white pixel" not in summary and "instructor test" not in summary
    assert "Visible checks:" in summary and "/ 40**" in summary  # 10 + 30 visible; the hidden 3 not counted
    assert "/ 43" not in summary and "/ 13" not in summary
    assert "published" in summary
    visible_total = sum(t["max_score"] for t in results["tests"] if t["visibility"] == "visible")
    assert visible_total == pytest.approx(40)


def test_skipped_checks_show_as_skipped(list_returned):
    results = list_returned
    skipped = [t for t in results["tests"] if t.get("extra_data", {}).get("status") == "skipped"]
    assert skipped, json.dumps(results["tests"], indent=1)
    for test in skipped:
        assert "status" not in test  # Gradescope knows passed and failed only; a skipped check is neither
        assert "(skipped: needs" in test["name"] and "to pass first" in test["name"]
        assert test["output"].startswith("Skipped: needs") and test["score"] == 0
        description = test["name"].split(" · ", 1)[1].split(" (skipped", 1)[0]
        assert f"{description}: skipped, needs" in results["output"]


def test_the_bundle_pins_the_dependencies_it_was_built_with(autograder):
    constraints = (autograder["root"] / "source" / "constraints.txt").read_text(encoding="utf-8")
    pins = dict(line.split("==") for line in constraints.splitlines() if line and not line.startswith("#"))
    for name in ("keras", "numpy", "typer", "rich", "pytest", "matplotlib"):
        assert pins[name] == importlib.metadata.version(name), name
    assert pins["tensorflow-cpu" if "tensorflow-cpu" in pins else "tensorflow"]
    assert pins["pluggy"] == importlib.metadata.version("pluggy")  # pytest's own requirement: the whole closure
    assert "ipykernel" not in pins and "nbclient" not in pins  # hnml-tutor's dev extra, installed here, not needed
    assert "pip" not in pins  # nor the build venv's own tools
    setup = (autograder["root"] / "source" / "setup.sh").read_text(encoding="utf-8")
    assert 'pip" install --quiet -c "$ROOT/source/constraints.txt" "$ROOT/source/hnml-tutor"' in setup


def test_setup_prepares_the_container_for_isolation(autograder):
    setup = (autograder["root"] / "source" / "setup.sh").read_text(encoding="utf-8")
    user = ("useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin hnml-learner")
    assert user in setup and "id -u hnml-learner" in setup  # only when absent: setup.sh may run again
    bubblewrap = setup.index("apt-get install -y --no-install-recommends bubblewrap")
    assert setup.startswith("if ! {", setup.rindex("\n", 0, bubblewrap - 40) + 1)  # a failed install goes on...
    assert "bubblewrap could not be installed" in setup  # ...with one line saying so
    locate = "\"$ROOT/hnml-venv/bin/python\" -c 'import hnml_tutor, os; print(os.path.dirname(hnml_tutor.__file__))'"
    assert locate in setup
    lock = setup.index('chmod -R go-rwx "$ROOT/source" "$ROOT/hnml-cache" "$PACKAGE_DIR"')
    assert lock > setup.index("gradescope-run --prepare") > setup.index('install --quiet -c'), \
        "closed only after everything is installed and the cache is built"
    assert "hnml-venv\"" not in setup[lock:].split("\n")[0]  # the venv's other packages stay readable
    package_dir = subprocess.run([sys.executable, "-c", locate.split(" -c ", 1)[1].strip("'")],
                                 env={**os.environ, "PYTHONPATH": str(autograder["site"])}, cwd=autograder["root"],
                                 capture_output=True, text=True)
    assert package_dir.stdout.strip() == str(autograder["site"] / "hnml_tutor"), package_dir.stderr


def test_run_autograder_explains_an_empty_submission(autograder):
    results = run_autograder(autograder, {"notes.txt": "I ran out of time"})
    assert results["score"] == 0
    assert "no exercise files found" in results["output"].lower()


def test_a_run_without_data_is_an_autograder_failure_not_a_zero(autograder, tmp_path):
    root = tmp_path / "autograder"
    (root / "source").mkdir(parents=True)
    for entry in (autograder["root"] / "source").iterdir():
        if entry.name != "data":  # an image whose data never arrived
            (root / "source" / entry.name).symlink_to(entry)
    empty = tmp_path / "home"
    empty.mkdir()
    code, results, output, _ = run_autograder_at(root, autograder["site"], {"02_preprocess.py": solution("02")},
                                                 HOME=str(empty), KERAS_HOME=str(empty))
    assert code != 0
    assert "score" not in results and "tests" not in results, results  # never a 0 the learner did not earn
    assert results["extra_data"] == {"autograder_failed": True}
    assert "not graded" in results["output"] and "mnist data set" in results["output"], results["output"]
    assert "no score was recorded" in output  # the instructor reads run_autograder's stdout


def test_every_exercise_a_grader_fault_is_an_autograder_failure(tmp_path, monkeypatch):
    hidden = tmp_path / "hidden_tests"
    hidden.mkdir()
    (hidden / "test_02_fragile.py").write_text(BREAKING_HIDDEN_TEST, encoding="utf-8")
    config = tmp_path / "hnml-grade.json"
    config.write_text(json.dumps({"exercises": ["02"], "timeout": 30, "memory_mb": 4096, "seed": 12345,
                                  "workers": 1, "hidden_tests": "hidden_tests"}))
    submission = tmp_path / "submission"
    submission.mkdir()
    (submission / "02_preprocess.py").write_text(solution("02"), encoding="utf-8")
    monkeypatch.setenv("HNML_TEST_RUNS", str(tmp_path / "runs.txt"))
    monkeypatch.setenv("HNML_TEST_BREAK", "always")
    results = tmp_path / "results.json"
    outcome = CliRunner().invoke(app, ["gradescope-run", str(submission), "--results", str(results),
                                       "--config", str(config)])
    assert outcome.exit_code == 1, outcome.output
    assert "the instructor's fixture broke" in outcome.output  # the instructor sees why, on stdout
    written = json.loads(results.read_text(encoding="utf-8"))
    assert "score" not in written and "tests" not in written, written
    assert "failed on every exercise (02)" in written["output"]
    assert "fixture" not in written["output"]  # hidden tests' names and errors stay out of what learners see


FORGER = '''
import subprocess, sys
FORGED = '{"score": 100, "output": "all passed"}'
DAEMON = """
import sys, time
for _ in range(400):
    try:
        with open(sys.argv[1], "w") as handle:
            handle.write(sys.argv[2])
    except OSError:
        pass
    time.sleep(0.05)
"""
subprocess.Popen([sys.executable, "-c", DAEMON, RESULTS, FORGED], start_new_session=True, env={},
                 stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

def preprocess(images):
    raise RuntimeError("not done")
'''


def test_a_leftover_learner_process_cannot_rewrite_results_json(autograder):
    """The hostile learner of Gradescope: a detached process that keeps writing 100/100 into results.json."""
    results_path = autograder["root"] / "results" / "results.json"
    forger = f"RESULTS = {str(results_path)!r}\n" + FORGER
    code, results, output, _ = run_autograder_at(autograder["root"], autograder["site"],
                                                 {"02_preprocess.py": forger, "15_backprop.py": stub("15")})
    assert code == 0, output[-3000:]
    assert results["score"] == 0
    time.sleep(5)
    assert json.loads(results_path.read_text(encoding="utf-8")) == results


def test_a_bundle_of_the_whole_course_carries_each_data_set_it_needs(tmp_path):
    """By default the bundle holds every exercise; it ships MNIST and Fashion-MNIST for the exercises that
    read them, and nothing for one that needs no data set (08's seven temperatures)."""
    from hnml_tutor.curriculum import load_curriculum

    bundle = tmp_path / "autograder.zip"
    result = CliRunner().invoke(app, ["gradescope-bundle", str(bundle)])
    assert result.exit_code == 0, result.output
    with zipfile.ZipFile(bundle) as zipped:
        names = set(zipped.namelist())
        config = json.loads(zipped.read("hnml-grade.json"))
    curriculum = load_curriculum()
    assert config["exercises"] == [e.id for e in curriculum.exercises]
    shipped = {name.split("/")[1] for name in names if name.startswith("data/")}
    assert shipped == {e.dataset for e in curriculum.exercises if e.needs_data} == {"mnist", "fashion-mnist"}
