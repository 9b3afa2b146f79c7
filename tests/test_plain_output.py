"""Plain output (``--plain``, ``NO_COLOR``, ``TERM=dumb``) as a screen reader meets it: words and lines, the
same information, and nothing drawn — no box drawing, no block pictures, no escape codes, no redrawn lines.

``FORCE_COLOR=1`` is set in every run (ipykernel sets it too): without plain mode Rich would then write escape
codes even into CliRunner's pipe, so these assertions can fail.
"""

from __future__ import annotations

import io
import os
import re
from pathlib import Path

import numpy as np
import pytest
from rich.console import Console
from typer.testing import CliRunner

from hnml_tutor import app as tutor
from hnml_tutor.classroom.display import GradingDisplay, render_summary
from hnml_tutor.classroom.outcome import Outcome
from hnml_tutor.cli import app
from hnml_tutor.render import mode, terminal
from hnml_tutor.results import CheckResult, DigitPreview, ExerciseReport

runner = CliRunner()
DRAWING = re.compile("[\u2500-\u257f\u2580-\u259f]")  # box drawing and block elements
ESCAPE = "\x1b"
WAYS = {"--plain": ([], {}), "NO_COLOR": ([], {"NO_COLOR": "1"}), "TERM=dumb": ([], {"TERM": "dumb"})}
RICH_ENV = {"FORCE_COLOR": "1", "NO_COLOR": None, "TERM": "xterm-256color"}


def run(args, way="--plain", **env):
    flags, way_env = WAYS[way]
    if way == "--plain":
        flags = ["--plain"]
    return runner.invoke(app, [*flags, *args], env={**RICH_ENV, **way_env, **env})


def assert_readable(text: str) -> None:
    assert ESCAPE not in text, repr(text[:200])
    assert not DRAWING.search(text), DRAWING.search(text).group()
    assert "✓" not in text and "✗" not in text


@pytest.fixture(autouse=True)
def rich_unless_asked():
    """``--plain`` is remembered until the next command: a test that renders directly starts from rich."""
    mode.choose_plain(False)


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    root = tmp_path_factory.mktemp("plain") / "ws"
    result = run(["start", str(root)])
    assert result.exit_code == 0, result.output
    assert_readable(result.output)
    assert "Your workspace: " in result.output and "First exercise: 01" in result.output
    return root


def test_the_detector_sees_what_rich_output_draws(workspace):
    """The same command without plain mode draws a panel in colour: the assertions below can fail."""
    result = runner.invoke(app, ["hint", "02", "--workspace", str(workspace)], env=RICH_ENV)
    assert DRAWING.search(result.output) and ESCAPE in result.output


@pytest.mark.parametrize("way", WAYS)
def test_list_hint_show_and_errors_are_plain_lines(workspace, way):
    ws = ["--workspace", str(workspace)]
    listing = run(["list", *ws], way).output
    hint = run(["hint", "02", *ws], way).output
    shown = run(["show", "03", *ws], way).output
    error = run(["check", "99", *ws], way)
    for text in (listing, hint, shown, error.output):
        assert_readable(text)
    assert "01 Load MNIST (step: load): not started, current exercise" in listing
    assert re.search(r"Progress: 0 of \d+ exercises done", listing)
    assert re.match(r"Hint [123] of 3 \([a-z-]+\) · 02 Scale the pixels:\n", hint)  # hints advance per run
    assert "03 · " in shown and "Time limit for your code" in shown
    assert error.exit_code == 2
    assert "Error: There is no exercise called '99'." in error.output and "What to do: " in error.output


def test_a_failed_check_says_expected_found_and_hint_in_words(workspace):
    (workspace / "exercises" / "02_preprocess.py").write_text(
        "def preprocess(images):\n    print('scaling by 128')\n    return images.astype('float32') / 128.0\n")
    result = run(["check", "02", "--workspace", str(workspace)])
    assert result.exit_code == 1, result.output
    assert_readable(result.output)
    lines = result.output.splitlines()
    assert "pass: keeps the shape of the images" in lines
    assert "FAIL: scales pixels into [0, 1], with 255 becoming exactly 1.0" in lines
    assert any(line.startswith("expected: from 0.0 to exactly 1.0") for line in lines)
    assert any(line.startswith("found: float32 array") for line in lines)
    assert any(line.startswith("hint: ") for line in lines)
    assert "Your code printed (last lines, each marked |):" in lines and "  | scaling by 128" in lines
    assert lines[-1].startswith("Result: 3 check(s) failed.")


