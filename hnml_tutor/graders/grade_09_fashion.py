"""Grader for 09 · Fashion-MNIST, end to end: class names, the data, a model that scales raw pixels itself,
and a confusion matrix the grader recomputes for the same model."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from hnml_tutor import plots
from hnml_tutor.graders.checks import check, learner_calls, runs
from hnml_tutor.graders.common import expect_accuracy, load_returned_model
from hnml_tutor.graders.models import describe_layers, scales_inputs
from hnml_tutor.graders.vocabulary import describe, describe_array, fail, is_real_array
from hnml_tutor.sandbox import Call
from hnml_tutor.transport import HistoryRecord

NAMES, LOAD, TRAIN, MATRIX = "CLASS_NAMES", "load_fashion", "train_fashion", "confusion_matrix"
REFERENCE_MODEL = "fashion/trained-raw-mlp"
CLASSES = 10
# Each class's accepted spellings, compared in lower case with letters and digits only ("T-shirt/top" and
# "Tshirt" alike), in label order.
SPELLINGS = (
    {"tshirttop", "tshirt", "tshirtortop", "tshirtstop", "tshirts", "teeshirt", "tee", "top"},
    {"trouser", "trousers", "pants"},
    {"pullover", "pullovers", "sweater", "jumper"},
    {"dress", "dresses"},
    {"coat", "coats"},
    {"sandal", "sandals"},
    {"shirt", "shirts"},
    {"sneaker", "sneakers"},
    {"bag", "bags"},
    {"ankleboot", "ankleboots", "boot", "boots"},
)
MNIST_FIRST_LABELS = [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]  # the digits' training set, to name that mistake
# A model that divides by 255 itself fails on images already divided by 255 (it sees almost black images);
# one trained on scaled images scores about as well on them as on raw ones, however briefly it trained.
PRESCALED_DROP = 0.2
FAR_FROM_UNIT = 10.0  # a scaling that maps a pixel of 0 or 255 beyond ±10 is not one to 0–1 (or -1–1)
NEAR_TIES = 5  # predictions the learner's run may put in another cell than the grader's: top scores that tie
CONFUSED_PAIRS, EXAMPLES_PER_PAIR = 3, 6


@learner_calls(points={LOAD: 1, TRAIN: 2, MATRIX: 1, NAMES: 1}, loads_models=True)
def calls(reference_inputs):
    data = reference_inputs.data
    model = reference_inputs.get(REFERENCE_MODEL).model
    return [Call(LOAD), Call(TRAIN, (data.x_train, data.y_train)), Call(MATRIX, (model, data.x_test, data.y_test)),
            Call(NAMES, constant=True)]


# -- the class names ----------------------------------------------------------------------------------------

def _normalized(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def _label_of(name: str) -> int | None:
    key = _normalized(name)
    return next((label for label, spellings in enumerate(SPELLINGS) if key in spellings), None)


def _as_names(value) -> list | None:
    """The names as a list, whether the learner wrote a list, a tuple or an array of strings."""
    if isinstance(value, np.ndarray) and value.ndim == 1 and value.dtype.kind == "U":
        return [str(name) for name in value]
    return list(value) if isinstance(value, (list, tuple)) else None


@check(points=4, after=runs(NAMES))
def test_class_names(returned, reference_inputs):
    """CLASS_NAMES names Fashion-MNIST's 10 classes in label order"""
    value, official = returned[NAMES], reference_inputs.data.class_names
    expected = ", ".join(f"{label} {name}" for label, name in enumerate(official))
    names = _as_names(value)
    if names is None or len(names) != CLASSES or not all(isinstance(name, str) for name in names):
        fail("CLASS_NAMES should be a list of the 10 class names, as strings.", expected=f"10 names: {expected}",
             found=describe(value), hint="One name per label 0-9: `CLASS_NAMES = [\"T-shirt/top\", \"Trouser\", ...]`.")
    labels = [_label_of(name) for name in names]
    if labels == list(range(CLASSES)):
        return
    if [_normalized(name) for name in names] == [str(digit) for digit in range(CLASSES)]:
        fail("These are MNIST's digits, not Fashion-MNIST's classes.", expected=expected, found=describe(value),
             hint="Fashion-MNIST's labels 0-9 stand for clothes: label 0 is a T-shirt/top, label 9 an ankle boot.")
    if sorted(label for label in labels if label is not None) == list(range(CLASSES)):
        alphabetical = any(sorted(names, key=key) == names for key in (None, str.lower, _normalized))
        fail("The class names are in the wrong order.", expected=expected,
             found=", ".join(f"{position} {name}" for position, name in enumerate(names)),
             hint=("These are sorted alphabetically, but the labels follow Fashion-MNIST's own order. "
                   if alphabetical else "") +
                  "CLASS_NAMES[label] must name that label, so the list follows the label numbers 0-9: a model's "
                  "answer 6 is then reported as a Shirt, not as whatever name happens to stand sixth.")
    unknown = [f"{name!r} (position {position})" for position, (name, label) in enumerate(zip(names, labels))
               if label is None]
    fail("Some of these are not Fashion-MNIST's class names." if unknown else "A class is named twice.",
         expected=expected, found=", ".join(unknown) if unknown else ", ".join(names),
         hint="Use the data set's own ten names, once each, in label order.")


