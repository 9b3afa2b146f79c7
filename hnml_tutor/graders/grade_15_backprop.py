"""Grader for 15 · Backpropagation by hand: a Dense layer and a ReLU, forwards and backwards, in NumPy.

The grader never trusts a formula the learner could also have got wrong: it measures every gradient itself
by central differences, ``(L(a + h) − L(a − h)) / 2h`` one element at a time, of the scalar probe loss
``L = sum(forward(...) * R)`` for a random R of the output's shape. That loss's gradient with respect to
the layer's output is exactly R, so R is the ``grad_out`` the learner's backward function is given.

Tolerances. The probe loss is linear in x, W and b (piecewise linear in relu's input), so central
differences carry no truncation error, only rounding: about 1e-16 · |L| / h ≈ 1e-10 relative with
h = 1e-5 in float64, five orders below the tolerance of 1e-5 (a learner who computes in float32 lands near
1e-7 and passes too). The smallest real mistake, a gradient divided by the batch size N ≥ 2, is off by a
relative error of (N − 1) / (N + 1) ≥ 1/3. Every case has N, in and out all different, so a transposed
gradient has a shape of its own and is named, never confused with a right one.

Inputs are drawn from ``np.random.default_rng(15)``, so a verdict is reproducible.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import pytest

from hnml_tutor.graders.checks import check, learner_calls, runs
from hnml_tutor.graders.common import expect_ran
from hnml_tutor.graders.vocabulary import describe, describe_array, fail, is_real_array
from hnml_tutor.sandbox import Call

FORWARD, BACKWARD, RELU, RELU_BACKWARD = "dense_forward", "dense_backward", "relu", "relu_backward"
SEED = 15
STEP = 1e-5  # h of the central differences (see the module docstring)
TOLERANCE = 1e-5  # largest relative error, ‖found − expected‖ / (‖found‖ + ‖expected‖), that passes
RELU_MARGIN = 0.1  # relu's test inputs stay this far from 0 (see relu_inputs)
CASES = 2  # random shapes each function is called on
SIZES = np.arange(2, 8)  # N, in and out are drawn from these, all three different


@dataclass(frozen=True)
class DenseCase:
    """One batch through a Dense layer, and the grad_out the probe loss sends back to it."""

    x: np.ndarray  # (N, in)
    W: np.ndarray  # (in, out)
    b: np.ndarray  # (out,)
    grad_out: np.ndarray  # (N, out): the probe loss's R

    @property
    def batch(self) -> int:
        return len(self.x)

    def probe(self, x: np.ndarray, W: np.ndarray, b: np.ndarray) -> float:
        """L = sum((x @ W + b) * R): a scalar whose gradient with respect to the output is R."""
        return float(np.sum((x @ W + b) * self.grad_out))

    def numerical_gradients(self) -> dict[str, np.ndarray]:
        """∂L/∂x, ∂L/∂W and ∂L/∂b by central differences: the answers, measured, not derived."""
        return {
            "grad_x": numerical_gradient(lambda x: self.probe(x, self.W, self.b), self.x),
            "grad_W": numerical_gradient(lambda W: self.probe(self.x, W, self.b), self.W),
            "grad_b": numerical_gradient(lambda b: self.probe(self.x, self.W, b), self.b),
        }


@dataclass(frozen=True)
class ReluCase:
    """An input to relu, and the grad_out the probe loss sum(relu(x) * R) sends back to it."""

    x: np.ndarray
    grad_out: np.ndarray

    def numerical_gradient(self) -> np.ndarray:
        return numerical_gradient(lambda x: float(np.sum(np.maximum(x, 0.0) * self.grad_out)), self.x)


def numerical_gradient(loss: Callable[[np.ndarray], float], at: np.ndarray) -> np.ndarray:
    """``(loss(a + h) − loss(a − h)) / 2h`` for each element of ``at`` in turn, the others held still."""
    gradient = np.zeros_like(at)
    for index in np.ndindex(at.shape):
        nudged = at.copy()
        nudged[index] += STEP
        above = loss(nudged)
        nudged[index] -= 2 * STEP
        below = loss(nudged)
        gradient[index] = (above - below) / (2 * STEP)
    return gradient


def relu_inputs(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Normal values pushed at least RELU_MARGIN away from 0, half of them negative.

    ReLU has a kink at 0: its slope is 0 on the left and 1 on the right, and a central difference that
    straddles the kink measures 0.5, which is neither. Keeping every input further from 0 than the step h
    makes the numerical gradient exact, and keeps the test about the mask, not about a convention at 0.
    """
    values = rng.standard_normal(shape)
    return np.sign(values) * (RELU_MARGIN + np.abs(values))


