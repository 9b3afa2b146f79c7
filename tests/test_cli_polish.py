"""Issue 11, the command line's rough edges: Typer's own output in plain mode, SIGTERM/SIGHUP during a run,
a damaged state folder, and what `hnml-tutor data` says.

Typer's output is tested through real subprocesses (``python -m hnml_tutor``): usage errors happen before
any command of ours runs, in ``cli.main``, which CliRunner does not call.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from hnml_tutor.errors import TutorError

DRAWING = re.compile("[\u2500-\u257f\u2580-\u259f]")  # box drawing and block elements
ESCAPE = "\x1b"
# Rich draws panels and writes colour into a pipe with FORCE_COLOR; plain mode must win over it.
RICH_ENV = {"FORCE_COLOR": "1", "TERM": "xterm-256color", "COLUMNS": "100"}


def hnml(args: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    environ.update(RICH_ENV, **env)
    return subprocess.run([sys.executable, "-m", "hnml_tutor", *args], cwd=cwd, env=environ, text=True,
                          capture_output=True, timeout=60)


TYPER_OUTPUT = {  # what Typer prints by itself, before the root callback runs
    "--plain, unknown option": (["--plain", "list", "--bogus"], {}, 2, "No such option: --bogus"),
    "TERM=dumb, misspelt command": (["chek", "01"], {"TERM": "dumb"}, 2, "No such command 'chek'"),
    "NO_COLOR, option before the command": (["--workspace", "/nonexist", "list"], {"NO_COLOR": "1"}, 2,
                                            "No such option: --workspace"),
    "--plain after the command": (["list", "--plain"], {}, 2, "No such option: --plain"),
    "--plain --help": (["--plain", "--help"], {}, 0, "Commands:"),
    "NO_COLOR, a command's help": (["data", "install", "-h"], {"NO_COLOR": "1"}, 0, "--json"),
}


@pytest.mark.parametrize("case", TYPER_OUTPUT)
def test_typers_own_output_is_plain_when_plain_is_asked_for(tmp_path, case):
    args, env, code, words = TYPER_OUTPUT[case]
    done = hnml(args, tmp_path, **env)
    output = done.stdout + done.stderr
    assert done.returncode == code, output
    assert words in output, output
    assert ESCAPE not in output, repr(output[:300])
    assert not DRAWING.search(output), output


def test_typers_own_output_stays_rich_otherwise(tmp_path):
    """Without plain mode the same error is a Rich panel: the detector above can fail."""
    done = hnml(["chek", "01"], tmp_path)
    assert done.returncode == 2
    assert DRAWING.search(done.stderr) and ESCAPE in done.stderr, done.stderr


SLOW_SOFTMAX = '''
import time
from pathlib import Path

import numpy as np


def softmax(logits):
    Path("learner-started").write_text("busy")
    time.sleep(45)  # far longer than the test waits, inside the exercise's limit
    exps = np.exp(logits - logits.max(axis=1, keepdims=True))
    return exps / exps.sum(axis=1, keepdims=True)


def cross_entropy(probs, labels):
    return float(-np.mean(np.log(np.clip(probs[np.arange(len(labels)), labels], 1e-12, 1.0))))
'''


def start_slow_run(root: Path, stdout) -> tuple[subprocess.Popen, Path, Path]:
    """`hnml-tutor run 14` with a TMPDIR and a cache of its own, once the learner's code is busy."""
    from classroom_helpers import make_workspace

    tmpdir, cache = root / "tmp", root / "cache"
    tmpdir.mkdir()
    workspace = make_workspace(root / "ws", {"14": SLOW_SOFTMAX})
    environ = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    process = subprocess.Popen([sys.executable, "-m", "hnml_tutor", "run", "14", "-w", str(workspace)],
                               cwd=root, env={**environ, "TMPDIR": str(tmpdir), "HNML_TUTOR_CACHE": str(cache)},
                               text=True, stdin=subprocess.DEVNULL, stdout=stdout, stderr=subprocess.STDOUT,
                               start_new_session=True)
    deadline = time.monotonic() + 60
    while not any(tmpdir.rglob("learner-started")):
        if process.poll() is not None or time.monotonic() > deadline:
            stop(process)
            raise AssertionError("the learner's code never started")
        time.sleep(0.1)
    assert any(tmpdir.glob("hnml-job-*")), "the assertion on leftovers could not fail"
    return process, tmpdir, cache


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


