"""The notebook front end, for learners who work in Colab or Jupyter (as the tutorials this tutor grows from do).

``%load_ext hnml_tutor`` registers the ``%%exercise 02`` cell magic: the cell's body becomes the
workspace's exercise file (the previous version is kept in the workspace's backups) and is checked at
once, the result shown as HTML under the cell. ``hnml_tutor.check("02")``, ``hint`` and ``show`` do
what the commands do. Everything goes through :mod:`hnml_tutor.app`, exactly as the CLI does, so a
notebook's verdict is the terminal's verdict; only the rendering differs (HTML, no terminal codes).
"""

from __future__ import annotations

import ast
import base64
import json
from dataclasses import dataclass
from html import escape as _escape
from pathlib import Path

from hnml_tutor import app
from hnml_tutor.atomic import write_bytes_atomic, write_text_atomic
from hnml_tutor.errors import TutorError
from hnml_tutor.render.html import NOTEBOOK_STYLE, checks_list, escape, learner_output, notes_list
from hnml_tutor.results import CheckResult
from hnml_tutor.tensorflow_logs import quiet_start_up
from hnml_tutor.workspace import DEFAULT_DIRNAME, find_workspace

BACKUP_DIRNAME = "notebook-backups"
_LAUNCHER = None


def _launcher():
    """One warm launcher for the kernel's lifetime, as ``watch`` keeps one: re-checks skip the TensorFlow import."""
    global _LAUNCHER
    if _LAUNCHER is None:
        import atexit

        from hnml_tutor.sandbox import ColdLauncher, WarmLauncher

        _LAUNCHER = WarmLauncher() if WarmLauncher.available() else ColdLauncher()
        atexit.register(_LAUNCHER.close)
    return _LAUNCHER


def _workspace() -> Path:
    """The learner's workspace: the one around the notebook's folder, or a new one made there on first use."""
    try:
        return find_workspace().root
    except TutorError:
        return app.start(Path.cwd() / DEFAULT_DIRNAME).workspace.root


def _wrap(body: str) -> str:
    return f'<div class="hnml-report"><style>{NOTEBOOK_STYLE}</style>{body}</div>'


class _Html:
    """Something IPython shows as HTML."""

    def __init__(self, html: str) -> None:
        self.html = html

    def _repr_html_(self) -> str:
        return self.html


def _display(html: str) -> None:
    try:
        from IPython.display import display
    except ImportError:  # plain Python: nothing to draw into
        return
    display(_Html(html))


def _plot_html(path: Path) -> str:
    try:
        data = base64.b64encode(path.read_bytes()).decode("ascii")
    except OSError:
        return ""
    return f'<figure><img alt="{escape(path.name)}" style="max-width:100%" src="data:image/png;base64,{data}"></figure>'


@dataclass(frozen=True)
class NotebookCheck:
    """What ``hnml_tutor.check`` returns: the verdict and every check, shown as HTML in the notebook."""

    checked: app.Checked

    @property
    def passed(self) -> bool:
        return self.checked.passed

    @property
    def checks(self) -> list[CheckResult]:
        return self.checked.report.checks

    def html(self) -> str:
        exercise, report = self.checked.exercise, self.checked.report
        parts = [f"<h3>Checking {escape(exercise.id)} · {escape(exercise.title)}</h3>",
                 checks_list(report.checks, show_points=False), notes_list(report.notes)]
        parts += [_plot_html(Path(plot)) for plot in report.plots]
        if not report.passed:
            parts.append(learner_output(report.learner_output))
            failed = report.counts["failed"] + report.counts["error"]
            parts.append(f'<p class="verdict fail">{failed} check(s) failed. Fix the first one and run the cell '
                         f"again; <code>hnml_tutor.hint(\"{escape(exercise.id)}\")</code> helps.</p>")
        else:
            parts.append(f'<p class="verdict pass">🎉 {escape(exercise.id)} {escape(exercise.slug)} passed.</p>')
            if exercise.learned:
                parts.append(f'<p class="learned"><b>What you just learned:</b> {escape(exercise.learned)}</p>')
            following = self.checked.next_exercise
            if following is not None:
                parts.append(f"<p>Next: {escape(following.id)} · {escape(following.title)}.</p>")
            if self.checked.course_finished:
                parts.append(f"<p>{escape(self.checked.course_final.strip())}</p>")
        return _wrap("".join(parts))

    def __repr__(self) -> str:
        passed = sum(check.passed for check in self.checks)
        verdict = "passed" if self.passed else "failed"
        return f"<hnml-tutor check {self.checked.exercise.id}: {verdict}, {passed} of {len(self.checks)} checks passed>"


def _friendly(error: TutorError) -> str:
    fix = f"<p><strong>{escape(error.fix)}</strong></p>" if error.fix else ""
    return _wrap(f'<p class="verdict fail">{escape(error.problem)}</p>{fix}')


def _crash(error: BaseException) -> TutorError:
    """An unexpected error of the tutor's, logged for a bug report, as a message the learner can act on."""
    import time
    import traceback

    from hnml_tutor.cache import cache_dir

    log = cache_dir() / f"crash-{time.strftime('%Y%m%d-%H%M%S')}.log"
    log.write_text("".join(traceback.format_exception(error)), encoding="utf-8")
    return TutorError(f"hnml-tutor hit an internal error: {type(error).__name__}: {error}",
                      f"This is a bug in the tutor, not in your code. The details are in {log}; please include "
                      "that file when you report it.")


