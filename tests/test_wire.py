"""The wire format between grader and child: every kind of value survives encode → JSON → decode, and
nothing a learner leaves in the job folder (links, pipes, folders, forged descriptions) is read or waited on.

Pure: no child process. Encoding runs here as the child would run it, into a tmp folder.
"""

from __future__ import annotations

import collections
import copy
import json
import math
import os
import threading
from pathlib import Path

import numpy as np
import pytest

from hnml_tutor.graders.vocabulary import describe
from hnml_tutor.transport import (
    MAX_ITEMS,
    MAX_KEYS,
    MAX_TEXT,
    MAX_VALUES,
    HistoryRecord,
    InputFile,
    ModelFile,
    ModelSaveError,
    NotAFile,
    Opaque,
    OutputPath,
    TruncatedSequence,
    WrittenFile,
    decode_argument,
    decode_value,
    encode_argument,
    encode_value,
    written_file,
)


def roundtrip(value, folder: Path):
    """What the grader gets when the child returns ``value`` (through JSON text, as in a real run)."""
    return decode_value(json.loads(json.dumps(encode_value(value, folder))), folder)


def finishes(function, *args, seconds: float = 10.0):
    """Run ``function(*args)`` and return its result, failing (not hanging) if it blocks."""
    outcome = {}
    thread = threading.Thread(target=lambda: outcome.setdefault("value", function(*args)), daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), f"{function.__name__} blocked for {seconds} s"
    return outcome["value"]


# --- plain values --------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", [None, True, False, 0, -7, 2**40, "", "hello", 1.5, -0.0, 1e-300])
def test_plain_values_come_back_equal_and_of_the_same_type(value, tmp_path):
    back = roundtrip(value, tmp_path)
    assert back == value and type(back) is type(value)


def test_numpy_scalars_become_python_numbers(tmp_path):
    assert roundtrip(np.bool_(True), tmp_path) is True
    assert roundtrip(np.int64(60000), tmp_path) == 60000 and isinstance(roundtrip(np.int64(3), tmp_path), int)
    assert roundtrip(np.uint8(255), tmp_path) == 255
    back = roundtrip(np.float32(0.25), tmp_path)
    assert back == 0.25 and isinstance(back, float)


def test_nan_and_infinities_survive(tmp_path):
    assert math.isnan(roundtrip(float("nan"), tmp_path))
    assert math.isnan(roundtrip(np.float32("nan"), tmp_path))
    assert roundtrip(float("inf"), tmp_path) == math.inf
    assert roundtrip(np.float64("-inf"), tmp_path) == -math.inf


def test_huge_integers_become_floats_or_infinity(tmp_path):
    assert roundtrip(2**70, tmp_path) == float(2**70)
    assert roundtrip(10**400, tmp_path) == math.inf
    assert roundtrip(-(10**400), tmp_path) == -math.inf


def test_long_strings_are_capped(tmp_path):
    assert roundtrip("x" * (MAX_TEXT + 50), tmp_path) == "x" * MAX_TEXT


# --- arrays --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", ["uint8", "int32", "int64", "float16", "float32", "float64", "bool", "complex64"])
def test_arrays_keep_dtype_shape_and_values(dtype, tmp_path):
    array = (np.arange(24).reshape(2, 3, 4) % 3).astype(dtype)
    back = roundtrip(array, tmp_path)
    assert isinstance(back, np.ndarray) and back.dtype == array.dtype and back.shape == array.shape
    np.testing.assert_array_equal(back, array)


def test_odd_shaped_arrays_and_nan_inside(tmp_path):
    for array in (np.array(3.5), np.zeros((0, 10), "float32"), np.array([1.0, np.nan, np.inf], "float32")):
        np.testing.assert_array_equal(roundtrip(array, tmp_path), array)


def test_array_likes_become_arrays(tmp_path):
    class Tensorish:
        def __array__(self, dtype=None, copy=None):
            return np.ones((2, 2), "float32")

    np.testing.assert_array_equal(roundtrip(Tensorish(), tmp_path), np.ones((2, 2), "float32"))


def test_object_arrays_stay_opaque(tmp_path):
    back = roundtrip(np.array([[1, 2], None], dtype=object), tmp_path)
    assert isinstance(back, Opaque) and back.type_name == "numpy.ndarray"
    assert not list(tmp_path.glob("*.npy"))


# --- lists, tuples, dicts ------------------------------------------------------------------------------


