"""The terminal preview fits digits in 14 rows; progress survives damage and is written atomically."""

import numpy as np
from rich.console import Console

from hnml_tutor.preview import DigitStrip
from hnml_tutor.progress import DONE, load_progress, save_progress
from hnml_tutor.workspace import Workspace
from hnml_tutor.curriculum import load_curriculum


def test_digits_take_fourteen_rows_plus_captions():
    images = np.zeros((3, 28, 28), dtype=np.uint8)
    images[:, 10:18, 12:16] = 255
    console = Console(width=100, color_system=None, record=True)
    console.print(DigitStrip(images, ["one", "two", "three"]))
    lines = console.export_text().rstrip("\n").split("\n")
    assert len(lines) == 15
    assert "@" in "".join(lines[:14]) and "three" in lines[14]


def test_colour_preview_uses_half_blocks():
    console = Console(width=40, color_system="truecolor", record=True)
    console.print(DigitStrip(np.full((1, 28, 28), 0.5), ["x"]))
    assert "▀" in console.export_text()


def test_progress_round_trip_and_corruption(tmp_path):
    workspace = Workspace(tmp_path)
    workspace.state_dir.mkdir()
    curriculum = load_curriculum()
    progress, warnings = load_progress(workspace)
    assert warnings == [] and progress.current(curriculum).id == "01"
    progress.record_check(curriculum.exercises[0], passed=True)
    save_progress(workspace, progress)
    again, _ = load_progress(workspace)
    assert again.of(curriculum.exercises[0]).status == DONE and again.current(curriculum).id == "02"
    assert not list(workspace.state_dir.glob("*.tmp"))
    (workspace.state_dir / "progress.json").write_text('{"version": 1, "exercises": {"01": {"status": "??"}}}')
    rebuilt, warnings = load_progress(workspace)
    assert warnings and rebuilt.current(curriculum).id == "01"
