"""The reference artefacts the curriculum's graders ask for by name (see :mod:`hnml_tutor.reference`).

They come from the reference solutions themselves, so the solutions are the single definition of
"correct" and are exercised on every check. A new exercise that needs another artefact — a Fashion-MNIST
CNN, a NumPy MLP — registers it here under a new name.
"""

from __future__ import annotations

import contextlib
import io
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from hnml_tutor import datasets
from hnml_tutor.graders.numeric import softmax
from hnml_tutor.reference import get, provider, solution
from hnml_tutor.transport import ModelFile

REFERENCE_SEED = 20240607


@dataclass(frozen=True)
class ScaledData:
    """A data set's images as the reference step 02 scales them."""

    x_train: np.ndarray
    x_test: np.ndarray


@dataclass(frozen=True)
class ReferenceClassifier:
    """A reference model and its logits on the test set, measured once when it was saved."""

    model: ModelFile
    test_logits: np.ndarray

    def probabilities(self, indices: np.ndarray | None = None) -> np.ndarray:
        logits = self.test_logits if indices is None else self.test_logits[indices]
        return softmax(logits)


@provider("mnist/scaled")
def mnist_scaled() -> ScaledData:
    data = datasets.load("mnist")
    preprocess = solution("preprocess").preprocess
    return ScaledData(preprocess(data.x_train), preprocess(data.x_test))


@provider("fashion/scaled")
def fashion_scaled() -> ScaledData:
    """Fashion-MNIST's images scaled as step 02 scales MNIST's: the same preprocessing serves both."""
    data = datasets.load("fashion-mnist")
    preprocess = solution("preprocess").preprocess
    return ScaledData(preprocess(data.x_train), preprocess(data.x_test))


@provider("mlp/compiled", fresh=True)
def compiled_mlp():
    """A fresh reference network, compiled as step 04 compiles it."""
    return solution("compile").compile_model(solution("build").build_model())


def _save_classifier(model, folder: Path) -> None:
    """Save ``model`` with its logits on the MNIST test set, so graders know its every answer without Keras."""
    data, scaled = datasets.load("mnist"), get("mnist/scaled")
    logits = model.predict(scaled.x_test, verbose=0)
    model.save(folder / "model.keras")
    np.save(folder / "test_logits.npy", logits.astype(np.float32))
    accuracy = float((logits.argmax(axis=1) == data.y_test).mean())
    (folder / "meta.json").write_text(json.dumps({"test_accuracy": accuracy}))


def _load_classifier(folder: Path) -> ReferenceClassifier:
    return ReferenceClassifier(ModelFile(folder / "model.keras"), np.load(folder / "test_logits.npy"))


def _train_mnist_mlp(folder: Path) -> None:
    import keras

    keras.utils.set_random_seed(REFERENCE_SEED)
    data, scaled = datasets.load("mnist"), get("mnist/scaled")
    model = compiled_mlp()
    with contextlib.redirect_stdout(io.StringIO()):
        solution("train").train(model, scaled.x_train, data.y_train)
    _save_classifier(model, folder)


@provider("mnist/trained-mlp", build=_train_mnist_mlp)
def trained_mnist_mlp(folder: Path) -> ReferenceClassifier:
    """The reference MLP trained on MNIST (seeded, once per machine), for the steps after training."""
    return _load_classifier(folder)


def _untrained_mnist_mlp(folder: Path) -> None:
    import keras

    keras.utils.set_random_seed(REFERENCE_SEED + 1)
    _save_classifier(compiled_mlp(), folder)


@provider("mnist/untrained-mlp", build=_untrained_mnist_mlp)
def untrained_mnist_mlp(folder: Path) -> ReferenceClassifier:
    """The reference MLP compiled but never trained (near-chance accuracy): a second model whose scores differ
    clearly from the trained one's, so a function that ignores its model shows up."""
    return _load_classifier(folder)


def _initial_mlp(folder: Path) -> None:
    import keras

    keras.utils.set_random_seed(REFERENCE_SEED + 2)
    solution("build").build_model().save(folder / "model.keras")


@provider("mlp/initial", build=_initial_mlp)
def initial_mlp(folder: Path) -> ModelFile:
    """A reference network as step 03 builds it, uncompiled, saved once: the grader that hands it out knows
    its layers and initial weights, so it can tell the same model handed back from a new one."""
    return ModelFile(folder / "model.keras")


