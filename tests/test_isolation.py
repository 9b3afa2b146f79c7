"""Learner code in a bubblewrap jail: what it can reach, what outlives it, and a hostile class graded for real.

Every test here runs where bubblewrap works (CI installs it); elsewhere they are skipped with the reason,
and the process-limits fall-back is covered by the rest of the suite.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from classroom_helpers import strays_after_grace
from hnml_tutor.cache import cache_dir
from hnml_tutor.resources import graders_dir, solutions_dir
from hnml_tutor.sandbox import Call, Limits, cleanup, run
from hnml_tutor.sandbox.isolation import BUBBLEWRAP, bubblewrap_problem

pytestmark = pytest.mark.skipif(bool(bubblewrap_problem()), reason=f"no bubblewrap here: {bubblewrap_problem()}")

REPO = Path(__file__).resolve().parent.parent

LOOK_AROUND = """
import os, socket, sys

def look(paths):
    import hnml_tutor.sandbox.keras_hooks as hooks
    hooks.install_offline_datasets()  # the whole staged runtime imports: data sets, cache, transport
    import keras
    assert keras.datasets.mnist.load_data()[1][0].shape == (10000, 28, 28)
    seen = {}
    for name in ("hnml_tutor.graders", "hnml_tutor.reference", "hnml_tutor.solutions", "hnml_tutor.classroom"):
        try:
            __import__(name)
            seen[name] = "importable"
        except ImportError:
            pass
    for path in paths:
        if os.path.exists(path):
            seen[path] = "visible"
    for path in ("/", "/usr", "/run", sys.prefix, os.path.dirname(os.__file__)):
        try:
            with open(os.path.join(path, "planted.txt"), "w") as handle:
                handle.write("x")
            seen[path] = "writable"
        except OSError:
            pass
    try:
        socket.create_connection(("1.1.1.1", 53), timeout=2)
        seen["network"] = "reachable"
    except OSError:
        pass
    others = [p for p in os.listdir("/proc") if p.isdigit() and int(p) not in (1, os.getpid(), os.getppid())]
    if others:
        seen["processes"] = ",".join(open(f"/proc/{p}/cmdline").read().replace("\\0", " ")[:80] for p in others)
    return seen
"""


def _secrets(tmp_path: Path) -> list[str]:
    """What no learner may see: the tutor's package, answers, graders and cache, the project, another learner's
    copy, the data's real location and the machine's own secrets."""
    other_learner = tmp_path / "other-learner" / "02_preprocess.py"
    other_learner.parent.mkdir()
    other_learner.write_text("def preprocess(images):\n    return images / 255\n")
    return [str(solutions_dir()), str(graders_dir()), str(cache_dir()), str(REPO / "pyproject.toml"), str(other_learner),
            os.environ.get("HNML_TUTOR_DATA", "/nonexistent") + "/mnist", "/etc/shadow", str(Path.home() / ".pyenv"
            / "version")]


@pytest.mark.parametrize("kind", ["cold", "warm"])
def test_learner_code_sees_nothing_of_the_tutor_or_the_machine(tmp_path, kind, warm_launcher):
    from hnml_tutor.sandbox import ColdLauncher

    launcher = ColdLauncher() if kind == "cold" else warm_launcher
    assert launcher.isolation == BUBBLEWRAP
    source = tmp_path / "spy.py"
    source.write_text(LOOK_AROUND)
    result = run(source, (Call("look", (_secrets(tmp_path),)),), Limits(time_limit=30), launcher=launcher)
    try:
        assert result.ok, (result.status, result.reason, result.output)
        assert result.call("look").value == {}, "learner code reached what it must not"
        assert result.output.strip() == "", "the jail itself printed into the learner's output"
    finally:
        cleanup(result)


DETACHED = """
import subprocess, sys

def start(marker):
    subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)", marker], start_new_session=True,
                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    child = subprocess.Popen([sys.executable, "-c",
        "import os, subprocess, sys, time\\n"
        "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(300)', sys.argv[1]], start_new_session=True)\\n"
        "os._exit(0)", marker])
    child.wait()
    return 1
"""


def _alive_with(marker: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if marker.encode() in (entry / "cmdline").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


@pytest.mark.parametrize("kind", ["cold", "warm"])
def test_no_process_a_run_started_outlives_it(tmp_path, kind, warm_launcher):
    from hnml_tutor.sandbox import ColdLauncher

    launcher = ColdLauncher() if kind == "cold" else warm_launcher
    marker = f"hnml-detached-{kind}-{os.getpid()}-{time.monotonic_ns()}"
    source = tmp_path / "daemon.py"
    source.write_text(DETACHED)
    result = run(source, (Call("start", (marker,)),), Limits(time_limit=30), launcher=launcher)
    cleanup(result)
    assert result.ok and result.call("start").value == 1, (result.status, result.reason, result.output)
    deadline = time.monotonic() + 5
    while _alive_with(marker) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _alive_with(marker) == []


# --- a hostile class, graded for real -------------------------------------------------------------------------

ATTACKER = """
import glob, os, subprocess, sys

