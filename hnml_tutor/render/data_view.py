"""``hnml-tutor data`` and ``hnml-tutor data install`` in a terminal, as Rich renderables (printed by the CLI)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from hnml_tutor.render.mode import plain
from hnml_tutor.render.terminal import error, inline_code

if TYPE_CHECKING:
    from hnml_tutor.data_report import DataReport, DataSetStatus
    from hnml_tutor.keras_install import Installed

CACHE_TEXT = {
    "verified": ("verified copy", "green"),
    "present": ("decoded copy, checked on every load", "green"),
    "none": ("none yet: made and checked on first use", "dim"),
    "damaged": ("damaged: made again on next use", "yellow"),
}
KERAS_STYLE = {"ready": "green", "missing": "yellow", "rejected": "red"}
OUTCOME_STYLE = {"written": "green", "already there": "dim", "replaced": "yellow", "skipped": "red"}
DATA_RULE = ("A relative HNML_TUTOR_DATA is taken against the folder you run the tutor in; when nothing is there, "
             "against your workspace, then the folder that holds it (where you ran `hnml-tutor start`). It is made "
             "absolute once, when the tutor starts, and every process the tutor starts gets that absolute path.")


def _source_cell(status: "DataSetStatus") -> Text:
    if status.source is not None:
        return Text.assemble((status.source, "bold"), "\n", str(status.source_path))
    if status.available:
        return Text("only the tutor's cache (the source is gone)", style="yellow")
    return Text.assemble(("not found", "bold red"), "\n", status.without_source)


def _keras_cell(status: "DataSetStatus") -> Text:
    return Text(("✓ " if status.keras == "ready" else "✗ ") + status.keras_note, style=KERAS_STYLE[status.keras])


def _data_folder_line(report: "DataReport") -> Text | None:
    folder = report.data_folder
    if folder is None:
        return Text("HNML_TUTOR_DATA is not set.", style="dim")
    if folder.path is None:
        return None  # the problem panel says it all
    if not folder.relative:
        return Text.assemble("HNML_TUTOR_DATA: ", (str(folder.path), "bold"))
    return Text.assemble("HNML_TUTOR_DATA=", (folder.value, "bold"), " → ", (str(folder.path), "bold"),
                         f" (relative to {folder.basis})")


def _plain_rows(report: "DataReport") -> list[RenderableType]:
    """The table as ``label: value`` lines, one data set after the other, for --plain."""
    rows: list[RenderableType] = []
    for status in report.datasets:
        keras = ("works: " if status.keras == "ready" else "does not work: ") + status.keras_note
        source = _source_cell(status).plain.replace("\n", ", ")
        rows.append(Text("\n".join([f"{status.name}:", f"  the tutor reads it from: {source}",
                                     f"  tutor's copy: {CACHE_TEXT[status.cache][0]}",
                                     f"  your own Keras, offline: {keras}"])))
    return rows


def data_report(report: "DataReport") -> RenderableType:
    """The table of both data sets, how HNML_TUTOR_DATA was understood, and what to do about a problem."""
    if plain():
        parts: list[RenderableType] = [Text("Data sets"), *_plain_rows(report),
                                       Text(f"Your own Keras reads: {report.keras_dir}")]
        return Group(*_report_tail(report, parts))
    table = Table(title="Data sets", title_style="bold")
    table.add_column("data set", no_wrap=True)
    table.add_column("the tutor reads it from", overflow="fold")
    table.add_column("tutor's copy")
    table.add_column("your own Keras, offline")
    for status in report.datasets:
        text, style = CACHE_TEXT[status.cache]
        table.add_row(status.name, _source_cell(status), Text(text, style=style), _keras_cell(status))
    parts = [table, Text.assemble("Your own Keras reads: ", (str(report.keras_dir), "bold"))]
    return Group(*_report_tail(report, parts))


def _report_tail(report: "DataReport", parts: list[RenderableType]) -> list[RenderableType]:
    from hnml_tutor.keras_install import MNIST_INSTEAD

    line = _data_folder_line(report)
    if line is not None:
        parts.append(line)
    if report.data_folder is not None and report.data_folder.relative:  # the rule only matters for such a value
        parts.append(Text(DATA_RULE, style="dim"))
    not_ready = {status.name for status in report.datasets if status.keras != "ready"}
    if not_ready == {"mnist"}:  # `data install` can place only an original mnist.npz: say what works instead
        parts.extend(advice_lines(MNIST_INSTEAD))
    elif not_ready:
        parts.append(inline_code("To make your own `keras.datasets…load_data()` work offline: `hnml-tutor data install`"))
    if report.problem is not None:
        parts.append(error(report.problem))
    return parts


def advice_lines(advice: str) -> list[Text]:
    """Advice as lines: prose with `backticked` code, and lines indented by four spaces shown as code of their
    own, whole, so they can be copied as they are."""
    return [Text(line, style="bold cyan") if line.startswith("    ") else inline_code(line)
            for line in advice.splitlines()]


def install_report(installed: "Installed") -> RenderableType:
    """One line per file Keras reads: written, already there, replaced (with the backup) or skipped, and why."""
    lines: list[RenderableType] = [Text.assemble("Keras' data folder: ", (str(installed.keras_dir), "bold"))]
    for placed in installed.files:
        name = placed.path.relative_to(installed.keras_dir) if placed.path.is_relative_to(installed.keras_dir) \
            else placed.path
        line = Text.assemble((f"{placed.outcome:>13}", OUTCOME_STYLE[placed.outcome]), "  ", (str(name), "bold"),
                             f" — {placed.detail}")
        if placed.backup:
            line.append(f"; your old file is kept as {placed.backup}")
        lines.append(line)
    if installed.advice:
        lines.extend(advice_lines(installed.advice))
    skipped = [placed for placed in installed.files if placed.outcome == "skipped"]
    if skipped:
        sets = sorted({placed.dataset for placed in skipped})
        lines.append(Text(f"Exit code 1: {len(skipped)} file(s) could not be placed (skipped, above), so your own "
                          f"Keras call for {' and '.join(sets)} still needs the internet; "
                          + ("every other file is in place." if len(skipped) < len(installed.files)
                             else "nothing was placed.")))
    return Group(*lines)
