"""The reference pipeline: the shipped solutions, run by the grader to give each step correct inputs.

Grading each step on its own (DESIGN.md principle 2) needs correct inputs for it: scaled images, a built
model, a compiled model, a trained model. They come from the reference solutions themselves, so the
solutions are the single definition of "correct" and are exercised on every check.

The trained reference model is the one expensive input. It is trained once per machine, seeded, and kept
in the tutor's cache with its test-set logits, so ``check 06`` and ``check 07`` never train and the grader
can compute expected accuracies and probabilities with NumPy alone.
"""

from __future__ import annotations

import contextlib
import fcntl
import importlib.util
import io
import json
import shutil
import tempfile
from dataclasses import dataclass
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from types import ModuleType

import numpy as np

from hnml_tutor import datasets
from hnml_tutor.cache import cache_dir
from hnml_tutor.curriculum import load_curriculum
from hnml_tutor.transport import ModelFile

REFERENCE_SEED = 20240607


@lru_cache(maxsize=None)
def solution(query: str) -> ModuleType:
    """Import the reference solution of an exercise (by any id the curriculum accepts)."""
    exercise = load_curriculum().resolve(query)
    spec = importlib.util.spec_from_file_location(f"hnml_solution_{exercise.id}", exercise.solution_path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def preprocess(images: np.ndarray) -> np.ndarray:
    """Scale images as the reference step 02 does."""
    return solution("preprocess").preprocess(images)


def build_model(compiled: bool = False):
    """A fresh reference network (step 03), compiled as in step 04 when ``compiled``."""
    model = solution("build").build_model()
    return solution("compile").compile_model(model) if compiled else model


def softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    return exp / exp.sum(axis=1, keepdims=True)


def sparse_cross_entropy(probabilities: np.ndarray, labels: np.ndarray) -> float:
    picked = probabilities[np.arange(len(labels)), labels.astype(int)]
    return float(-np.log(np.clip(picked, 1e-7, 1.0)).mean())


@dataclass(frozen=True)
class TrainedReference:
    """A trained reference model and what it says about the test set, measured once."""

    model: ModelFile
    test_logits: np.ndarray

    def probabilities(self, indices: np.ndarray | None = None) -> np.ndarray:
        logits = self.test_logits if indices is None else self.test_logits[indices]
        return softmax(logits)


def _reference_folder(dataset: str) -> Path:
    version = metadata.version("keras")
    return cache_dir() / "reference" / f"{dataset}-mlp-seed{REFERENCE_SEED}-keras{version}"


def _train_reference(dataset: str, folder: Path) -> None:
    import keras

    keras.utils.set_random_seed(REFERENCE_SEED)
    data = datasets.load(dataset)
    model = build_model(compiled=True)
    with contextlib.redirect_stdout(io.StringIO()):
        solution("train").train(model, preprocess(data.x_train), data.y_train)
    logits = model.predict(preprocess(data.x_test), verbose=0)
    staging = Path(tempfile.mkdtemp(prefix=".reference-", dir=folder.parent))
    try:
        model.save(staging / "model.keras")
        np.save(staging / "test_logits.npy", logits.astype(np.float32))
        accuracy = float((logits.argmax(axis=1) == data.y_test).mean())
        (staging / "meta.json").write_text(json.dumps({"test_accuracy": accuracy, "seed": REFERENCE_SEED}))
        staging.replace(folder)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def trained_reference(dataset: str = "mnist") -> TrainedReference:
    """The cached trained reference model for ``dataset``, training it first if this machine has none."""
    folder = _reference_folder(dataset)
    folder.parent.mkdir(parents=True, exist_ok=True)
    if not (folder / "meta.json").is_file():
        with open(folder.parent / ".lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # one trainer at a time; the others wait and reuse its model
            if not (folder / "meta.json").is_file():
                _train_reference(dataset, folder)
    return TrainedReference(ModelFile(folder / "model.keras"), np.load(folder / "test_logits.npy"))
