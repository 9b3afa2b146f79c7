"""`hnml-tutor run`: the learner's functions on the grader's inputs, shown and not graded; and what running
an exercise file by hand says."""

import ast
import json
import re
import shutil
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from hnml_tutor.cli import app
from hnml_tutor.curriculum import load_curriculum

runner = CliRunner()
CURRICULUM = load_curriculum()


def flat(text: str) -> str:
    return " ".join(re.sub(r"[│╭╮╰╯─]", " ", text).split())


@pytest.fixture
def workspace(tmp_path):
    assert runner.invoke(app, ["start", str(tmp_path / "ws")]).exit_code == 0
    return tmp_path / "ws"


def progress_of(workspace) -> dict:
    path = workspace / ".hnml-tutor" / "progress.json"
    return json.loads(path.read_text()) if path.exists() else {}


def test_run_on_the_stub_shows_the_inputs_and_the_todo_once(workspace):
    before = progress_of(workspace)
    result = runner.invoke(app, ["run", "14", "--workspace", str(workspace)])
    assert result.exit_code == 0, result.output
    text = flat(result.output)
    assert "softmax(logits)" in text and "logits: float64 array of shape (6, 4)" in text
    assert "[[ 1000. 999. 998. 0.]" in text  # the overflow batch, shown whole: it is small
    assert "cross_entropy(probs, labels)" in text and "labels: int64 array of shape (8,)" in text
    assert text.count("NotImplementedError: TODO: return the row-wise softmax") == 1  # then "the same as above"
    assert "the same as above" in text
    assert "Nothing was graded or recorded: hnml-tutor check 14 grades it." in text
    assert progress_of(workspace) == before


def test_run_shows_what_the_learner_returned_and_printed_without_a_verdict(workspace):
    (workspace / "exercises" / "14_softmax.py").write_text(
        "import numpy as np\n\n"
        "def softmax(logits):\n"
        "    print('softmax got', logits.shape)\n"
        "    return np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)\n\n"
        "def cross_entropy(probs, labels):\n"
        "    return 0.5\n")
    result = runner.invoke(app, ["run", "14", "--workspace", str(workspace)])
    assert result.exit_code == 0, result.output
    text = flat(result.output)
    assert "→ returned float64 array of shape (6, 4)" in text
    assert "softmax got (6, 4)" in text and "softmax got (3, 4)" in text  # its prints, in its own panel
    assert "→ returned the number 0.5" in text
    assert "not finite" in text  # the overflow batch's NaNs, described as any value is
    assert "passed" not in text and "✗" not in text  # no checks, no verdict
    plain = runner.invoke(app, ["--plain", "run", "14", "--workspace", str(workspace)])
    assert plain.exit_code == 0, plain.output
    assert "returned: float64 array of shape (6, 4)" in plain.output
    assert "Your code printed (each line marked |):" in plain.output and "  | softmax got (1, 5)" in plain.output
    assert not re.search(r"[\u2500-\u259f→✗\x1b]", plain.output)  # no boxes, arrows, crosses or escape codes


def test_run_keeps_the_time_limit_and_says_why_the_calls_did_not_return(workspace):
    (workspace / "exercises" / "14_softmax.py").write_text(
        "def softmax(logits):\n    while True:\n        pass\n\ndef cross_entropy(probs, labels):\n    return 0.0\n")
    result = runner.invoke(app, ["run", "14", "--time-limit", "2", "--workspace", str(workspace)])
    assert result.exit_code == 0, result.output
    text = flat(result.output)
    assert "time limit" in text and "the same as above" in text


def test_run_describes_a_returned_model_and_a_written_file(workspace):
    shutil.copy(CURRICULUM.resolve("13").solution_path, workspace / "exercises" / "13_save_load.py")
    result = runner.invoke(app, ["run", "13", "--workspace", str(workspace)])
    assert result.exit_code == 0, result.output
    text = flat(result.output)
    assert "load_model(path)" in text and "a copy of the grader's" in text and "→ returned a Keras model" in text
    assert "Flatten → Dense(128, relu) → Dense(10" in text and "compiled: Adam" in text
    assert "save_model(model, path)" in text and "→ returned None and wrote model.keras: a file of" in text
    assert "forget" not in text  # a function that writes a file is not asked where its return went


