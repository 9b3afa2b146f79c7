"""PNG plots of what a check saw: sample images, training curves, predictions.

Matplotlib runs with the Agg backend (no window, works over SSH and in CI) and is imported only by this
module, which the grader loads only when there is something to draw.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402  (the backend must be chosen first)
import numpy as np  # noqa: E402

from hnml_tutor.atomic import write_bytes_atomic  # noqa: E402
from hnml_tutor.curriculum import Exercise  # noqa: E402


def _save(figure, path: Path) -> Path:
    import io

    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
    plt.close(figure)
    write_bytes_atomic(path, buffer.getvalue())
    return path


def digit_grid(images: np.ndarray, labels: list[str], title: str, path: Path) -> Path:
    """A grid of images, up to 8 per row, with their labels above them."""
    count = len(images)
    columns = min(8, count)
    rows = int(np.ceil(count / columns))
    figure, axes = plt.subplots(rows, columns, figsize=(columns * 1.3, rows * 1.5))
    for axis, image, label in zip(np.ravel(axes), images, labels):
        axis.imshow(image, cmap="gray_r")
        axis.set_title(label, fontsize=10)
    for axis in np.ravel(axes):
        axis.axis("off")
    figure.suptitle(title)
    return _save(figure, path)


def training_curves(history: dict[str, list[float]], title: str, path: Path) -> Path:
    """Loss and accuracy per epoch, training next to validation, the picture of over- and under-fitting."""
    metrics = [m for m in ("loss", "accuracy") if m in history]
    figure, axes = plt.subplots(1, len(metrics), figsize=(5 * len(metrics), 3.5), squeeze=False)
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
    return _save(figure, path)


def prediction_row(images, predicted, true, confidence, class_names, title: str, path: Path) -> Path:
    """Images with predicted and true label and the model's confidence; mistakes in red."""
    count = len(images)
    figure, axes = plt.subplots(1, count, figsize=(count * 1.5, 2.2), squeeze=False)
    for axis, image, guess, label, sure in zip(axes[0], images, predicted, true, confidence):
        axis.imshow(image, cmap="gray_r")
        colour = "tab:green" if guess == label else "tab:red"
        axis.set_title(f"{class_names[guess]} ({sure:.0%})\ntrue: {class_names[label]}", fontsize=9, color=colour)
        axis.axis("off")
    figure.suptitle(title)
    return _save(figure, path)


def draw_all(requests: list[tuple[str, dict]], plots_dir: Path, exercise: Exercise) -> list[Path]:
    """Draw every requested plot into ``plots_dir``; returns the files written."""
    drawers = {"digit_grid": digit_grid, "training_curves": training_curves, "prediction_row": prediction_row}
    written = []
    for kind, data in requests:
        data = dict(data)
        path = Path(plots_dir) / data.pop("filename")
        written.append(drawers[kind](path=path, **data))
    return written
