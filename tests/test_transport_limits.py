"""What a hostile learner's return values and exceptions cannot do to the child or to the tutor (issue 11).

Mostly pure: the child's describing and encoding run here as the child would run them. One cold child
(no Keras) proves an exception that breaks while being described loses no other call's result.
"""

from __future__ import annotations

import textwrap
import types

import pytest

from hnml_tutor.graders.vocabulary import describe
from hnml_tutor.sandbox import Call, Limits, cleanup, run
from hnml_tutor.sandbox.child import _describe_exception
from hnml_tutor.transport import Opaque, encode_value, safe_str


class BrokenStr(Exception):
    def __str__(self):
        raise RuntimeError("nope")


class ExitingStr(Exception):
    def __str__(self):
        raise SystemExit("bye")


class BrokenRepr:
    def __repr__(self):
        raise RuntimeError("nope")


class InterruptingRepr:
    def __repr__(self):
        raise KeyboardInterrupt


class BrokenSyntax(SyntaxError):
    @property
    def msg(self):
        raise RuntimeError("no message")


def _raised(error: BaseException) -> BaseException:
    try:
        raise error
    except BaseException as caught:
        return caught


# --- an exception that breaks while being described ------------------------------------------------------


@pytest.mark.parametrize("error, message", [
    (BrokenStr(), "<str() of BrokenStr raised RuntimeError>"),
    (ExitingStr(), "<str() of ExitingStr raised SystemExit>"),
    (SystemExit(BrokenRepr()), "exit code <BrokenRepr instance at 0x"),
], ids=["str raises", "str exits", "exit code whose repr raises"])
def test_an_exception_whose_str_raises_is_still_described(error, message):
    description = _describe_exception(_raised(error), "/nowhere/learner.py")
    assert description["type"] == type(error).__name__
    assert description["message"].startswith(message)


def test_a_syntax_error_whose_attributes_raise_is_still_described():
    description = _describe_exception(_raised(BrokenSyntax("x")), "/nowhere/learner.py")
    assert description["type"] == "BrokenSyntax" and "RuntimeError" in description["message"]


def test_safe_str_gives_a_plain_string_of_at_most_limit_characters():
    class Shouting(str):
        def __getitem__(self, index):
            raise RuntimeError("not sliced")

    class Loud:
        def __str__(self):
            return Shouting("A" * 50)

    text = safe_str(Loud(), 10)
    assert text == "A" * 10 and type(text) is str


def test_a_value_whose_repr_raises_anything_comes_back_described(tmp_path):
    spec = encode_value(InterruptingRepr(), tmp_path)
    assert spec["kind"] == "opaque" and "KeyboardInterrupt" in spec["text"]


LEARNER_RAISING = """
class EvilExc(Exception):
    def __str__(self):
        raise RuntimeError("nope")

class EvilCode:
    def __repr__(self):
        raise RuntimeError("nope")

def first():
    return 1.5

def second():
    raise EvilExc()

def third():
    raise SystemExit(EvilCode())

def fourth():
    return 4
"""


def test_a_broken_exception_loses_no_other_calls_result(tmp_path):
    learner = tmp_path / "learner.py"
    learner.write_text(textwrap.dedent(LEARNER_RAISING))
    calls = tuple(Call(name) for name in ("first", "second", "third", "fourth"))
    outcome = run(learner, calls, Limits(time_limit=60))
    try:
        assert outcome.ok, (outcome.status, outcome.reason, outcome.output)
        assert outcome.call("first").value == 1.5 and outcome.call("fourth").value == 4
        assert outcome.call("second").error["message"] == "<str() of EvilExc raised RuntimeError>"
        assert outcome.call("third").error["message"].startswith("exit code <EvilCode instance at 0x")
    finally:
        cleanup(outcome)