def check(exercise: str | None = None) -> NotebookCheck | None:
    """Grade an exercise of the notebook's workspace, show the result, and return it (``.passed``, ``.checks``)."""
    try:
        result = NotebookCheck(app.check(exercise, _workspace(), launcher=_launcher()))
    except TutorError as error:
        _display(_friendly(error))
        return None
    except Exception as error:  # never a raw traceback from the tutor itself under a learner's cell
        _display(_friendly(_crash(error)))
        return None
    finally:
        from hnml_tutor.graders.runner import release_models

        release_models()  # the kernel lives on: free what the grader built
    _display(result.html())
    return result


def hint(exercise: str | None = None) -> None:
    """Show the next of the exercise's layered hints."""
    try:
        shown = app.hint(exercise, _workspace())
    except TutorError as error:
        _display(_friendly(error))
        return
    after = ("That was the last hint." if shown.is_last
             else f'Run <code>hnml_tutor.hint("{escape(shown.exercise.id)}")</code> again for the next one.')
    _display(_wrap(f"<h4>Hint {shown.level} of {len(shown.exercise.hints)} · {escape(shown.exercise.id)} "
                   f"{escape(shown.exercise.title)}</h4><p>{escape(shown.text)}</p><p class=\"muted\">{after}</p>"))


def show(exercise: str | None = None) -> None:
    """Show an exercise's instructions."""
    try:
        shown = app.show(exercise, _workspace())
    except TutorError as error:
        _display(_friendly(error))
        return
    _display(_wrap(f"<h3>{escape(shown.exercise.id)} · {escape(shown.exercise.title)}</h3>"
                   f"<pre>{_escape(shown.text)}</pre>"
                   f'<p class="muted">Time limit for your code: {shown.exercise.time_limit:g} s.</p>'))


def write_cell(exercise_query: str, source: str) -> Path:
    """Make ``source`` the workspace's exercise file; a different earlier version is kept as a backup."""
    session = app.open_session(_workspace())
    exercise = session.pick(exercise_query)
    target = session.workspace.exercise_file(exercise)
    data = source.encode("utf-8")
    if target.is_file() and target.read_bytes() != data:
        write_bytes_atomic(session.workspace.state_dir / BACKUP_DIRNAME / exercise.filename, target.read_bytes())
    write_bytes_atomic(target, data)
    return target


def exercise_cell(line: str, cell: str) -> None:
    """``%%exercise 02``: save the cell as exercise 02's file and check it."""
    query = line.strip().split()[0] if line.strip() else None
    if query is None:
        _display(_friendly(TutorError("Which exercise is this cell?", "Start the cell with `%%exercise 02` (any id or name).")))
        return
    try:
        write_cell(query, cell)
    except TutorError as error:
        _display(_friendly(error))
        return
    check(query)


def load_ipython_extension(ipython) -> None:
    """``%load_ext hnml_tutor``: registers ``%%exercise``."""
    quiet_start_up()
    ipython.register_magic_function(exercise_cell, magic_kind="cell", magic_name="exercise")


def _without_docstring(source: str) -> tuple[str, str]:
    """(the module docstring, the rest of the source) of an exercise stub."""
    tree = ast.parse(source)
    docstring = ast.get_docstring(tree) or ""
    first = tree.body[0] if tree.body else None
    if docstring and isinstance(first, ast.Expr):
        lines = source.splitlines(keepends=True)
        return docstring, "".join(lines[first.end_lineno:]).lstrip("\n")
    return docstring, source


def _without_main_block(source: str) -> str:
    """The stub without its ``if __name__ == "__main__":`` block, which only tells someone running the file
    by hand to use ``hnml-tutor run`` or ``check``: a notebook cell is neither."""
    tree = ast.parse(source)
    lines = source.splitlines(keepends=True)
    for node in reversed(tree.body):
        if isinstance(node, ast.If) and "__main__" in ast.unparse(node.test):
            del lines[node.lineno - 1:node.end_lineno]
    return "".join(lines).rstrip("\n") + "\n"


def _cell(kind: str, source: str) -> dict:
    cell = {"cell_type": kind, "metadata": {}, "source": source}
    if kind == "code":
        cell.update(execution_count=None, outputs=[])
    return cell


def build_notebook(curriculum) -> dict:
    """The whole course as one notebook: the welcome, then per exercise its instructions and its cell."""
    cells = [_cell("markdown", "# hnml-tutor\n\n" + curriculum.welcome.strip().replace(
                 "run `hnml-tutor check`", "run the exercise's cell")),
             _cell("code", "%load_ext hnml_tutor\nimport hnml_tutor")]
    for exercise in curriculum.exercises:
        docstring, code = _without_docstring(exercise.stub_path.read_text(encoding="utf-8"))
        cells.append(_cell("markdown", docstring or f"# {exercise.id} · {exercise.title}"))
        cells.append(_cell("code", f"%%exercise {exercise.id}\n{_without_main_block(code)}"))
    cells.append(_cell("markdown", "Stuck? `hnml_tutor.hint(\"02\")` shows the next hint, and "
                                   "`hnml_tutor.show(\"02\")` the instructions again."))
    return {"cells": cells, "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python",
                                                       "name": "python3"},
                                         "language_info": {"name": "python"}},
            "nbformat": 4, "nbformat_minor": 4}


def write_notebook(path: Path, curriculum) -> Path:
    """Write the course notebook to ``path`` (refusing to replace a file that is there)."""
    path = Path(path)
    if path.suffix != ".ipynb":
        path = path / "hnml-tutor.ipynb" if path.is_dir() else path.with_suffix(".ipynb")
    if path.exists():
        raise TutorError(f"{path} already exists; nothing was changed.",
                         "Give another name, e.g. `hnml-tutor notebook my-course.ipynb`.")
    path.parent.mkdir(parents=True, exist_ok=True)
    write_text_atomic(path, json.dumps(build_notebook(curriculum), indent=1, ensure_ascii=False) + "\n")
    return path
