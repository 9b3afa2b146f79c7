"""Which isolation a command gets, and what it says when the strongest is not available here.

The machine is made to look as if it had neither bubblewrap nor the learner account, so these tests run
everywhere (and fast: nothing is graded when grading must refuse).
"""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from classroom_helpers import make_workspace, solution, stub
from hnml_tutor import app as tutor
from hnml_tutor.cli import app
from hnml_tutor.errors import TutorError
from hnml_tutor.sandbox import isolation


@pytest.fixture
def no_sandbox_here(monkeypatch):
    monkeypatch.setattr(isolation, "bubblewrap_problem", lambda: "bubblewrap is not installed")
    monkeypatch.setattr(isolation, "user_problem", lambda: "there is no account 'hnml-learner'")
    monkeypatch.delenv(isolation.ENV_VAR, raising=False)


def test_grade_refuses_to_run_unsealed_code_without_the_opt_in(no_sandbox_here, tmp_path):
    make_workspace(tmp_path / "subs" / "ann", {"02": solution("02")})
    result = CliRunner().invoke(app, ["grade", str(tmp_path / "subs"), "--out", str(tmp_path / "out"), "-e", "02"])
    assert result.exit_code == 2, result.output
    text = " ".join(result.output.split())
    assert "cannot be sealed off here: bubblewrap is not installed" in text and "--isolation process" in text
    assert not (tmp_path / "out" / "gradebook.csv").exists()


def test_an_explicit_level_that_cannot_work_says_why(no_sandbox_here):
    with pytest.raises(TutorError, match="bubblewrap is not installed"):
        isolation.resolve("bubblewrap")
    with pytest.raises(TutorError, match="no account"):
        isolation.resolve("user")
    with pytest.raises(TutorError, match="Unknown isolation"):
        isolation.resolve("chroot")
    assert isolation.resolve("auto") == isolation.resolve("process") == isolation.PROCESS


def test_check_falls_back_to_process_limits_with_one_line(no_sandbox_here, tmp_path):
    workspace = make_workspace(tmp_path / "ws", {"02": stub("02")})
    checked = tutor.check("02", workspace)
    assert not checked.passed  # the untouched stub, graded with process limits
    notes = [w for w in checked.warnings if "process limits only" in w]
    assert notes == ["Note: your code runs with process limits only (bubblewrap is not installed)."]


def test_asking_for_process_limits_silences_the_note(no_sandbox_here, tmp_path, monkeypatch):
    monkeypatch.setenv(isolation.ENV_VAR, "process")
    workspace = make_workspace(tmp_path / "ws", {"02": stub("02")})
    assert not [w for w in tutor.check("02", workspace).warnings if "process limits" in w]
