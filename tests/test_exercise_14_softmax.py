"""14 · Softmax and cross-entropy: each named mistake, in a learner-style file graded by the real grader.

softmax and cross_entropy are graded apart, so each file pairs a softmax mistake with a cross-entropy mistake
and one grading checks both; a NumPy-only file costs one warm sandbox start (about 0.3 s). The rarer
misreadings run the grader's own check functions on answers computed in this process, which costs nothing.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

import numpy as np
import pytest

from conftest import failure_text
from hnml_tutor.graders import grade_14_softmax as grader

SOFTMAX_RIGHT = """
def softmax(logits):
    shifted = logits - logits.max(axis=1, keepdims=True)
    exps = np.exp(shifted)
    return exps / exps.sum(axis=1, keepdims=True)
"""
CROSS_ENTROPY_RIGHT = """
def cross_entropy(probs, labels):
    return -np.mean(np.log(np.clip(probs[np.arange(len(labels)), labels], 1e-12, 1.0)))
"""

# name: (softmax, cross_entropy, {failed check: phrases its feedback must contain})
MISTAKES = {
    "no max subtraction; sum instead of mean": (
        """
        def softmax(logits):
            exps = np.exp(logits)
            return exps / exps.sum(axis=1, keepdims=True)
        """,
        """
        def cross_entropy(probs, labels):
            return -np.sum(np.log(probs[np.arange(len(labels)), labels]))
        """,
        {"test_softmax_is_stable": ["overflows", "np.exp(1000)", "logits.max(axis=1, keepdims=true)"],
         "test_cross_entropy_of_a_batch": ["sum over the examples", "np.mean"]}),
    "softmax over the columns; log(0) unguarded": (
        """
        def softmax(logits):
            exps = np.exp(logits - logits.max(axis=0, keepdims=True))
            return exps / exps.sum(axis=0, keepdims=True)
        """,
        """
        def cross_entropy(probs, labels):
            return -np.mean(np.log(probs[np.arange(len(labels)), labels]))
        """,
        {"test_softmax_of_a_batch": ["columns (axis 0)", "axis 1", "softmax([[1, 2, 3]])"],
         "test_softmax_of_a_single_row": ["every entry 1", "axis=1"],
         "test_cross_entropy_guards_log_zero": ["infinity", "log(0)", "np.clip"]}),
    "the array's overall max; whole rows picked with probs[labels]": (
        """
        def softmax(logits):
            exps = np.exp(logits - logits.max())
            return exps / exps.sum(axis=1, keepdims=True)
        """,
        """
        def cross_entropy(probs, labels):
            return -np.mean(np.log(probs[labels]))
        """,
        {"test_softmax_is_stable": ["0 / 0", "own maximum"],
         "test_cross_entropy_of_one_example": ["indexerror"],  # row 4 of a single row: the batch names why
         "test_cross_entropy_of_a_batch": ["probs[labels]", "probs[np.arange(n), labels]", "[3, 0, 7]"]}),
    "divided by the whole array's sum; log base 10": (
        """
        def softmax(logits):
            exps = np.exp(logits - logits.max(axis=1, keepdims=True))
            return exps / exps.sum()
        """,
        """
        def cross_entropy(probs, labels):
            return -np.mean(np.log10(probs[np.arange(len(labels)), labels]))
        """,
        {"test_softmax_of_a_batch": ["gives the exponentials divided by the sum of the whole array", "keepdims=true"],
         "test_cross_entropy_of_one_example": ["base-10", "np.log"],
         "test_cross_entropy_of_a_batch": ["base-10"]}),
    "row sums without keepdims; labels multiplied as if one-hot": (
        """
        def softmax(logits):
            exps = np.exp(logits - logits.max(axis=1, keepdims=True))
            return exps / exps.sum(axis=1)
        """,
        """
        def cross_entropy(probs, labels):
            return -np.mean(np.sum(labels * np.log(probs), axis=1))
        """,
        {"test_softmax_runs": ["keepdims=true", "(n, 1)"],
         "test_cross_entropy_runs": ["not one-hot", "probs[np.arange(n), labels]"]}),
    "squeezes a single row; nan_to_num after the log": (
        """
        def softmax(logits):
            exps = np.exp(logits - logits.max(axis=1, keepdims=True))
            return np.squeeze(exps / exps.sum(axis=1, keepdims=True))
        """,
        """
        def cross_entropy(probs, labels):
            return float(np.mean(np.nan_to_num(-np.log(probs[np.arange(len(labels)), labels]))))
        """,
        {"test_softmax_of_a_single_row": ["changed the shape", "(1, c)", "squeeze"],
         "test_cross_entropy_guards_log_zero": ["enormous", "nan_to_num"]}),
    "nan_to_num hides the overflow; expects one-hot labels": (
        """
        def softmax(logits):
            exps = np.exp(logits)
            return np.nan_to_num(exps / exps.sum(axis=1, keepdims=True))
        """,
        """
        def cross_entropy(probs, labels):
            true_class = np.argmax(labels, axis=1)
            return -np.mean(np.log(probs[np.arange(len(labels)), true_class]))
        """,
        {"test_softmax_is_stable": ["finite but wrong", "nan_to_num"],
         "test_cross_entropy_runs": ["no axis 1", "not one-hot rows"]}),
}


@pytest.mark.parametrize("name", MISTAKES)
def test_a_named_mistake_is_explained(grade, name):
    softmax, cross_entropy, expected = MISTAKES[name]
    report = grade("14", "import numpy as np\n" + textwrap.dedent(softmax) + textwrap.dedent(cross_entropy))
    failed = {check.name: check for check in report.checks if check.status == "failed"}
    assert set(expected) == set(failed), (name, sorted(failed))
    assert not [check.name for check in report.checks if check.status == "error"], "a learner's mistake, not the grader's"
    for check_name, phrases in expected.items():
        check = failed[check_name]
        words = " ".join(filter(None, [check.message, check.expected, check.found, check.hint])).lower()
        assert all(phrase in words for phrase in phrases), (name, check_name, words)


def test_a_repaired_overflow_is_caught_by_its_warning(grade):
    """Values right, but computed through an overflow that was patched afterwards: the child's warning shows it."""
    report = grade("14", "import numpy as np\n" + textwrap.dedent("""
        def softmax(logits):
            exps = np.exp(logits)
            if np.all(np.isfinite(exps)) and np.all(exps.sum(axis=1) > 0):
                return exps / exps.sum(axis=1, keepdims=True)
            shifted = logits - logits.max(axis=1, keepdims=True)
            return np.exp(shifted) / np.exp(shifted).sum(axis=1, keepdims=True)

        def cross_entropy(probs, labels):
            picked = np.where(probs[np.arange(len(labels)), labels] > 0, probs[np.arange(len(labels)), labels], 1e-12)
            return -np.mean(np.log(picked))
        """))
    failed = [check.name for check in report.checks if check.status != "passed"]
    assert failed == ["test_softmax_is_stable"], failed
    assert "overflow" in failure_text(report) and "runtimewarning" in failure_text(report)


