"""The friendly assertions graders speak in, after check50's ``Mismatch(expected, actual, help)``.

A failed check raises :class:`CheckFailed` carrying a rationale, what was expected, what was found and a
hint naming the likely mistake. Values are described (shape, dtype, range), never dumped.
"""

from __future__ import annotations

from typing import Any, NoReturn

import numpy as np

from hnml_tutor.transport import HistoryRecord, ModelFile, ModelSaveError, Opaque


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


def describe(value: Any) -> str:
    """Describe any value that came back from the learner's code."""
    if value is None:
        return "None (did you forget `return`?)"
    if isinstance(value, np.ndarray):
        return describe_array(value)
    if isinstance(value, ModelFile):
        return "a Keras model"
    if isinstance(value, ModelSaveError):
        return f"a {value.type_name} that could not be saved ({value.message})"
    if isinstance(value, HistoryRecord):
        return f"a History of {len(value.epoch)} epoch(s) with {', '.join(value.history) or 'no metrics'}"
    if isinstance(value, Opaque):
        return f"a {value.type_name}: {value.text}"
    if isinstance(value, (list, tuple)):
        kind = "tuple" if isinstance(value, tuple) else "list"
        inner = ", ".join(describe(item) for item in value[:4])
        more = ", …" if len(value) > 4 else ""
        return f"a {kind} of {len(value)}: [{inner}{more}]"
    if isinstance(value, bool):
        return f"the boolean {value}"
    if isinstance(value, (int, float)):
        return f"the number {_number(value)}"
    return f"a {type(value).__name__}: {str(value)[:200]}"


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