def _dense_cases(rng: np.random.Generator) -> tuple[DenseCase, ...]:
    cases = []
    for _ in range(CASES):
        batch, inputs, outputs = (int(size) for size in rng.choice(SIZES, size=3, replace=False))
        cases.append(DenseCase(x=rng.standard_normal((batch, inputs)), W=rng.standard_normal((inputs, outputs)),
                               b=rng.standard_normal(outputs), grad_out=rng.standard_normal((batch, outputs))))
    return tuple(cases)


def _relu_cases(rng: np.random.Generator) -> tuple[ReluCase, ...]:
    cases = []
    for _ in range(CASES):
        shape = tuple(int(size) for size in rng.choice(SIZES, size=2, replace=False))
        cases.append(ReluCase(x=relu_inputs(rng, shape), grad_out=rng.standard_normal(shape)))
    return tuple(cases)


_RNG = np.random.default_rng(SEED)
DENSE_CASES = _dense_cases(_RNG)
RELU_CASES = _relu_cases(_RNG)


# -- comparing an array with the grader's, and naming the mistake ------------------------------------------

def relative_error(found: np.ndarray, expected: np.ndarray) -> float:
    """‖found − expected‖ / (‖found‖ + ‖expected‖): scale-free, 0 when equal, 1 when one of them is 0."""
    scale = np.linalg.norm(found) + np.linalg.norm(expected)
    return float(np.linalg.norm(found - expected) / scale) if scale > 0 else 0.0


def agrees(found: np.ndarray, expected: np.ndarray) -> bool:
    return found.shape == expected.shape and relative_error(found, expected) < TOLERANCE


@dataclass(frozen=True)
class Slip:
    """A mistake learners make, what it gives on a case, and what to tell them.

    ``gives(case, expected)`` is the array the mistake produces; ``what`` completes the sentence
    "grad_W from dense_backward() is …" ("divided by the batch size"); ``hint`` says how to fix it.
    """

    what: str
    gives: Callable[[object, np.ndarray], np.ndarray]
    hint: str


@dataclass(frozen=True)
class Target:
    """What one check compares: the name of the array, its shape in words, and the mistakes worth naming."""

    subject: str  # how a message names the array, e.g. "grad_W from dense_backward()"
    shape_words: str  # e.g. "the shape of W"
    reference: str  # what the grader compares with, e.g. "the numerical gradient"
    slips: tuple[Slip, ...]
    formula_hint: str
    example: Callable[[], str]


BATCH_TWICE = ("Sum over the batch; don't divide by N in the layer. If the loss is a mean over the batch, the "
               "grad_out you are given already carries its 1/N: dividing again scales the gradient down by the "
               "batch size twice, and training crawls with batches of 128.")


def _as_real(value, target: Target, expected: np.ndarray) -> np.ndarray:
    if not is_real_array(value):
        fail(f"{target.subject} should be a NumPy array of numbers.",
             expected=f"a float array of shape {expected.shape} ({target.shape_words})", found=describe(value),
             hint=target.formula_hint, details=target.example())
    return value.astype(np.float64)


