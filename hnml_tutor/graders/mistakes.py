"""Names the likely mistake behind an error or a spelling in the learner's code.

Errors that come out of the learner's child process are matched against mistakes learners really make,
so the feedback says "Keras 3 spells it learning_rate=" rather than repeating a ValueError.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Spelling:
    """An outdated spelling from older tutorials, with its Keras 3 replacement."""

    pattern: re.Pattern
    advice: str


OUTDATED_SPELLINGS = (
    Spelling(
        re.compile(r"tensorflow\.python\b"),
        "`tensorflow.python.keras` is TensorFlow's private, outdated copy of Keras. Use the public API: "
        "`import keras` (or `from tensorflow import keras`), e.g. `keras.layers.Dense`.",
    ),
    Spelling(
        re.compile(r"[(,]\s*lr\s*=(?!=)"),  # a keyword argument, `SGD(lr=0.01)`; not a variable `lr = 0.01`
        "`lr=` is the old name of the learning rate. Keras 3 spells it `learning_rate=`, "
        "e.g. `keras.optimizers.SGD(learning_rate=0.01)`.",
    ),
    Spelling(
        re.compile(r"\bkeras\.optimizers\.legacy\b"),
        "`keras.optimizers.legacy` is gone in Keras 3; use `keras.optimizers.Adam` and friends.",
    ),
    Spelling(
        re.compile(r"\bfit_generator\s*\(|\bpredict_classes\s*\("),
        "`fit_generator` and `predict_classes` were removed: call `model.fit(...)`, and take "
        "`model.predict(...).argmax(axis=1)` for classes.",
    ),
)


def outdated_spellings(source: str) -> list[str]:
    """Advice for every outdated spelling found in the learner's source (comments ignored)."""
    code = "\n".join(line.split("#", 1)[0] for line in source.splitlines())
    return [spelling.advice for spelling in OUTDATED_SPELLINGS if spelling.pattern.search(code)]


IN_PLACE_DIVISION = (
    "In-place division (`images /= 255`) fails on a uint8 array, and would change the caller's array anyway. "
    "Build a new array: `images.astype(\"float32\") / 255.0`."
)
PRIVATE_KERAS = "`tensorflow.python.keras` is private and outdated. Use `import keras`."
MISSING_CHANNEL_AXIS = (
    "Conv2D layers read images with a channel axis: one grey 28×28 image is (28, 28, 1), a batch of them "
    "(N, 28, 28, 1). Start the model with `keras.Input(shape=(28, 28, 1))`, and give it images of that shape: "
    "`x[..., None]` or `x.reshape(-1, 28, 28, 1)` adds the axis."
)
BROADCAST_ROWS = (
    "An array of shape (N, C) met one of shape (N,). NumPy lines arrays up from their *last* axis, so N numbers "
    "can't be matched to N rows. A per-row max or sum needs `keepdims=True`, which keeps it as a column of shape "
    "(N, 1): `x - x.max(axis=1, keepdims=True)`. Integer labels like [3, 0, 7] are not one-hot rows either: pick "
    "each row's entry with `probs[np.arange(N), labels]` instead of multiplying by the labels."
)
ONE_AXIS_ONLY = (
    "That array has a single axis, shape (N,), so it has no axis 1. Integer labels are such an array: [3, 0, 7], "
    "one class per example, not one-hot rows. Index with them (`probs[np.arange(N), labels]`) instead of taking "
    "an argmax or a sum along axis 1."
)
MATRIX_PRODUCT_SHAPES = (
    "A matrix product (a, k) @ (k, b) needs the two inner sizes to match, and gives (a, b); the error names "
    "the two sizes that differ. Write each array's shape next to it: for a Dense layer with x (N, in), "
    "W (in, out) and grad_out (N, out), `x @ W` is (N, out), `grad_out @ W.T` is (N, in) like x, and "
    "`x.T @ grad_out` is (in, out) like W. A `.T` on the right side usually fixes it."
)