SIGNALS = pytest.mark.skipif(not hasattr(signal, "SIGHUP"), reason="Windows has no SIGHUP, and its SIGTERM "
                             "ends a process outright (TerminateProcess): nothing to handle")


@SIGNALS
def test_sigterm_during_run_cleans_up_like_ctrl_c(tmp_path):
    """`kill` while the learner's code is busy: one "cancelled" line, exit 143 (what a shell reports for
    SIGTERM) and no job folder left in TMPDIR. At Python's default, SIGTERM ended the process at once."""
    process, tmpdir, cache = start_slow_run(tmp_path, subprocess.PIPE)
    try:
        process.send_signal(signal.SIGTERM)  # the command alone, as `kill` sends it
        output, _ = process.communicate(timeout=30)
    finally:
        stop(process)
    assert process.returncode == 143, output
    assert "cancelled — your code was stopped; nothing was recorded." in output, output
    assert "Traceback" not in output and "internal error" not in output, output
    assert sorted(path.name for path in tmpdir.glob("hnml-*")) == [], output
    assert not any(cache.glob("crash-*")), output


@SIGNALS
def test_closing_the_terminal_during_run_cleans_up_and_reports_no_crash(tmp_path):
    """The terminal closes (its pseudo-terminal's other end goes, then SIGHUP): every write fails from then
    on, yet the job folder is removed, no crash log is written and the exit code is 129."""
    import pty

    terminal, learner_side = pty.openpty()
    try:
        process, tmpdir, cache = start_slow_run(tmp_path, learner_side)
    finally:
        os.close(learner_side)
    reader = threading.Thread(target=drain, args=(terminal,), daemon=True)  # a live line must not block
    reader.start()
    try:
        time.sleep(0.3)
        os.close(terminal)
        process.send_signal(signal.SIGHUP)
        process.wait(timeout=30)
    finally:
        stop(process)
    assert process.returncode == 129
    assert sorted(path.name for path in tmpdir.glob("hnml-*")) == []
    assert [log.read_text() for log in cache.glob("crash-*")] == []


def drain(descriptor: int) -> None:
    try:
        while os.read(descriptor, 4096):
            pass
    except OSError:  # closed by the test: the terminal is gone
        pass


def _damage(state: Path, name: str, how: str) -> Path:
    path = state / name
    if how == "folder":
        path.mkdir()
        (path / "something").write_text("")
    else:
        path.symlink_to(path.name)  # a link to itself: every open fails with ELOOP
    return path


DAMAGE = {"lock is a folder": ("progress.lock", "folder", "is a folder, not a file"),
          "lock is a looping link": ("progress.lock", "loop", "is a symbolic link that loops back on itself"),
          "progress is a folder": ("progress.json", "folder", "is a folder, not a file")}


@pytest.mark.parametrize("command", ["check", "hint"])
@pytest.mark.parametrize("damage", DAMAGE)
def test_a_damaged_state_file_is_named_before_grading(tmp_path, monkeypatch, command, damage):
    """Before: `check` graded for up to a minute, then ended in "internal error" (exit 3) with nothing
    recorded. Now nothing is graded: exit 2 and the path to remove."""
    from typer.testing import CliRunner

    from classroom_helpers import make_workspace, solution
    from hnml_tutor.cli import app
    from hnml_tutor.graders import runner

    def no_grading(*args, **kwargs):
        raise AssertionError("graded although the result could not be recorded")

    monkeypatch.setattr(runner, "grade_exercise", no_grading)
    workspace = make_workspace(tmp_path / "ws", {"14": solution("14")})
    name, how, words = DAMAGE[damage]
    damaged = _damage(workspace / ".hnml-tutor", name, how)
    result = CliRunner().invoke(app, ["--plain", command, "14", "-w", str(workspace)])
    assert result.exit_code == 2, result.output
    assert f"{damaged} {words}" in result.output, result.output
    assert f"rm -r '{damaged}'" in result.output, result.output
    assert "internal error" not in result.output


