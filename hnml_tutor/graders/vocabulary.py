"""The friendly assertions graders speak in, after check50's ``Mismatch(expected, actual, help)``.

A failed check raises :class:`CheckFailed` carrying a rationale, what was expected, what was found and a
hint naming the likely mistake. Values are described (shape, dtype, range), never dumped.
"""

from __future__ import annotations

from typing import Any, NoReturn

import numpy as np

from hnml_tutor.job_files import human_size
from hnml_tutor.transport import (
    HistoryRecord,
    ModelFile,
    ModelSaveError,
    NotAFile,
    Opaque,
    TruncatedSequence,
    WrittenFile,
)

MAX_DESCRIBED = 4  # items of a list or entries of a dict described one by one
MAX_NAMED = 8  # further dict keys named without their values
MAX_DESCRIPTION = 600  # characters of one description, however deep the value


class CheckFailed(AssertionError):
    """A check that did not pass, with everything the learner needs to fix it."""

    def __init__(
        self,
        rationale: str,
        *,
        expected: str | None = None,
        found: str | None = None,
        hint: str | None = None,
        details: str | None = None,
    ) -> None:
        super().__init__(rationale)
        self.rationale = rationale
        self.expected = expected
        self.found = found
        self.hint = hint
        self.details = details


def fail(rationale: str, *, expected=None, found=None, hint=None, details=None) -> NoReturn:
    """Fail the current check with a message that teaches."""
    raise CheckFailed(rationale, expected=expected, found=found, hint=hint, details=details)


def _number(value: float) -> str:
    return f"{value:.4g}"


def describe_array(array: np.ndarray) -> str:
    """``float32 array of shape (60000, 28, 28), values 0 to 1``: enough to spot a mistake."""
    text = f"{array.dtype} array of shape {tuple(array.shape)}"
    if array.size and np.issubdtype(array.dtype, np.number):
        finite = array[np.isfinite(array)] if np.issubdtype(array.dtype, np.floating) else array
        if finite.size:
            text += f", values {_number(finite.min())} to {_number(finite.max())}"
        if finite.size != array.size:
            text += f", {array.size - finite.size} not finite"
    return text


def _describe_number(value: float) -> str:
    if isinstance(value, (int, np.integer)):
        return f"the number {value}"
    if np.isnan(value):
        return "NaN (not a number)"
    if np.isinf(value):
        return f"{'minus ' if value < 0 else ''}infinity"
    return f"the number {_number(value)}"


def _describe_items(kind: str, length: int, items, *, received: int | None = None) -> str:
    inner = ", ".join(_describe(item) for item in items[:MAX_DESCRIBED])
    more = ", …" if length > MAX_DESCRIBED else ""
    note = f" (the grader received only the first {received})" if received is not None else ""
    return f"a {kind} of {length}{note}: [{inner}{more}]"


def _describe_dict(value: dict) -> str:
    if not value:
        return "an empty dict"
    keys = list(value)
    parts = [f"{key[:40]} ({_describe(value[key])})" for key in keys[:MAX_DESCRIBED]]
    rest = keys[MAX_DESCRIBED:]
    if rest:
        named = ", ".join(key[:40] for key in rest[:MAX_NAMED])
        parts.append(f"and {len(rest)} more: {named}{', …' if len(rest) > MAX_NAMED else ''}")
    return f"a dict with keys {', '.join(parts)}"


def _describe_history(value: HistoryRecord) -> str:
    text = f"a History of {len(value.epoch)} epoch(s) with {', '.join(value.history) or 'no metrics'}"
    planned = value.params.get("epochs")
    if isinstance(planned, int) and not isinstance(planned, bool) and len(value.epoch) < planned:
        text += f" (stopped after {len(value.epoch)} of {planned} epochs)"
    return text


def _describe(value: Any) -> str:
    """One value's description; inside a list or dict a None is just None."""
    if value is None:
        return "None"
    if isinstance(value, np.ndarray):
        return describe_array(value)
    if isinstance(value, ModelFile):
        return "a Keras model"
    if isinstance(value, ModelSaveError):
        return f"a {value.type_name} that could not be saved ({value.message})"
    if isinstance(value, HistoryRecord):
        return _describe_history(value)
    if isinstance(value, WrittenFile):
        return "an empty file (0 bytes)" if value.size == 0 else f"a file of {human_size(value.size)}"
    if isinstance(value, NotAFile):
        return value.found
    if isinstance(value, Opaque):
        return value.text if value.type_name == "?" else f"a {value.type_name}: {value.text}"
    if isinstance(value, TruncatedSequence):
        return _describe_items(value.type_name, value.length, value.items, received=len(value.items))
    if isinstance(value, (list, tuple)):
        return _describe_items("tuple" if isinstance(value, tuple) else "list", len(value), value)
    if isinstance(value, dict):
        return _describe_dict(value)
    if isinstance(value, (bool, np.bool_)):
        return f"the boolean {bool(value)}"
    if isinstance(value, (int, float, np.integer, np.floating)):
        return _describe_number(value)
    if isinstance(value, str):
        return f"the string {value[:80]!r}{'…' if len(value) > 80 else ''}"
    return f"a {type(value).__name__}: {str(value)[:200]}"


def describe(value: Any) -> str:
    """Describe any value that came back from the learner's code, in one line a learner understands."""
    if value is None:
        return "None (did you forget `return`?)"
    text = _describe(value)
    return text if len(text) <= MAX_DESCRIPTION else text[:MAX_DESCRIPTION - 1] + "…"


def is_real_array(value: Any) -> bool:
    """A NumPy array of real numbers (integers, floats or booleans): one the grader can compute with.

    Strings, complex numbers and the like arrive as arrays too; a check asks this before doing arithmetic.
    """
    return isinstance(value, np.ndarray) and (np.issubdtype(value.dtype, np.integer)
                                              or np.issubdtype(value.dtype, np.floating) or value.dtype == np.bool_)


def expect_array(value: Any, what: str) -> np.ndarray:
    """Fail unless ``value`` is a NumPy array; returns it."""
    if not isinstance(value, np.ndarray):
        fail(f"{what} should be a NumPy array.", expected="a NumPy array", found=describe(value))
    return value


def expect_close(found: float, expected: float, what: str, *, tolerance: float, hint: str | None = None) -> None:
    """Fail unless two numbers agree within ``tolerance``."""
    if not np.isfinite(found) or abs(found - expected) > tolerance:
        fail(
            f"{what} is off.",
            expected=f"{_number(expected)} (± {tolerance:g})",
            found=_number(found),
            hint=hint,
        )
