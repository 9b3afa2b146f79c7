"""Grader for 16 · Gradient descent from scratch: a NumPy network trained by the learner's own loop.

The learner returns parameters, never predictions: the grader runs its own forward pass,
``relu(x @ W1 + b1) @ W2 + b2``, on the 10,000 MNIST test images and counts the correct answers itself.
The checks go from the form of what came back (a dict of four arrays, their shapes) to whether training
worked (finite numbers, hidden units that differ) to how well (test accuracy), each failure naming the
mistake that usually causes it.

Tolerances: the threshold (the manifest's 0.95) sits two points under the reference solution (784-128-10,
He initialisation, 5 epochs of batches of 128 at a learning rate of 0.3), which reaches 0.970–0.974 on each of
the seven seeds measured; a plain loop at a learning rate of 0.1 or more with a few epochs clears it, while five
epochs at 0.01 (about 0.91) do not. That training takes 1–3 s of one core; the manifest's time limit leaves room
for slow laptops and for float64 loops (the sandbox runs NumPy on one OpenBLAS thread: two threads waiting on
each other on busy cores made the same training 3–10× slower).
Hidden units count as identical when their weights agree to a millionth of the largest weight: BLAS may round
columns computed by different kernels differently, while random starting weights differ by hundredths.
No module here imports Keras: the Keras network of step 05 it is compared with
is the cached reference's stored test logits (building that reference, once per machine, does need Keras).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from hnml_tutor import plots
from hnml_tutor.graders.checks import check, learner_calls
from hnml_tutor.graders.common import expect_accuracy
from hnml_tutor.graders.vocabulary import describe, fail, is_real_array
from hnml_tutor.sandbox import Call
from hnml_tutor.transport import Opaque, TruncatedSequence

FUNCTION = "train_numpy_mlp"
PARAMETERS = ("W1", "b1", "W2", "b2")
HISTORY = "loss"  # the optional key the stub names for the learner's training loss
PIXELS, CLASSES = 784, 10
MAX_HIDDEN = 4096  # the grader's own forward pass stays bounded in time and memory (trust model)
SAME_WEIGHTS = 1e-6  # relative to the largest weight: see the module docstring
EXPECTED_SHAPES = "W1 (784, H), b1 (H,), W2 (H, 10), b2 (10,), with one H: your number of hidden units"
DEAD_SHARE = 0.5  # a hint blames dead ReLUs when at least this share of the hidden units never fires
MAX_LOSSES = 1_000_000  # a loss history plotted: one per step of per-example SGD for 16 epochs; drawn in about 1 s
STEPS_ARE_EPOCHS = 50  # a loss history longer than this is taken to hold one loss per mini-batch step


@learner_calls(points=3)
def calls(reference_inputs):
    x_train = reference_inputs.get("mnist/scaled").x_train
    return [Call(FUNCTION, (x_train.reshape(len(x_train), PIXELS), reference_inputs.data.y_train))]


@pytest.fixture(scope="module")
def x_test_flat(reference_inputs) -> np.ndarray:
    x_test = reference_inputs.get("mnist/scaled").x_test
    return x_test.reshape(len(x_test), PIXELS)


# -- what came back: a dict of four arrays ------------------------------------------------------------

def _not_a_dict_hint(value) -> str:
    if isinstance(value, np.ndarray) and value.ndim == 2 and value.shape[-1] == CLASSES:
        return ("These look like scores or probabilities, one row of 10 per image. Return the trained "
                "parameters instead: the grader computes the predictions itself, with its own forward pass.")
    if isinstance(value, np.ndarray) and value.ndim == 1:
        return ("These look like predicted classes. Return the trained parameters instead: the grader computes "
                "the predictions itself, with its own forward pass.")
    if isinstance(value, (list, tuple, TruncatedSequence)):
        return ('Name each array: `return {"W1": W1, "b1": b1, "W2": W2, "b2": b2}`. The grader reads them by '
                "name, so their order can't be mistaken.")
    if isinstance(value, Opaque) and value.type_name.rsplit(".", 1)[-1].lower().endswith("dict"):
        return ('Return a dict of just the parameters, under string keys: `{"W1": W1, "b1": b1, "W2": W2, "b2": b2}` '
                '(plus "loss" if you like). The grader takes at most 64 keys.')
    if isinstance(value, Opaque):
        return ("An object of your own can't be passed to the grader. Return its arrays in a dict: "
                '`{"W1": ..., "b1": ..., "W2": ..., "b2": ...}`.')
    return 'End with `return {"W1": W1, "b1": b1, "W2": W2, "b2": b2}`.'


def _missing_keys_hint(missing: list[str], keys: list[str]) -> str:
    by_lower = {key.lower(): key for key in keys}
    misspelt = [(by_lower[name.lower()], name) for name in missing if name.lower() in by_lower]
    if misspelt:
        pairs = ", ".join(f"`{theirs}` → `{ours}`" for theirs, ours in misspelt)
        return f"Dict keys are case-sensitive: rename {pairs}."
    return ('The grader reads the parameters by these exact names: '
            '`{"W1": W1, "b1": b1, "W2": W2, "b2": b2}`. Other keys (such as "loss") may stay.')


@check(points=3)
def test_returns_parameters(returned):
    """returns a dict of the parameters W1, b1, W2 and b2 as NumPy arrays"""
    value = returned[FUNCTION]
    expected = 'a dict {"W1": array, "b1": array, "W2": array, "b2": array}'
    if not isinstance(value, dict):
        fail(f"{FUNCTION}() should return the trained parameters in a dict.", expected=expected,
             found=describe(value), hint=_not_a_dict_hint(value))
    missing = [name for name in PARAMETERS if name not in value]
    if missing:
        fail(f"The dict has no {', '.join(missing)}.", expected=f"the keys {', '.join(PARAMETERS)}",
             found=f"the keys {', '.join(value) or 'none'}", hint=_missing_keys_hint(missing, list(value)))
    not_arrays = [name for name in PARAMETERS if not is_real_array(value[name])]
    if not_arrays:
        name = not_arrays[0]
        fail(f"{name} should be a NumPy array of numbers.", expected="a NumPy array of floats",
             found=describe(value[name]),
             hint="Keep each parameter as the array you update (`np.random.randn(...)`, `np.zeros(...)`); "
                  "a list or a number can't be multiplied as a matrix.")


# -- their shapes -------------------------------------------------------------------------------------

def _shape(array: np.ndarray) -> str:
    return str(tuple(array.shape))


def _shape_problem(parameters: dict[str, np.ndarray]) -> tuple[str, str] | None:
    """The first parameter whose shape is wrong, as (what is wrong, the likely fix); None when all fit."""
    W1, b1, W2, b2 = (parameters[name] for name in PARAMETERS)
    for name, array in (("W1", W1), ("W2", W2)):  # named first: its rows or columns may be right
        if array.ndim > 2:
            fix = (f"drop the axes of length 1: return `{name}.squeeze()`" if array.squeeze().ndim == 2
                   else "reshape it to two axes")
            return (f"{name} has {array.ndim} axes, shape {_shape(array)}: a weight matrix has two, (inputs, outputs).",
                    f"Create {name} as (inputs, outputs), `np.random.randn({'784, H' if name == 'W1' else 'H, 10'})`, "
                    f"or {fix}.")
    if W1.ndim != 2 or PIXELS not in W1.shape:
        return (f"W1 should have {PIXELS} rows, one per pixel.",
                "W1 maps the 784 pixels of a flattened image to the hidden units: "
                "`np.random.randn(784, H) * np.sqrt(2 / 784)`.")
    if W1.shape[0] != PIXELS:
        return ("W1 is transposed: it has shape (H, 784).",
                "Weights here are (inputs, outputs), as in exercise 15, so that `x @ W1` takes a batch (N, 784) "
                "to (N, H). Create W1 as `np.random.randn(784, H)`, or return `W1.T` if your whole loop "
                "computes `x @ W1.T`.")
    hidden = W1.shape[1]
    if not 1 <= hidden <= MAX_HIDDEN:
        return (f"W1 has {hidden} hidden units; the grader measures networks of 1 to {MAX_HIDDEN}.",
                "128 hidden units are plenty for MNIST.")
    if b1.shape != (hidden,):
        if b1.size == hidden:
            return (f"b1 has shape {_shape(b1)}: a bias is one number per unit, shape ({hidden},).",
                    f"Create it as `np.zeros({hidden})`, and sum its gradient without keepdims: "
                    "`db1 = dh.sum(axis=0)`. Or return `b1.ravel()`.")
        return (f"b1 should hold one bias per hidden unit: W1 has {hidden} of them.",
                f"`b1 = np.zeros({hidden})`: one bias for each column of W1.")
    if W2.ndim == 2 and W2.shape == (CLASSES, hidden) and hidden != CLASSES:
        return (f"W2 is transposed: it has shape (10, {hidden}).",
                f"Weights are (inputs, outputs): W2 takes the {hidden} hidden units to the 10 classes, so "
                f"it is ({hidden}, 10) and `h @ W2` gives (N, 10).")
    if W2.ndim != 2 or W2.shape[1] != CLASSES:
        return ("W2 should have 10 columns, one per digit.", f"`W2 = np.random.randn({hidden}, 10) * "
                f"np.sqrt(2 / {hidden})`: one column of weights for each class.")
    if W2.shape[0] != hidden:
        return (f"W2 has {W2.shape[0]} rows, but the hidden layer has {hidden} units (the columns of W1).",
                "W2's rows are the hidden units: both layers must agree on H.")
    if b2.shape != (CLASSES,):
        hint = ("Create it as `np.zeros(10)` and sum its gradient without keepdims: `db2 = g.sum(axis=0)`."
                if b2.size == CLASSES else "`b2 = np.zeros(10)`: one bias for each class.")
        return f"b2 has shape {_shape(b2)}: it should be one bias per class, shape (10,).", hint
    return None


def _deeper_layers(value: dict) -> list[str]:
    """Keys such as W3 and b3: the parameters of a layer beyond the two this network has."""
    return sorted(name for name in value if name[:1] in ("W", "b") and name[1:].isdigit() and int(name[1:]) > 2)


@check(points=5, after=test_returns_parameters)
def test_shapes(returned):
    """the parameters have the shapes of a 784 → hidden (ReLU) → 10 network"""
    returned_parameters = {name: returned[FUNCTION][name] for name in PARAMETERS}
    problem = _shape_problem(returned_parameters)
    if problem is None:
        return
    rationale, hint = problem
    deeper = _deeper_layers(returned[FUNCTION])
    if deeper and returned_parameters["W2"].ndim == 2 and returned_parameters["W2"].shape[1] != CLASSES:
        hint = (f"Your dict also has {', '.join(deeper)}: a network with more than one hidden layer. The grader "
                "measures the network this exercise asks for, 784 → H (ReLU) → 10, with its own forward pass, "
                "so W2 must take the hidden units to the 10 classes. Train that network; a deeper one is a fine "
                "experiment afterwards, but it is not what is graded.")
    found = ", ".join(f"{name} {_shape(returned_parameters[name])}" for name in PARAMETERS)
    fail(rationale, expected=EXPECTED_SHAPES, found=found, hint=hint)


@pytest.fixture(scope="module")
def parameters(returned) -> dict[str, np.ndarray]:
    """The four arrays, sized by now, in float64: the grader's forward pass must not overflow where the
    learner's did not."""
    return {name: returned[FUNCTION][name].astype(np.float64) for name in PARAMETERS}