# -- the data -------------------------------------------------------------------------------------------

def _four_arrays(value) -> list[np.ndarray] | None:
    """``[x_train, y_train, x_test, y_test]`` when ``value`` is two pairs of arrays, else None."""
    if not (isinstance(value, (tuple, list)) and len(value) == 2):
        return None
    if not all(isinstance(pair, (tuple, list)) and len(pair) == 2 for pair in value):
        return None
    arrays = [*value[0], *value[1]]
    return arrays if all(isinstance(array, np.ndarray) and array.ndim >= 1 for array in arrays) else None


@pytest.fixture(scope="module")
def arrays(returned):
    return _four_arrays(returned[LOAD])


@check(points=1, after=runs(LOAD))
def test_returns_two_pairs(returned):
    """load_fashion returns (x_train, y_train), (x_test, y_test)"""
    if _four_arrays(returned[LOAD]) is None:
        fail("load_fashion() should return two (images, labels) pairs: training first, then test.",
             expected="((x_train, y_train), (x_test, y_test)), all NumPy arrays", found=describe(returned[LOAD]),
             hint="Return what `keras.datasets.fashion_mnist.load_data()` returns, as it is.")


def _data_mistake(arrays: list[np.ndarray]) -> str:
    """The likely reason four arrays are not Fashion-MNIST as Keras gives it."""
    x_train, y_train, x_test, _ = arrays
    if len(x_train) == 10000 and len(x_test) == 60000:
        return "Train and test are swapped: Keras returns the 60,000 training images first."
    if x_train.dtype != np.uint8 or x_test.dtype != np.uint8:
        if np.issubdtype(x_train.dtype, np.floating) and x_train.size and np.nanmax(x_train) <= 1.0:
            return ("The pixels are scaled already. Here the model scales them itself (its Rescaling layer), so "
                    "return the raw uint8 pixels, 0 to 255.")
        return "Return the pixels as Keras gives them: uint8, 0 to 255."
    if x_train.shape[1:] != (28, 28) or x_test.shape[1:] != (28, 28):
        return "Keep each image 28×28, as Keras gives it: the model's Flatten layer does the flattening."
    if np.issubdtype(y_train.dtype, np.integer) and [int(label) for label in y_train[:10]] == MNIST_FIRST_LABELS:
        return "This is MNIST, the digits. This exercise is about clothes: `keras.datasets.fashion_mnist`."
    return "Return the arrays exactly as Keras gives them: no shuffling, sorting or editing."


@check(points=3, after=test_returns_two_pairs)
def test_is_fashion_mnist(arrays, reference_inputs):
    """the data is Fashion-MNIST as Keras gives it: 60,000 and 10,000 raw uint8 images of 28×28"""
    data = reference_inputs.data
    references = (data.x_train, data.y_train, data.x_test, data.y_test)
    if all(array.shape == reference.shape and array.dtype == reference.dtype and np.array_equal(array, reference)
           for array, reference in zip(arrays, references)):
        return
    fail("These arrays are not Fashion-MNIST as Keras returns it.",
         expected="x_train uint8 (60000, 28, 28) and x_test uint8 (10000, 28, 28), 0 to 255, with their labels",
         found=f"x_train {describe_array(arrays[0])}; x_test {describe_array(arrays[2])}",
         hint=_data_mistake(arrays))