# The rarer misreadings, each judged by the grader's own check on the learner-style function's answers, computed
# in this process: the same checks and inputs as a grading, without a sandbox start per mistake.
IN_PROCESS = {
    "exponentials not divided by the row sums": ("""
        def softmax(logits):
            return np.exp(logits - logits.max(axis=1, keepdims=True))
        """, "test_softmax_of_a_batch", ["not divided by the row sums", "keepdims=true"]),
    "logits divided by their sum, no exp": ("""
        def softmax(logits):
            return logits / logits.sum(axis=1, keepdims=True)
        """, "test_softmax_of_a_batch", ["not exponentiated", "np.exp"]),
    "loss without the minus sign": ("""
        def cross_entropy(probs, labels):
            return np.mean(np.log(probs[np.arange(len(labels)), labels]))
        """, "test_cross_entropy_of_a_batch", ["wrong sign", "never below 0"]),
    "log base 2": ("""
        def cross_entropy(probs, labels):
            return -np.mean(np.log2(probs[np.arange(len(labels)), labels]))
        """, "test_cross_entropy_of_a_batch", ["base-2", "bits"]),
    "every label's column for every row": ("""
        def cross_entropy(probs, labels):
            return -np.mean(np.log(probs[:, labels]))
        """, "test_cross_entropy_of_a_batch", ["probs[:, labels]", "n×n", "probs[np.arange(n), labels]"]),
    "labels ignored": ("""
        def cross_entropy(probs, labels):
            return -np.mean(np.log(probs))
        """, "test_cross_entropy_of_a_batch", ["labels play no part", "probs[np.arange(n), labels]"]),
    "softmax of the probabilities": ("""
        def cross_entropy(probs, labels):
            exps = np.exp(probs - probs.max(axis=1, keepdims=True))
            again = exps / exps.sum(axis=1, keepdims=True)
            return -np.mean(np.log(again[np.arange(len(labels)), labels]))
        """, "test_cross_entropy_of_a_batch", ["softmax applied to the probabilities", "not logits"]),
    "an epsilon large enough to matter": ("""
        def cross_entropy(probs, labels):
            return -np.mean(np.log(probs[np.arange(len(labels)), labels] + 1e-3))
        """, "test_cross_entropy_of_a_batch", ["close, but not exact", "1e-12"]),
    "one loss per example": ("""
        def cross_entropy(probs, labels):
            return -np.log(probs[np.arange(len(labels)), labels])
        """, "test_cross_entropy_of_a_batch", ["one loss per example", "np.mean"]),
    "zero probabilities skipped": ("""
        def cross_entropy(probs, labels):
            picked = probs[np.arange(len(labels)), labels]
            return -np.mean(np.log(picked[picked > 0]))
        """, "test_cross_entropy_guards_log_zero", ["cost almost nothing", "worst answer"]),
}


