"""Exercise 15's named mistakes, each a learner-style file graded through the real grader, and the grader's own
numbers: its numerical gradients, and the margin between a right answer and every mistake it names.

Each file is the reference solution with one function body changed, so exactly one check fails and the test
asserts that it is that one, saying what it should. A NumPy-only grading costs a sandbox start (well under a
second warm) and no training.
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from conftest import failure_text
from hnml_tutor.graders import grade_15_backprop as grader

RIGHT = {
    "dense_forward": "return x @ W + b",
    "dense_backward": "return grad_out @ W.T, x.T @ grad_out, grad_out.sum(axis=0)",
    "relu": "return np.maximum(x, 0)",
    "relu_backward": "return grad_out * (x > 0)",
}
PARAMETERS = {"dense_forward": "x, W, b", "dense_backward": "x, W, grad_out", "relu": "x",
              "relu_backward": "x, grad_out"}


def learner_file(**changed: str) -> str:
    """The reference solution, with the bodies named in ``changed`` written the learner's way."""
    bodies = {**RIGHT, **changed}
    functions = "\n".join(f"def {name}({PARAMETERS[name]}):\n    {bodies[name]}\n" for name in RIGHT)
    return "import numpy as np\n\n" + functions


GRAD_X, GRAD_W, GRAD_B = "test_grad_x", "test_grad_W", "test_grad_b"
THREE = "test_dense_backward_returns_three_gradients"

# name: (changed bodies, the one check that fails, phrases its feedback must contain)
MISTAKES = {
    "grad_W transposed": ({"dense_backward": "return grad_out @ W.T, grad_out.T @ x, grad_out.sum(axis=0)"},
                          GRAD_W, ["grad_w from dense_backward() is transposed", "shape (out, in)",
                                   "x.t @ grad_out", "the shape of w",
                                   "grad_w = x.t @ grad_out = [[-2, -1, 0]], shape (1, 3)"]),
    "grad_b not summed over the batch": ({"dense_backward": "return grad_out @ W.T, x.T @ grad_out, grad_out"},
                                         GRAD_B, ["not summed over the batch", "shape (7,)",
                                                  "grad_out.sum(axis=0) = [5, 7, 9]"]),
    "grad_b averaged": ({"dense_backward": "return grad_out @ W.T, x.T @ grad_out, grad_out.mean(axis=0)"},
                        GRAD_B, ["averaged over the batch instead of summed", "not `.mean(axis=0)`", "1/n"]),
    "grad_b kept as a row": ({"dense_backward": "return grad_out @ W.T, x.T @ grad_out, "
                                                "grad_out.sum(axis=0, keepdims=True)"},
                             GRAD_B, ["kept as a row of shape (1, out)", "keepdims"]),
    "grad_W divided by the batch size": (
        {"dense_backward": "return grad_out @ W.T, x.T @ grad_out / len(x), grad_out.sum(axis=0)"},
        GRAD_W, ["divided by the batch size", "batch size twice", "already carries its 1/n"]),
    "grad_x transposed": ({"dense_backward": "return W @ grad_out.T, x.T @ grad_out, grad_out.sum(axis=0)"},
                          GRAD_X, ["grad_x from dense_backward() is transposed", "grad_out @ w.t",
                                   "the shape of x"]),
    "grad_x with W instead of W.T": ({"dense_backward": "return grad_out @ W, x.T @ grad_out, grad_out.sum(axis=0)"},
                                     "test_dense_backward_runs", ["valueerror", "inner sizes to match",
                                                                  "`grad_out @ w.t` is (n, in)"]),
    "grad_x missing": ({"dense_backward": "return x.T @ grad_out, grad_out.sum(axis=0)"},
                       THREE, ["grad_x is missing", "a tuple of 2", "that layer's grad_out"]),
    "gradients in another order": ({"dense_backward": "return x.T @ grad_out, grad_out.sum(axis=0), grad_out @ W.T"},
                                   THREE, ["in another order", "(grad_w, grad_b, grad_x)"]),
    "forward without the bias": ({"dense_forward": "return x @ W"},
                                 "test_dense_forward", ["without the bias", "add the bias"]),
    "relu with np.max": ({"relu": "return np.max(x, 0)"},
                         "test_relu", ["largest value of each column", "np.maximum(x, 0)"]),
    "relu returns its mask": ({"relu": "return (x > 0).astype(float)"},
                              "test_relu", ["the mask x > 0", "relu_backward needs"]),
    "relu mask on the wrong side": ({"relu_backward": "return grad_out * (grad_out > 0)"},
                                    "test_relu_backward", ["masked by grad_out > 0 instead of x > 0",
                                                           "comes from relu's input x",
                                                           "[[0, -20, 30], [-40, 0, 0]]"]),
    "relu_backward returns the mask": ({"relu_backward": "return x > 0"},
                                       "test_relu_backward", ["the mask itself", "chain rule multiplies"]),
    "relu_backward multiplies by relu(x)": ({"relu_backward": "return grad_out * np.maximum(x, 0)"},
                                            "test_relu_backward", ["multiplied by relu(x) instead of by the mask"]),
}