# -- the trained model ------------------------------------------------------------------------------------

@check(points=2, after=runs(TRAIN))
def test_returns_model(returned):
    """train_fashion returns the trained model"""
    value = returned[TRAIN]
    if isinstance(value, HistoryRecord):
        fail("train_fashion() should return the trained model, not the History.", expected="a keras.Model",
             found=describe(value), hint="`model.fit(...)` trains the model in place: `return model` after it.")
    load_returned_model(value, "the model train_fashion returned")


@pytest.fixture(scope="module")
def trained_model(returned):
    return load_returned_model(returned[TRAIN], "the model train_fashion returned")


def _predicted_classes(model, images: np.ndarray) -> np.ndarray:
    """The model's class for each image; a model that can't classify them is the learner's to fix."""
    try:
        outputs = model.predict(images, verbose=0, batch_size=2048)
    except Exception as error:  # e.g. a model that takes flattened images
        fail("The trained model can't classify the raw test images.",
             expected="(N, 10) scores for N raw uint8 images of 28×28",
             found=f"the model raised {type(error).__name__} (details below)", details=str(error)[:1500],
             hint="Start the model with `keras.Input(shape=(28, 28))` and let a Flatten layer flatten: the model "
                  "must take the images as they come.")
    if not isinstance(outputs, np.ndarray) or outputs.shape != (len(images), CLASSES):
        fail("The trained model doesn't give 10 scores per image.", expected="(N, 10) outputs, one per class",
             found=describe(outputs), hint="End the model with `keras.layers.Dense(10)`: one score per class.")
    return outputs.argmax(axis=1)


@dataclass(frozen=True)
class Accuracies:
    """The trained model's test accuracy on raw images, and on images the grader divided by 255 first."""

    raw: float
    prescaled: float

    @property
    def expects_raw_pixels(self) -> bool:
        return self.raw - self.prescaled >= PRESCALED_DROP


@pytest.fixture(scope="module")
def accuracies(trained_model, reference_inputs) -> Accuracies:
    data = reference_inputs.data
    raw = _predicted_classes(trained_model, data.x_test)
    prescaled = _predicted_classes(trained_model, data.x_test.astype(np.float32) / 255)
    return Accuracies(float((raw == data.y_test).mean()), float((prescaled == data.y_test).mean()))


@check(points=10, after=test_returns_model)
def test_test_accuracy(accuracies, exercise, artifacts):
    """the model reaches the required accuracy on the raw test images (measured by the grader)"""
    expect_accuracy(accuracies.raw, exercise, artifacts,
                    problem="The trained model is not accurate enough on the test set.",
                    measured_on="the 10,000 raw test images",
                    hint="Train for a few epochs (5 at batch_size 128 is plenty), make the loss match the last layer "
                         "(from_logits=True for a Dense(10) without softmax), and let the model scale its input "
                         "itself.")


