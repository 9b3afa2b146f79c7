"""Exercise 09 · Fashion-MNIST: each named mistake is a learner-style file graded through the real grader.

Several mistakes share one file where they live in different functions, so one grading proves several
messages; files that must train do so for one epoch on 5,000 images, since the grader names these
mistakes whatever the accuracy.
"""

from __future__ import annotations

import textwrap

from conftest import failure_text

TRAIN_TINY = """
    def _fit(x, y, scaling, divide):
        keras.utils.set_random_seed(0)
        layers = [keras.Input(shape=(28, 28))] + ([keras.layers.Rescaling(scaling)] if scaling else [])
        model = keras.Sequential(layers + [keras.layers.Flatten(), keras.layers.Dense(128, activation="relu"),
                                           keras.layers.Dense(10)])
        model.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                      metrics=["accuracy"])
        images = x[:5000].astype("float32") / 255 if divide else x[:5000]
        history = model.fit(images, y[:5000], epochs=1, batch_size=128, verbose=0)
        return model, history
    """

CORRECT_MATRIX = """
    def confusion_matrix(model, x_test, y_test):
        predicted = model.predict(x_test, verbose=0).argmax(axis=1)
        matrix = np.zeros((10, 10), dtype=int)
        np.add.at(matrix, (y_test, predicted), 1)
        return matrix
    """


def learner_file(names: str, load: str, train: str, matrix: str) -> str:
    """A learner's 09_fashion.py from its four parts (each a snippet at the left margin)."""
    parts = ["import keras", "import numpy as np", f"CLASS_NAMES = {names}", TRAIN_TINY, load, train, matrix]
    return "\n".join(textwrap.dedent(part) for part in parts)


def check(report, name: str):
    return next(c for c in report.checks if c.name == name)


def failed_with(report, name: str, *phrases: str) -> None:
    """The check failed, and what the learner reads about it names the mistake."""
    found = check(report, name)
    text = " ".join(filter(None, (found.message, found.expected, found.found, found.hint))).lower()
    assert found.status == "failed", (name, found.status, found.message)
    for phrase in phrases:
        assert phrase in text, (phrase, text)


def no_grader_fault(report) -> None:
    for found in report.checks:
        assert found.status in ("passed", "failed", "skipped") and not found.grader_fault, (found.name, found.details)


OFFICIAL_NAMES = ("['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', "
                  "'Ankle boot']")
LOAD = "def load_fashion():\n    return keras.datasets.fashion_mnist.load_data()\n"


def train(scaling: str, divide: bool, returned: str = "model") -> str:
    """train_fashion with a Rescaling(scaling) layer or none, on images divided by 255 first or raw."""
    index = {"model": 0, "history": 1}[returned]
    return f"def train_fashion(x_train, y_train):\n    return _fit(x_train, y_train, {scaling}, {divide})[{index}]\n"


def test_alphabetical_names_mnist_data_a_model_trained_on_scaled_images_and_a_transposed_matrix_are_named(grade):
    report = grade("09", learner_file(
        names=f"sorted({OFFICIAL_NAMES})",
        load="def load_fashion():\n    return keras.datasets.mnist.load_data()\n",
        train=train("None", divide=True),
        matrix=CORRECT_MATRIX.replace("(y_test, predicted)", "(predicted, y_test)")))
    no_grader_fault(report)
    failed_with(report, "test_class_names", "wrong order", "alphabetical")
    failed_with(report, "test_is_fashion_mnist", "this is mnist", "fashion_mnist")
    failed_with(report, "test_scales_raw_pixels", "forgot the scaling layer", "trained on scaled images",
                "scaled before they reach it", "rescaling(1/255)")
    failed_with(report, "test_matrix_matches_model", "swapped", "transpose", "matrix[y_test[i], predicted[i]]")
    assert not report.plots, "no picture of a matrix that is not the model's"


def test_digit_names_swapped_sets_a_history_and_a_normalized_matrix_are_named(grade):
    report = grade("09", learner_file(
        names="[str(digit) for digit in range(10)]",
        load=LOAD.replace("return keras", "train, test = keras") + "    return test, train\n",
        train=train("1 / 255", divide=False, returned="history"),
        matrix=CORRECT_MATRIX.replace("return matrix", "return matrix / matrix.sum()")))
    no_grader_fault(report)
    failed_with(report, "test_class_names", "mnist's digits", "t-shirt/top")
    failed_with(report, "test_is_fashion_mnist", "swapped")
    failed_with(report, "test_returns_model", "not the history", "return model")
    failed_with(report, "test_matrix_counts", "normalized", "integers")
    assert check(report, "test_matrix_matches_model").status == "skipped"


def test_an_unknown_name_scaled_data_pixels_scaled_twice_and_a_matrix_of_predictions_are_named(grade):
    report = grade("09", learner_file(
        names=OFFICIAL_NAMES.replace("Ankle boot", "Shoe"),
        load="def load_fashion():\n    (a, b), (c, d) = keras.datasets.fashion_mnist.load_data()\n"
             "    return (a / 255, b), (c / 255, d)\n",
        train=train("1 / 255", divide=True),
        matrix="def confusion_matrix(model, x_test, y_test):\n"
               "    return model.predict(x_test, verbose=0).argmax(axis=1)\n"))
    no_grader_fault(report)
    failed_with(report, "test_class_names", "not fashion-mnist's class names", "'shoe' (position 9)")
    failed_with(report, "test_is_fashion_mnist", "scaled already", "uint8")
    failed_with(report, "test_scales_raw_pixels", "divide x_train by 255 before fit as well", "scaled twice")
    failed_with(report, "test_matrix_shape", "(10, 10)", "predicted classes, one per image", "np.add.at")


def test_a_misspelled_data_set_a_rescaling_by_255_and_a_row_normalized_matrix_are_named(grade):
    report = grade("09", learner_file(
        names=OFFICIAL_NAMES, load=LOAD.replace("fashion_mnist", "FashionMNIST"), train=train("255", divide=False),
        matrix=CORRECT_MATRIX.replace("return matrix", "return matrix / matrix.sum(axis=1, keepdims=True)")))
    no_grader_fault(report)
    failed_with(report, "test_load_fashion_runs", "attributeerror", "keras.datasets.fashion_mnist")
    failed_with(report, "test_scales_raw_pixels", "doesn't bring the pixels near 0-1", "not `rescaling(255)`")
    failed_with(report, "test_matrix_counts", "normalized row by row", "integers")


def test_a_right_but_briefly_trained_model_passes_everything_but_accuracy_and_the_matrix_is_drawn(grade):
    report = grade("09", learner_file(
        names="('tshirt', 'Trousers', 'pullover', 'DRESS', 'Coat', 'sandal', 'Shirt', 'Sneaker', 'bag', 'Ankle Boot')",
        load=LOAD, train=train("1 / 255", divide=False), matrix=CORRECT_MATRIX))
    no_grader_fault(report)
    assert [c.name for c in report.checks if c.status != "passed"] == ["test_test_accuracy"], failure_text(report)
    assert report.notes[0].startswith("Test accuracy measured by the grader: ") and "(required: 84%)" in report.notes[0]
    assert any(" is taken for " in note and "times" in note for note in report.notes), report.notes
    assert sorted(path.name for path in report.plots) == ["09_confused_pairs.png", "09_confusion.png"]
    assert all(path.stat().st_size > 10_000 for path in report.plots)
    assert report.previews and report.previews[0].images.shape[1:] == (28, 28)
