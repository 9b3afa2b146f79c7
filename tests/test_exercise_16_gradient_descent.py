"""Exercise 16's named mistakes, each a learner-style file graded through the real grader.

The files run a real training loop, but on a few thousand images for one epoch (hundredths of a second), or
return what a mistake returns without training: the grader's verdict depends only on what comes back, so
none of them pays for the full data set. The reference solution's full training is graded by
test_solutions_and_stubs.py (cold and warm, on two seeds).
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

from conftest import failure_text

# A learner's loop as the stub's formulas write it; each mistake changes one placeholder.
LOOP = """
import numpy as np

def softmax(logits):
    e = np.exp({softmax})
    return e / e.sum(axis=1, keepdims=True)

def train_numpy_mlp(x_train, y_train):
    x_train, y_train = x_train[:{images}], y_train[:{images}]
    W1 = {W1}
    b1 = np.zeros(W1.shape[1])
    W2 = {W2}
    b2 = np.zeros(10)
    losses = []
    order = np.random.permutation(len(x_train))
    for start in range(0, len(x_train), 100):
        batch = order[start:start + 100]
        x, y = x_train[batch], y_train[batch]
        h_in = x @ W1 + b1
        h = np.maximum(h_in, 0)
        p = softmax(h @ W2 + b2)
        losses.append(-np.log(p[np.arange(len(y)), y] + 1e-12).mean())
        g = p.copy()
        g[np.arange(len(y)), y] -= 1
        g /= len(y)
        dh = (g @ W2.T) * (h_in > 0)
        W2 {step} {learning_rate} * (h.T @ g)
        b2 {step} {learning_rate} * g.sum(axis=0)
        W1 {step} {learning_rate} * (x.T @ dh)
        b1 {step} {learning_rate} * dh.sum(axis=0)
    return {returned}
"""
HONEST = {"softmax": "logits - logits.max(axis=1, keepdims=True)", "images": 2000,
          "W1": "np.random.randn(784, 64) * np.sqrt(2 / 784)", "W2": "np.random.randn(64, 10) * np.sqrt(2 / 64)",
          "step": "-=", "learning_rate": 0.1, "returned": '{"W1": W1, "b1": b1, "W2": W2, "b2": b2, "loss": losses}'}


def loop(**mistake) -> str:
    return LOOP.format(**{**HONEST, **mistake})


def _check(report, name: str):
    return next(check for check in report.checks if check.name == name)


def _statuses(report) -> dict[str, str]:
    return {check.name: check.status for check in report.checks}


def test_constant_initial_weights_are_named_as_identical_hidden_units(grade):
    """Trained for real: every unit gets the same gradient, so the columns stay equal up to BLAS rounding."""
    report = grade("16", loop(W1="np.full((784, 64), 0.01)", W2="np.full((64, 10), 0.01)"))
    statuses = _statuses(report)
    assert statuses["test_finite"] == "passed" and statuses["test_hidden_units_differ"] == "failed"
    assert statuses["test_test_accuracy"] == "skipped"
    assert report.notes == []  # no accuracy measured, so none shown, not even next to Keras'
    text = failure_text(report)
    assert "all 64 hidden units are identical" in text and "np.random.randn(784, h)" in text


def test_all_zero_weights_are_named_without_training(grade):
    report = grade("16", """
        import numpy as np

        def train_numpy_mlp(x_train, y_train):
            return {"W1": np.zeros((784, 32)), "b1": np.zeros(32), "W2": np.zeros((32, 10)), "b2": np.zeros(10)}
        """)
    check = _check(report, "test_hidden_units_differ")
    assert check.status == "failed" and "all zero" in check.found


def test_divergence_is_named_with_the_learning_rate(grade):
    """A softmax without the max shift and a huge learning rate overflow into NaN within a few steps."""
    report = grade("16", loop(softmax="logits", learning_rate=50.0))
    check = _check(report, "test_finite")
    assert check.status == "failed" and "diverged" in check.message.lower()
    assert "w1:" in check.found.lower() and "learning rate" in check.hint
    assert "subtract each row's maximum" in check.hint


@pytest.mark.parametrize("returned, phrases", [
    ('{"w1": W1, "b1": b1, "w2": W2, "b2": b2}', ["no w1, w2", "case-sensitive", "rename `w1` → `w1`"]),
    ("softmax(np.maximum(x_train @ W1 + b1, 0) @ W2 + b2)", ["probabilities", "forward pass"]),
    ("(W1, b1, W2, b2)", ["name each array", "a tuple of 4"]),
], ids=["lower-case keys", "probabilities", "a tuple"])
def test_what_comes_back_instead_of_the_parameters_is_named(returned, phrases, grade):
    report = grade("16", loop(images=200, returned=returned))
    assert _check(report, "test_returns_parameters").status == "failed"
    text = failure_text(report)
    for phrase in phrases:
        assert phrase.lower() in text, (phrase, text)


@pytest.mark.parametrize("returned, phrase", [
    ('{"W1": W1.T, "b1": b1, "W2": W2, "b2": b2}', "w1 is transposed"),
    ('{"W1": W1, "b1": b1, "W2": W2.T, "b2": b2}', "w2 is transposed"),
    ('{"W1": W1, "b1": b1.reshape(1, -1), "W2": W2, "b2": b2}', "b1 has shape (1, 64)"),
], ids=["W1", "W2", "b1"])
def test_wrong_shapes_are_named(returned, phrase, grade):
    report = grade("16", loop(images=200, returned=returned))
    check = _check(report, "test_shapes")
    assert check.status == "failed" and phrase in check.message.lower(), check.message
    assert check.expected.startswith("W1 (784, H)") and "W1 (" in check.found


def test_dead_relus_are_named_when_the_learning_rate_is_far_too_high(grade):
    report = grade("16", loop(images=5000, learning_rate=10.0))
    assert _check(report, "test_test_accuracy").status == "failed"
    assert report.notes[0].startswith("Test accuracy measured by the grader:")
    assert "hidden units output 0 for every test image" in failure_text(report)


def test_a_loss_that_rises_is_named_from_the_learners_own_history(grade):
    """The update's sign flipped: gradient ascent. The learner's loss history shows it, and the hint says so."""
    report = grade("16", loop(step="+="))
    assert _check(report, "test_test_accuracy").status == "failed"
    text = failure_text(report)
    assert "loss history did not fall" in text and "a minus" in text


def test_numpy_only_a_keras_softmax_fails_with_the_reason(grade):
    report = grade("16", loop(images=200).replace("import numpy as np", "import numpy as np\nfrom keras import ops"))
    first = report.checks[0]
    assert first.status == "failed" and "numpy only" in first.message.lower()
    assert all(check.status == "skipped" for check in report.checks[1:])


GRADE_IN_A_FRESH_PROCESS = """
import json, sys
from pathlib import Path
from hnml_tutor.curriculum import load_curriculum
from hnml_tutor.graders.runner import grade_exercise