def judge(target: Target, found_values: list, cases: tuple, expected_values: list[np.ndarray]) -> float:
    """Fail with the named mistake (or the plain mismatch) of the first case the learner gets wrong.

    Returns the largest relative error over the cases when every one agrees, for the note.
    """
    worst = 0.0
    for value, case, expected in zip(found_values, cases, expected_values):
        found = _as_real(value, target, expected)
        if agrees(found, expected):
            worst = max(worst, relative_error(found, expected))
            continue
        expected_text = f"shape {expected.shape} ({target.shape_words}), equal to {target.reference}"
        for slip in target.slips:
            if agrees(found, np.asarray(slip.gives(case, expected), dtype=np.float64)):
                fail(f"{target.subject} is {slip.what}.", expected=expected_text,
                     found=describe_array(value), hint=slip.hint, details=target.example())
        if found.shape != expected.shape:
            fail(f"{target.subject} has the wrong shape.", expected=expected_text,
                 found=describe_array(value), hint=target.formula_hint, details=target.example())
        flat_expected, flat_found = expected.ravel(), found.ravel()
        factor = float(flat_found @ flat_expected / (flat_expected @ flat_expected))
        if factor != 0 and agrees(found, factor * expected):  # an array of zeros is no scaled gradient
            fail(f"{target.subject} is off by a constant factor.",
                 expected=expected_text, found=f"{describe_array(value)}: {factor:.3g} × {target.reference}",
                 hint="Look for a stray factor: an extra division or multiplication, or a scale that belongs to "
                      "the loss, not to the layer. " + target.formula_hint, details=target.example())
        fail(f"{target.subject} doesn't match {target.reference}.", expected=expected_text,
             found=f"{describe_array(value)}, relative error {relative_error(found, expected):.2g} "
                   f"(allowed: below {TOLERANCE:g})",
             hint=target.formula_hint, details=target.example())
    return worst


# -- worked examples on tiny inputs, never the graded ones ---------------------------------------------------

def _literal(array: np.ndarray) -> str:
    """A small integer array as the learner would type it: [[2], [-1]]."""
    return str(np.asarray(array).astype(int).tolist())


EXAMPLE_X = np.array([[2], [-1]])  # N = 2 examples, in = 1
EXAMPLE_W = np.array([[1, 0, 2]])  # in = 1, out = 3
EXAMPLE_GRAD_OUT = np.array([[1, 2, 3], [4, 5, 6]])  # (N, out) = (2, 3)


def _dense_example(line: str) -> Callable[[], str]:
    def example() -> str:
        x, W, grad_out = EXAMPLE_X, EXAMPLE_W, EXAMPLE_GRAD_OUT
        results = {
            "grad_x": f"grad_x = grad_out @ W.T = {_literal(grad_out @ W.T)}, shape (2, 1): the shape of x",
            "grad_W": f"grad_W = x.T @ grad_out = {_literal(x.T @ grad_out)}, shape (1, 3): the shape of W",
            "grad_b": f"grad_b = grad_out.sum(axis=0) = {_literal(grad_out.sum(axis=0))}, shape (3,): the shape of b",
        }
        return "\n".join([
            "A worked example on tiny inputs (N = 2 examples, in = 1, out = 3):",
            f"  x = {_literal(x)}  shape (2, 1);  W = {_literal(W)}  shape (1, 3)",
            f"  grad_out = {_literal(grad_out)}  shape (2, 3)",
            f"  {results[line]}",
        ])
    return example


EXAMPLE_RELU_X = np.array([[-1, 2, 3], [4, -5, -6]])
EXAMPLE_RELU_GRAD_OUT = np.array([[10, -20, 30], [-40, 50, 60]])


def _relu_example(line: str) -> Callable[[], str]:
    def example() -> str:
        x, grad_out = EXAMPLE_RELU_X, EXAMPLE_RELU_GRAD_OUT
        results = {
            "relu": f"relu(x) = np.maximum(x, 0) = {_literal(np.maximum(x, 0))}: negatives become 0, same shape",
            "relu_backward": f"relu_backward(x, grad_out) = grad_out * (x > 0) = {_literal(grad_out * (x > 0))}: "
                             "grad_out kept where x > 0 (even where grad_out is negative), 0 where x < 0",
        }
        return "\n".join([
            "A worked example on tiny inputs:",
            f"  x = {_literal(x)};  grad_out = {_literal(grad_out)}",
            f"  {results[line]}",
        ])
    return example


