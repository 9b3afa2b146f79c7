"""``hnml-tutor watch``: re-check the current exercise on every save, as rustlings' watch mode does.

The loop waits for the learner's editor to save the current exercise's file (debounced, through
``watchfiles``), checks it through :mod:`hnml_tutor.app` and redraws the report; after a pass it moves
on to the next exercise. Single keys steer it: ``h`` hint, ``l`` list, ``n`` next, ``q`` quit; Ctrl-C
cancels it, and the interrupt goes on to the caller once the learner's code and the warm parent are gone.
One warm launcher lives as long as the loop, so a re-check does not pay for starting Python and importing
TensorFlow again. While a check runs, a live line shows the time used against the limit
and the epoch the learner's training has reached.
"""

from __future__ import annotations

import os
import queue
import select
import sys
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from rich.console import Console
from rich.text import Text

from hnml_tutor import app
from hnml_tutor.errors import TutorError
from hnml_tutor.render import terminal

DEBOUNCE_MS = 300
KEYS_HELP = "h hint · l list · n next · q quit"


@contextmanager
def single_keys(stream=None) -> Iterator["queue.Queue[str]"]:
    """Keys the learner presses, one at a time and unechoed, while the block runs (nothing if not a terminal)."""
    keys: "queue.Queue[str]" = queue.Queue()
    stream = stream or sys.stdin
    try:
        fd = stream.fileno()
        interactive = os.isatty(fd)
    except (AttributeError, OSError, ValueError):
        interactive = False
    try:
        import termios
        import tty
    except ImportError:  # Windows: no cbreak mode here; saving the file still re-checks
        interactive = False
    if not interactive:
        yield keys
        return
    saved = termios.tcgetattr(fd)
    stop = threading.Event()

    def read() -> None:
        while not stop.is_set():
            ready, _, _ = select.select([fd], [], [], 0.1)
            if ready:
                data = os.read(fd, 32).decode(errors="ignore")
                for key in data:
                    keys.put(key)

    reader = threading.Thread(target=read, name="watch-keys", daemon=True)
    try:
        tty.setcbreak(fd)
        reader.start()
        yield keys
    finally:
        stop.set()
        if reader.is_alive():
            reader.join(1)
        termios.tcsetattr(fd, termios.TCSADRAIN, saved)


class Watcher:
    """The watch loop's state: the exercise being worked on and the launcher kept warm for it."""

    def __init__(self, console: Console, workspace: Path | None, query: str | None, launcher) -> None:
        self.console = console
        self.session = app.open_session(workspace)
        self.current = self.session.pick(query)
        self.launcher = launcher

    @property
    def file(self) -> Path:
        return self.session.workspace.exercise_file(self.current)

    def footer(self) -> Text:
        return Text(f"Watching {terminal.display_path(self.file)} — save it to check again. {KEYS_HELP}",
                    style="dim")

    def check(self) -> None:
        """Check the current exercise and show the report; a pass moves on to the next exercise not done.

        A check the tutor could not finish (no data, a broken grader) is shown and the loop goes on: the
        learner fixes it or quits, nothing is lost.
        """
        from hnml_tutor.graders.runner import GraderBroken, release_models

        if self.console.is_terminal:
            self.console.clear()
        try:
            with terminal.live_check(self.console, self.current, self.current.time_limit) as live:
                checked = app.check(self.current.id, launcher=self.launcher, session=self.session,
                                    on_progress=live.update)
        except TutorError as error:
            self.console.print(terminal.error(error))
        except GraderBroken as error:
            self.console.print(terminal.error(TutorError(f"hnml-tutor could not grade this: {error}.",
                                                         "This is not about your code; save again to retry.")))
        else:
            self.console.print(terminal.report(checked))
            following = app.progress(self.session.workspace.root).current if checked.passed else None
            if following is not None and following is not self.current:
                self.current = following
                self.console.print(Text(f"Moving on to {following.id} · {following.title}.", style="bold"))
        finally:
            release_models()
        self.console.print(self.footer())

    def key(self, key: str) -> bool:
        """Act on one key; False means quit."""
        key = key.lower()
        if key == "q":
            return False
        if key == "h":
            self.console.print(terminal.hint(app.hint(self.current.id, self.session.workspace.root)))
        elif key == "l":
            self.console.print(terminal.exercise_list(app.progress(self.session.workspace.root)))
        elif key == "n":
            following = self.session.curriculum.next_after(self.current)
            if following is None:
                self.console.print(Text("This is the last exercise.", style="yellow"))
            else:
                self.current = following
                self.check()
                return True
        else:
            return True
        self.console.print(self.footer())
        return True


def _changed(changes, path: Path) -> bool:
    target = path.resolve()
    return any(Path(changed).resolve() == target for _, changed in changes)


def watch(console: Console, workspace: Path | None = None, query: str | None = None) -> None:
    """Run the watch loop until the learner quits with ``q``.

    Ctrl-C, idle or mid-check, raises KeyboardInterrupt to the caller after every process the loop started is
    gone: the sandbox has stopped the learner's code on its way out, and the warm parent is closed here.
    """
    import watchfiles

    from hnml_tutor.sandbox import WarmLauncher

    launcher = WarmLauncher() if WarmLauncher.available() else None
    stop = threading.Event()
    try:
        watcher = Watcher(console, workspace, query, launcher)
        watcher.check()
        with single_keys() as keys:
            for changes in watchfiles.watch(watcher.session.workspace.exercises_dir, debounce=DEBOUNCE_MS,
                                            step=50, rust_timeout=200, yield_on_timeout=True, stop_event=stop,
                                            raise_interrupt=True):
                while not keys.empty():
                    if not watcher.key(keys.get()):
                        stop.set()
                        break
                if stop.is_set():
                    break
                if changes and _changed(changes, watcher.file):
                    watcher.check()
    finally:
        if launcher is not None:
            launcher.close()
    console.print(Text("Stopped watching. Your progress is saved.", style="bold"))
