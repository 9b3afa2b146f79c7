"""The notebook front end: the generated course notebook runs through a real Jupyter kernel."""

import json
import re

import nbformat
import pytest
from nbclient import NotebookClient

from hnml_tutor import notebook
from hnml_tutor.curriculum import load_curriculum
from hnml_tutor.errors import TutorError

CURRICULUM = load_curriculum()
SPINNER = re.compile("[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏]")


def _outputs_text(cell) -> str:
    parts = []
    for output in cell.get("outputs", []):
        parts.append(output.get("text", ""))
        for value in output.get("data", {}).values():
            parts.append(value if isinstance(value, str) else json.dumps(value))
        parts += output.get("traceback", [])
    return "\n".join(parts)


# Every exercise has its cell; a few cheap ones are run through the kernel: data (01), an array (02), a
# returned model (03) and NumPy only (14). test_solutions_and_stubs.py already grades every solution, so
# running more cells here would add time to the suite and show nothing these do not.
EXECUTED = ["01", "02", "03", "14"]


def test_the_course_notebook_passes_with_the_solutions_filled_in(tmp_path):
    path = notebook.write_notebook(tmp_path / "course.ipynb", CURRICULUM)
    book = nbformat.read(path, as_version=4)
    exercise_cells, left_out = {}, []
    for cell in book.cells:
        if cell.cell_type == "code" and cell.source.startswith("%%exercise"):
            exercise = CURRICULUM.resolve(cell.source.split()[1])
            _, solution = notebook._without_docstring(exercise.solution_path.read_text(encoding="utf-8"))
            cell.source = f"%%exercise {exercise.id}\n{solution}"
            exercise_cells[exercise.id] = cell
            if exercise.id not in EXECUTED:
                left_out.append(cell)
    assert list(exercise_cells) == [e.id for e in CURRICULUM.exercises]
    book.cells = [cell for cell in book.cells if all(cell is not skipped for skipped in left_out)]
    book.cells.append(nbformat.v4.new_code_cell('result = hnml_tutor.check("02")\nprint("RESULT", result.passed, len(result.checks))'))
    NotebookClient(book, timeout=900, kernel_name="python3",
                   resources={"metadata": {"path": str(tmp_path)}}).execute()

    for exercise_id in EXECUTED:
        text = _outputs_text(exercise_cells[exercise_id])
        assert f"{exercise_id} {CURRICULUM.resolve(exercise_id).slug} passed" in text, text[-2000:]
        assert "What you just learned:" in text
        assert "\x1b[" not in text and not SPINNER.search(text), "no terminal codes or spinner frames in a notebook"
    assert "RESULT True" in _outputs_text(book.cells[-1])
    progress = json.loads((tmp_path / "hnml-workspace" / ".hnml-tutor" / "progress.json").read_text())
    done = {exercise_id for exercise_id, entry in progress["exercises"].items() if entry["status"] == "done"}
    assert done == set(EXECUTED)


def test_a_cell_replacing_the_learners_file_keeps_the_earlier_version(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    first = notebook.write_cell("02", "def preprocess(images):\n    return images / 255\n")
    assert first == tmp_path / "hnml-workspace" / "exercises" / "02_preprocess.py"
    notebook.write_cell("02", "def preprocess(images):\n    return images / 256\n")
    backup = tmp_path / "hnml-workspace" / ".hnml-tutor" / notebook.BACKUP_DIRNAME / "02_preprocess.py"
    assert backup.read_text() == "def preprocess(images):\n    return images / 255\n"
    assert "256" in first.read_text()


def test_the_notebook_is_not_written_over_an_existing_file(tmp_path):
    (tmp_path / "course.ipynb").write_text("mine")
    with pytest.raises(TutorError, match="already exists"):
        notebook.write_notebook(tmp_path / "course.ipynb", CURRICULUM)
    assert (tmp_path / "course.ipynb").read_text() == "mine"


def test_the_extension_registers_the_cell_magic():
    registered = {}

    class FakeShell:
        def register_magic_function(self, function, magic_kind, magic_name):
            registered[magic_name] = (magic_kind, function)

    import hnml_tutor

    hnml_tutor.load_ipython_extension(FakeShell())
    assert registered["exercise"][0] == "cell"