# -- did it train: finite numbers, hidden units that differ -------------------------------------------

@check(points=2, after=test_shapes)
def test_finite(parameters):
    """the parameters are finite numbers: training did not diverge"""
    broken = {name: int((~np.isfinite(array)).sum()) for name, array in parameters.items()}
    broken = {name: count for name, count in broken.items() if count}
    if not broken:
        return
    fail("Training diverged: some parameters are NaN or infinite.", expected="finite numbers only",
         found=", ".join(f"{name}: {count} of {parameters[name].size} not finite" for name, count in broken.items()),
         hint="The updates grew until the numbers overflowed. Lower the learning rate (0.1–0.5 works for batches "
              "of 128); divide the gradient at the logits by the batch size (the loss is a mean, not a sum); and "
              "subtract each row's maximum before np.exp in the softmax (exercise 14).")


def _identical_hidden_units(W1: np.ndarray, b1: np.ndarray) -> bool:
    """Whether every hidden unit has the same incoming weights and bias, up to BLAS's rounding."""
    if W1.shape[1] < 2:
        return False
    scale = max(float(np.abs(W1).max()), float(np.abs(b1).max()), 1e-12)
    spread = max(float(np.abs(W1 - W1[:, :1]).max()), float(np.abs(b1 - b1[0]).max()))
    return spread <= SAME_WEIGHTS * scale


