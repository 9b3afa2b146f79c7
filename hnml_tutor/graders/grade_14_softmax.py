"""Grader for 14 · Softmax and cross-entropy, written in NumPy by the learner.

Every input comes from ``np.random.default_rng(14)`` or is written out below, so a verdict is reproducible. The
grader computes the right answers itself (:mod:`hnml_tutor.graders.numeric`, never the solution file) in float64.

Tolerances: softmax entries and the loss must match to 1e-6 absolute. Two float64 computations of the same
formula agree to about 1e-15, and a learner who works in float32 stays near 1e-7, so 1e-6 only fails a
different formula: every misreading named below moves these inputs by more than 1e-3 (the tests assert it).
Each true class gets a probability of at least 0.2 in the ordinary batches, so an epsilon added before the log
(up to Keras' 1e-7) stays inside the tolerance; only a probability of exactly 0 needs the guard.

Warnings: NumPy reports an overflow in ``np.exp`` as a RuntimeWarning and computes ``inf``, which turns into
NaN at the division. The grader sees the NaN in the returned array, and also reads the child's output for the
warning, so a softmax that hides the NaN afterwards is still caught. A warning that also appears when the file is
only imported comes from the file's own top-level code (a learner trying `np.exp(1000)` to see the overflow), not
from softmax, and costs nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
import pytest

from hnml_tutor.graders.checks import check, learner_calls, runs
from hnml_tutor.graders.common import expect_ran
from hnml_tutor.graders.numeric import softmax as reference_softmax
from hnml_tutor.graders.numeric import sparse_cross_entropies
from hnml_tutor.graders.vocabulary import describe, fail, is_real_array
from hnml_tutor.sandbox import Call

SOFTMAX, CROSS_ENTROPY = "softmax", "cross_entropy"
TOLERANCE = 1e-6  # see the module docstring
WORST_SHIFT = 1e-3  # every named misreading moves these inputs at least this much (tests/test_exercise_14_softmax.py)
NEARLY = 0.05  # off by less than this: the right formula, bent by a large epsilon
GUARDED_LOSS = (np.log(1e3), 750.0)  # -log of an epsilon from 1e-3 down to below float64's smallest normal number
OVERFLOW_WARNING = "overflow encountered in exp"

ROW_SUM_FIX = ("Sum along each row and keep the axis: `exps.sum(axis=1, keepdims=True)` has shape (N, 1), so the "
               "division lines up with every row.")
WORKED_SOFTMAX = ("A worked example: softmax([[1, 2, 3]]) = exp([1, 2, 3]) / (e¹ + e² + e³) "
                  "= [[0.090, 0.245, 0.665]], and softmax([[1, 2, 3], [1, 2, 3]]) gives that row twice.")
WORKED_LOSS = ("A worked example: probs [[0.7, 0.2, 0.1], [0.1, 0.8, 0.1]] with labels [0, 1] pick 0.7 and 0.8, "
               "so the loss is -(log 0.7 + log 0.8) / 2 = (0.357 + 0.223) / 2 = 0.290.")
PICK_FIX = ("Labels are integers like [3, 0, 7], one per row, not one-hot rows: `probs[np.arange(N), labels]` picks "
            "row i's probability in column labels[i], N numbers in all.")


def _ordinary_inputs() -> dict[str, np.ndarray]:
    """Logits and probabilities of the grader's: non-square, so rows and columns can't be mistaken for each other."""
    rng = np.random.default_rng(14)
    batch_logits = rng.normal(0.0, 2.0, size=(6, 4))
    row_logits = rng.normal(0.0, 2.0, size=(1, 5))
    labels = rng.integers(0, 5, size=8)
    logits = rng.normal(0.0, 0.5, size=(8, 5))
    logits[np.arange(8), labels] += 1.5  # every true class at least 0.2 (see the module docstring)
    row_label = rng.integers(0, 5, size=1)
    row_probs = reference_softmax(rng.normal(0.0, 0.5, size=(1, 5)) + 1.5 * np.eye(5)[row_label])
    return {"batch_logits": batch_logits, "row_logits": row_logits, "probs": reference_softmax(logits),
            "labels": labels, "row_probs": row_probs, "row_label": row_label}


INPUTS = _ordinary_inputs()
# Rows 0 and 2 overflow a naive exp; row 1 underflows to 0/0 unless it is shifted by its own maximum.
LARGE_LOGITS = np.array([[1000.0, 999.0, 998.0, 0.0],
                         [-1000.0, -999.0, -1000.0, -1002.0],
                         [1000.0, -1000.0, 0.0, 1000.0]])
# Row 0 gives its true class a probability of exactly 0: the worst possible answer, which must cost a finite loss.
ZERO_PROBS = np.array([[0.0, 0.3, 0.7], [0.2, 0.5, 0.3], [0.6, 0.3, 0.1], [0.25, 0.25, 0.5]])
ZERO_LABELS = np.array([0, 1, 0, 2])


@learner_calls(points={SOFTMAX: 1, CROSS_ENTROPY: 1})
def calls():
    return [Call(SOFTMAX, (INPUTS["batch_logits"],)),
            Call(SOFTMAX, (INPUTS["row_logits"],)),
            Call(SOFTMAX, (LARGE_LOGITS,)),
            Call(CROSS_ENTROPY, (INPUTS["probs"], INPUTS["labels"])),
            Call(CROSS_ENTROPY, (INPUTS["row_probs"], INPUTS["row_label"])),
            Call(CROSS_ENTROPY, (ZERO_PROBS, ZERO_LABELS))]


@pytest.fixture(scope="module")
def answer(run, filename, exercise) -> Callable[[str, int], Any]:
    """``answer(function, i)``: what the i-th call of ``function`` returned; fails with the learner's error if it
    raised."""
    return lambda function, occurrence: expect_ran(run, function, filename, exercise.id, occurrence=occurrence)


# -- softmax ------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Misreading:
    """A formula learners write instead of the right one, what it gives, and how to fix it."""

    name: str
    compute: Callable[..., Any]
    hint: str


def _exps(logits: np.ndarray) -> tuple[np.ndarray, ...]:
    """The exponentials a learner may start from: shifted by each row's maximum, or by the whole array's."""
    return np.exp(logits - logits.max(axis=1, keepdims=True)), np.exp(logits - logits.max())


# Each computes what the misreading gives, in every spelling learners write it.
SOFTMAX_MISREADINGS = (
    Misreading("softmax over the columns (axis 0)", lambda z: (reference_softmax(z.T).T,),
               "Each column sums to 1, not each row. Rows are examples and columns are classes, so normalise "
               "along axis 1: `logits.max(axis=1, keepdims=True)` and `exps.sum(axis=1, keepdims=True)`. "
               + WORKED_SOFTMAX),
    Misreading("exponentials divided by the sum of the whole array", lambda z: tuple(e / e.sum() for e in _exps(z)),
               "The whole array sums to 1, but each row must: `exps.sum()` adds every example's exponentials "
               "together. " + ROW_SUM_FIX),
    Misreading("exponentials, not divided by the row sums", lambda z: (*_exps(z), np.exp(z)),
               "These are the exponentials, not yet probabilities: divide each row by its own sum. " + ROW_SUM_FIX),
    Misreading("logits divided by their row sums, not exponentiated", lambda z: (z / z.sum(axis=1, keepdims=True),),
               "Dividing the logits by their sum gives negative numbers and breaks when the sum is near 0. Take "
               "`np.exp` of the (shifted) logits first, then divide by the row sums."),
)


def _expect_probabilities(value: Any, logits: np.ndarray, what: str) -> np.ndarray:
    """The learner's array, of the logits' shape, or a failure that says what came back."""
    if not is_real_array(value):
        fail(f"softmax() should return a NumPy array of probabilities ({what}).",
             expected=f"a float array of shape {logits.shape}", found=describe(value),
             hint="Return the array you computed, e.g. `return exps / exps.sum(axis=1, keepdims=True)`.")
    if value.shape != logits.shape:
        squeezed = value.shape == (logits.shape[1],) and logits.shape[0] == 1
        fail(f"softmax() changed the shape ({what}).", expected=f"shape {logits.shape}, one row per example",
             found=describe(value),
             hint=("A single example is still one row: return shape (1, C). `keepdims=True` in max and sum, and no "
                   "`squeeze()` or `[0]`, keep the row axis." if squeezed else
                   "Return one probability per logit, in the same (N, C) layout as the input."))
    return value.astype(np.float64)


def _deviation(found: np.ndarray, expected: np.ndarray) -> float:
    return float(np.max(np.abs(found - expected)))


def _judge_softmax(found: np.ndarray, logits: np.ndarray, what: str) -> None:
    expected = reference_softmax(logits)
    if np.all(np.isfinite(found)) and _deviation(found, expected) <= TOLERANCE:
        return
    rows = found.sum(axis=1)
    found_text = f"{describe(found)}; row sums from {rows.min():.4g} to {rows.max():.4g}"
    if not np.all(np.isfinite(found)):
        fail(f"softmax() returns NaN or infinity on ordinary logits ({what}).",
             expected="finite probabilities, each row summing to 1", found=found_text,
             hint="Shift by each row's maximum, exponentiate, divide by each row's sum. " + WORKED_SOFTMAX)
    with np.errstate(all="ignore"):
        for misreading in SOFTMAX_MISREADINGS:
            if any(_deviation(found, wrong) <= TOLERANCE for wrong in misreading.compute(logits)):
                fail(f"softmax() gives the {misreading.name} ({what}).",
                     expected="the softmax of each row: every row sums to 1", found=found_text, hint=misreading.hint)
    fail(f"softmax() doesn't give the softmax of each row ({what}).",
         expected=f"each entry within {TOLERANCE:g} of exp(z_j) / sum_k exp(z_k) over its own row",
         found=f"{found_text}; entries off by up to {_deviation(found, expected):.3g}",
         hint="Shift each row by its maximum, take `np.exp`, then divide by the row's sum. " + WORKED_SOFTMAX)


@check(points=4, after=runs(SOFTMAX))
def test_softmax_of_a_batch(answer):
    """softmax gives the grader's probabilities, row by row, for a batch of 6 examples of 4 classes"""
    logits = INPUTS["batch_logits"]
    what = f"a batch of shape {logits.shape}"
    _judge_softmax(_expect_probabilities(answer(SOFTMAX, 0), logits, what), logits, what)


