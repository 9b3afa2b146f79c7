"""What a hostile learner's return values and exceptions cannot do to the child or to the tutor (issue 11).

Mostly pure: the child's describing and encoding run here as the child would run them. One cold child
(no Keras) proves an exception that breaks while being described loses no other call's result.
"""

from __future__ import annotations

import json
import textwrap
import types
import warnings

import numpy as np
import pytest

from hnml_tutor.graders.vocabulary import describe
from hnml_tutor.sandbox import Call, Limits, cleanup, run
from hnml_tutor.sandbox.child import _describe_exception, _run_call
from hnml_tutor.transport import MB, Opaque, ReturnedBytes, decode_value, encode_value, safe_str


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


# --- the bytes a run may hand back -------------------------------------------------------------------------


def _megabytes(count: int, fill: int = 1) -> np.ndarray:
    return np.full(count * MB, fill, dtype=np.uint8)


def _roundtrip(value, folder, returned: ReturnedBytes):
    return decode_value(json.loads(json.dumps(encode_value(value, folder, returned))), folder)


def test_returned_values_share_one_budget_across_calls(tmp_path):
    returned = ReturnedBytes(limit=5 * MB)
    first = _roundtrip(_megabytes(3), tmp_path, returned)
    second = _roundtrip(_megabytes(3), tmp_path, returned)
    assert isinstance(first, np.ndarray) and first.nbytes == 3 * MB
    assert isinstance(second, Opaque)
    assert second.text == "too big to hand back: 6 MB returned in total, the limit is 5 MB"
    assert "too big to hand back" in describe(second)
    assert len(list(tmp_path.glob("*.npy"))) == 1, "what is left out is never written"
    assert isinstance(_roundtrip(_megabytes(1), tmp_path, returned), np.ndarray), "what still fits is passed on"


def test_the_same_array_returned_many_times_is_written_and_read_once(tmp_path):
    array = _megabytes(2)
    returned = ReturnedBytes(limit=5 * MB)
    back = _roundtrip((array,) * 8, tmp_path, returned)
    assert len(back) == 8 and all(item is back[0] for item in back)
    np.testing.assert_array_equal(back[0], array)
    assert returned.written == 2 * MB and len(list(tmp_path.glob("*.npy"))) == 1


def test_a_run_of_calls_each_returning_big_tuples_stops_at_the_budget(tmp_path):
    """The trial's a14_tuple.py, scaled down: three calls of (a,) * 8 with a fresh a each time."""
    module = types.SimpleNamespace(softmax=lambda logits: (_megabytes(2),) * 8)
    returned = ReturnedBytes(limit=5 * MB)
    outcomes = [_run_call(module, {"function": "softmax"}, [0], "/nowhere/learner.py", None, tmp_path, returned)
                for _ in range(3)]
    kinds = [{item["kind"] for item in outcome["value"]["items"]} for outcome in outcomes]
    assert kinds == [{"array"}, {"array"}, {"opaque"}]
    assert outcomes[2]["value"]["items"][0]["text"] == (
        "too big to hand back: 6 MB returned in total, the limit is 5 MB")


def test_the_grader_reads_no_more_than_the_budget_from_a_forged_description(tmp_path, monkeypatch):
    """Learner code runs in the child and could skip its count: the grader keeps its own."""
    import hnml_tutor.transport as transport

    monkeypatch.setattr(transport, "MAX_RETURNED_BYTES", 5 * MB)
    for name in ("a", "b", "c"):
        np.save(tmp_path / f"{name}.npy", _megabytes(2), allow_pickle=False)
    forged = {"kind": "sequence", "type": "tuple", "tuple": True, "length": 5, "truncated": False,
              "items": [{"kind": "array", "path": f"{name}.npy"} for name in ("a", "a", "b", "b", "c")]}
    back = decode_value(forged, tmp_path)
    assert back[0] is back[1] and back[2] is back[3], "a file named twice is read once"
    assert isinstance(back[2], np.ndarray) and isinstance(back[4], Opaque)
    assert "too big to hand back" in back[4].text


# --- the tutor's own save says nothing in the learner's output ---------------------------------------------


def test_saving_an_unbuilt_model_prints_no_warning_of_the_tutors(tmp_path):
    import keras

    model = keras.Sequential([keras.layers.Dense(1)])  # no Input: not built yet
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        spec = encode_value(model, tmp_path)
    assert spec["kind"] == "model"
    assert not [w for w in caught if "not yet been built" in str(w.message)]


def test_a_model_past_the_budget_is_left_out_and_its_file_removed(tmp_path):
    import keras

    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
    back = _roundtrip(model, tmp_path, ReturnedBytes(limit=1000))
    assert isinstance(back, Opaque) and back.text.startswith("too big to hand back")
    assert not list(tmp_path.glob("*.keras"))