@check(points=3, after=test_finite)
def test_hidden_units_differ(parameters):
    """the hidden units differ: the weights did not all start equal"""
    W1, b1 = parameters["W1"], parameters["b1"]
    if not _identical_hidden_units(W1, b1):
        return
    hidden = W1.shape[1]
    fail(f"All {hidden} hidden units are identical: the same weights in every column of W1, the same bias.",
         expected="hidden units that differ, each detecting its own pattern",
         found=f"{hidden} equal columns in W1 ({'all zero' if not W1.any() else 'the same numbers'})",
         hint="When every weight starts at the same value (zeros, or a constant), every hidden unit computes "
              "the same output, receives the same gradient and makes the same step: they stay identical forever, "
              f"so the network has one hidden unit copied {hidden} times. Start W1 and W2 random, e.g. "
              "`np.random.randn(784, H) * np.sqrt(2 / 784)` (He initialisation); biases may start at zero.")


# -- how well: test accuracy by the grader's own forward pass -----------------------------------------

def _hidden_layer(parameters: dict[str, np.ndarray], images: np.ndarray) -> np.ndarray:
    with np.errstate(all="ignore"):
        return np.maximum(images @ parameters["W1"] + parameters["b1"], 0.0)


def _accuracy_of(parameters: dict[str, np.ndarray], images: np.ndarray, labels: np.ndarray) -> float:
    """The share of ``images`` the network classifies as ``labels``: argmax of relu(x @ W1 + b1) @ W2 + b2."""
    with np.errstate(all="ignore"):
        logits = _hidden_layer(parameters, images) @ parameters["W2"] + parameters["b2"]
    return float((logits.argmax(axis=1) == labels).mean())