# (error types, pattern in the message, hint): the first match wins, so specific entries come first.
ERROR_HINTS: tuple[tuple[tuple[str, ...], re.Pattern, str], ...] = (
    (("NotImplementedError",), re.compile(r"TODO"),
     "This exercise still has its TODO. Replace the `raise NotImplementedError(...)` line with your code; "
     "`hnml-tutor show {id}` repeats the instructions and `hnml-tutor hint {id}` gives a hint."),
    (("SystemExit",), re.compile(r""),
     "`sys.exit()`, `exit()` or `quit()` stops the program before the grader gets your result. "
     "Remove it: return the value instead."),
    (("ValueError",), re.compile(r"not recognized.*\blr\b|Argument\(s\) not recognized: \{'lr'"),
     "Keras 3 no longer accepts `lr=`; write `learning_rate=` instead."),
    (("UFuncTypeError", "UFuncOutputCastingError"), re.compile(r"Cannot cast ufunc"), IN_PLACE_DIVISION),
    (("ValueError",), re.compile(r"[Aa]rguments? `target` and `output` must have the same (rank|shape)|logits and labels must have the same"),
     "`categorical_crossentropy` expects one-hot labels, but these labels are integers 0-9. "
     "Use `sparse_categorical_crossentropy` (or one-hot encode the labels with `keras.utils.to_categorical`)."),
    (("AttributeError",), re.compile(r"module 'keras\.datasets' has no attribute"),
     "Keras spells its data sets in lower case with underscores: `keras.datasets.mnist` and "
     "`keras.datasets.fashion_mnist`, each with `.load_data()`."),
    (("ValueError",), re.compile(r"Argument `output` must have rank \(ndim\) `target\.ndim - 1`"),
     "`sparse_categorical_crossentropy` expects integer labels 0-9, but these labels are one-hot rows "
     "([0, 0, 0, 1, 0, …]). One-hot labels go with `categorical_crossentropy`; or keep the sparse loss and pass "
     "the integer labels."),
    (("InvalidArgumentError",), re.compile(r"Received a label value of|SparseSoftmaxCrossEntropyWithLogits"),
     "Sparse categorical cross-entropy is a classification loss: it needs integer labels from 0 to the number of "
     "output units minus 1, and a label here falls outside that range. Either the output layer has fewer units "
     "than there are classes, or the target is not a class at all: predicting a number, such as a temperature, "
     "is regression and calls for `loss=\"mean_squared_error\"`."),
    (("ValueError",), re.compile(r"filename must end in `?\.weights\.h5"),
     "`save_weights` writes the weights only, and only to a name ending in `.weights.h5`. To keep the whole "
     "model (its layers, weights, optimizer and compile settings) in one file, call `model.save(path)` with "
     "the `.keras` path you were given."),
    (("ValueError",), re.compile(r"expected min_ndim=4, found ndim=3|Expected shape \(None, 28, 28, 1\), but input "
                                 r"has incompatible shape"), MISSING_CHANNEL_AXIS),
    (("ValueError",), re.compile(r"Computed output size would be zero or negative.*shape=\(None, 1, 28, 28\)", re.S),
     "Keras puts the channel axis last: a grey image is (28, 28, 1), not (1, 28, 28) as in PyTorch. "
     "Write `keras.Input(shape=(28, 28, 1))`."),
    (("ValueError",), re.compile(r"broadcast together with shapes (\((\d+),\d+\) \(\2,\)|\((\d+),\) \(\3,\d+\))"),
     BROADCAST_ROWS),
    (("AxisError",), re.compile(r"axis 1 is out of bounds for array of dimension 1"), ONE_AXIS_ONLY),
    (("ValueError",), re.compile(r"^matmul: Input operand \d has a mismatch in its core dimension|"
                                 r"^shapes \(.*\) and \(.*\) not aligned"), MATRIX_PRODUCT_SHAPES),
    (("ModuleNotFoundError", "ImportError"), re.compile(r"tensorflow\.python"), PRIVATE_KERAS),
    (("ModuleNotFoundError",), re.compile(r"No module named '(scipy|sklearn)\b"),
     "SciPy and scikit-learn are not among the tutor's packages (`numpy`, `keras`, `tensorflow`), so your file "
     "can't count on them wherever it is graded. Where the exercise is NumPy only (14–16), write what they would "
     "do for you with NumPy operations: `np.exp`, `.max(axis=1, keepdims=True)`, `@`, `.sum(axis=...)`."),
    (("ModuleNotFoundError",), re.compile(r""),
     "Python can't find that module. Check the spelling of the import; the tutor's packages are `keras`, "
     "`tensorflow` and `numpy`."),
    (("NameError",), re.compile(r""),
     "A name is used before it is defined. Did you forget an import (e.g. `import keras`) or misspell a variable?"),
    (("Exception",), re.compile(r"URL fetch failure|Downloading data"),
     "This machine has no internet. Load the data with `keras.datasets.mnist.load_data()`: the tutor "
     "answers it from its offline copy."),
    (("RuntimeError",), re.compile(r"must compile your model|You must call `compile\(\)`"),
     "The model must be compiled before it can be trained or evaluated."),
)


def hint_for_error(error: dict, exercise_id: str) -> str | None:
    """The likely mistake behind an error the learner's code raised, if it is a known one."""
    kind, message = error.get("type", ""), error.get("message", "")
    for error_types, pattern, hint in ERROR_HINTS:
        if kind in error_types and pattern.search(message):
            return hint.format(id=exercise_id)
    return None