@check(points=2, after=runs(SOFTMAX))
def test_softmax_of_a_single_row(answer):
    """softmax keeps a single example (1, 5) as one row that sums to 1"""
    logits = INPUTS["row_logits"]
    what = f"one example, shape {logits.shape}"
    found = _expect_probabilities(answer(SOFTMAX, 1), logits, what)
    if np.allclose(found, 1.0):
        fail(f"softmax() makes every entry 1 for a single row ({what}).",
             expected="five probabilities that together sum to 1", found=describe(found),
             hint="Each column of a (1, 5) array holds one number, so normalising down the columns (axis 0) gives "
                  "1 everywhere. Normalise along the row: axis=1. " + WORKED_SOFTMAX)
    _judge_softmax(found, logits, what)


def _softmax_warned(run, run_learner) -> bool:
    """Whether the graded calls raised NumPy's overflow warning, beyond what importing the file alone raises.

    Python prints a warning once per line of code, so the graded run shows the file's top-level ones (a demo of
    ``np.exp(1000)``) plus softmax's own; a second run that only imports the file shows the former. It is paid
    for only when the warning is there at all.
    """
    warnings = run.output.count(OVERFLOW_WARNING)
    return warnings > 0 and warnings > run_learner([]).output.count(OVERFLOW_WARNING)


