"""Grader for 13 · Save and load a model: one native ``.keras`` archive that keeps everything.

save_model gets the trained reference MLP (compiled, with its optimizer's state) and a path; the grader reads
back the file written there, tells a native archive from the legacy HDF5 of older tutorials or a weights-only
file, loads it itself (sized first by the model guard) and compares it with the model it handed over.
load_model gets a copy of the grader's own saved file; what it returns must predict and be compiled exactly
as that file says. The two functions are graded apart, so a mistake in one never fails the other.
"""

from __future__ import annotations

import math
import os
import re
import zipfile
from pathlib import Path

import numpy as np
import pytest

from hnml_tutor.graders.checks import check, learner_calls, runs
from hnml_tutor.graders.common import load_returned_model
from hnml_tutor.graders.models import compiled_loss, compiled_optimizer, describe_layers
from hnml_tutor.graders.vocabulary import describe, fail
from hnml_tutor.job_files import NotARegularFile, copy_out, human_size
from hnml_tutor.sandbox import Call
from hnml_tutor.sandbox.run import WORKSPACE
from hnml_tutor.transport import JOB_FILES, InputFile, ModelFile, NotAFile, OutputPath, WrittenFile, written_file

SAVE, LOAD = "save_model", "load_model"
OUTPUT = OutputPath("model.keras")
GIVEN_NAME = "saved_by_the_grader.keras"  # the copy of the grader's file that load_model reads
SAMPLE_SIZE = 500
SAME_SCORES = 1e-4  # float32 scores of the same weights, computed in batches of another size
NATIVE_ENTRIES = frozenset({"config.json", "metadata.json", "model.weights.h5"})
HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"
LEGACY_MARKER = b"model_config"  # the attribute a legacy full-model .h5 keeps its architecture in
CHUNK = 1024 * 1024
MODEL_ENDINGS = (".keras", ".h5", ".hdf5", ".weights.h5")
SANDBOX_OWN = re.compile(r"(arg_|received-|(model|array)_[0-9a-f]{12}\.)")  # names the sandbox gives its files

KERAS_FORMAT = ("In Keras 3, `model.save(path)` with a path ending in `.keras` writes one archive that holds the "
                "architecture, the weights, the optimizer's state and the compile settings; "
                "`keras.models.load_model(path)` gives it all back.")
LEGACY_H5 = ("`.h5` (HDF5) is the legacy format of older tutorials: Keras 3 still reads it but no longer "
             "recommends writing it, and not every model or setting survives it. ")
WEIGHTS_ONLY = ("`save_weights` keeps only the numbers: to use them again you need the exact code that built the "
                "model, and the optimizer's state and the compile settings are lost. ")


@pytest.fixture(scope="module")
def reference(reference_inputs):
    return reference_inputs.get("mnist/trained-mlp")


@pytest.fixture(scope="module")
def sample(reference_inputs):
    count = len(reference_inputs.data.y_test)
    return np.sort(np.random.default_rng(13).choice(count, SAMPLE_SIZE, replace=False))


@learner_calls(points={SAVE: 2, LOAD: 2}, loads_models=True)
def calls(reference):
    # load_model runs first: had save_model run first, a load_model could hand back the model save_model was
    # given (kept in a global) without reading the file at all.
    return [Call(LOAD, (InputFile(reference.model.path, GIVEN_NAME),)), Call(SAVE, (reference.model, OUTPUT))]


@pytest.fixture(scope="module")
def original(reference):
    """The model the grader handed to save_model and saved for load_model, as Keras loads it."""
    return reference.model.load()


# -- what was written: native archive, legacy HDF5, weights only, or something else --------------------------

def _contains(path: Path, marker: bytes) -> bool:
    overlap = len(marker) - 1
    with open(path, "rb") as handle:
        tail = b""
        while chunk := handle.read(CHUNK):
            if marker in tail + chunk:
                return True
            tail = chunk[-overlap:]
    return False


def saved_kind(path: Path) -> str:
    """'native' (a .keras archive), 'legacy' (a whole model in HDF5), 'weights' (HDF5 weights only),
    'archive' (a zip that isn't a Keras model) or 'other'. Read as bytes: nothing of it is executed."""
    with open(path, "rb") as handle:
        head = handle.read(len(HDF5_SIGNATURE))
    if head == HDF5_SIGNATURE:
        return "legacy" if _contains(path, LEGACY_MARKER) else "weights"
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError, EOFError):
        return "other"
    return "native" if NATIVE_ENTRIES <= names else "archive"


KIND_WORDS = {"native": "a native .keras archive", "legacy": "a whole model in the legacy HDF5 (.h5) format",
              "weights": "the weights only (an HDF5 file written by save_weights)",
              "archive": "a zip archive that isn't a Keras model", "other": "a file that isn't a Keras model"}