TARGETS = {
    "forward": Target(
        "The output of dense_forward()", "one row per example, one column per output unit", "the grader's x @ W + b",
        (
            Slip("x @ W without the bias", lambda case, expected: case.x @ case.W,
                 "Add the bias: `x @ W + b`. b has shape (out,), so NumPy adds it to every row of x @ W."),
            Slip("transposed: one row per output unit instead of one per example",
                 lambda case, expected: expected.T,
                 "Keep the batch first: `x @ W + b` is (N, in) @ (in, out) → (N, out)."),
        ),
        "y = x @ W + b: (N, in) @ (in, out) gives (N, out), and b of shape (out,) is added to every row.",
        lambda: f"A worked example on tiny inputs: x = {_literal(EXAMPLE_X)}, W = {_literal(EXAMPLE_W)}, "
                f"b = [1, 1, 1] give x @ W + b = {_literal(EXAMPLE_X @ EXAMPLE_W + 1)}, shape (2, 3).",
    ),
    "grad_x": Target(
        "grad_x from dense_backward()", "the shape of x", "the numerical gradient",
        (
            Slip("transposed: shape (in, N), as W @ grad_out.T gives", lambda case, expected: expected.T,
                 "grad_x must have the shape of x, one row per example: `grad_out @ W.T` is "
                 "(N, out) @ (out, in) → (N, in)."),
            Slip("divided by the batch size", lambda case, expected: expected / case.batch, BATCH_TWICE),
        ),
        "∂L/∂x[n, i] = Σ_j grad_out[n, j] · W[i, j], that is `grad_out @ W.T`: (N, out) @ (out, in) → (N, in). "
        "The layer before this one receives it as its grad_out.",
        _dense_example("grad_x"),
    ),
    "grad_W": Target(
        "grad_W from dense_backward()", "the shape of W", "the numerical gradient",
        (
            Slip("transposed: shape (out, in), as grad_out.T @ x gives", lambda case, expected: expected.T,
                 "grad_W must have the shape of W, so that `W -= learning_rate * grad_W` works: `x.T @ grad_out` "
                 "is (in, N) @ (N, out) → (in, out). Swap the two factors and transpose both."),
            Slip("divided by the batch size", lambda case, expected: expected / case.batch, BATCH_TWICE),
        ),
        "∂L/∂W[i, j] = Σ_n x[n, i] · grad_out[n, j], that is `x.T @ grad_out`: the product sums over the "
        "batch for you.",
        _dense_example("grad_W"),
    ),
    "grad_b": Target(
        "grad_b from dense_backward()", "the shape of b", "the numerical gradient",
        (
            Slip("not summed over the batch: it is grad_out itself, one row per example",
                 lambda case, expected: case.grad_out,
                 "The same bias is added to every example, so its gradient adds up every example's "
                 "contribution: `grad_out.sum(axis=0)`, shape (out,) like b."),
            Slip("averaged over the batch instead of summed", lambda case, expected: expected / case.batch,
                 "Use `grad_out.sum(axis=0)`, not `.mean(axis=0)`. " + BATCH_TWICE),
            Slip("summed over the outputs instead of over the batch", lambda case, expected: case.grad_out.sum(axis=1),
                 "Sum over the batch, axis 0: `grad_out.sum(axis=0)` leaves one number per output unit, like b."),
            Slip("summed over the batch but kept as a row of shape (1, out)",
                 lambda case, expected: expected[None, :],
                 "Give grad_b the shape of b, (out,): drop `keepdims=True`. A (1, out) gradient silently turns "
                 "b into a (1, out) array when you update it."),
        ),
        "∂L/∂b[j] = Σ_n grad_out[n, j], that is `grad_out.sum(axis=0)`.",
        _dense_example("grad_b"),
    ),
    "relu": Target(
        "The output of relu()", "the shape of x", "the grader's max(0, x)",
        (
            Slip("the mask x > 0 (relu's slope), not relu's values", lambda case, expected: case.x > 0,
                 "relu keeps the positive values themselves: `np.maximum(x, 0)`. The mask `x > 0` is what "
                 "relu_backward needs."),
            Slip("x.max(axis=0): the largest value of each column", lambda case, expected: case.x.max(axis=0),
                 "`np.max(x, 0)` reduces along axis 0; `np.maximum(x, 0)` compares every element with 0."),
            Slip("min(x, 0): it keeps the negative values", lambda case, expected: np.minimum(case.x, 0),
                 "relu keeps the positive values and replaces the negative ones by 0: `np.maximum(x, 0)`."),
            Slip("x unchanged", lambda case, expected: case.x,
                 "Replace the negative values by 0: `np.maximum(x, 0)`."),
        ),
        "relu(x) = max(0, x) element by element: `np.maximum(x, 0)`.",
        _relu_example("relu"),
    ),
    "relu_backward": Target(
        "The gradient from relu_backward()", "the shape of x", "the numerical gradient",
        (
            Slip("masked by grad_out > 0 instead of x > 0", lambda case, expected: case.grad_out * (case.grad_out > 0),
                 "The mask comes from relu's input x, not from the gradient: relu's slope is 1 where x > 0. A "
                 "negative grad_out must pass through where x is positive. Use `grad_out * (x > 0)`."),
            Slip("the mask itself (relu's slope), not multiplied by grad_out",
                 lambda case, expected: case.x > 0,
                 "The chain rule multiplies relu's slope by the gradient arriving from above: "
                 "`grad_out * (x > 0)`."),
            Slip("grad_out multiplied by relu(x) instead of by the mask",
                 lambda case, expected: case.grad_out * np.maximum(case.x, 0),
                 "Multiply by relu's slope, 1 where x > 0 and 0 elsewhere: `grad_out * (x > 0)`, not by relu's "
                 "value."),
            Slip("masked where x < 0 instead of where x > 0", lambda case, expected: case.grad_out * (case.x < 0),
                 "Keep grad_out where x > 0 (where relu passes x on) and set it to 0 where x < 0."),
            Slip("grad_out unchanged, without relu's mask", lambda case, expected: case.grad_out,
                 "Block the gradient where relu blocked its input: `grad_out * (x > 0)`."),
        ),
        "relu's slope is 1 where x > 0 and 0 where x < 0, so `grad_out * (x > 0)`.",
        _relu_example("relu_backward"),
    ),
}
GRADIENT_NAMES = ("grad_x", "grad_W", "grad_b")


