"""The app layer returns data and prints nothing; every front end (CLI, watch, notebook) renders it."""

import io
import multiprocessing
import shutil
import tempfile
import threading
import time

import pytest
from rich.console import Console
from typer.testing import CliRunner

from hnml_tutor import app as tutor
from hnml_tutor.cli import app as cli_app
from hnml_tutor.curriculum import load_curriculum
from hnml_tutor.errors import TutorError
from hnml_tutor.progress import DONE, FAILING, load_progress, updating_progress
from hnml_tutor.render import terminal

CURRICULUM = load_curriculum()


@pytest.fixture
def workspace(tmp_path):
    started = tutor.start(tmp_path / "ws")
    assert started.first is CURRICULUM.exercises[0] and started.first_file.is_file()
    return started.workspace.root


def rendered(renderable) -> str:
    console = Console(width=100, file=io.StringIO(), color_system=None)
    console.print(renderable)
    return console.file.getvalue()


def test_use_cases_return_data_and_print_nothing(workspace, capsys):
    view = tutor.progress(workspace)
    assert view.current is CURRICULUM.exercises[0] and view.done == 0
    shown = tutor.hint("02", workspace)
    assert (shown.exercise.id, shown.level, shown.is_last) == ("02", 1, False)
    assert tutor.hint("02", workspace).level == 2
    instructions = tutor.show("02", workspace)
    assert "[0, 1]" in instructions.text
    with pytest.raises(TutorError, match="unlocks"):
        tutor.solution("02", workspace)
    assert capsys.readouterr() == ("", "")
    assert "Hint 3 of 3 (near-solution)" in rendered(terminal.hint(tutor.hint("02", workspace)))
    assert "Time limit" in rendered(terminal.instructions(instructions))


def test_check_records_progress_and_reports_skips(workspace, capsys):
    checked = tutor.check("02", workspace)
    assert not checked.passed and load_progress(checked.workspace)[0].of(checked.exercise).status == FAILING
    text = rendered(terminal.report(checked))
    assert "TODO" in text and "(skipped: needs “preprocess(images) runs without error” to pass first)" in text
    shutil.copy(checked.exercise.solution_path, workspace / "exercises" / checked.exercise.filename)
    checked = tutor.check("02", workspace)
    assert checked.passed and checked.next_exercise.id == "03" and not checked.course_finished
    assert load_progress(checked.workspace)[0].of(checked.exercise).status == DONE
    assert tutor.solution("02", workspace).source.startswith(checked.exercise.solution_path.read_text()[:20])
    assert capsys.readouterr() == ("", "")


def _hint_in_another_process(root: str, exercise_id: str) -> None:
    tutor.hint(exercise_id, root)


def test_commands_running_at_once_lose_no_progress(workspace):
    """Each command reads, changes and writes the progress under a lock: nothing one records is overwritten."""
    context = multiprocessing.get_context("spawn")
    processes = [context.Process(target=_hint_in_another_process, args=(str(workspace), e.id))
                 for e in CURRICULUM.exercises]
    for process in processes:
        process.start()
    for process in processes:
        process.join(60)
    progress, _ = load_progress(tutor.open_session(workspace).workspace)
    assert [progress.of(e).hints_shown for e in CURRICULUM.exercises] == [1] * len(CURRICULUM.exercises)


SLOW_PASSING_PREPROCESS = '''
import time
from pathlib import Path


def preprocess(images):
    Path("learner-started").write_text("busy")  # in the learner's working folder, inside its job folder
    time.sleep(2)
    return images.astype("float32") / 255.0
'''


def test_a_hint_asked_for_while_a_check_runs_is_kept(workspace, warm_launcher, monkeypatch, tmp_path):
    """`check` records its verdict on the progress as it is when the learner's code ends, re-read under the
    lock: a hint shown in another terminal meanwhile is not overwritten by the check's older copy."""
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    (workspace / "exercises" / "02_preprocess.py").write_text(SLOW_PASSING_PREPROCESS)
    shown = {}
    # Job folders go to the temporary folder, or into the warm launcher's jail when it has one.
    roots = [scratch] + [root for root in (warm_launcher.job_root(),) if root is not None]

    def hints_while_checking() -> None:
        deadline = time.monotonic() + 120
        while not any(any(root.rglob("learner-started")) for root in roots) and time.monotonic() < deadline:
            time.sleep(0.05)
        shown["levels"] = [tutor.hint(exercise_id, workspace).level for exercise_id in ("02", "03")]

    other_terminal = threading.Thread(target=hints_while_checking)
    other_terminal.start()
    checked = tutor.check("02", workspace, launcher=warm_launcher)
    other_terminal.join(10)
    assert checked.passed and shown["levels"] == [1, 1]
    progress, _ = load_progress(checked.workspace)
    assert progress.of(CURRICULUM.resolve("02")).status == DONE
    assert [progress.of(CURRICULUM.resolve(e)).hints_shown for e in ("02", "03")] == [1, 1]


def test_updating_progress_saves_on_leaving(workspace):
    found = tutor.open_session(workspace).workspace
    with updating_progress(found) as progress:
        progress.of(CURRICULUM.exercises[1]).hints_shown = 2
    assert load_progress(found)[0].of(CURRICULUM.exercises[1]).hints_shown == 2


@pytest.mark.parametrize("flag", ["-h", "--help"])
def test_short_and_long_help(flag):
    result = CliRunner().invoke(cli_app, [flag])
    assert result.exit_code == 0 and "check" in result.output and "Usage" in result.output


def test_version_and_completion():
    from hnml_tutor import __version__

    assert CliRunner().invoke(cli_app, ["--version"]).output.strip() == f"hnml-tutor {__version__}"
    assert "--install-completion" in CliRunner().invoke(cli_app, ["--help"]).output


def test_fast_commands_import_nothing_heavy(workspace):
    """`--help`, `list`, `hint` and `show` never load NumPy, pytest or TensorFlow (DESIGN.md principle 4)."""
    import subprocess
    import sys

    script = (
        "import sys\n"
        "from typer.testing import CliRunner\n"
        "from hnml_tutor.cli import app\n"
        "runner = CliRunner()\n"
        f"for args in (['--help'], ['list', '-w', {str(workspace)!r}], ['hint', '02', '-w', {str(workspace)!r}],"
        f" ['show', '02', '-w', {str(workspace)!r}]):\n"
        "    assert runner.invoke(app, args).exit_code == 0, args\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'numpy', 'pytest', 'tensorflow', 'keras', 'matplotlib'}))\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
