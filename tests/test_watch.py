"""`hnml-tutor watch` in a real terminal: tmux runs it, send-keys types, capture-pane reads the screen."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import time

import pytest

from hnml_tutor.curriculum import load_curriculum

CURRICULUM = load_curriculum()
pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed (apt-get install tmux)")


class Terminal:
    """One tmux session on a private server, running a command in a 120×50 terminal."""

    def __init__(self, name: str, command: str, cwd) -> None:
        self.base = ["tmux", "-L", name]
        env = {key: os.environ[key] for key in ("HNML_TUTOR_DATA", "HNML_TUTOR_CACHE", "HNML_TUTOR_OFFLINE",
                                                  "HNML_TUTOR_CURRICULUM", "PATH", "HOME") if key in os.environ}
        exports = " ".join(f"{key}={shlex.quote(value)}" for key, value in env.items())
        subprocess.run([*self.base, "new-session", "-d", "-x", "120", "-y", "50", "-c", str(cwd),
                        f"env {exports} TERM=xterm-256color {command}; sleep 30"], check=True)

    def screen(self) -> str:
        return subprocess.run([*self.base, "capture-pane", "-p", "-S", "-200"], capture_output=True,
                              text=True).stdout

    def wait_for(self, text: str, timeout: float = 120) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            screen = self.screen()
            if text in screen:
                return screen
            time.sleep(0.2)
        raise AssertionError(f"{text!r} never appeared on the screen:\n{self.screen()}")

    def keys(self, *keys: str) -> None:
        subprocess.run([*self.base, "send-keys", *keys], check=True)

    def close(self) -> None:
        subprocess.run([*self.base, "kill-server"], capture_output=True)


@pytest.fixture
def workspace(tmp_path):
    subprocess.run([sys.executable, "-m", "hnml_tutor", "start", "ws"], cwd=tmp_path, check=True, capture_output=True)
    return tmp_path / "ws"


def test_watch_rechecks_on_save_moves_on_and_takes_keys(workspace):
    terminal = Terminal(f"hnml-watch-{os.getpid()}", f"{shlex.quote(sys.executable)} -m hnml_tutor watch", workspace)
    try:
        terminal.wait_for("Watching exercises/01_load.py")
        assert "TODO" in terminal.screen()

        first = CURRICULUM.exercises[0]
        shutil.copy(first.solution_path, workspace / "exercises" / first.filename)
        terminal.wait_for(f"{first.id} {first.slug} passed")
        second = CURRICULUM.exercises[1]
        terminal.wait_for(f"Moving on to {second.id}")

        terminal.keys("h")
        terminal.wait_for(f"Hint 1 of 3 (nudge) · {second.id}")
        terminal.keys("l")
        terminal.wait_for(f"1 of {len(CURRICULUM.exercises)} exercises done")

        (workspace / "exercises" / second.filename).write_text(
            "import time\ndef preprocess(images):\n    time.sleep(4)\n    return images / 256\n")
        terminal.wait_for("your code:")  # the live line: the learner's time against the limit, while it runs
        terminal.wait_for("You divided by 256")

        terminal.keys("q")
        screen = terminal.wait_for("Stopped watching")
        assert "Traceback" not in screen
    finally:
        terminal.close()


def test_ctrl_c_while_idle_cancels_cleanly(workspace):
    """Ctrl-C typed in a real terminal while watch waits for a save. Mid-check, with the learner's processes
    and scratch folders, is tests/test_cancel.py's."""
    terminal = Terminal(f"hnml-watch-c-{os.getpid()}", f"{shlex.quote(sys.executable)} -m hnml_tutor watch; "
                        "echo exit code $?", workspace)
    try:
        terminal.wait_for("Watching exercises/01_load.py")
        terminal.keys("C-c")
        screen = terminal.wait_for("exit code 130")
        assert "cancelled — stopped watching" in screen
        assert "Traceback" not in screen and "KeyboardInterrupt" not in screen and "internal error" not in screen
    finally:
        terminal.close()