@check(points=5, after=test_returns_model)
def test_scales_raw_pixels(trained_model, accuracies):
    """the model scales raw pixels itself (a Rescaling layer), and was trained on raw pixels"""
    scaling = scales_inputs(trained_model)
    measured = (f"on the raw test images it scores {accuracies.raw:.1%}; on the same images divided by 255 "
                f"first, {accuracies.prescaled:.1%}")
    if scaling is None:
        behaviour = ("it was trained on the raw 0-255 values, with no scaling at all" if accuracies.expects_raw_pixels
                     else "it works at least as well when the images are scaled before they reach it, as if it "
                          "had learned on scaled images")
        fail("Forgot the scaling layer: the model doesn't scale raw pixels itself.",
             expected="a model that divides raw pixels by 255 itself, e.g. keras.layers.Rescaling(1/255) first",
             found=f"no Rescaling or Normalization layer ({describe_layers(trained_model)}); {measured}: {behaviour}",
             hint="If you divided x_train by 255 before fit, the model was trained on scaled images, but whoever "
                  "uses it (this grader, an app) hands it raw pixels: it still scores well enough to hide the "
                  "mistake, so accuracy alone won't tell you. (If you fit it on the raw pixels instead, it learned "
                  "on 0-255 values, which trains slower and less steadily.) Put the scaling inside the model: "
                  "`keras.layers.Rescaling(1/255)` right after `keras.Input(shape=(28, 28))`, then fit on the raw "
                  "x_train you were given.")
    low, high = scaling.apply(0.0), scaling.apply(255.0)
    if max(abs(low), abs(high)) > FAR_FROM_UNIT:
        fail("The model's scaling layer doesn't bring the pixels near 0-1.",
             expected="pixels 0 to 255 mapped to about 0 to 1, e.g. keras.layers.Rescaling(1/255)",
             found=f"{scaling.layers} maps 0 to {low:.4g} and 255 to {high:.4g}",
             hint="A Normalization layer must learn the pixels' mean and spread before training: call its "
                  "`adapt(x_train)` first (or use `Rescaling(1/255)`)." if "Normalization" in scaling.layers else
                  "Rescaling multiplies its input by its scale: write `Rescaling(1/255)`, not `Rescaling(255)`.")
    if not accuracies.expects_raw_pixels:
        fail("The model scales the pixels itself, yet it does no better on raw images than on images already "
             "divided by 255.",
             expected="a model trained on the raw pixels, which its own scaling layer divides by 255",
             found=f"{scaling.layers} at the input, and {measured}: it behaves as if it learned on images that "
                   "were scaled before they reached it",
             hint="Did you divide x_train by 255 before fit as well? Then the model learned on pixels scaled twice "
                  "(0 to 1/255) and meets pixels scaled once. Fit on the raw x_train you were given: the "
                  "Rescaling layer is all the scaling it needs.")


# -- the confusion matrix -----------------------------------------------------------------------------------

def _counts(true: np.ndarray, predicted: np.ndarray) -> np.ndarray:
    return np.bincount(true.astype(int) * CLASSES + predicted, minlength=CLASSES * CLASSES).reshape(CLASSES, CLASSES)


@pytest.fixture(scope="module")
def reference_predictions(reference_inputs) -> np.ndarray:
    return reference_inputs.get(REFERENCE_MODEL).test_logits.argmax(axis=1)


@pytest.fixture(scope="module")
def reference_matrix(reference_inputs, reference_predictions) -> np.ndarray:
    return _counts(reference_inputs.data.y_test, reference_predictions)


def _as_matrix(value) -> np.ndarray | None:
    """The learner's matrix as an array: an array as it is, a list of rows of numbers converted."""
    if isinstance(value, np.ndarray):
        return value
    if isinstance(value, (list, tuple)) and value and all(
            isinstance(row, (list, tuple)) and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in row)
            for row in value):
        try:
            return np.array(value)
        except ValueError:  # rows of different lengths
            return None
    return None


@pytest.fixture(scope="module")
def matrix(returned) -> np.ndarray:
    return _as_matrix(returned[MATRIX])


def _moved(matrix: np.ndarray, reference: np.ndarray) -> int:
    """How many test images ``matrix`` counts in another cell than ``reference`` does."""
    return int(np.abs(matrix.astype(np.int64) - reference).sum()) // 2