SOLUTION = {solution!r}
TARGETS = {targets!r}
DAEMON = '''
import glob, os, sys, time
solution, targets = sys.argv[1], sys.argv[2:]
for _ in range(600):
    for pattern in ["/tmp/**/02_preprocess.py", *targets]:
        for path in glob.glob(pattern, recursive=True):
            try:
                with open(path, "w") as handle:
                    handle.write(solution if "friend" in path else "def preprocess(images):\\\\n    return images\\\\n")
            except OSError:
                pass
    time.sleep(0.05)
'''
subprocess.Popen([sys.executable, "-c", DAEMON, SOLUTION, *TARGETS], start_new_session=True, env={{}},
                 stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def preprocess(images):
    for name in ("hnml_tutor.solutions", "hnml_tutor.graders", "hnml_tutor.reference"):
        try:
            module = __import__(name, fromlist=["*"])
        except ImportError:
            continue
        return images / 255.0  # the answers were in reach: a pass this learner did not earn
    stolen = [open(path).read() for path in glob.glob({hidden!r} + "/*.py")]  # echo the hidden tests
    raise RuntimeError("nothing to steal" + "".join(stolen))
"""

HIDDEN_TEST = '''"""Instructor-only: SECRET-HIDDEN-CHECK."""
import numpy as np
import pytest

from hnml_tutor.graders.common import expect_ran
from hnml_tutor.sandbox import Call


@pytest.mark.points(1)
def test_white_is_one(run_learner, filename, exercise):
    """a white image becomes ones"""
    white = np.full((2, 28, 28), 255, dtype=np.uint8)
    value = expect_ran(run_learner([Call("preprocess", (white,))]), "preprocess", filename, exercise.id)
    assert np.allclose(np.asarray(value, dtype=float), 1.0)
'''


def _workspace(folder: Path, files: dict[str, str]) -> None:
    from hnml_tutor.curriculum import load_curriculum

    (folder / "exercises").mkdir(parents=True)
    curriculum = load_curriculum()
    for exercise_id, text in files.items():
        (folder / "exercises" / curriculum.resolve(exercise_id).filename).write_text(text)


def _snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and ".hnml-grade" not in p.parts}


def test_a_hostile_learner_changes_nobody_elses_grade_and_nothing_after_the_run(tmp_path):
    from hnml_tutor.curriculum import load_curriculum

    curriculum = load_curriculum()
    stub = curriculum.resolve("02").stub_path.read_text()
    solution = curriculum.resolve("02").solution_path.read_text()
    subs, out, hidden = tmp_path / "submissions", tmp_path / "out", tmp_path / "hidden"
    hidden.mkdir()
    (hidden / "test_02_secret.py").write_text(HIDDEN_TEST)
    targets = [str(hidden / "*.py"), str(subs / "**" / "*.py"), str(out / "gradebook.csv"), str(out / "results" / "*.json"),
               str(cache_dir() / "**" / "*"), str(solutions_dir() / "*.py"), str(graders_dir() / "*.py")]
    _workspace(subs / "honest", {"02": solution})
    _workspace(subs / "friend", {"02": stub})
    _workspace(subs / "attacker", {"02": ATTACKER.format(solution=solution, targets=targets, hidden=str(hidden))})
    graders_before = {p.name: p.read_bytes() for p in graders_dir().glob("*.py")}
    env = {**os.environ, "TMPDIR": str(tmp_path)}
    finished = subprocess.run([sys.executable, "-m", "hnml_tutor", "grade", str(subs), "--out", str(out), "-e", "02",
                               "--workers", "2", "--tests", str(hidden)], capture_output=True, text=True, env=env, timeout=600)
    assert finished.returncode == 0, finished.stdout + finished.stderr
    rows = {line.split(",")[0]: line.split(",") for line in (out / "gradebook.csv").read_text().splitlines()[1:]}
    maximum = rows["honest"][-1]
    assert rows["honest"][-2] == maximum, rows  # full marks, whatever the attacker's daemon wrote
    assert float(rows["friend"][-2]) == 0 and float(rows["attacker"][-2]) == 0, rows
    attacker = json.loads((out / "results" / "attacker.json").read_text())
    assert "nothing to steal" in json.dumps(attacker) and "SECRET-HIDDEN-CHECK" not in json.dumps(attacker)
    assert "SECRET-HIDDEN-CHECK" not in (out / "feedback" / "attacker.html").read_text()
    before = _snapshot(out)
    time.sleep(15)
    assert _snapshot(out) == before, "OUT changed after grade exited"
    assert {p.name: p.read_bytes() for p in graders_dir().glob("*.py")} == graders_before
    assert strays_after_grace() == []
    assert not list(tmp_path.glob("hnml-*")), "scratch folders were left behind"


# --- user isolation (Gradescope: root, no user namespaces) ----------------------------------------------------

def _account_runs_python(name: str) -> str:
    """Why learner code cannot run as ``name`` here (not root, no such account, Python not reachable), or ""."""
    import pwd

    if os.geteuid() != 0:
        return "needs root"
    try:
        account = pwd.getpwnam(name)
    except KeyError:
        return f"no account {name}"
    try:
        trial = subprocess.run([sys.executable, "-c", "import numpy"], user=account.pw_uid, group=account.pw_gid,
                               capture_output=True)
    except OSError:
        trial = None
    if trial is None or trial.returncode != 0:
        return f"{name} cannot run {sys.executable} (a Python under a private home)"
    return ""


USER_PROBE = """
import os, subprocess, sys

def probe(private):
    subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)", private + "-marker"], start_new_session=True)
    reached = [path for path in (private, private + "/secret.txt") if os.access(path, os.R_OK)]
    try:
        open(private + "/planted.txt", "w").close()
        reached.append("wrote into the grader's folder")
    except OSError:
        pass
    from hnml_tutor import datasets
    return {"uid": os.getuid(), "images": list(datasets.load_arrays("mnist")["x_test"].shape), "reached": reached}