def test_only_a_lock_refuses_a_link_to_a_file(tmp_path):
    """filelock opens its file with O_NOFOLLOW: a link in the lock's place fails even when it leads to a
    file, while the progress file is read through one. A missing file is fine for both."""
    from hnml_tutor.locks import exclusive, not_a_file

    assert not_a_file(tmp_path / "missing") is None
    with exclusive(tmp_path / "missing"):
        pass
    (tmp_path / "file").write_text("")
    (tmp_path / "link").symlink_to("file")
    assert not_a_file(tmp_path / "link") is None
    with pytest.raises(TutorError, match="is a symbolic link; a lock is taken on a file of its own"):
        with exclusive(tmp_path / "link"):
            pass


@pytest.fixture
def keras_machine(tmp_path, monkeypatch):
    """The data in HNML_TUTOR_DATA (absolute), an empty Keras home and an empty tutor cache."""
    from conftest import SHARED_DATA
    from hnml_tutor import data_catalog, data_folder

    monkeypatch.setenv("HNML_TUTOR_DATA", str(SHARED_DATA))
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    monkeypatch.setenv("HNML_TUTOR_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(data_catalog, "DEBIAN_DIR", tmp_path / "debian")
    monkeypatch.setattr(data_folder, "_pinned", None)
    return tmp_path


def _plain(args: list[str]):
    from typer.testing import CliRunner

    from hnml_tutor.cli import app

    return CliRunner().invoke(app, ["--plain", *args])


def test_data_explains_a_relative_data_folder_only_for_a_relative_value(keras_machine, monkeypatch):
    rule = "A relative HNML_TUTOR_DATA is taken against"
    assert rule not in _plain(["data"]).stdout  # absolute
    monkeypatch.delenv("HNML_TUTOR_DATA")
    assert rule not in _plain(["data"]).stdout  # unset
    from conftest import SHARED_DATA

    monkeypatch.chdir(SHARED_DATA.parent)
    monkeypatch.setenv("HNML_TUTOR_DATA", SHARED_DATA.name)
    assert rule in _plain(["data"]).stdout


def test_after_install_data_says_what_works_for_mnist_and_install_says_why_it_exits_1(keras_machine):
    installed = _plain(["data", "install"])
    assert installed.exit_code == 1, installed.output
    lines = installed.stdout.splitlines()
    assert "    from hnml_tutor.datasets import load_data" in lines  # code on a line of its own
    assert '    (x_train, y_train), (x_test, y_test) = load_data("mnist")' in lines
    assert '    python -c "import keras; keras.datasets.mnist.load_data()"' in lines
    assert lines[-1].startswith("Exit code 1: 1 file(s) could not be placed"), lines[-1]
    assert "mnist still needs the internet; every other file is in place." in lines[-1]

    shown = _plain(["data"]).stdout
    assert "To make your own keras.datasets…load_data() work offline: hnml-tutor data install" not in shown
    assert "    from hnml_tutor.datasets import load_data" in shown.splitlines()
    assert "Exits 1 when a file could not be placed" in " ".join(_plain(["data", "install", "-h"]).stdout.split())


def test_before_install_data_still_points_at_install(keras_machine):
    shown = _plain(["data"]).stdout
    assert "To make your own keras.datasets…load_data() work offline: hnml-tutor data install" in shown
