"""Verdicts of the NumPy-only graders (14–16) on files a reviewer wrote to trip them.

Each test is a file an honest learner could write that a grader once judged wrongly, or an unusual but
correct solution whose passing guards a real risk (the grader's arrays modified in place, relu's convention
at 0, a list where a tuple was asked for). Every file is graded once through the real grader and sandbox.
"""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

from conftest import failure_text


def test_an_overflow_tried_at_the_top_of_the_file_is_not_blamed_on_softmax(grade):
    """The stub says `np.exp(1000)` is inf; a learner who tries it at the top of the file sees NumPy's overflow
    warning in the run's output. That warning is the file's, not softmax's: a correct softmax keeps every point.
    The same file works in place on the grader's arrays, in float32, with `[:, None]` for keepdims and an
    `np.where` guard, none of which may cost a point either."""
    report = grade("14", """
        import numpy as np

        print("naive:", np.exp(np.array([1000.0])))  # inf, with a RuntimeWarning: why we shift first

        def softmax(logits):
            logits = logits.astype(np.float32)
            logits -= logits.max(axis=1)[:, None]
            np.exp(logits, out=logits)
            logits /= np.einsum("ij->i", logits)[:, None]
            return logits

        def cross_entropy(probs, labels):
            picked = np.take_along_axis(probs, labels[:, None], axis=1).ravel()
            picked = np.where(picked > 0, picked, 1e-15)
            return np.float32(-np.log(picked).mean())
    """)
    assert "overflow encountered in exp" in report.learner_output
    assert report.passed, failure_text(report)


def test_relu_at_zero_in_place_work_and_a_list_of_gradients_all_pass_15(grade):
    """`x >= 0` instead of `x > 0` in relu's mask is a convention at a single point, not a mistake; relu and its
    backward pass overwrite their arguments in place; dense_backward returns a list in float32. All correct."""
    report = grade("15", """
        import numpy as np

        def dense_forward(x, W, b):
            return np.einsum("ni,io->no", x.astype(np.float32), W.astype(np.float32)) + b.reshape(1, -1)

        def dense_backward(x, W, grad_out):
            return [grad_out.dot(W.T).astype(np.float32), np.dot(x.T, grad_out), np.ones(len(x)) @ grad_out]

        def relu(x):
            np.maximum(x, 0, out=x)
            return x

        def relu_backward(x, grad_out):
            grad_out *= x >= 0
            return grad_out
    """)
    assert report.passed, failure_text(report)


@pytest.mark.skipif(importlib.util.find_spec("scipy") is not None,
                    reason="SciPy is installed here, so the import succeeds (see the report on SciPy)")
def test_a_missing_scipy_is_not_answered_with_keras(grade):
    """Where SciPy is missing, `from scipy.special import softmax` fails; the generic hint named `keras` and
    `tensorflow` as the tutor's packages, which a NumPy-only exercise then refuses."""
    report = grade("14", """
        import numpy as np
        from scipy.special import softmax as _softmax

        def softmax(logits):
            return _softmax(logits, axis=1)

        def cross_entropy(probs, labels):
            return float(-np.mean(np.log(np.clip(probs[np.arange(len(labels)), labels], 1e-12, 1.0))))
    """)
    text = failure_text(report)
    assert not report.passed
    assert "numpy only" in text and "np.exp" in text and "check the spelling" not in text


# -- 16 · Gradient descent from scratch ---------------------------------------------------------------

WEIGHTS_OF_16 = """
    import numpy as np

    def train_numpy_mlp(x_train, y_train):
        np.random.seed(0)  # the learner's own seed, inside the function: theirs to choose
        W1, b1 = np.random.randn(784, 64) * np.sqrt(2 / 784), np.zeros(64)
        W2, b2 = np.random.randn(64, 10) * np.sqrt(2 / 64), np.zeros(10)
        return {returned}
"""