def test_nested_lists_and_tuples(tmp_path):
    value = [1, (2.5, [None, "a"]), [], (np.arange(3),)]
    back = roundtrip(value, tmp_path)
    assert isinstance(back, list) and isinstance(back[1], tuple) and isinstance(back[3], tuple)
    assert back[:3] == [1, (2.5, [None, "a"]), []]
    np.testing.assert_array_equal(back[3][0], np.arange(3))


def test_named_tuples_come_back_as_tuples(tmp_path):
    Pair = collections.namedtuple("Pair", "images labels")
    assert roundtrip(Pair(1, 2), tmp_path) == (1, 2)


def test_long_lists_say_they_were_truncated(tmp_path):
    back = roundtrip(list(range(1000)), tmp_path)
    assert isinstance(back, TruncatedSequence)
    assert back.type_name == "list" and back.length == 1000 and back.items == tuple(range(MAX_ITEMS))
    exact = roundtrip(list(range(MAX_ITEMS)), tmp_path)
    assert exact == list(range(MAX_ITEMS))


def test_a_list_that_contains_itself_ends(tmp_path):
    loop = []
    loop.append(loop)
    back = roundtrip(loop, tmp_path)
    while isinstance(back, list):
        back = back[0]
    assert isinstance(back, TruncatedSequence) and back.length == 1


def test_wide_nesting_writes_a_bounded_number_of_files(tmp_path):
    value = [[np.zeros(1) for _ in range(MAX_ITEMS)] for _ in range(MAX_ITEMS)]
    back = roundtrip(value, tmp_path)
    assert len(list(tmp_path.glob("*.npy"))) <= MAX_VALUES
    assert isinstance(back, TruncatedSequence) or any(isinstance(row, TruncatedSequence) for row in back)


def test_dict_of_arrays_comes_back_as_a_dict(tmp_path):
    rng = np.random.default_rng(0)
    params = {"W1": rng.normal(size=(784, 16)).astype("float32"), "b1": np.zeros(16, "float32"),
              "W2": rng.normal(size=(16, 10)).astype("float32"), "b2": np.zeros(10, "float32"),
              "loss": [2.3, 1.1, float("nan")], "config": {"hidden": 16, "lr": 0.1, "note": None}}
    back = roundtrip(params, tmp_path)
    assert type(back) is dict and list(back) == list(params)
    for key in ("W1", "b1", "W2", "b2"):
        assert back[key].dtype == np.float32
        np.testing.assert_array_equal(back[key], params[key])
    assert back["loss"][:2] == [2.3, 1.1] and math.isnan(back["loss"][2])
    assert back["config"] == {"hidden": 16, "lr": 0.1, "note": None}


def test_a_long_history_beside_the_weights_costs_only_itself(tmp_path):
    """Exercise 16's learner may keep every batch's loss: the weights still arrive, in the dict's order,
    and only the entry that holds too many values is marked as left out."""
    params = {"batch_losses": [[2.3] * 469 for _ in range(20)], "W1": np.ones((4, 3)), "b1": np.zeros(3),
              "notes": [[1.0] * 40 for _ in range(20)]}
    back = roundtrip(params, tmp_path)
    assert type(back) is dict and list(back) == list(params)
    np.testing.assert_array_equal(back["W1"], params["W1"])
    np.testing.assert_array_equal(back["b1"], params["b1"])
    assert isinstance(back["notes"], Opaque) and "not passed on" in back["notes"].text
    assert len(list(tmp_path.glob("*.npy"))) <= MAX_VALUES


def test_dict_subclasses_come_back_as_plain_dicts(tmp_path):
    assert roundtrip(collections.OrderedDict(b=1, a=2), tmp_path) == {"b": 1, "a": 2}
    counts = collections.defaultdict(int, {"x": 3})
    assert type(roundtrip(counts, tmp_path)) is dict
    assert roundtrip({}, tmp_path) == {}


def test_dicts_with_other_keys_are_described_not_passed(tmp_path):
    back = roundtrip({0: np.zeros(3), 1: "a"}, tmp_path)
    assert isinstance(back, Opaque) and back.type_name == "dict"
    assert "not all of them strings" in back.text and "0, 1" in back.text
    assert not list(tmp_path.glob("*.npy"))


def test_dicts_with_too_many_keys_are_described(tmp_path):
    back = roundtrip({f"k{i}": i for i in range(MAX_KEYS + 1)}, tmp_path)
    assert isinstance(back, Opaque) and f"{MAX_KEYS + 1} keys" in back.text and "'k0'" in back.text