# -- 09 · Fashion-MNIST, end to end --

def _train_fashion_raw_mlp(folder: Path) -> None:
    """The reference solution's model, trained on the raw images, with its logits on the raw test images."""
    import keras

    keras.utils.set_random_seed(REFERENCE_SEED)
    data = datasets.load("fashion-mnist")
    with contextlib.redirect_stdout(io.StringIO()):
        model = solution("09").train_fashion(data.x_train, data.y_train)
    logits = model.predict(data.x_test, verbose=0, batch_size=1024)
    model.save(folder / "model.keras")
    np.save(folder / "test_logits.npy", logits.astype(np.float32))
    accuracy = float((logits.argmax(axis=1) == data.y_test).mean())
    (folder / "meta.json").write_text(json.dumps({"test_accuracy": accuracy}))


@provider("fashion/trained-raw-mlp", build=_train_fashion_raw_mlp)
def trained_fashion_raw_mlp(folder: Path) -> ReferenceClassifier:
    """A Fashion-MNIST MLP that takes raw uint8 images (trained once per machine, seeded): the model whose
    confusion matrix the grader knows from its stored logits, with no Keras in the grader."""
    return _load_classifier(folder)


# -- 10 · Stop before it overfits --

@provider("fashion/overfitting-mlp", fresh=True)
def overfitting_mlp():
    """A compiled network far larger than a thousand Fashion-MNIST images need (two Dense(512), about 670,000
    weights), so its validation loss turns back up within a few epochs. Seeded: the same starting weights on
    every check, so where training stops depends on the learner's code, not on chance."""
    import keras

    keras.utils.set_random_seed(REFERENCE_SEED + 10)
    model = keras.Sequential([
        keras.Input(shape=(28, 28)),
        keras.layers.Flatten(),
        keras.layers.Dense(512, activation="relu"),
        keras.layers.Dense(512, activation="relu"),
        keras.layers.Dense(10),
    ])
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-3),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    return model


# -- 11 · The classic dropout MLP --

@provider("mnist/dropout-mlp", fresh=True)
def dropout_mlp():
    """The reference dropout MLP as exercise 11 builds it, uncompiled: what the learner's compile_sgd compiles."""
    return solution("classic_mlp").build_dropout_mlp()


# -- 08 · One neuron learns a formula --

def _initial_neuron(folder: Path) -> None:
    import keras

    keras.utils.set_random_seed(REFERENCE_SEED + 8)
    solution("neuron").build_neuron().save(folder / "model.keras")


@provider("neuron/initial", build=_initial_neuron)
def initial_neuron(folder: Path) -> ModelFile:
    """A fresh one-unit neuron as step 08 builds it, uncompiled, saved once with seeded weights: the grader
    trains it with the learner's train_neuron, so that check never depends on the learner's build_neuron."""
    return ModelFile(folder / "model.keras")
# -- 12 · A convolutional network --

def _initial_cnn(folder: Path) -> None:
    import keras

    keras.utils.set_random_seed(REFERENCE_SEED + 12)
    solution("12").build_cnn().save(folder / "model.keras")


@provider("cnn/initial", build=_initial_cnn)
def initial_cnn(folder: Path) -> ModelFile:
    """The reference CNN as step 12 builds it, uncompiled and never trained, saved once: each learner's
    train_cnn gets its own copy, so the accuracy it reaches depends on the training recipe alone, and the
    grader, knowing the starting weights, can tell this model trained from a new one."""
    return ModelFile(folder / "model.keras")


def _train_fashion_mlp(folder: Path) -> None:
    import keras

    keras.utils.set_random_seed(REFERENCE_SEED + 13)
    labels, scaled = datasets.load("fashion-mnist").y_train, get("fashion/scaled")
    model = compiled_mlp()
    with contextlib.redirect_stdout(io.StringIO()):
        solution("train").train(model, scaled.x_train, labels)
    model.save(folder / "model.keras")
    np.save(folder / "test_logits.npy", model.predict(scaled.x_test, verbose=0).astype(np.float32))


@provider("fashion/trained-mlp", build=_train_fashion_mlp)
def trained_fashion_mlp(folder: Path) -> ReferenceClassifier:
    """The Dense network of steps 03–05 trained on Fashion-MNIST (seeded, once per machine): the bar a CNN
    must clear on the same clothes."""
    return _load_classifier(folder)