@check(points=3, after=test_softmax_of_a_batch)
def test_softmax_is_stable(answer, run, run_learner):
    """softmax stays exact for logits of ±1000: no NaN, no infinity, no overflow warning"""
    what = "logits of ±1000"
    found = _expect_probabilities(answer(SOFTMAX, 2), LARGE_LOGITS, what)
    broken = ~np.all(np.isfinite(found), axis=1)
    found_text = describe(found)
    if broken[0] or broken[2]:
        fail("softmax() overflows on large logits: NaN or infinity came back.",
             expected="finite probabilities, each row summing to 1, for rows like [1000, 999, 998, 0]",
             found=f"{found_text}; rows {', '.join(str(i) for i in np.flatnonzero(broken))} of 3 not finite",
             hint="`np.exp(1000)` is inf in float64 (anything above about 709 is), and inf / inf is NaN. Softmax "
                  "doesn't change when every logit of a row is shifted by the same number, so subtract each row's "
                  "maximum first: `logits - logits.max(axis=1, keepdims=True)`. The largest exponent is then "
                  "exp(0) = 1, and [1000, 999, 998, 0] gives the same answer as [2, 1, 0, -998].")
    if broken[1]:
        fail("softmax() fails on a row of very negative logits: 0 / 0 gave NaN.",
             expected="finite probabilities for the row [-1000, -999, -1000, -1002]",
             found=f"{found_text}; the row [-1000, -999, -1000, -1002] is not finite",
             hint="Shifting by one number for the whole array (or by column) leaves this row at about -2000, where "
                  "every exp underflows to 0. Subtract each row's own maximum: "
                  "`logits.max(axis=1, keepdims=True)`.")
    _judge_large(found)
    if _softmax_warned(run, run_learner):
        fail("softmax() gives the right values, but NumPy warned of an overflow on the way.",
             expected="no RuntimeWarning", found=f"RuntimeWarning: {OVERFLOW_WARNING}",
             hint="Something still calls `np.exp` on the raw logits (and then repairs the result). Shift each row by "
                  "its maximum before the one `np.exp`, and drop the repair.")