@check(points=2, after=runs(MATRIX))
def test_matrix_shape(returned, reference_inputs):
    """confusion_matrix returns a (10, 10) array: one row and one column per class"""
    value, count = returned[MATRIX], len(reference_inputs.data.y_test)
    matrix = _as_matrix(value)
    if matrix is not None and is_real_array(matrix) and matrix.shape == (CLASSES, CLASSES):
        return
    shape = matrix.shape if isinstance(matrix, np.ndarray) else None
    hint = "Start from `matrix = np.zeros((10, 10), dtype=int)` and add 1 to `matrix[true, predicted]` per image."
    if shape == (count,):
        hint = ("These are the predicted classes, one per image: that's half the work. Count them: each image adds "
                "1 to `matrix[true, predicted]` (`np.add.at(matrix, (y_test, predicted), 1)`).")
    elif shape == (count, CLASSES):
        hint = ("These are the model's 10 scores per image. Take each image's class with `.argmax(axis=1)`, then "
                "count (true, predicted) pairs into a (10, 10) matrix.")
    elif shape is not None and len(shape) == 2 and shape[0] == shape[1] and shape[0] < CLASSES:
        hint = ("The matrix needs one row and one column for each of the 10 classes, even a class the model never "
                "predicts: size it by the number of classes, not by the labels that happen to occur.")
    fail("confusion_matrix() should return a (10, 10) array of counts.", expected="an integer array of shape (10, 10)",
         found=describe(value), hint=hint)


@check(points=2, after=test_matrix_shape)
def test_matrix_counts(matrix, reference_inputs):
    """the matrix holds whole counts that add up to the 10,000 test images"""
    count = len(reference_inputs.data.y_test)
    if np.issubdtype(matrix.dtype, np.floating):
        total, rows = float(matrix.sum()), matrix.sum(axis=1)
        counts_hint = ("Return the counts themselves, as integers: `matrix[true, predicted]` is a number of test "
                       "images. Normalizing (dividing by the total, or each row by its sum) is a way to read the "
                       "matrix afterwards, not the matrix itself.")
        if abs(total - 1.0) <= 1e-3:
            fail("The matrix is normalized: its entries add up to 1.",
                 expected=f"integer counts adding up to {count:,}", found=describe_array(matrix), hint=counts_hint)
        if np.allclose(rows, 1.0, atol=1e-3):
            fail("The matrix is normalized row by row: each row adds up to 1.",
                 expected=f"integer counts adding up to {count:,}", found=describe_array(matrix), hint=counts_hint)
        fail("The matrix should hold integer counts.", expected="an integer array (e.g. dtype int)",
             found=describe_array(matrix),
             hint="`np.zeros((10, 10))` makes floats: write `np.zeros((10, 10), dtype=int)` so counts stay counts.")
    if not np.issubdtype(matrix.dtype, np.integer) or matrix.min() < 0 or int(matrix.sum()) != count:
        fail("The counts don't add up to the test images.", expected=f"non-negative counts adding up to {count:,}: "
             "each test image counted once", found=describe_array(matrix) + f", adding up to {int(matrix.sum()):,}",
             hint="Count every test image exactly once: one (true, predicted) pair per image of x_test.")


@check(points=6, after=test_matrix_counts)
def test_matrix_matches_model(matrix, reference_matrix):
    """the matrix counts the given model's predictions: rows the true classes, columns the predicted ones"""
    moved = _moved(matrix, reference_matrix)
    if moved <= NEAR_TIES:
        return
    if _moved(matrix.T, reference_matrix) <= NEAR_TIES:
        fail("Rows and columns are swapped: the rows should be the true classes, the columns the predictions.",
             expected="matrix[true, predicted]", found="the transpose: matrix[predicted, true]",
             hint="Count with `matrix[y_test[i], predicted[i]] += 1` (or `np.add.at(matrix, (y_test, predicted), 1)`). "
                  "A library's confusion matrix takes the true labels first: `confusion_matrix(y_true, y_pred)`.")
    if not np.array_equal(matrix.sum(axis=1), reference_matrix.sum(axis=1)):
        fail("The rows don't hold each class's test images.",
             expected="row c adds up to the number of test images whose true label is c",
             found="rows with other totals", hint="Index the rows by the true labels, `y_test`; the columns by the "
                                                   "model's predicted classes.")
    fail("The matrix doesn't count this model's predictions.", expected="the model's own (true, predicted) pairs",
         found=f"{moved:,} of the test images counted in another cell than the model's predictions put them",
         hint="Predict with the model you were given, on the x_test you were given: "
              "`model.predict(x_test, verbose=0).argmax(axis=1)`. Don't train or build another model here.")