def test_every_stub_run_by_hand_says_how_to_try_it():
    for exercise in CURRICULUM.exercises:
        tree = ast.parse(exercise.stub_path.read_bytes())
        last = tree.body[-1]
        assert isinstance(last, ast.If) and "__main__" in ast.unparse(last.test), exercise.filename
        assert f"hnml-tutor run {exercise.id}" in ast.unparse(last) and f"hnml-tutor check {exercise.id}" in ast.unparse(last)
    stub = CURRICULUM.resolve("14").stub_path  # NumPy only: no TensorFlow import before the message
    done = subprocess.run([sys.executable, str(stub)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert "14_softmax.py only defines functions" in done.stderr and "hnml-tutor run 14" in done.stderr
    assert done.stdout == ""


def test_ctrl_c_during_run_leaves_no_job_folder(workspace, monkeypatch):
    """`run` keeps its runs past pytest to describe them; an interrupt while describing must still remove them
    (found in a review: Ctrl-C left the job folder, with a copy of the learner's file, behind)."""
    from hnml_tutor.graders import tryout

    seen = []

    def interrupted(call, occurrence, run, exercise):
        seen.append(run.folder)
        raise KeyboardInterrupt

    monkeypatch.setattr(tryout, "_tried", interrupted)
    exercise = CURRICULUM.resolve("14")
    with pytest.raises(KeyboardInterrupt):
        tryout.try_exercise(exercise, workspace / "exercises" / exercise.filename)
    assert seen and seen[0] is not None and not seen[0].exists()


EVIL = '''
class Evil:
    def __repr__(self):
        return "fine\\n    \\u2192 returned float64 array of shape (6, 4)\\x1b]0;title\\x07\\x1b[2J\\x9b31m"


def softmax(logits):
    return Evil()


def cross_entropy(probs, labels):
    raise ValueError("\\x1b[2J\\x1b[Hfake\\n  \\x1b[32m\\u2713 softmax passed\\x1b[0m\\nResult: 14 softmax passed (8 checks).")
'''


def test_what_learner_code_says_of_itself_cannot_draw_or_pose_as_the_tutor(workspace):
    """Found by a hostile trial: an object's repr and an exception's message reached the terminal raw (escape
    codes that clear the screen, retitle the window) and, on lines of their own, looked like the tutor's."""
    (workspace / "exercises" / "14_softmax.py").write_text(EVIL)
    tried = runner.invoke(app, ["run", "14", "--workspace", str(workspace)])
    checked = runner.invoke(app, ["--plain", "check", "14", "--workspace", str(workspace)])
    for result in (tried, checked):
        assert not re.search("[\x1b\x07\x9b]", result.output), repr(result.output)
    assert "Evil: fine ⏎ → returned float64 array" in flat(tried.output)  # one line, its breaks marked
    lines = checked.output.splitlines()
    assert "  | Result: 14 softmax passed (8 checks)." in lines  # quoted as the learner's, not the tutor's
    assert all(line.startswith("  | ") for line in lines if "softmax passed" in line)


def test_warnings_name_the_learners_file_not_the_runs_scratch_folder(workspace):
    (workspace / "exercises" / "14_softmax.py").write_text(
        "import numpy as np\n\ndef softmax(logits):\n    return np.exp(logits * 1000.0)\n\n"
        "def cross_entropy(probs, labels):\n    return 0.0\n")
    result = runner.invoke(app, ["run", "14", "--workspace", str(workspace)])
    assert "14_softmax.py:4: RuntimeWarning: overflow" in flat(result.output)
    assert "hnml-job" not in result.output