def _judge_large(found: np.ndarray) -> None:
    deviation = _deviation(found, reference_softmax(LARGE_LOGITS))
    if deviation <= TOLERANCE:
        return
    fail("softmax() gives finite but wrong probabilities on large logits.",
         expected="the softmax of each row, e.g. [1000, 999, 998, 0] → the same as softmax([2, 1, 0, -998])",
         found=f"{describe(found)}; entries off by up to {deviation:.3g}",
         hint="Clipping the logits, or replacing NaN afterwards (`np.nan_to_num`), changes the answer. Subtracting "
              "each row's maximum doesn't: `logits - logits.max(axis=1, keepdims=True)`.")


# -- cross-entropy ------------------------------------------------------------------------------------------

def _as_loss(value: Any, what: str, examples: int) -> float:
    """One number from the learner's answer; an array of one loss per example is named."""
    if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool):
        return float(value)
    if is_real_array(value) and value.size == 1:
        return float(value.reshape(()))
    if is_real_array(value) and value.shape == (examples,) and examples > 1:
        fail(f"cross_entropy() returns one loss per example ({what}).",
             expected="one number: the mean over the examples", found=describe(value),
             hint="Average the per-example losses: `-np.mean(np.log(picked))` gives one number.")
    fail(f"cross_entropy() should return one number ({what}).", expected="a float such as 0.29",
         found=describe(value), hint="Return the mean of -log of the picked probabilities: `float(-np.mean(...))`.")


def _expected_loss(probs: np.ndarray, labels: np.ndarray) -> float:
    return float(sparse_cross_entropies(probs, labels).mean())


def _picked(probs: np.ndarray, labels: np.ndarray) -> np.ndarray:
    return probs[np.arange(len(labels)), labels]


LOSS_MISREADINGS = (
    Misreading("sum over the examples instead of their mean", lambda p, y: -np.sum(np.log(_picked(p, y))),
               "The loss is the mean over the N examples: dividing by N keeps it the same size whatever the batch "
               "size, so a learning rate suits every batch. Use `np.mean` instead of `np.sum`."),
    Misreading("loss with the wrong sign", lambda p, y: np.mean(np.log(_picked(p, y))),
               "log of a probability is negative, so the loss is minus the mean of the logs: "
               "`-np.mean(np.log(picked))`. A loss is never below 0."),
    Misreading("base-2 logarithm", lambda p, y: -np.mean(np.log2(_picked(p, y))),
               "Cross-entropy uses the natural logarithm, `np.log`, as Keras does; `np.log2` measures in bits and "
               "makes every loss 1.44 times larger."),
    Misreading("base-10 logarithm", lambda p, y: -np.mean(np.log10(_picked(p, y))),
               "Cross-entropy uses the natural logarithm, `np.log`, as Keras does; `np.log10` makes every loss "
               "2.3 times smaller."),
    Misreading("whole rows picked with probs[labels]", lambda p, y: -np.mean(np.log(p[y])),
               "`probs[labels]` picks whole rows (the rows numbered by the labels), so every class's probability "
               "ends up in the mean. " + PICK_FIX),
    Misreading("every row's columns picked with probs[:, labels]", lambda p, y: -np.mean(np.log(p[:, y])),
               "`probs[:, labels]` gives every row's probability of every label, an N×N array. " + PICK_FIX),
    Misreading("mean over every class, labels ignored", lambda p, y: -np.mean(np.log(p)),
               "The mean runs over all N×C probabilities, so the labels play no part. Only the true class of each "
               "example counts. " + PICK_FIX),
    Misreading("softmax applied to the probabilities again", lambda p, y: _expected_loss(reference_softmax(p), y),
               "cross_entropy() gets probabilities (rows that already sum to 1), not logits: take their log "
               "directly, without another softmax."),
)


def _examples(count: int) -> str:
    return "one example" if count == 1 else f"{count} examples"