# -- what the grader calls ---------------------------------------------------------------------------------

@learner_calls(points={FORWARD: 1, BACKWARD: 2, RELU: 1, RELU_BACKWARD: 1})
def calls():
    return [*(Call(FORWARD, (case.x, case.W, case.b)) for case in DENSE_CASES),
            *(Call(BACKWARD, (case.x, case.W, case.grad_out)) for case in DENSE_CASES),
            *(Call(RELU, (case.x,)) for case in RELU_CASES),
            *(Call(RELU_BACKWARD, (case.x, case.grad_out)) for case in RELU_CASES)]


@pytest.fixture(scope="module")
def answers(run, filename, exercise) -> Callable[[str], list]:
    """``answers(function)``: what the learner's function returned on each of the grader's cases, in order."""
    def of(function: str) -> list:
        return [expect_ran(run, function, filename, exercise.id, occurrence=i) for i in range(CASES)]
    return of


@pytest.fixture(scope="module")
def dense_gradients() -> list[dict[str, np.ndarray]]:
    return [case.numerical_gradients() for case in DENSE_CASES]


@pytest.fixture(scope="module")
def largest_error(artifacts):
    """Collects each gradient check's largest relative error; once all four gradients passed, notes how close
    they came to the grader's numerical ones (the gradient check the learner just met, as a number)."""
    errors: list[float] = []
    yield errors
    if len(errors) == len(GRADIENT_NAMES) + 1:  # relu_backward's too
        artifacts.note(f"Your gradients agree with the grader's numerical gradients to a relative error of "
                       f"{max(errors):.1e} (allowed: {TOLERANCE:g}).")


# -- dense_forward -------------------------------------------------------------------------------------------

@check(points=3, after=runs(FORWARD))
def test_dense_forward(answers):
    """dense_forward computes x @ W + b, one row per example"""
    judge(TARGETS["forward"], answers(FORWARD), DENSE_CASES,
          [case.x @ case.W + case.b for case in DENSE_CASES])