report = grade_exercise(load_curriculum().resolve("16"), Path(sys.argv[1]), plots_dir=Path(sys.argv[2]))
frameworks = sorted({name.split(".")[0] for name in sys.modules} & {"tensorflow", "keras", "jax", "torch"})
print(json.dumps({"report": report.to_dict(), "frameworks": frameworks}))
"""


def test_short_training_is_measured_compared_with_keras_and_plotted_without_tensorflow(tmp_path):
    """The accuracy note comes first, the hint names the usual causes, the loss curve sits next to Keras'
    accuracy, and the grader's process never imports TensorFlow once the Keras reference is cached.

    One epoch on 5,000 images (about 84%) records 50 losses in a list, of which a list passes on 32.
    """
    from hnml_tutor import reference

    reference.get("mnist/trained-mlp")  # built once per machine, with Keras, in this process rather than the child's
    learner = tmp_path / "16_gradient_descent.py"
    learner.write_text(textwrap.dedent(loop(images=5000)), encoding="utf-8")
    finished = subprocess.run([sys.executable, "-c", GRADE_IN_A_FRESH_PROCESS, str(learner), str(tmp_path / "plots")],
                              capture_output=True, text=True, timeout=120, check=True)
    outcome = json.loads(finished.stdout.strip().splitlines()[-1])
    assert outcome["frameworks"] == []
    report = outcome["report"]
    accuracy_check = next(check for check in report["checks"] if check["name"] == "test_test_accuracy")
    assert accuracy_check["status"] == "failed" and "Train longer" in accuracy_check["hint"]
    notes = report["notes"]
    assert notes[0].startswith("Test accuracy measured by the grader:") and notes[0].endswith("(required: 95%).")
    assert any("the first 32 of a list" in note for note in notes)
    assert any("the keras network of step 05" in note.lower() for note in notes)
    assert [p.rsplit("/", 1)[-1] for p in report["plots"]] == ["16_numpy_vs_keras.png"]