def _misread_loss(misreading: Misreading, probs: np.ndarray, labels: np.ndarray) -> float:
    """What ``misreading`` gives on these inputs; NaN where it can't run on them (probs[labels] on one row)."""
    try:
        with np.errstate(all="ignore"):
            return float(misreading.compute(probs, labels))
    except IndexError:
        return float("nan")


def _judge_loss(value: float, probs: np.ndarray, labels: np.ndarray, what: str) -> None:
    expected = _expected_loss(probs, labels)
    if np.isfinite(value) and abs(value - expected) <= TOLERANCE:
        return
    found = f"the number {value:.6g}"
    for misreading in LOSS_MISREADINGS:
        if abs(value - _misread_loss(misreading, probs, labels)) <= TOLERANCE:
            fail(f"cross_entropy() gives the {misreading.name} ({what}).",
                 expected=f"-log(probability of the true class), averaged over the {_examples(len(labels))}",
                 found=found, hint=misreading.hint)
    if abs(value - expected) <= NEARLY:
        fail(f"cross_entropy() is close, but not exact ({what}).",
             expected=f"within {TOLERANCE:g} of the mean of -log(probability of the true class)", found=found,
             hint="An epsilon large enough to change ordinary probabilities does this (adding 1e-3, or clipping to "
                  "[0.01, 0.99]). Keep it tiny, e.g. `np.clip(picked, 1e-12, 1.0)`: it should only matter for a "
                  "probability of 0. Computing in float16 does it too: stay in float64 or float32.")
    fail(f"cross_entropy() doesn't give the mean negative log-probability of the true classes ({what}).",
         expected=f"within {TOLERANCE:g} of -(1/N) Σ log probs[i, labels[i]]", found=found,
         hint=PICK_FIX + " Then `-np.mean(np.log(picked))`. " + WORKED_LOSS)


@check(points=2, after=runs(CROSS_ENTROPY))
def test_cross_entropy_of_one_example(answer):
    """cross_entropy of one example (1, 5) is -log of the probability of its label"""
    probs, labels = INPUTS["row_probs"], INPUTS["row_label"]
    what = "one example of 5 classes"
    _judge_loss(_as_loss(answer(CROSS_ENTROPY, 1), what, 1), probs, labels, what)


@check(points=4, after=runs(CROSS_ENTROPY))
def test_cross_entropy_of_a_batch(answer):
    """cross_entropy of a batch (8 examples, 5 classes, integer labels) is the mean over the examples"""
    probs, labels = INPUTS["probs"], INPUTS["labels"]
    what = f"a batch of {len(labels)} examples of {probs.shape[1]} classes"
    _judge_loss(_as_loss(answer(CROSS_ENTROPY, 0), what, len(labels)), probs, labels, what)


@check(points=3, after=test_cross_entropy_of_a_batch)
def test_cross_entropy_guards_log_zero(answer):
    """a probability of 0 for the true class gives a large but finite loss (log is kept away from 0)"""
    what = "a batch whose first example gives its true class probability 0"
    value = _as_loss(answer(CROSS_ENTROPY, 2), what, len(ZERO_LABELS))
    expected = "a finite loss: the first example costs -log(epsilon), e.g. 27.6 for epsilon 1e-12"
    if not np.isfinite(value):
        fail("cross_entropy() returns infinity (or NaN) when the true class has probability 0.",
             expected=expected, found=describe(value),
             hint="log(0) is -inf, so one confident wrong answer makes the whole loss infinite and training breaks. "
                  "Keep the probabilities away from 0 before the log: `np.log(np.clip(picked, 1e-12, 1.0))`.")
    others = float(sparse_cross_entropies(ZERO_PROBS[1:], ZERO_LABELS[1:]).sum())
    zero_cost = value * len(ZERO_LABELS) - others  # what the zero-probability example added to the mean
    low, high = GUARDED_LOSS
    if zero_cost < low:
        fail("cross_entropy() lets a probability of 0 for the true class cost almost nothing.",
             expected=expected, found=f"the number {value:.4g}: the first example adds only {zero_cost:.3g}",
             hint="Probability 0 for the true class is the worst answer a model can give, so it must cost the most, "
                  "not be skipped or capped low. Clip to a tiny epsilon: `np.clip(picked, 1e-12, 1.0)`.")
    if zero_cost > high:
        fail("cross_entropy() turns log(0) into an enormous number.",
             expected=expected, found=f"the number {value:.4g}",
             hint="Replacing inf afterwards (`np.nan_to_num`) puts the largest float in the loss, which swamps every "
                  "other example. Clip before the log instead: `np.log(np.clip(picked, 1e-12, 1.0))`.")