def test_other_objects_are_opaque_and_never_unpickled(tmp_path):
    class Weird:
        def __repr__(self):
            raise RuntimeError("no")

    assert roundtrip({1, 2}, tmp_path) == Opaque("set", "{1, 2}")
    assert roundtrip(b"raw", tmp_path) == Opaque("bytes", "b'raw'")
    back = roundtrip(Weird(), tmp_path)
    assert isinstance(back, Opaque) and back.text.startswith("<Weird instance")


def test_a_value_that_breaks_while_encoded_does_not_break_the_child(tmp_path):
    class Liar(list):
        def __len__(self):
            raise RuntimeError("gotcha")

    spec = encode_value(Liar([1, 2]), tmp_path)
    assert spec["kind"] == "opaque" and "RuntimeError" in spec["text"]


# --- forged descriptions: result.json is written by the learner's own process --------------------------


def test_forged_descriptions_become_opaque(tmp_path):
    for spec in ({"kind": "array"}, {"kind": "number", "value": "1e5"}, {"kind": "sequence", "items": 3},
                 {"kind": "dict", "entries": [1, 2]}, [], "none", {"kind": "history", "history": None}):
        assert isinstance(decode_value(spec, tmp_path), Opaque), spec
    assert decode_value({"kind": "something new", "type": "x", "text": "y"}, tmp_path) == Opaque("x", "y")


def test_array_paths_outside_the_folder_are_not_read(tmp_path):
    back = decode_value({"kind": "array", "path": "../../etc/passwd"}, tmp_path)
    assert isinstance(back, Opaque) and "outside the job folder" in back.text


def test_a_returned_array_swapped_for_a_link_or_pipe_is_not_read(tmp_path):
    spec = encode_value(np.arange(3), tmp_path)
    os.unlink(tmp_path / spec["path"])
    os.symlink("/etc/passwd", tmp_path / spec["path"])
    assert "symbolic link to /etc/passwd" in decode_value(spec, tmp_path).text
    os.unlink(tmp_path / spec["path"])
    os.mkfifo(tmp_path / spec["path"])
    assert "named pipe" in finishes(decode_value, spec, tmp_path).text


def test_a_corrupt_array_file_is_reported_not_raised(tmp_path):
    (tmp_path / "array_x.npy").write_bytes(b"not an array")
    back = decode_value({"kind": "array", "path": "array_x.npy"}, tmp_path)
    assert isinstance(back, Opaque) and "could not read" in back.text


def test_a_returned_model_swapped_for_a_pipe_is_not_read(tmp_path):
    os.mkfifo(tmp_path / "model_x.keras")
    back = finishes(decode_value, {"kind": "model", "path": "model_x.keras"}, tmp_path)
    assert isinstance(back, Opaque) and "named pipe" in back.text


# --- arguments and files -------------------------------------------------------------------------------


def test_array_and_json_arguments(tmp_path):
    images = np.arange(12, dtype="uint8").reshape(3, 4)
    history = {"loss": [1.0, 0.5], "val_loss": [1.2, 0.9]}
    specs = [encode_argument(arg, tmp_path, f"0_{i}") for i, arg in enumerate((images, history, 3))]
    args = [decode_argument(json.loads(json.dumps(spec)), tmp_path) for spec in specs]
    np.testing.assert_array_equal(args[0], images)
    assert args[1:] == [history, 3]


def test_output_path_gives_the_child_an_absolute_path_in_its_folder(tmp_path):
    spec = encode_argument(OutputPath("model.keras"), tmp_path, "0_1")
    path = decode_argument(json.loads(json.dumps(spec)), tmp_path)
    assert isinstance(path, str) and os.path.isabs(path)
    assert Path(path) == tmp_path / "model.keras" and not Path(path).exists()


def test_input_file_is_copied_and_its_path_given(tmp_path):
    source_dir, job = tmp_path / "cache", tmp_path / "job"
    source_dir.mkdir()
    job.mkdir()
    (source_dir / "reference.keras").write_bytes(b"zip bytes")
    for argument, name in ((InputFile(source_dir / "reference.keras"), "reference.keras"),
                           (InputFile(source_dir / "reference.keras", "model.keras"), "model.keras")):
        path = decode_argument(encode_argument(argument, job, "0_0"), job)
        assert Path(path) == job / name and Path(path).read_bytes() == b"zip bytes"


