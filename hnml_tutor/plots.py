"""PNG plots of what a check saw: sample images, training curves, predictions.

A grader asks for a plot by handing :meth:`Artifacts.plot <hnml_tutor.graders.plugin.Artifacts.plot>` a
drawing function — one of these, or its own — and the data; the drawing happens after the checks. Any
function ``draw(path=..., **data) -> Path`` will do, so a new exercise brings its own picture without
changing this module. Matplotlib runs with the Agg backend (no window, works over SSH and in CI) and is
imported on the first drawing, never when a grader merely names a drawer.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Callable

import numpy as np

from hnml_tutor.atomic import write_bytes_atomic


def pyplot():
    """Matplotlib's pyplot on the Agg backend, imported on first use."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save(figure, path: Path) -> Path:
    """Write ``figure`` to ``path`` as a PNG, atomically, and close it."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
    pyplot().close(figure)
    write_bytes_atomic(path, buffer.getvalue())
    return path


def digit_grid(images: np.ndarray, labels: list[str], title: str, path: Path) -> Path:
    """A grid of images, up to 8 per row, with their labels above them."""
    count = len(images)
    columns = min(8, count)
    rows = int(np.ceil(count / columns))
    figure, axes = pyplot().subplots(rows, columns, figsize=(columns * 1.3, rows * 1.5))
    for axis, image, label in zip(np.ravel(axes), images, labels):
        axis.imshow(image, cmap="gray_r")
        axis.set_title(label, fontsize=10)
    for axis in np.ravel(axes):
        axis.axis("off")
    figure.suptitle(title)
    return save(figure, path)


def training_curves(history: dict[str, list[float]], title: str, path: Path) -> Path:
    """Loss and accuracy per epoch, training next to validation, the picture of over- and under-fitting."""
    metrics = [m for m in ("loss", "accuracy") if m in history]
    figure, axes = pyplot().subplots(1, len(metrics), figsize=(5 * len(metrics), 3.5), squeeze=False)
    for axis, metric in zip(axes[0], metrics):
        epochs = np.arange(1, len(history[metric]) + 1)
        axis.plot(epochs, history[metric], "o-", label=f"training {metric}")
        if f"val_{metric}" in history:
            axis.plot(epochs, history[f"val_{metric}"], "s--", label=f"validation {metric}")
        axis.set_xlabel("epoch")
        axis.set_ylabel(metric)
        axis.set_xticks(epochs)
        axis.grid(alpha=0.3)
        axis.legend()
    figure.suptitle(title)
    return save(figure, path)


def prediction_row(images, predicted, true, confidence, class_names, title: str, path: Path) -> Path:
    """Images with predicted and true label and the model's confidence; mistakes in red."""
    count = len(images)
    figure, axes = pyplot().subplots(1, count, figsize=(count * 1.5, 2.2), squeeze=False)
    for axis, image, guess, label, sure in zip(axes[0], images, predicted, true, confidence):
        axis.imshow(image, cmap="gray_r")
        colour = "tab:green" if guess == label else "tab:red"
        axis.set_title(f"{class_names[guess]} ({sure:.0%})\ntrue: {class_names[label]}", fontsize=9, color=colour)
        axis.axis("off")
    figure.suptitle(title)
    return save(figure, path)


def draw_all(requests: list[tuple[Callable, dict]], plots_dir: Path) -> tuple[list[Path], list[str]]:
    """Draw every requested plot into ``plots_dir``; returns the files written and, for each plot that could
    not be drawn, a sentence saying so.

    A plot draws what the learner's code returned (a loss history with an absurd value, say); one that
    fails to draw is left out and named, and never costs the learner their verdict.
    """
    written, failed = [], []
    for draw, data in requests:
        data = dict(data)
        filename = data.pop("filename")
        try:
            written.append(draw(path=Path(plots_dir) / filename, **data))
        except Exception as error:
            failed.append(f"The plot {filename} could not be drawn from what your code returned "
                          f"({type(error).__name__}: {str(error)[:200]}); your checks are not affected.")
        finally:
            pyplot().close("all")
    return written, failed