def _loss_history(value) -> tuple[np.ndarray | None, str | None]:
    """The learner's optional training losses, and a note when they could not all be read."""
    if not isinstance(value, dict) or HISTORY not in value:
        return None, None
    history = value[HISTORY]
    note = None
    if isinstance(history, np.ndarray) and history.ndim == 1 and len(history) > MAX_LOSSES:
        return None, (f'Your "{HISTORY}" array holds {len(history):,} values; the grader plots at most '
                      f"{MAX_LOSSES:,}: keep one loss per epoch, or one every few batches.")
    if isinstance(history, np.ndarray) and history.ndim != 1:
        return None, (f'Your "{HISTORY}" entry is an array of shape {_shape(history)}, so it was not plotted: '
                      "return one loss per epoch or per batch, a 1-D list or array.")
    if isinstance(history, TruncatedSequence):
        note = (f'Your "{HISTORY}" list holds {history.length} values and the grader receives the first '
                f"{len(history.items)} of a list: return `np.array(losses)` to have them all plotted.")
        history = list(history.items)
    try:
        losses = np.asarray(history, dtype=np.float64)
    except (TypeError, ValueError):
        losses = None
    if losses is None or losses.ndim != 1 or not len(losses):
        return None, (f'Your "{HISTORY}" entry is not a list of numbers ({describe(value[HISTORY])}), so it '
                      "was not plotted.")
    return losses, note


def _accuracy_hint(parameters: dict[str, np.ndarray], images: np.ndarray, losses: np.ndarray | None) -> str:
    """The likeliest reason for a low accuracy, read off the parameters and the learner's own loss history."""
    fires = _hidden_layer(parameters, images).any(axis=0)
    dead, hidden = int((~fires).sum()), len(fires)
    if dead >= DEAD_SHARE * hidden:
        return (f"{dead} of your {hidden} hidden units output 0 for every test image: their ReLUs are dead, so "
                "they pass nothing on and get no gradient back. Updates far too large (a learning rate too high) "
                "push a unit's input below zero for every image, for good. Lower the learning rate (0.1–0.5 for "
                "batches of 128) and start from small random weights (He initialisation).")
    if losses is not None and np.isfinite(losses).all() and len(losses) >= 2 and losses[-1] >= losses[0]:
        return ("Your own loss history did not fall. Check that each update moves against the gradient "
                "(`W -= learning_rate * dW`, a minus), that every gradient goes with its own parameter, and that "
                "the gradient at the logits is `(softmax - one_hot) / N`.")
    return ("Train longer or faster: a few epochs over all 60,000 images, batches of about 128, a learning rate of "
            "0.1–0.5 (five epochs at 0.01 reach only about 91%). Start from random He-scaled weights. The grader "
            "reads your parameters as `relu(x @ W1 + b1) @ W2 + b2`: another activation or layout reads differently.")