@pytest.mark.parametrize("returned, message, hint", [
    ('{"W1": W1[:, :, None], "b1": b1, "W2": W2, "b2": b2}', "w1 has 3 axes, shape (784, 64, 1)", "w1.squeeze()"),
    ('{"W1": W1, "b1": b1, "W2": W2[:, :, None], "b2": b2}', "w2 has 3 axes, shape (64, 10, 1)", "w2.squeeze()"),
    ('{"W1": W1, "b1": b1, "W2": np.random.randn(64, 32), "b2": np.zeros(32), '
     '"W3": np.random.randn(32, 10), "b3": np.zeros(10)}', "w2 should have 10 columns", "also has w3, b3"),
], ids=["W1 (784, 64, 1)", "W2 (64, 10, 1)", "a second hidden layer"])
def test_16_names_extra_axes_and_a_deeper_network_for_what_they_are(returned, message, hint, grade):
    """A W1 of shape (784, 64, 1) has its 784 rows: "W1 should have 784 rows" sent the learner looking in the wrong
    place. A network with W3 and b3 was told to make W2 (64, 10) as if it were a typo; the learner who added a
    layer on purpose is told instead that the grader measures the one-hidden-layer network the task asks for
    (its own forward pass can't run a network of any depth, and ignoring W3 would measure another network)."""
    report = grade("16", WEIGHTS_OF_16.format(returned=returned))
    check = next(check for check in report.checks if check.name == "test_shapes")
    assert check.status == "failed", failure_text(report)
    assert message in check.message.lower() and hint in check.hint.lower(), (check.message, check.hint)
    assert "784 rows" not in check.message


def test_16_a_dict_with_too_many_keys_is_not_called_an_object_of_your_own(grade):
    """A dict of 74 keys (a snapshot of W1 per epoch beside the parameters) reaches the grader described, not
    passed on: the hint said "an object of your own can't be passed", to a learner who returned a dict."""
    report = grade("16", WEIGHTS_OF_16.format(
        returned='{"W1": W1, "b1": b1, "W2": W2, "b2": b2, **{f"W1_epoch{i}": W1[:2, :2] for i in range(70)}}'))
    check = next(check for check in report.checks if check.name == "test_returns_parameters")
    assert check.status == "failed" and "74 keys" in check.found
    assert "object of your own" not in check.hint and "at most 64 keys" in check.hint


def test_16_a_loss_history_too_large_to_plot_is_named_before_it_is_converted():
    """The sandbox lets a learner write a 512 MiB array: as a loss history of int8 that is 4 GiB once converted to
    float64, and minutes of Matplotlib. Such a history (and one of two axes) is named in a note and not plotted;
    per-example SGD for 16 epochs (960,000 losses) still fits. No grading: this is the grader's own helper."""
    from hnml_tutor.graders import grade_16_gradient_descent as grader

    losses, note = grader._loss_history({"loss": np.zeros(grader.MAX_LOSSES + 1, dtype=np.int8)})
    assert losses is None and "1,000,001 values" in note and "one every few batches" in note
    losses, note = grader._loss_history({"loss": np.zeros((3000, 2), dtype=np.int8)})
    assert losses is None and "shape (3000, 2)" in note
    losses, _ = grader._loss_history({"loss": np.ones(960_000, dtype=np.float32)})
    assert losses is not None and losses.dtype == np.float64


def test_16_a_numpy_learning_rate_named_lr_draws_no_keras_advice(grade):
    """`lr = 0.3` is the most natural name for a learning rate in a NumPy loop; the note "`lr=` is the old name
    ... `keras.optimizers.SGD(learning_rate=0.01)`" sends the learner of a NumPy-only exercise to Keras, which it
    refuses."""
    report = grade("16", WEIGHTS_OF_16.format(returned='{"W1": W1, "b1": b1, "W2": W2, "b2": b2}')
                   .replace("    np.random.seed(0)", "    lr = 0.3\n        np.random.seed(0)"))
    assert not any("old name" in note or "keras.optimizers" in note for note in report.notes), report.notes
    assert any("Keras network of step 05" in note for note in report.notes)  # the comparison is still made
