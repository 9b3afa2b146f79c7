"""Ctrl-C during `check`, `watch` and `grade`, pressed while the learner's code is busy, as a terminal sends it:
SIGINT to the command's whole process group.

Each command runs once as a real subprocess with a TMPDIR of its own and a learner file that starts two
`sleep` processes — one in its own process group, one in a session of its own (`start_new_session`, what
`setsid` does) — then keeps busy for longer than the test waits, and would pass if it were let finish.
Every test below reads the one cancelled run of its command.
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from classroom_helpers import make_workspace

TOKEN_VARIABLE = "HNML_TEST_CANCEL_RUN"  # in the environment of everything a cancelled command started
STARTED = "learner-started"  # written by the learner's code into its working folder once it is busy

LEARNER = '''
import subprocess
import time
from pathlib import Path


def preprocess(images):
    subprocess.Popen(["sleep", "{grouped}"])
    subprocess.Popen(["sleep", "{detached}"], start_new_session=True)
    Path("{started}").write_text("busy")
    for _ in range(300):  # 30 s: far longer than the test waits, inside the 60 s limit
        time.sleep(0.1)
    return images.astype("float32") / 255.0
'''

COMMANDS = ("check", "watch", "grade")
ISOLATION_PENDING = pytest.mark.xfail(
    reason="a process started in a session of its own escapes the process-group kill of `check` and `watch`; "
           "the OS-level isolation being added to hnml_tutor/sandbox/ (bubblewrap, PID namespaces) ends it",
    strict=False)


@dataclass
class Cancelled:
    """What one command left behind after a Ctrl-C."""

    command: str
    exit_code: int
    output: str
    survivors: dict[int, str]  # pid → command line, for every process of the run still alive after a grace
    detached_tag: str  # the command-line argument of the learner's own-session `sleep`
    leftovers: list[str]  # hnml-* scratch folders left in the command's TMPDIR
    progress: str  # the workspace's progress file ("" when there is none)

    def survivors_but_detached(self) -> dict[int, str]:
        return {pid: line for pid, line in self.survivors.items() if self.detached_tag not in line}


def _processes_of(token: str, tags: tuple[str, ...]) -> dict[int, str]:
    """Processes whose environment carries ``token`` or whose command line carries one of ``tags``."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
            environ = (entry / "environ").read_bytes()
        except OSError:
            continue
        if f"{TOKEN_VARIABLE}={token}".encode() in environ.split(b"\0") or any(tag in command for tag in tags):
            found[int(entry.name)] = command
    return found


def _survivors(token: str, tags: tuple[str, ...], grace: float = 5.0) -> dict[int, str]:
    """The run's processes still alive after ``grace`` seconds (a SIGKILLed process can take a moment to go)."""
    deadline = time.monotonic() + grace
    while (alive := _processes_of(token, tags)) and time.monotonic() < deadline:
        time.sleep(0.1)
    return alive


def _wait_until_busy(process: subprocess.Popen, tmpdir: Path, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while not any(tmpdir.rglob(STARTED)):
        if process.poll() is not None:
            raise AssertionError(f"the command ended before the learner's code ran:\n{process.communicate()[0]}")
        if time.monotonic() > deadline:
            process.kill()
            raise AssertionError(f"the learner's code never started:\n{process.communicate()[0]}")
        time.sleep(0.1)


def _cancel(command: str, root: Path) -> Cancelled:
    tmpdir, workspace = root / "tmp", root / "ws"
    tmpdir.mkdir()
    tag = f"4000.{secrets.randbelow(10**6):06d}"
    grouped, detached = tag + "1", tag + "2"
    learner = LEARNER.format(grouped=grouped, detached=detached, started=STARTED)
    if command == "grade":
        make_workspace(root / "submissions" / "ann", {"02": learner})
        args = ["grade", str(root / "submissions"), "--out", str(root / "out"), "-e", "02", "-j", "1"]
    else:
        make_workspace(workspace, {"02": learner})
        args = [command, "02", "-w", str(workspace)]
    token = secrets.token_hex(8)
    env = dict(os.environ, TMPDIR=str(tmpdir), **{TOKEN_VARIABLE: token})
    process = subprocess.Popen([sys.executable, "-m", "hnml_tutor", *args], cwd=root, env=env, text=True,
                               stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               start_new_session=True)
    try:
        _wait_until_busy(process, tmpdir)
        os.killpg(process.pid, signal.SIGINT)
        if command == "grade":  # an instructor pressing again must not cut short what the first press started
            time.sleep(0.05)
            os.killpg(process.pid, signal.SIGINT)
        output, _ = process.communicate(timeout=90)
        survivors = _survivors(token, (grouped, detached))
    finally:
        for pid in _processes_of(token, (grouped, detached)):
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
    progress_file = workspace / ".hnml-tutor" / "progress.json"
    return Cancelled(command, process.returncode, output, survivors, detached,
                     sorted(str(p.relative_to(tmpdir)) for p in tmpdir.rglob("hnml-*")),
                     progress_file.read_text() if progress_file.exists() else "")


@pytest.fixture(scope="module")
def cancelled(tmp_path_factory):
    """``cancelled(command)``: the one Ctrl-C'd run of ``command`` in this module (run on first use)."""
    runs: dict[str, Cancelled] = {}

    def get(command: str) -> Cancelled:
        if command not in runs:
            runs[command] = _cancel(command, tmp_path_factory.mktemp(f"cancel-{command}"))
        return runs[command]

    return get


@pytest.mark.parametrize("command", COMMANDS)
def test_ctrl_c_says_cancelled_in_one_line_and_exits_130(cancelled, command):
    run = cancelled(command)
    assert run.exit_code == 130, run.output
    assert "cancelled" in run.output, run.output
    assert "Traceback" not in run.output and "KeyboardInterrupt" not in run.output, run.output
    assert "internal error" not in run.output, run.output


@pytest.mark.parametrize("command", COMMANDS)
def test_ctrl_c_ends_the_learners_processes(cancelled, command):
    """The learner's process, what it started in its own group, the warm parent and the grading workers."""
    run = cancelled(command)
    assert run.survivors_but_detached() == {}, f"still running after `{command}` was cancelled: {run.survivors}"


@pytest.mark.parametrize("command", [pytest.param("check", marks=ISOLATION_PENDING),
                                     pytest.param("watch", marks=ISOLATION_PENDING), "grade"])
def test_ctrl_c_ends_a_process_the_learner_started_in_its_own_session(cancelled, command):
    run = cancelled(command)
    assert run.survivors == {}, f"still running after `{command}` was cancelled: {run.survivors}"


@pytest.mark.parametrize("command", COMMANDS)
def test_ctrl_c_removes_the_scratch_folders(cancelled, command):
    assert cancelled(command).leftovers == []


@pytest.mark.parametrize("command", ["check", "watch"])
def test_a_cancelled_check_is_not_recorded_as_a_pass(cancelled, command):
    assert '"done"' not in cancelled(command).progress
