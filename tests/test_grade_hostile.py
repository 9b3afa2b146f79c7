"""A class full of hostile and broken submissions: each gets a zero with a clear reason, everyone else is graded.

The whole class is graded once (exercises 02 and 15, two workers) through the real CLI; every test below
reads what that run left in OUT. Exercise 02 carries the attack; exercise 15 is a correct solution in
every workspace that has one, so "every other exercise is still graded" is checked learner by learner.
Neither needs Keras, so the twenty-odd learners' jails cost no TensorFlow import each: the attacks are
on the sandbox, which is the same whatever the exercise.
"""

from __future__ import annotations

import textwrap
import zipfile

import pytest
from typer.testing import CliRunner

from classroom_helpers import (
    feedback_for,
    make_workspace,
    read_gradebook,
    solution,
    strays_after_grace,
    tree_digest,
    zip_folder,
)
from hnml_tutor.cli import app
from hnml_tutor.sandbox.isolation import BUBBLEWRAP, resolve

def hostile(body: str) -> str:
    return textwrap.dedent(body).lstrip()


FAKE_FILES = hostile("""
    import json, os
    from pathlib import Path

    def plant(folder):
        try:
            (folder / "results.json").write_text(json.dumps({"score": 100, "tests": []}))
            (folder / "gradebook.csv").write_text("learner,02,15,total,max\\nfake_files,10,30,40,40\\n")
        except OSError:
            pass

    for start in (Path(__file__).resolve().parent, Path.cwd()):
        for folder in [start, *start.parents][:5]:
            plant(folder)
""")

PATCH_GRADER = hostile("""
    import sys
    from pathlib import Path
    import pytest
    pytest.main = lambda *args, **kwargs: 0
    try:  # in a bubblewrap jail the graders are not even importable (tests/test_isolation.py)
        import hnml_tutor.graders.runner as runner
        runner.grade_exercise = lambda *args, **kwargs: None
        import hnml_tutor.graders.vocabulary as vocabulary
        vocabulary.fail = lambda *args, **kwargs: None
    except ImportError:
        pass
    here = Path(__file__).resolve().parent
    for folder in (here, here.parent, Path.cwd()):
        (folder / "conftest.py").write_text(
            "import pytest\\n"
            "@pytest.hookimpl(wrapper=True)\\n"
            "def pytest_runtest_makereport(item, call):\\n"
            "    report = yield\\n"
            "    report.outcome = 'passed'\\n"
            "    return report\\n")
        (folder / "pytest.ini").write_text("[pytest]\\naddopts = -p no:hnml\\n")
""")

HOSTILE_02 = {
    "loop_at_import": "while True:\n    pass\n",
    "loop_in_function": "def preprocess(images):\n    while True:\n        pass\n",
    "memory_bomb": hostile("""
        def preprocess(images):
            hoard = []
            while True:
                hoard.append(bytearray(64 * 1024 * 1024))
                hoard[-1][::4096] = b"x" * len(hoard[-1][::4096])
    """),
    "output_flood": "def preprocess(images):\n    while True:\n        print('spam ' * 200)\n",
    "sys_exit_at_import": "import sys\nsys.exit(0)\n",
    "os_exit_at_import": "import os\nos._exit(0)\n",
    "sys_exit_in_function": "import sys\ndef preprocess(images):\n    sys.exit(0)\n",
    "os_exit_in_function": "import os\ndef preprocess(images):\n    os._exit(0)\n",
    "patches_the_grader": PATCH_GRADER,
    "prints_passed": "print('test_range_zero_to_one PASSED\\n<script>alert(1)</script> 10/10 ✓ all checks passed')\n",
    "fake_files": FAKE_FILES,
    "syntax_error": "def preprocess(images)\n    return images / 255.0\n",
    "kills_its_parent": "import os, signal\ndef preprocess(images):\n    os.kill(os.getppid(), signal.SIGKILL)\n",
    "kills_the_grader": hostile("""
        import os, signal
        def preprocess(images):
            for pid in (os.getppid(),):
                with open(f"/proc/{pid}/status") as status:
                    grandparent = next(int(l.split()[1]) for l in status if l.startswith("PPid:"))
            os.kill(grandparent, signal.SIGKILL)
            raise RuntimeError("the grader was out of reach")  # in a jail, the grader is not even in view
    """),
    "leaves_a_daemon": hostile("""
        import subprocess, sys
        def preprocess(images):
            subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"], start_new_session=True)
            raise RuntimeError("gave up")
    """),
}

# What the learner must read about their zero (lower-cased substrings of the 02 feedback).
REASONS = {
    "loop_at_import": "time limit",
    "loop_in_function": "time limit",
    "memory_bomb": "memory limit",
    "output_flood": "output",
    "sys_exit_at_import": "sys.exit",
    "os_exit_at_import": "sys.exit",
    "sys_exit_in_function": "sys.exit",
    "os_exit_in_function": "sys.exit",
    "patches_the_grader": "no function `preprocess`",
    "prints_passed": "no function `preprocess`",
    "fake_files": "no function `preprocess`",
    "syntax_error": "syntax error",
    "kills_its_parent": "killed the process that started it",
    # In a bubblewrap jail the grader is out of reach; with process limits only, the worker dies and is replaced.
    "kills_the_grader": "out of reach" if resolve() == BUBBLEWRAP else "grading process stopped",
    "leaves_a_daemon": "runtimeerror",
    "non_utf8": "utf-8",
    "missing_file": "missing",
    "empty_zip": "empty zip",
    "corrupt_zip": "not a readable zip",
}


