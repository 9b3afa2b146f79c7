"""The CLI as a learner meets it: through Typer's CliRunner and as a real subprocess."""

import json
import re
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hnml_tutor.cli import app
from hnml_tutor.curriculum import load_curriculum

runner = CliRunner()
CURRICULUM = load_curriculum()


def plain(text: str) -> str:
    """Output without Rich's box drawing and line wrapping, for phrase matching."""
    return " ".join(re.sub(r"[│╭╮╰╯─┃━┏┓┗┛┡┩└┘┌┐]", " ", text).split())


@pytest.fixture
def workspace(tmp_path):
    result = runner.invoke(app, ["start", str(tmp_path / "ws")])
    assert result.exit_code == 0, result.output
    return tmp_path / "ws"


def invoke(workspace, *args):
    return runner.invoke(app, [*args, "--workspace", str(workspace)])


def put_solution(workspace, exercise_id):
    exercise = CURRICULUM.resolve(exercise_id)
    shutil.copy(exercise.solution_path, workspace / "exercises" / exercise.filename)


def test_start_creates_every_exercise(workspace):
    for exercise in CURRICULUM.exercises:
        assert (workspace / "exercises" / exercise.filename).read_bytes() == exercise.stub_path.read_bytes()
    assert (workspace / "plots").is_dir() and (workspace / ".hnml-tutor").is_dir()


def test_start_refuses_an_existing_workspace(workspace):
    (workspace / "exercises" / "01_load.py").write_text("my work")
    result = runner.invoke(app, ["start", str(workspace)])
    assert result.exit_code == 2
    assert "already holds" in plain(result.output)
    assert (workspace / "exercises" / "01_load.py").read_text() == "my work"


def test_list_shows_status_and_progress(workspace):
    result = invoke(workspace, "list")
    assert result.exit_code == 0
    total = len(CURRICULUM.exercises)
    assert "Load MNIST" in result.output and "not started" in result.output and f"0 of {total}" in result.output
    groups = CURRICULUM.grouped()
    if len(groups) > 1:  # the course reads as parts, each with how many of its exercises are done
        for part, exercises in groups:
            assert f"{part.title} 0/{len(exercises)}" in plain(result.output)


def test_hints_come_in_layers(workspace):
    exercise = CURRICULUM.resolve("02")
    outputs = [invoke(workspace, "hint", "preprocess").output for _ in range(4)]
    assert "Hint 1 of 3" in outputs[0] and "Hint 2 of 3" in outputs[1] and "Hint 3 of 3" in outputs[2]
    assert "Hint 3 of 3" in outputs[3]
    assert "255" in outputs[0] and exercise.hints[2].split("`")[1][:20] in plain(outputs[2])


def test_show_renders_the_instructions(workspace):
    result = invoke(workspace, "show", "3")
    assert result.exit_code == 0 and "Build a network" in result.output and "Flatten" in result.output


def test_check_stub_fails_with_exit_1(workspace):
    result = invoke(workspace, "check", "02")
    assert result.exit_code == 1
    assert "TODO" in result.output and "hnml-tutor hint 02" in plain(result.output)


def test_check_pass_records_progress_and_names_next(workspace):
    put_solution(workspace, "02")
    result = invoke(workspace, "check", "2")
    assert result.exit_code == 0, result.output
    assert "passed" in result.output and "03" in result.output
    assert "what you just learned" in result.output and "dividing by 255" in plain(result.output)
    state = json.loads((workspace / ".hnml-tutor" / "progress.json").read_text())
    assert state["exercises"]["02"]["status"] == "done"
    assert f"1 of {len(CURRICULUM.exercises)}" in invoke(workspace, "list").output


def test_check_json(workspace):
    put_solution(workspace, "02")
    result = invoke(workspace, "check", "preprocess", "--json")
    data = json.loads(result.stdout)
    assert result.exit_code == 0 and data["passed"] and data["next"] == "03"
    assert all(c["status"] == "passed" for c in data["checks"])


def test_bad_id_is_a_usage_error(workspace):
    result = invoke(workspace, "check", "99")
    assert result.exit_code == 2 and "no exercise called '99'" in plain(result.output)


def test_no_workspace_is_explained(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("HNML_TUTOR_WORKSPACE", raising=False)
    result = runner.invoke(app, ["list"])
    assert result.exit_code == 2 and "hnml-tutor start" in plain(result.output)


def test_corrupted_progress_is_rebuilt_with_a_warning(workspace):
    state = workspace / ".hnml-tutor" / "progress.json"
    state.write_text("{not json")
    result = invoke(workspace, "list")
    assert result.exit_code == 0 and "damaged" in plain(result.output)
    assert list((workspace / ".hnml-tutor").glob("progress.json.corrupt-*"))


def test_reset_backs_up_the_learners_file(workspace):
    target = workspace / "exercises" / "02_preprocess.py"
    target.write_text("my attempt")
    result = invoke(workspace, "reset", "02")
    assert result.exit_code == 0
    assert target.read_bytes() == CURRICULUM.resolve("02").stub_path.read_bytes()
    backups = list(target.parent.glob("02_preprocess.py.backup-*"))
    assert len(backups) == 1 and backups[0].read_text() == "my attempt"


def test_solution_unlocks_after_a_pass(workspace):
    assert invoke(workspace, "solution", "02").exit_code == 2
    put_solution(workspace, "02")
    invoke(workspace, "check", "02")
    result = invoke(workspace, "solution", "02")
    assert result.exit_code == 0 and "255" in result.output


# --- as a real subprocess -------------------------------------------------------------------------

def cli(*args, cwd):
    env = dict(os.environ, COLUMNS="100")
    return subprocess.run([sys.executable, "-m", "hnml_tutor", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)


def test_subprocess_session(tmp_path):
    assert cli("start", "ws", cwd=tmp_path).returncode == 0
    ws = tmp_path / "ws"
    listing = cli("list", cwd=ws)
    assert listing.returncode == 0 and "Load MNIST" in listing.stdout
    assert "Hint 1 of 3" in cli("hint", cwd=ws).stdout
    failing = cli("check", cwd=ws)
    assert failing.returncode == 1 and "TODO" in failing.stdout
    put_solution(ws, "01")
    passing = cli("check", "01", cwd=ws)
    assert passing.returncode == 0, passing.stdout + passing.stderr
    assert "plots/01_samples.png" in passing.stdout and (ws / "plots" / "01_samples.png").stat().st_size > 1000
    data = json.loads(cli("check", "1", "--json", cwd=ws).stdout)
    assert data["passed"] and data["next"] == "02"
    assert "Traceback" not in passing.stderr + failing.stderr


def test_subprocess_hanging_and_crashing_files(tmp_path):
    cli("start", "ws", cwd=tmp_path)
    ws = tmp_path / "ws"
    target = ws / "exercises" / "02_preprocess.py"
    target.write_text("def preprocess(images):\n    while True:\n        pass\n")
    hanging = cli("check", "02", "--time-limit", "3", cwd=ws)
    assert hanging.returncode == 1 and "time limit" in plain(hanging.stdout)
    target.write_text("import ctypes\ndef preprocess(images):\n    ctypes.string_at(0)\n")
    crashing = cli("check", "02", cwd=ws)
    assert crashing.returncode == 1 and "crashed" in plain(crashing.stdout)
    assert "Traceback" not in hanging.stderr + crashing.stderr


def test_help_lists_the_commands(tmp_path):
    result = cli("--help", cwd=tmp_path)
    for command in ("start", "list", "check", "hint", "show", "reset", "solution"):
        assert command in result.stdout