def _stray_entries(folder: Path) -> list[tuple[Path, str]]:
    """Files the learner's code left in the job folder or its working folder besides the sandbox's own:
    (folder, name) pairs, e.g. a ``model.h5`` written next to the ``model.keras`` it was asked for. Files
    with a model's ending come first; folders (the sandbox's home, caches) are not looked into."""
    found = []
    for base in (folder, folder / WORKSPACE):
        try:
            entries = list(os.scandir(base))
        except OSError:
            continue
        for entry in entries:
            name = entry.name
            if (entry.is_dir(follow_symlinks=False) or name in JOB_FILES or name in {OUTPUT.name, GIVEN_NAME}
                    or name.endswith((".py", ".pyc")) or SANDBOX_OWN.match(name)):
                continue
            found.append((base, name))
    return sorted(found, key=lambda where: (not where[1].endswith(MODEL_ENDINGS), where[1]))


def _describe_stray(folder: Path, base: Path, name: str) -> tuple[str, str | None]:
    """How a stray entry reads to the learner, and what kind of saved model it is (None if not a file)."""
    where = name if base == folder else f"{base.name}/{name}"
    try:
        copy, size = copy_out(base, name, Path(name).suffix)
    except NotARegularFile as refused:
        return f"{where} ({refused.found})", None
    try:
        kind = saved_kind(copy)
    finally:
        copy.unlink(missing_ok=True)
    return f"{where} ({human_size(size)}): {KIND_WORDS[kind]}", kind


@pytest.fixture(scope="module")
def written(run):
    return written_file(run.folder, OUTPUT)


@check(points=2, after=runs(SAVE))
def test_writes_the_file(written, run):
    """save_model() writes a file at the path it was given"""
    if isinstance(written, WrittenFile) and written.size > 0:
        return
    if isinstance(written, WrittenFile):
        fail("save_model() left an empty file at the path.", expected="the saved model", found="an empty file",
             hint="Call `model.save(path)`: Keras writes the file itself.")
    strays = [_describe_stray(run.folder, base, name) for base, name in _stray_entries(run.folder)]
    if strays:
        kinds = {kind for _, kind in strays}
        hint = "Save to exactly the path you were given: `model.save(path)`, without changing its name or ending. "
        if "legacy" in kinds:
            hint += LEGACY_H5
        elif "weights" in kinds:
            hint += WEIGHTS_ONLY
        fail("save_model() wrote its file somewhere else than the path it was given.",
             expected=f"a file at the path you were given (…/{OUTPUT.name})",
             found=f"{written.found}; instead: " + "; ".join(text for text, _ in strays[:3]),
             hint=hint + KERAS_FORMAT)
    found = written.found if isinstance(written, NotAFile) else describe(written)
    fail("save_model() didn't save the model at the path it was given.", expected="a .keras file at the path",
         found=found, hint="Call `model.save(path)`. " + KERAS_FORMAT)


@check(points=4, after=test_writes_the_file)
def test_native_keras_archive(written):
    """the file is a native .keras archive, not a legacy .h5 or weights-only file"""
    kind = saved_kind(written.path)
    if kind == "native":
        return
    expected = "a native .keras archive (a zip holding config.json, model.weights.h5 and metadata.json)"
    found = f"{KIND_WORDS[kind]} ({human_size(written.size)})"
    if kind == "legacy":
        fail("save_model() wrote the legacy HDF5 (.h5) format.", expected=expected, found=found,
             hint=LEGACY_H5 + KERAS_FORMAT + " Call `model.save(path)` with the path as given.")
    if kind == "weights":
        fail("save_model() saved only the weights, not the model.", expected=expected, found=found,
             hint=WEIGHTS_ONLY + KERAS_FORMAT)
    fail("save_model() wrote something that isn't a saved Keras model.", expected=expected, found=found,
         hint="Let Keras write the file: `model.save(path)`. " + KERAS_FORMAT)


@pytest.fixture(scope="module")
def saved(written):
    return load_returned_model(ModelFile(written.path), "The model save_model() wrote")


# -- comparing a model with the one the grader saved ----------------------------------------------------------

def _scores(model, images: np.ndarray, what: str) -> np.ndarray:
    try:
        outputs = model.predict(images, verbose=0, batch_size=SAMPLE_SIZE)
    except Exception as error:  # a model of another shape is the learner's to fix, in their terms
        fail(f"{what} can't classify the MNIST test images the saved model classifies.",
             expected="(N, 10) scores for N scaled 28×28 images", found=f"the model raised {type(error).__name__}",
             details=str(error)[:1500], hint="Return the model exactly as Keras saved and loaded it.")
    outputs = np.asarray(outputs, dtype=np.float64) if isinstance(outputs, np.ndarray) else outputs
    if not isinstance(outputs, np.ndarray) or outputs.shape != (len(images), 10):
        fail(f"{what} doesn't give 10 scores per image like the saved model.",
             expected=f"scores of shape ({len(images)}, 10)", found=describe(outputs))
    return outputs