@check(points=14, after=test_hidden_units_differ)
def test_test_accuracy(parameters, returned, x_test_flat, reference_inputs, exercise, artifacts):
    """the network reaches the required test accuracy (the grader's forward pass)"""
    accuracy = _accuracy_of(parameters, x_test_flat, reference_inputs.data.y_test)
    losses, _ = _loss_history(returned[FUNCTION])
    expect_accuracy(accuracy, exercise, artifacts, problem="The network is not accurate enough on the test set.",
                    measured_on="10,000 test images, with the grader's own forward pass",
                    hint=_accuracy_hint(parameters, x_test_flat, losses))


# -- pictures: the learner's loss curve, and their network next to Keras' -----------------------------

def numpy_vs_keras(path: Path, losses: np.ndarray | None, accuracies: dict[str, float] | None,
                   threshold: float) -> Path:
    """The learner's training loss (if they kept one) and, side by side, their test accuracy and Keras'."""
    panels = [panel for panel, present in (("loss", losses is not None), ("accuracy", accuracies is not None))
              if present]
    figure, axes = plots.pyplot().subplots(1, len(panels), figsize=(5 * len(panels), 3.5), squeeze=False)
    for axis, panel in zip(axes[0], panels):
        if panel == "loss":
            steps = np.arange(1, len(losses) + 1)
            axis.plot(steps, losses, "o-" if len(losses) <= STEPS_ARE_EPOCHS else "-")
            axis.set_xlabel("epoch" if len(losses) <= STEPS_ARE_EPOCHS else "step (mini-batch)")
            axis.set_ylabel("training loss")
            axis.set_title("Your training loss")
            axis.grid(alpha=0.3)
        else:
            names, values = list(accuracies), list(accuracies.values())
            bars = axis.bar(names, values, color=["tab:blue", "tab:gray"][:len(names)])
            for bar, value in zip(bars, values):
                axis.text(bar.get_x() + bar.get_width() / 2, value, f"{value:.2%}", ha="center", va="bottom")
            axis.axhline(threshold, color="tab:red", linestyle="--", label=f"required: {threshold:.0%}")
            axis.set_ylim(min(0.8, min(values) - 0.02), 1.0)
            axis.set_ylabel("test accuracy")
            axis.set_title("Same 10,000 test images")
            axis.legend(loc="lower right")
    return plots.save(figure, path)


@pytest.fixture(scope="module", autouse=True)
def comparison_plot(run, artifacts, reference_inputs, x_test_flat, exercise):
    """After the checks: plot what can be plotted of a run, whichever checks passed."""
    yield
    result = run.call(FUNCTION) if run.ok else None
    if result is None or result.status != "returned":
        return
    losses, note = _loss_history(result.value)
    if note:
        artifacts.note(note)
    accuracies = None
    measurable = _measurable(result.value)
    if measurable is not None:
        mine = _accuracy_of(measurable, x_test_flat, reference_inputs.data.y_test)
        # The Keras model of step 05, by its stored test logits: no Keras import once the reference is cached.
        keras_logits = reference_inputs.get("mnist/trained-mlp").test_logits
        theirs = float((keras_logits.argmax(axis=1) == reference_inputs.data.y_test).mean())
        accuracies = {"your NumPy network": mine, "Keras, step 05": theirs}
        artifacts.note(f"For comparison, the Keras network of step 05 (the same 784 → 128 → 10 shape, trained by "
                       f"Adam) scores {theirs:.2%} on the same test images.")
    if losses is not None or accuracies is not None:
        artifacts.plot(numpy_vs_keras, losses=losses, accuracies=accuracies, threshold=exercise.threshold,
                       filename="16_numpy_vs_keras.png")


def _measurable(value) -> dict[str, np.ndarray] | None:
    """The four parameters when the accuracy check measured them: right shapes, finite, hidden units that differ."""
    if not isinstance(value, dict) or not all(is_real_array(value.get(name)) for name in PARAMETERS):
        return None
    if _shape_problem({name: value[name] for name in PARAMETERS}) is not None:
        return None
    parameters = {name: value[name].astype(np.float64) for name in PARAMETERS}
    if not all(np.isfinite(array).all() for array in parameters.values()):
        return None
    return None if _identical_hidden_units(parameters["W1"], parameters["b1"]) else parameters