# -- dense_backward ------------------------------------------------------------------------------------------

def _gradients_of(value, case: DenseCase) -> None:
    """Fail unless ``value`` is three gradients in the order (grad_x, grad_W, grad_b)."""
    shapes = {"grad_x": case.x.shape, "grad_W": case.W.shape, "grad_b": case.b.shape}
    expected = (f"a tuple (grad_x, grad_W, grad_b) of shapes {shapes['grad_x']}, {shapes['grad_W']}, "
                f"{shapes['grad_b']}: the shapes of x, W and b")
    if not isinstance(value, (tuple, list)) or len(value) != 3:
        items = value if isinstance(value, (tuple, list)) else ()
        present = {item.shape for item in items if isinstance(item, np.ndarray)}
        missing = [name for name in GRADIENT_NAMES if shapes[name] not in present]
        hint = "Return the three gradients together: `return grad_x, grad_W, grad_b`."
        if present and missing == ["grad_x"]:
            hint = ("grad_x is missing. The layer before this one needs it: it is that layer's grad_out, the "
                    "gradient that backpropagation passes on. `grad_x = grad_out @ W.T`; then "
                    "`return grad_x, grad_W, grad_b`.")
        elif present and len(missing) == 1:
            hint = f"{missing[0]} is missing. " + hint
        fail("dense_backward() should return three gradients.", expected=expected, found=describe(value), hint=hint)
    found_shapes = [item.shape if isinstance(item, np.ndarray) else None for item in value]
    in_order = [shapes[name] for name in GRADIENT_NAMES]
    if found_shapes != in_order and sorted(map(str, found_shapes)) == sorted(map(str, in_order)):
        order = ", ".join(next(name for name in GRADIENT_NAMES if shapes[name] == shape) for shape in found_shapes)
        fail("dense_backward() returns its gradients in another order.", expected=expected,
             found=f"the gradients in the order ({order})",
             hint="Return them as `(grad_x, grad_W, grad_b)`: whoever calls the layer unpacks them in that order.")


@check(points=2, after=runs(BACKWARD))
def test_dense_backward_returns_three_gradients(answers):
    """dense_backward returns (grad_x, grad_W, grad_b)"""
    for value, case in zip(answers(BACKWARD), DENSE_CASES):
        _gradients_of(value, case)


def _judge_gradient(name: str, answers, dense_gradients, largest_error) -> None:
    position = GRADIENT_NAMES.index(name)
    found = [value[position] for value in answers(BACKWARD)]
    largest_error.append(judge(TARGETS[name], found, DENSE_CASES,
                               [gradients[name] for gradients in dense_gradients]))


@check(points=4, after=test_dense_backward_returns_three_gradients)
def test_grad_x(answers, dense_gradients, largest_error):
    """grad_x matches the numerical gradient with respect to x"""
    _judge_gradient("grad_x", answers, dense_gradients, largest_error)


@check(points=5, after=test_dense_backward_returns_three_gradients)
def test_grad_W(answers, dense_gradients, largest_error):
    """grad_W matches the numerical gradient with respect to W"""
    _judge_gradient("grad_W", answers, dense_gradients, largest_error)


@check(points=4, after=test_dense_backward_returns_three_gradients)
def test_grad_b(answers, dense_gradients, largest_error):
    """grad_b matches the numerical gradient with respect to b"""
    _judge_gradient("grad_b", answers, dense_gradients, largest_error)


# -- relu and relu_backward ------------------------------------------------------------------------------------

@check(points=3, after=runs(RELU))
def test_relu(answers):
    """relu computes max(0, x) element by element"""
    judge(TARGETS["relu"], answers(RELU), RELU_CASES, [np.maximum(case.x, 0.0) for case in RELU_CASES])


@check(points=4, after=runs(RELU_BACKWARD))
def test_relu_backward(answers, largest_error):
    """relu_backward matches the numerical gradient with respect to relu's input"""
    largest_error.append(judge(TARGETS["relu_backward"], answers(RELU_BACKWARD), RELU_CASES,
                               [case.numerical_gradient() for case in RELU_CASES]))