"""


@pytest.mark.parametrize("kind", ["cold", "warm"])
def test_user_isolation_runs_learner_code_as_the_unprivileged_account(tmp_path, kind, monkeypatch):
    problem = _account_runs_python("nobody")
    if problem:
        pytest.skip(f"user isolation cannot be tried here: {problem}")
    from hnml_tutor.sandbox import ColdLauncher, WarmLauncher

    monkeypatch.setenv("HNML_TUTOR_LEARNER_USER", "nobody")
    private = tmp_path / "grader-only"
    private.mkdir(mode=0o700)
    (private / "secret.txt").write_text("answers")
    source = tmp_path / "probe.py"
    source.write_text(USER_PROBE)
    launcher = ColdLauncher("user") if kind == "cold" else WarmLauncher("user")
    try:
        result = run(source, (Call("probe", (str(private),)),), Limits(time_limit=60), launcher=launcher)
    finally:
        launcher.close()
    cleanup(result)
    assert result.ok, (result.status, result.reason, result.output)
    assert result.call("probe").value == {"uid": 65534, "images": [10000, 28, 28], "reached": []}
    assert _alive_with(f"{private}-marker") == []


def test_a_python_installed_under_tmp_is_seen_inside_the_jail(tmp_path, monkeypatch):
    """The jail's /tmp is a fresh tmpfs; a venv made under /tmp (its Python and packages) must stay bound on top
    of it, or the child cannot even start ("bwrap: execvp …/bin/python: No such file or directory")."""
    from hnml_tutor.sandbox import isolation

    venv = tmp_path / "a-venv-under-tmp"
    (venv / "bin").mkdir(parents=True)
    (venv / "bin" / "marker").write_text("the venv's own file\n")
    assert str(venv).startswith("/tmp/")
    trees = isolation._python_trees()
    monkeypatch.setattr(isolation, "_python_trees", lambda: [*trees, venv])
    command = isolation.Jail(writable=()).command(["/bin/cat", str(venv / "bin" / "marker")])
    done = subprocess.run(command, capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "the venv's own file\n"


def test_the_jail_shows_only_the_data_sets_files_of_a_data_folder(tmp_path, monkeypatch):
    """HNML_TUTOR_DATA may name a folder that holds much more than the data (an instructor's home with the
    grading key, say): learner code sees the data sets' own files there, and nothing else (found by a hostile
    trial: with HNML_TUTOR_DATA=/ a learner's code read the grading key inside `grade`'s jail)."""
    from hnml_tutor.sandbox import isolation

    home = tmp_path / "home"
    (home / "mnist").mkdir(parents=True)
    for stem in ("train-images-idx3-ubyte", "t10k-labels-idx1-ubyte"):
        (home / "mnist" / f"{stem}.gz").write_bytes(b"data")
    (home / "mnist" / "notes.txt").write_text("not data")
    (home / "grading.key").write_text("secret")
    (home / "submissions").mkdir()
    monkeypatch.setenv("HNML_TUTOR_DATA", str(home))
    monkeypatch.setenv("KERAS_HOME", str(home))  # Keras' cache is bound the same way
    command = isolation.Jail(writable=()).command(["/bin/sh", "-c", f"cd {isolation.DATA} && find . | sort"])
    done = subprocess.run(command, capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == [".", "./mnist", "./mnist/t10k-labels-idx1-ubyte.gz",
                                   "./mnist/train-images-idx3-ubyte.gz"]
