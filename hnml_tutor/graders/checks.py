"""How a grader declares its checks: what each is worth and what must pass first, next to the check itself.

A grader module says once which of the learner's functions it calls and with what (:func:`learner_calls`);
the engine runs them in the sandbox, adds one "runs without error" check per function, and hands every
other check the returned values. Each check carries its points and its dependencies in its decorator
(:func:`check`), as check50's ``@check(dependency)`` does: a check whose dependency did not pass is
skipped with the reason, never failed a second time for the same mistake. Nothing else lists the
checks, so there is nothing to keep in sync.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import Callable, Iterable, Sequence

CHECK_ATTRIBUTE = "__hnml_check__"


@dataclass(frozen=True)
class CheckSpec:
    """What a check is worth and the names of the checks that must pass before it runs.

    ``after`` None means "after every run check of its module": the usual case, a check that reads what
    the learner's functions returned.
    """

    points: float
    after: tuple[str, ...] | None = None


def _check_name(entry) -> str:
    if isinstance(entry, str):
        return entry
    name = getattr(entry, "__name__", None)
    if name is None:
        raise TypeError(f"after= takes check functions or check names, not {entry!r}")
    return name


def check(points: float, *, after: Callable | str | Iterable[Callable | str] | None = None):
    """Declare a test function as a graded check worth ``points``, run only once ``after`` has passed.

    ``after`` names the checks this one needs (functions of the same module, or names such as
    :func:`runs` gives); by default a check needs the learner's functions to have run.
    """
    if points < 0:
        raise ValueError("a check cannot be worth negative points")
    if after is None:
        names = None
    elif isinstance(after, (str,)) or callable(after):
        names = (_check_name(after),)
    else:
        names = tuple(_check_name(entry) for entry in after)

    def declare(function: Callable) -> Callable:
        setattr(function, CHECK_ATTRIBUTE, CheckSpec(float(points), names))
        return function

    return declare


def check_spec(function) -> CheckSpec | None:
    """The declaration :func:`check` attached to ``function``, if any."""
    return getattr(function, CHECK_ATTRIBUTE, None)


def runs(function_name: str, *, only: bool = False) -> str:
    """Name of the generated check "``function_name`` runs without error".

    A grader that calls one function gets ``test_runs``; one that calls several gets one check per
    function (``test_predict_runs``) so a check can depend on exactly the function it reads.
    """
    return "test_runs" if only else f"test_{function_name}_runs"


@dataclass(frozen=True)
class LearnerCalls:
    """A grader's declaration of the learner's functions it calls (see :func:`learner_calls`)."""

    build: Callable
    points: float | dict[str, float]
    loads_models: bool

    @property
    def parameters(self) -> tuple[str, ...]:
        """Fixture names the builder takes (pytest resolves them)."""
        return tuple(inspect.signature(self.build).parameters)

    def run_checks(self, functions: Sequence[str]) -> list[tuple[str, str, float]]:
        """``(check name, function, points)`` of the generated "runs" checks, for the manifest's functions.

        The manifest names the functions the learner completes; a dict of points orders them and must
        name exactly those.
        """
        if isinstance(self.points, dict):
            if set(self.points) != set(functions):
                raise ValueError(f"learner_calls(points=...) names {sorted(self.points)}, "
                                 f"but the manifest's functions are {sorted(functions)}")
            ordered = [(name, float(value)) for name, value in self.points.items()]
        else:
            ordered = [(name, float(self.points)) for name in functions]
        only = len(ordered) == 1
        return [(runs(name, only=only), name, value) for name, value in ordered]


def learner_calls(*, points: float | dict[str, float], loads_models: bool = False):
    """Declare what the grader calls in the learner's file: decorate a builder that returns the calls.

    The builder's parameters are fixtures (``reference_inputs``, or the grader's own); it returns a list
    of :class:`hnml_tutor.sandbox.Call`. ``points`` is what each generated "runs" check is worth: one
    number for every function the manifest lists, or a dict ``{function: points}`` (also the order of
    the checks). ``loads_models`` starts importing Keras in the grader while the learner's code runs,
    for graders that inspect a returned model.
    """

    def declare(build: Callable) -> LearnerCalls:
        return LearnerCalls(build, points, loads_models)

    return declare