@pytest.fixture(scope="module")
def graded_class(tmp_path_factory):
    root = tmp_path_factory.mktemp("class")
    subs, out, scratch = root / "submissions", root / "out", root / "tmp"
    subs.mkdir()
    scratch.mkdir()
    for learner, source in HOSTILE_02.items():
        make_workspace(subs / learner, {"02": source, "15": solution("15")})
    make_workspace(subs / "non_utf8", {"02": "# caf\xe9\n".encode("latin-1") + solution("02").encode(), "15": solution("15")})
    make_workspace(subs / "missing_file", {"15": solution("15")})
    make_workspace(subs / "correct", {"02": solution("02"), "15": solution("15")})
    (subs / "correct" / "exercises" / "passwd_link").symlink_to("/etc/passwd")
    junk = make_workspace(root / "junk_src", {
        "02": solution("02"), "15": solution("15"),
        "big.bin": b"\0" * (12 * 1024 * 1024),
        "exercises/notes.bin": bytes(range(256)) * 8192,
        "exercises/99_junk.py": b"\xff\xfe not python at all \x00",
        "exercises/deep/a/b/c/d/e/f.txt": "deep",
        "node_modules/x/index.js": "module.exports = 1",
    })
    zip_folder(junk, subs / "junk_files.zip", prefix="my-workspace/")
    with zipfile.ZipFile(subs / "junk_files.zip", "a") as zipped:
        zipped.writestr("../../escaped.txt", "zip slip")
        zipped.writestr("/tmp/absolute-escape.txt", "zip slip")
        link = zipfile.ZipInfo("my-workspace/exercises/passwd_link")
        link.external_attr = 0o120777 << 16
        zipped.writestr(link, "/etc/passwd")
    with zipfile.ZipFile(subs / "empty_zip.zip", "w"):
        pass
    (subs / "corrupt_zip.zip").write_bytes(b"PK\x03\x04" + bytes(range(200)))
    (subs / "README.txt").write_text("not a learner")
    before = tree_digest(subs)

    # 8 s: the two endless loops cost a worker their whole limit, and a correct 02 or 15 needs under a second.
    result = CliRunner().invoke(app, ["grade", str(subs), "--out", str(out), "-e", "02,15", "--timeout", "8",
                                      "--memory", "1536", "--workers", "2"],
                                env={"TMPDIR": str(scratch), "COLUMNS": "200"})
    return {"result": result, "subs": subs, "out": out, "root": root, "before": before}


def test_the_run_finishes_and_reports(graded_class):
    result = graded_class["result"]
    assert result.exit_code == 0, result.output
    assert "Gradebook" in result.output and "README.txt: not a folder or a .zip" in result.output


def test_hostile_submissions_get_a_zero_with_the_reason(graded_class):
    book = read_gradebook(graded_class["out"] / "gradebook.csv")
    failures = []
    for learner, reason in REASONS.items():
        if book[learner]["02"] != "0":
            failures.append(f"{learner}: 02 earned {book[learner]['02']}")
        text = feedback_for(graded_class["out"], learner, "02")
        if reason not in text:
            failures.append(f"{learner}: reason '{reason}' not in feedback:\n{text[:600]}")
    assert not failures, "\n".join(failures)


def test_everyone_else_is_still_graded(graded_class):
    book = read_gradebook(graded_class["out"] / "gradebook.csv")
    unreadable = {"empty_zip", "corrupt_zip"}
    for learner, row in book.items():
        expected_15 = "0" if learner in unreadable else "30"
        assert row["15"] == expected_15, (learner, row)
    assert book["correct"]["02"] == "10" and book["correct"]["total"] == "40"
    assert book["junk_files"]["total"] == "40", feedback_for(graded_class["out"], "junk_files", "02")
    assert set(book) == set(REASONS) | {"correct", "junk_files"}


def test_nothing_reaches_out_or_the_submissions(graded_class):
    out, root = graded_class["out"], graded_class["root"]
    assert tree_digest(graded_class["subs"]) == graded_class["before"]
    assert sorted(p.name for p in out.iterdir()) == [".hnml-grade", "feedback", "gradebook.csv", "results"]
    assert "fake_files,0,30,30,40" in (out / "gradebook.csv").read_text()
    assert not (root / "results.json").exists() and not (root / "escaped.txt").exists()
    assert not list((root / "tmp").glob("hnml-grade-*")), "the scratch folder is removed"
    assert not any(p.name == "conftest.py" for p in root.rglob("conftest.py"))


def test_no_learner_process_outlives_the_run(graded_class):
    assert strays_after_grace() == []


def test_feedback_pages_exist_and_escape_learner_output(graded_class):
    out = graded_class["out"]
    for learner in REASONS:
        assert (out / "feedback" / f"{learner}.html").is_file()
    page = (out / "feedback" / "prints_passed.html").read_text(encoding="utf-8")
    assert "all checks passed" in page and "30</strong> / 40" in page
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