def expect_same_predictions(model, reference, reference_inputs, sample, what: str, hint: str) -> None:
    """``model`` scores the sampled test images as the reference does, to float32 rounding."""
    images = reference_inputs.get("mnist/scaled").x_test[sample]
    expected = reference.test_logits[sample].astype(np.float64)
    found = _scores(model, images, what)
    if np.all(np.isfinite(found)) and np.allclose(found, expected, rtol=SAME_SCORES, atol=SAME_SCORES):
        return
    differing = int((found.argmax(axis=1) != expected.argmax(axis=1)).sum())
    gap = float(np.nanmax(np.abs(found - expected))) if np.any(np.isfinite(found)) else math.nan
    fail(f"{what} doesn't predict like the model that was saved.",
         expected=f"the same scores on {SAMPLE_SIZE} MNIST test images", hint=hint,
         found=f"scores that differ by up to {gap:.3g}; another digit predicted for {differing} of {SAMPLE_SIZE} "
               f"images ({describe_layers(model)})")


def training_state(model) -> dict[str, str]:
    """What a compiled model carries besides its weights: loss, optimizer, learning rate, steps taken."""
    loss = compiled_loss(model)
    state = {"loss": f"{loss.name}{' (from_logits=True)' if loss.from_logits else ''}" if loss else "none",
             "optimizer": str(compiled_optimizer(model) or "none")}
    optimizer = getattr(model, "optimizer", None)
    if optimizer is not None:
        try:
            state["learning rate"] = f"{float(optimizer.learning_rate):.6g}"
            state["optimizer steps taken"] = str(int(optimizer.iterations))
        except (TypeError, ValueError, AttributeError):
            state["learning rate"] = "unreadable"
    return state


def state_differences(model, original) -> list[str]:
    expected, found = training_state(original), training_state(model)
    return [f"{key}: {found.get(key, 'missing')} instead of {value}" for key, value in expected.items()
            if found.get(key) != value]


# -- save_model: the file loads back as the model it was given --------------------------------------------------

@check(points=4, after=test_native_keras_archive)
def test_saved_model_predicts_the_same(saved, reference, reference_inputs, sample):
    """the saved file loads back with the same predictions as the model it was given"""
    expect_same_predictions(saved, reference, reference_inputs, sample, "The model in the saved file",
                            hint="Save the model you were given, as it is, with `model.save(path)`: don't build, "
                                 "train or change a model before saving.")


@check(points=3, after=test_native_keras_archive)
def test_saved_model_keeps_its_training_state(saved, original):
    """the saved file keeps the loss, the optimizer and the optimizer's state"""
    if not saved.get_compile_config():
        fail("The saved model is not compiled: its loss and optimizer were not saved.",
             expected="the loss and optimizer the model was compiled with", found="no compile settings",
             hint="Save the compiled model you were given with `model.save(path)`. " + KERAS_FORMAT)
    _expect_training_state(saved, original, "The saved model's compile settings or optimizer state differ from the "
                           "model it was given.",
                           hint="Save the model as it is: compiling it again (or cloning it) before saving starts a "
                                "fresh optimizer, so training could no longer resume where it stopped.")


def _expect_training_state(model, original, problem: str, *, hint: str) -> None:
    """Fail with ``problem`` unless ``model`` has ``original``'s loss, optimizer and optimizer state."""
    differences = state_differences(model, original)
    if differences:
        fail(problem, expected=", ".join(f"{k} {v}" for k, v in training_state(original).items()),
             found="; ".join(differences), hint=hint)


# -- load_model: what it returns is the saved model, compiled ---------------------------------------------------

@check(points=3, after=runs(LOAD))
def test_load_returns_model(returned):
    """load_model() returns a Keras model"""
    value = returned[LOAD]
    if isinstance(value, ModelFile):
        return
    hint = "`return keras.models.load_model(path)`."
    if isinstance(value, str):
        hint = "You returned the path itself. Load the model from it and return the model: " + hint
    fail("load_model() should return the loaded model.", expected="a keras.Model", found=describe(value), hint=hint)


@pytest.fixture(scope="module")
def loaded(returned):
    return load_returned_model(returned[LOAD], "load_model()'s result")


@check(points=5, after=test_load_returns_model)
def test_loaded_model_predicts_the_same(loaded, reference, reference_inputs, sample):
    """the loaded model predicts exactly as the saved one"""
    expect_same_predictions(loaded, reference, reference_inputs, sample, "The model load_model() returned",
                            hint="Return what `keras.models.load_model(path)` gives. A model you build yourself "
                                 "starts from fresh random weights: it is untrained until the saved weights are "
                                 "loaded into it.")


@check(points=5, after=test_load_returns_model)
def test_loaded_model_is_compiled_as_saved(loaded, original):
    """the loaded model is compiled with the saved loss and optimizer, optimizer state included"""
    if not loaded.get_compile_config():
        fail("The loaded model isn't compiled: the saved loss and optimizer are gone.",
             expected="the model compiled as it was saved", found="a model without loss or optimizer",
             hint="`keras.models.load_model(path)` compiles the model again from the file, optimizer state "
                  "included. `compile=False`, or loading the weights into a model you built, throws that away: "
                  "`fit` and `evaluate` then fail until you compile it again, and training starts over.")
    _expect_training_state(loaded, original, "The loaded model's compile settings or optimizer state differ from the "
                           "saved ones.",
                           hint="Return the model as `keras.models.load_model(path)` gives it: compiling it again "
                                "starts a fresh optimizer, and training would not resume where it stopped.")
