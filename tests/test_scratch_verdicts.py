"""Verdicts of the NumPy-only graders (14–16) on files a reviewer wrote to trip them.

Each test is a file an honest learner could write that a grader once judged wrongly, or an unusual but
correct solution whose passing guards a real risk (the grader's arrays modified in place, relu's convention
at 0, a list where a tuple was asked for). Every file is graded once through the real grader and sandbox.
"""

from __future__ import annotations

import importlib.util

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
