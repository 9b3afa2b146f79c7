"""Results that cannot be rewritten unnoticed: `grade` seals what it writes with the instructor's key, `--resume`
regrades a stored outcome whose seal fails, and `grade --verify OUT` names every file changed since grading."""

from __future__ import annotations

import hashlib
import json
import shutil
import stat

import pytest
from typer.testing import CliRunner

from classroom_helpers import make_workspace, read_gradebook, solution, stub
from hnml_tutor.cli import app
from test_grade_class import HIDDEN_TEST

KEY_ENV = "HNML_TUTOR_GRADING_KEY_FILE"


def hnml(*args: str, key) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args), env={KEY_ENV: str(key), "COLUMNS": "200"})
    return result.exit_code, result.output


def grade(subs, out, *extra: str, key) -> tuple[int, str]:
    return hnml("grade", str(subs), "--out", str(out), "-e", "02", "--timeout", "30", "--workers", "2",
                *extra, key=key)


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """Two learners graded on 02 with a hidden test, feedback pages showing hidden tests (--show-hidden)."""
    root = tmp_path_factory.mktemp("sealed")
    subs, hidden = root / "subs", root / "hidden"
    make_workspace(subs / "alice", {"02": solution("02")})
    make_workspace(subs / "bob", {"02": stub("02")})
    hidden.mkdir()
    (hidden / "test_02_white.py").write_text(HIDDEN_TEST, encoding="utf-8")
    key = root / "config" / "grading.key"
    code, output = grade(subs, root / "out", "--tests", str(hidden), "--show-hidden", key=key)
    assert code == 0, output
    return {"root": root, "subs": subs, "hidden": hidden, "out": root / "out", "key": key}


def copy_out(graded, tmp_path):
    out = tmp_path / "out"
    shutil.copytree(graded["out"], out)
    return out


def test_the_key_is_made_private_on_first_use(graded):
    mode = stat.S_IMODE(graded["key"].stat().st_mode)
    assert mode == 0o600, oct(mode)
    assert len(bytes.fromhex(graded["key"].read_text().strip())) == 32


def test_fresh_grades_verify(graded):
    code, output = hnml("grade", "--verify", str(graded["out"]), key=graded["key"])
    # two results, two feedback pages, the gradebook, and one stored outcome per learner
    assert code == 0 and "All 7 sealed file(s)" in output, output


def test_verify_names_every_file_changed_since_grading(graded, tmp_path):
    out = copy_out(graded, tmp_path)
    book = (out / "gradebook.csv").read_text()
    assert "bob,0,0,13" in book
    (out / "gradebook.csv").write_text(book.replace("bob,0,0,13", "bob,13,13,13"))
    results = json.loads((out / "results" / "bob.json").read_text())
    results["score"] = 13.0
    (out / "results" / "bob.json").write_text(json.dumps(results))
    seal = out / ".hnml-grade" / "seals" / "results" / "bob.json.hmac"
    seal.write_text(hashlib.sha256((out / "results" / "bob.json").read_bytes()).hexdigest())  # no key: no seal
    (out / "results" / "eve.json").write_text(json.dumps(results))
    (out / "feedback" / "alice.html").unlink()

    code, output = hnml("grade", "--verify", str(out), key=graded["key"])
    assert code == 1, output
    assert "changed since grading: gradebook.csv" in output
    assert "changed since grading: results/bob.json" in output
    assert "not written by grade (no seal): results/eve.json" in output
    assert "sealed but gone: feedback/alice.html" in output
    assert "alice.json" not in output and "bob.html" not in output  # untouched files are not blamed


def test_another_key_verifies_nothing(graded, tmp_path):
    other = tmp_path / "other.key"
    other.write_text("ab" * 32 + "\n")
    code, output = hnml("grade", "--verify", str(graded["out"]), key=other)
    assert code == 1 and "changed since grading: gradebook.csv" in output, output


def test_resume_regrades_an_outcome_whose_seal_fails(graded, tmp_path):
    out = copy_out(graded, tmp_path)
    stored = out / ".hnml-grade" / "outcomes" / "bob" / "02.json"
    sealed = json.loads(stored.read_text())
    forged = sealed["outcome"]
    forged["points"] = forged["max_points"]
    for check in forged["checks"]:
        check["status"] = "passed"
    stored.write_text(json.dumps(sealed))  # the old seal kept beside the forged outcome

    code, output = grade(graded["subs"], out, "--tests", str(graded["hidden"]), "--resume", key=graded["key"])
    assert code == 0, output
    assert "1 stored exercise(s) were graded again because their seal did not verify" in output
    assert "Graded 1 exercise(s), reused 1" in output
    assert read_gradebook(out / "gradebook.csv")["bob"]["total"] == "0"
    assert hnml("grade", "--verify", str(out), key=graded["key"])[0] == 0


def test_a_key_inside_out_is_refused(graded, tmp_path):
    out = tmp_path / "out"
    code, output = grade(graded["subs"], out, key=out / "grading.key")
    assert code == 2 and "protects nothing" in output, output
    assert not (out / "gradebook.csv").exists()


def test_verify_without_a_key_says_where_it_looked(graded, tmp_path):
    code, output = hnml("grade", "--verify", str(graded["out"]), key=tmp_path / "none.key")
    assert code == 2 and "no grading key" in output.lower(), output
    assert not (tmp_path / "none.key").exists()


def test_show_hidden_puts_instructor_tests_in_the_feedback(graded):
    page = (graded["out"] / "feedback" / "bob.html").read_text(encoding="utf-8")
    assert "pure white image" in page and "instructor test" in page