@pytest.fixture(scope="module", autouse=True)
def confusion_plots(run, artifacts, reference_inputs, reference_matrix, reference_predictions):
    """Once the checks are done: the learner's matrix as a heat map and its most confused pairs, when it is the
    model's (a picture of a wrong matrix would teach the wrong thing)."""
    yield
    result = run.call(MATRIX) if run.ok else None
    matrix = _as_matrix(result.value) if result is not None and result.status == "returned" else None
    if not (isinstance(matrix, np.ndarray) and matrix.shape == (CLASSES, CLASSES)
            and np.issubdtype(matrix.dtype, np.integer) and _moved(matrix, reference_matrix) <= NEAR_TIES):
        return
    data, names = reference_inputs.data, reference_inputs.data.class_names
    pairs = _most_confused(matrix)
    true, predicted = pairs[0]
    artifacts.note(f"In your confusion matrix, {names[true]} is taken for {names[predicted]} "
                   f"{matrix[true, predicted]} times: the pair the model confuses most.")
    examples = [data.x_test[(data.y_test == t) & (reference_predictions == p)][:EXAMPLES_PER_PAIR] for t, p in pairs]
    artifacts.plot(draw_confusion_matrix, matrix=matrix, class_names=names, filename="09_confusion.png",
                   title="Confusion matrix: rows the true class, columns the predicted one")
    artifacts.plot(draw_confused_pairs, filename="09_confused_pairs.png",
                   title="The most confused pairs: test images and what the model took them for",
                   captions=[f"{names[t]} taken for {names[p]} ({matrix[t, p]}×)" for t, p in pairs],
                   examples=examples)
    if len(examples[0]):
        artifacts.preview(f"{names[true]} taken for {names[predicted]}", examples[0],
                          [f"→ {names[predicted]}"] * len(examples[0]))


def _most_confused(matrix: np.ndarray) -> list[tuple[int, int]]:
    """The (true, predicted) cells off the diagonal with the most images, most first."""
    off_diagonal = matrix.astype(np.int64) - np.diag(np.diag(matrix))
    order = np.argsort(off_diagonal, axis=None, kind="stable")[::-1][:CONFUSED_PAIRS]
    return [tuple(int(i) for i in np.unravel_index(cell, matrix.shape)) for cell in order]


def draw_confusion_matrix(path: Path, matrix: np.ndarray, class_names, title: str) -> Path:
    """The matrix as a heat map with every count written in its cell; a square-root colour scale keeps the
    mistakes visible next to the diagonal's large counts."""
    pyplot = plots.pyplot()
    from matplotlib.colors import PowerNorm

    figure, axis = pyplot.subplots(figsize=(8, 7))
    image = axis.imshow(matrix, cmap="Blues", norm=PowerNorm(gamma=0.5, vmin=0, vmax=max(int(matrix.max()), 1)))
    positions = np.arange(len(class_names))
    axis.set_xticks(positions, class_names, rotation=45, ha="right")
    axis.set_yticks(positions, class_names)
    axis.set_xlabel("predicted class")
    axis.set_ylabel("true class")
    dark = matrix.max() * 0.4
    for (row, column), count in np.ndenumerate(matrix):
        axis.text(column, row, str(count), ha="center", va="center", fontsize=8,
                  color="white" if count > dark else "black")
    figure.colorbar(image, ax=axis, fraction=0.046, pad=0.04, label="test images")
    axis.set_title(title)
    return plots.save(figure, path)


def draw_confused_pairs(path: Path, captions: list[str], examples: list[np.ndarray], title: str) -> Path:
    """One row per confused pair: its caption and a few of its test images."""
    columns = max(EXAMPLES_PER_PAIR, 1)
    figure, axes = plots.pyplot().subplots(len(captions), columns, figsize=(columns * 1.4, len(captions) * 1.9),
                                           squeeze=False)
    for row, (caption, images) in enumerate(zip(captions, examples)):
        for column, axis in enumerate(axes[row]):
            axis.axis("off")
            if column < len(images):
                axis.imshow(images[column], cmap="gray_r")
        axes[row][0].set_title(caption, loc="left", fontsize=10)
    figure.suptitle(title)
    return plots.save(figure, path)