@pytest.mark.parametrize("name", ["", ".", "..", "../model.keras", "sub/model.keras", "job.json", "result.json"])
def test_file_arguments_need_a_plain_name_of_their_own(name):
    with pytest.raises(ValueError):
        OutputPath(name)
    with pytest.raises(ValueError):
        InputFile(Path("/somewhere/x"), name or ".")


def test_a_written_file_is_read_back_with_its_size(tmp_path):
    target = OutputPath("model.keras")
    Path(decode_argument(encode_argument(target, tmp_path, "0_1"), tmp_path)).write_bytes(b"PK" + bytes(12_298))
    found = written_file(tmp_path, target)
    assert isinstance(found, WrittenFile) and found.size == 12_300 and found.name == "model.keras"
    assert found.path.suffix == ".keras" and found.path != tmp_path / "model.keras"
    assert found.path.read_bytes() == (tmp_path / "model.keras").read_bytes()
    assert describe(found) == "a file of 12.3 kB"


def test_an_empty_written_file_is_still_a_file(tmp_path):
    (tmp_path / "model.keras").touch()
    found = written_file(tmp_path, OutputPath("model.keras"))
    assert isinstance(found, WrittenFile) and found.size == 0 and describe(found) == "an empty file (0 bytes)"


def _symlink(path: Path) -> None:
    os.symlink("/etc/passwd", path)


def _hard_link(path: Path) -> None:
    (path.parent / "elsewhere").write_text("someone else's file")
    os.link(path.parent / "elsewhere", path)


@pytest.mark.parametrize("make, found", [
    (_symlink, "a symbolic link to /etc/passwd, not a file"),
    (os.mkfifo, "a named pipe (FIFO), not a file"),
    (os.mkdir, "a folder, not a file"),
    (lambda path: None, "nothing: no file was written there"),
    (_hard_link, "a second name (hard link) for another file, not a file of its own"),
])
def test_anything_but_a_regular_file_is_refused_and_described(make, found, tmp_path):
    make(tmp_path / "model.keras")
    result = finishes(written_file, tmp_path, OutputPath("model.keras"))
    assert result == NotAFile("model.keras", found)
    assert describe(result) == found
    assert not list(tmp_path.glob("received-*"))


# --- Keras: models and histories -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def keras():
    import keras

    keras.utils.set_random_seed(0)
    return keras


def _layer_names(model) -> list[str]:
    return [type(layer).__name__ for layer in model.layers]


def test_a_cnn_with_every_common_layer_round_trips(keras, tmp_path):
    layers = keras.layers
    model = keras.Sequential([
        keras.Input((28, 28)), layers.Rescaling(1 / 255), layers.Reshape((28, 28, 1)),
        layers.Conv2D(2, 3, activation="relu"), layers.MaxPooling2D(), layers.BatchNormalization(),
        layers.AveragePooling2D(2), layers.Flatten(), layers.Dropout(0.5), layers.Dense(4, activation="relu"),
        layers.Dense(10), layers.Softmax(),
    ])
    back = roundtrip(model, tmp_path)
    assert isinstance(back, ModelFile) and describe(back) == "a Keras model"
    loaded = back.load()
    assert _layer_names(loaded) == _layer_names(model)
    images = np.random.default_rng(1).integers(0, 256, (3, 28, 28)).astype("float32")
    np.testing.assert_allclose(loaded.predict(images, verbose=0), model.predict(images, verbose=0), rtol=1e-6)


def test_a_functional_model_round_trips(keras, tmp_path):
    inputs = keras.Input((28, 28, 1))
    hidden = keras.layers.GlobalAveragePooling2D()(keras.layers.Conv2D(2, 3)(inputs))
    model = keras.Model(inputs, keras.layers.Dense(10, activation="softmax")(hidden))
    loaded = roundtrip(model, tmp_path).load()
    assert _layer_names(loaded) == ["InputLayer", "Conv2D", "GlobalAveragePooling2D", "Dense"]


def test_loading_is_lazy(tmp_path):
    spec = {"kind": "model", "path": "model_x.keras"}
    (tmp_path / "model_x.keras").write_bytes(b"not loaded until asked")
    assert isinstance(decode_value(spec, tmp_path), ModelFile)