@pytest.mark.parametrize("name", MISTAKES)
def test_a_mistake_is_named_where_it_is(name, grade):
    changed, failing, phrases = MISTAKES[name]
    report = grade("15", learner_file(**changed))
    assert [c.name for c in report.checks if c.status == "failed"] == [failing]
    text = failure_text(report)
    for phrase in phrases:
        assert phrase.lower() in text, (phrase, text)


def test_a_framework_import_fails_with_the_numpy_only_reason(grade):
    source = learner_file(relu="return ops.convert_to_numpy(ops.relu(x))").replace(
        "import numpy as np", "import numpy as np\nfrom keras import ops")
    report = grade("15", source)
    first = report.checks[0]
    assert first.status == "failed" and "numpy only" in first.message.lower()
    assert "an import of `keras`" in first.found and "line 2" in first.message


def test_a_float32_learner_lands_well_inside_the_tolerance():
    """Computing in float32 is honest work: it must land well inside the tolerance (so the grader never needs
    the learner's dtype), while every named mistake lands far outside it."""
    for case, expected in zip(grader.DENSE_CASES, (c.numerical_gradients() for c in grader.DENSE_CASES)):
        x, W, grad_out = (a.astype(np.float32) for a in (case.x, case.W, case.grad_out))
        found = {"grad_x": grad_out @ W.T, "grad_W": x.T @ grad_out, "grad_b": grad_out.sum(axis=0)}
        for name in grader.GRADIENT_NAMES:
            assert grader.relative_error(found[name].astype(np.float64), expected[name]) < grader.TOLERANCE / 10


def test_numerical_gradients_match_the_formulas_far_below_the_tolerance():
    for case in grader.DENSE_CASES:
        measured = case.numerical_gradients()
        exact = {"grad_x": case.grad_out @ case.W.T, "grad_W": case.x.T @ case.grad_out,
                 "grad_b": case.grad_out.sum(axis=0)}
        for name in grader.GRADIENT_NAMES:
            assert grader.relative_error(measured[name], exact[name]) < grader.TOLERANCE * 1e-3
    for case in grader.RELU_CASES:
        assert np.abs(case.x).min() >= grader.RELU_MARGIN > grader.STEP  # no central difference straddles the kink
        assert grader.relative_error(case.numerical_gradient(), case.grad_out * (case.x > 0)) < grader.TOLERANCE * 1e-3


FAR = 1e3 * grader.TOLERANCE  # how far outside the tolerance every named mistake must land


def test_shapes_tell_a_transpose_apart_and_every_mistake_is_far_from_the_answer():
    for case in grader.DENSE_CASES:
        assert len({case.batch, case.W.shape[0], case.W.shape[1]}) == 3
        expected = case.numerical_gradients()
        for name in grader.GRADIENT_NAMES:
            for slip in grader.TARGETS[name].slips:
                wrong = np.asarray(slip.gives(case, expected[name]), dtype=np.float64)
                assert not grader.agrees(wrong, expected[name]), (name, slip.what)
                if wrong.shape == expected[name].shape:
                    assert grader.relative_error(wrong, expected[name]) > FAR, (name, slip.what)
    for case in grader.RELU_CASES:
        expected = case.numerical_gradient()
        for slip in grader.TARGETS["relu_backward"].slips:
            wrong = np.asarray(slip.gives(case, expected), dtype=np.float64)
            assert grader.relative_error(wrong, expected) > FAR, slip.what


def test_the_grader_never_imports_a_framework():
    """A NumPy exercise's grader process should not pay for TensorFlow."""
    code = ("import sys, hnml_tutor.graders.runner, hnml_tutor.graders.grade_15_backprop\n"
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'tensorflow', 'keras', 'jax', 'torch'}))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.stdout.strip() == "[]", result.stderr