def _passed_with_preview() -> tutor.Checked:
    exercise = tutor.load_curriculum().resolve("01")
    checks = [CheckResult(name="test_shapes", description="images have the right shape", status="passed")]
    images = np.random.default_rng(0).integers(0, 256, size=(3, 28, 28), dtype=np.uint8)
    report = ExerciseReport("01", exercise.title, checks=checks, notes=["measured by the grader"],
                            previews=[DigitPreview("The first training images", images, ["label 5", "label 0", "label 4"])])
    following = tutor.load_curriculum().resolve("02")
    return tutor.Checked(exercise, report, workspace=None, next_exercise=following, course_finished=False,
                         course_final="")


def _render(renderable) -> str:
    console = Console(file=io.StringIO(), width=60, color_system=None, force_terminal=False, soft_wrap=True)
    console.print(renderable)
    return console.file.getvalue()


def test_a_pass_says_what_the_preview_shows_instead_of_drawing_it(monkeypatch):
    monkeypatch.setenv("TERM", "xterm")
    monkeypatch.setenv("NO_COLOR", "1")
    text = _render(terminal.report(_passed_with_preview()))
    assert_readable(text)
    assert "pass: images have the right shape" in text and "note: measured by the grader" in text
    assert "The first training images: 3 image(s): label 5; label 0; label 4." in text
    assert "Result: 01 load passed (1 checks)." in text and "What you just learned: " in text
    monkeypatch.delenv("NO_COLOR")
    assert DRAWING.search(_render(terminal.report(_passed_with_preview())))  # the rich report does draw


def test_grades_summary_is_one_line_per_learner(monkeypatch):
    monkeypatch.setenv("TERM", "dumb")
    failing = CheckResult(name="test_range", description="range", status="failed", message="not scaled")
    outcomes = {"ada": {"01": Outcome("ada", "01", "Load", 10, points=10),
                        "02": Outcome("ada", "02", "Scale", 10, points=0, checks=[failing], reason="not scaled")}}
    out = io.StringIO()
    console = Console(file=out, force_terminal=True, width=60)
    with GradingDisplay(console) as display:
        display.planned(2)
        assert display.progress is None  # no live bar, even on something that calls itself a terminal
    render_summary(console, ["01", "02"], outcomes)
    text = out.getvalue()
    assert not DRAWING.search(text)
    assert "ada: total 10 of 20; 01: 10, 02: 0" in text


def test_the_decision(monkeypatch):
    mode.choose_plain(False)
    assert not mode.plain({"TERM": "xterm"}) and not mode.plain({"NO_COLOR": ""})
    assert mode.plain({"NO_COLOR": "1"}) and mode.plain({"TERM": "dumb"})
    mode.choose_plain(True)
    assert mode.plain({})
    mode.choose_plain(False)
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm")
    monkeypatch.setenv("FORCE_COLOR", "1")  # what a notebook's `!hnml-tutor check` inherits
    assert not mode.animate(io.StringIO())  # colour is allowed there; redrawn frames are not
    with open(Path(__file__), encoding="utf-8") as not_a_terminal:
        assert not mode.animate(not_a_terminal)


def test_no_spinner_frames_in_a_notebooks_shell_command(monkeypatch):
    """``!hnml-tutor check`` in a notebook: FORCE_COLOR set, output a pipe. The live line draws no frame."""
    monkeypatch.setenv("FORCE_COLOR", "1")
    monkeypatch.setenv("TERM", "xterm-256color")
    monkeypatch.delenv("NO_COLOR", raising=False)
    out = io.StringIO()
    console = Console(file=out)
    assert console.is_terminal  # what Rich believes, and why it would otherwise animate
    exercise = tutor.load_curriculum().resolve("05")
    with terminal.live_check(console, exercise, 60) as live:
        live.update(None)
    assert out.getvalue() == ""


def test_a_notebook_kernel_is_recognised_whatever_isatty_says(monkeypatch):
    """IPython runs a cell's ``!hnml-tutor check`` on a pseudo-terminal, so isatty() is true there; the
    kernel's environment is what tells (found in a real trial: spinner frames piled up in the cell)."""

    class PseudoTerminal(io.StringIO):
        def isatty(self):
            return True

    for name in ("JPY_PARENT_PID", "MPLBACKEND", "NO_COLOR", "TERM"):
        monkeypatch.delenv(name, raising=False)
    for name in [name for name in os.environ if name.startswith("COLAB_")]:
        monkeypatch.delenv(name)
    assert mode.animate(PseudoTerminal())  # a real terminal, as far as anything can tell
    for name, value in (("JPY_PARENT_PID", "4242"), ("MPLBACKEND", "module://matplotlib_inline.backend_inline"),
                        ("COLAB_RELEASE_TAG", "release-colab")):
        monkeypatch.setenv(name, value)
        assert mode.in_notebook_kernel() and not mode.animate(PseudoTerminal()), name
        monkeypatch.delenv(name)