def test_a_lambda_layer_is_the_learners_problem_not_the_graders(keras, tmp_path):
    from hnml_tutor.graders.common import load_returned_model
    from hnml_tutor.graders.vocabulary import CheckFailed

    model = keras.Sequential([keras.Input((4,)), keras.layers.Lambda(lambda x: x * 2), keras.layers.Dense(1)])
    back = roundtrip(model, tmp_path)
    assert isinstance(back, (ModelFile, ModelSaveError))
    with pytest.raises(CheckFailed) as failure:
        load_returned_model(back, "build_model()'s result")
    assert "Lambda" in (failure.value.hint or "")


def test_a_model_that_cannot_be_saved_is_described(keras, tmp_path, monkeypatch):
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])

    def refuse(*args, **kwargs):
        raise NotImplementedError("custom save")

    monkeypatch.setattr(model, "save", refuse)
    back = roundtrip(model, tmp_path)
    assert isinstance(back, ModelSaveError) and "custom save" in back.message and not back.subclassed
    assert "could not be saved" in describe(back)


def test_a_subclassed_model_is_named_not_saved(keras, tmp_path):
    class MyModel(keras.Model):
        def call(self, inputs):
            return inputs

    back = roundtrip(MyModel(), tmp_path)
    assert isinstance(back, ModelSaveError) and back.subclassed and back.class_name == "MyModel"
    assert not list(tmp_path.glob("*.keras")), "nothing is saved: only the learner's code could load it"


@pytest.fixture(scope="module")
def tiny_history(keras):
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    x = np.arange(8, dtype="float32").reshape(-1, 1)
    return model.fit(x, 2 * x + 1, epochs=1, validation_split=0.25, verbose=0)


def test_a_history_round_trips_with_its_model(tiny_history, tmp_path):
    back = roundtrip(tiny_history, tmp_path)
    assert isinstance(back, HistoryRecord)
    assert set(back.history) == {"loss", "val_loss"} and len(back.history["loss"]) == 1
    assert back.history["loss"][0] == pytest.approx(float(tiny_history.history["loss"][0]))
    assert back.epoch == [0] and back.params["epochs"] == 1
    assert isinstance(back.model, ModelFile)
    assert back.model.load().get_compile_config()["loss"] == "mse"
    assert describe(back) == "a History of 1 epoch(s) with loss, val_loss"


def test_a_diverged_early_stopped_history_keeps_its_nans(tiny_history, tmp_path):
    diverged = copy.copy(tiny_history)
    # A per-class metric is not a curve: it is left out, and the rest still comes through.
    diverged.history = {"loss": [float("nan")], "per_class": [np.zeros(3)]}
    diverged.params = {**tiny_history.params, "epochs": 50}
    back = roundtrip(diverged, tmp_path)
    assert math.isnan(back.history["loss"][0]) and "per_class" not in back.history
    assert "stopped after 1 of 50 epochs" in describe(back)


# --- describing what came back -------------------------------------------------------------------------


def test_describe_a_dict_of_parameters():
    params = {"W1": np.zeros((784, 128), "float32"), "b1": np.zeros(128, "float32"),
              "W2": np.zeros((128, 10), "float32"), "b2": np.zeros(10, "float32"), "losses": [1.0]}
    text = describe(params)
    assert text.startswith("a dict with keys W1 (float32 array of shape (784, 128), values 0 to 0), "
                           "b1 (float32 array of shape (128,)")
    assert text.endswith("and 1 more: losses")
    assert describe({}) == "an empty dict"
    many = describe({f"key{i}": i for i in range(40)})
    assert "and 36 more: key4, key5" in many and many.endswith("…")


def test_describe_sequences_numbers_and_text():
    assert describe(TruncatedSequence("list", 60000, (1, 2))) == (
        "a list of 60000 (the grader received only the first 2): [the number 1, the number 2, …]")
    assert describe((None, float("nan"), -math.inf)) == "a tuple of 3: [None, NaN (not a number), minus infinity]"
    assert describe(None) == "None (did you forget `return`?)"
    assert describe(0.97731) == "the number 0.9773"
    assert describe(True) == "the boolean True"
    assert describe("abc") == "the string 'abc'"
    assert describe(Opaque("set", "{1, 2}")) == "a set: {1, 2}"


def test_descriptions_stay_one_readable_line():
    nested = {f"layer{i}": {"W": np.zeros((3, 3)), "b": np.zeros(3), "extra": list(range(50))} for i in range(10)}
    assert len(describe(nested)) <= 600 and "\n" not in describe(nested)