def _answers_of(source: str):
    """The grader's ``answer`` fixture for a learner-style source run here: its functions on the grader's calls."""
    learner = {"np": np}
    exec(textwrap.dedent(source), learner)
    declared = grader.calls.build()

    def answer(function, occurrence):
        call = [call for call in declared if call.function == function][occurrence]
        return learner[function](*call.args)

    return answer


def test_right_answers_pass_the_checks_run_in_process():
    answer = _answers_of(SOFTMAX_RIGHT + CROSS_ENTROPY_RIGHT)
    for check_name in {check_name for _, check_name, _ in IN_PROCESS.values()}:
        getattr(grader, check_name)(answer)


@pytest.mark.parametrize("name", IN_PROCESS)
def test_a_rarer_misreading_is_named(name):
    from hnml_tutor.graders.vocabulary import CheckFailed

    source, check_name, phrases = IN_PROCESS[name]
    with pytest.raises(CheckFailed) as failed:
        getattr(grader, check_name)(_answers_of(source))
    error = failed.value
    words = " ".join(filter(None, [error.rationale, error.expected, error.found, error.hint])).lower()
    assert all(phrase in words for phrase in phrases), (name, words)


def test_keras_is_refused_and_the_grader_stays_light(grade):
    """The exercise is NumPy only: Keras' own softmax fails with the reason, and grading never imports TensorFlow."""
    report = grade("14", """
        import numpy as np
        from keras import ops

        def softmax(logits):
            return np.asarray(ops.softmax(logits, axis=-1))

        def cross_entropy(probs, labels):
            return -np.mean(np.log(probs[np.arange(len(labels)), labels]))
        """)
    first = report.checks[0]
    assert first.status == "failed" and "numpy only" in first.message.lower(), first.message
    assert "an import of `keras`" in first.found and "np.exp" in first.hint
    assert all(check.status in ("failed", "skipped") for check in report.checks)
    assert "tensorflow" not in subprocess.run(
        [sys.executable, "-c", "import sys, hnml_tutor.graders.grade_14_softmax; print(sorted(sys.modules))"],
        capture_output=True, text=True, check=True).stdout


def test_each_misreading_is_far_from_the_right_answer():
    """1e-6 can only tell a misreading from the truth if the grader's inputs move it far: they do, by > 1e-3."""
    logits = grader.INPUTS["batch_logits"]
    with np.errstate(all="ignore"):
        for misreading in grader.SOFTMAX_MISREADINGS:
            for wrong in misreading.compute(logits):
                assert np.abs(wrong - grader.reference_softmax(logits)).max() > grader.WORST_SHIFT, misreading.name
    probs, labels = grader.INPUTS["probs"], grader.INPUTS["labels"]
    right = grader._expected_loss(probs, labels)
    for misreading in grader.LOSS_MISREADINGS:
        assert abs(grader._misread_loss(misreading, probs, labels) - right) > grader.WORST_SHIFT, misreading.name
    # every true class has a probability of at least 0.2, so the tolerance leaves room for an epsilon as large as
    # Keras' added before the log
    assert probs[np.arange(len(labels)), labels].min() >= 0.2
    assert abs(-np.mean(np.log(probs[np.arange(len(labels)), labels] + 1e-7)) - right) < grader.TOLERANCE
