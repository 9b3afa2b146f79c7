"""A learner's saved model is sized before the grader builds it: crafted archives are refused, never built.

Every crafted ``.keras`` file here is written by hand (config.json, metadata.json and a small weights
file); none of the huge models it describes is ever built.
"""

from __future__ import annotations

import json
import textwrap
import zipfile
from pathlib import Path

import h5py
import numpy as np
import pytest

from conftest import failure_text
from hnml_tutor.graders import model_guard
from hnml_tutor.graders.model_guard import MAX_OPERATIONS, MAX_PARAMETERS, ModelRefused, check_model_file


def _layer(class_name: str, input_shape: list | None = None, **config) -> dict:
    entry = {"module": "keras.layers", "class_name": class_name,
             "config": {"name": config.pop("name", class_name.lower()), **config}, "registered_name": None}
    if input_shape is not None:
        entry["build_config"] = {"input_shape": input_shape}
    return entry


def _sequential(*layers: dict, input_shape: list | None = (None, 28, 28)) -> dict:
    first = [{"module": "keras.layers", "class_name": "InputLayer",
              "config": {"batch_shape": list(input_shape), "name": "input"}, "registered_name": None}
             ] if input_shape else []
    return {"module": "keras", "class_name": "Sequential", "registered_name": None,
            "config": {"name": "sequential", "layers": first + list(layers)}}


def _weights(path: Path, arrays: dict[str, np.ndarray] | None = None) -> None:
    with h5py.File(path, "w") as handle:
        for name, array in (arrays or {}).items():
            handle.create_dataset(name, data=array)


def craft(folder: Path, config: dict | str | bytes, *, weights: Path | None = None, extra: dict | None = None,
          compression: int = zipfile.ZIP_STORED) -> Path:
    """A .keras archive written by hand."""
    if weights is None:
        weights = folder / "small.weights.h5"
        _weights(weights, {"layers/dense/vars/0": np.zeros((4, 4), np.float32)})
    path = folder / "crafted.keras"
    text = config if isinstance(config, (str, bytes)) else json.dumps(config)
    with zipfile.ZipFile(path, "w", compression) as archive:
        archive.writestr("metadata.json", json.dumps({"keras_version": "3.15.1"}))
        archive.writestr("config.json", text)
        archive.write(weights, "model.weights.h5")
        for name, data in (extra or {}).items():
            archive.writestr(name, data)
    return path


def refusal(path: Path) -> ModelRefused:
    with pytest.raises(ModelRefused) as raised:
        check_model_file(path)
    return raised.value


# --- what the config describes ------------------------------------------------------------------------------

def test_a_billion_unit_dense_layer_is_refused_with_its_count_and_layer(tmp_path):
    refused = refusal(craft(tmp_path, _sequential(_layer("Flatten"), _layer("Dense", [None, 784], units=10**9,
                                                                            name="huge"))))
    assert "785,000,000,000" in refused.found and "'huge'" in refused.found and "Dense" in refused.found
    assert f"{MAX_PARAMETERS:,}" in refused.problem and "exercise 12" in refused.problem
    assert "fewer units" in refused.fix


def test_a_huge_input_declared_only_in_build_config_is_refused(tmp_path):
    """Keras builds each layer from its build_config, whatever the layers before it say."""
    refused = refusal(craft(tmp_path, _sequential(_layer("Flatten"), _layer("Dense", [None, 10**8], units=10))))
    assert "1,000,000,010" in refused.found


def test_an_unbuilt_model_is_sized_for_the_images_the_grader_feeds(tmp_path):
    """No Input and no build_config: the model gets its weights when the grader calls it on 28×28 images."""
    config = _sequential(_layer("Flatten"), _layer("Dense", units=30000, name="wide"), input_shape=None)
    refused = refusal(craft(tmp_path, config))
    assert f"{784 * 30000 + 30000:,}" in refused.found


@pytest.mark.parametrize("layer", [
    _layer("Embedding", input_dim=10**8, output_dim=64),
    _layer("Conv2D", [None, 28, 28, 1], filters=10**8, kernel_size=[3, 3]),
    _layer("LSTM", [None, 28, 28], units=10**5),
    _layer("BatchNormalization", [None, 28, 28, 10**7]),
    _layer("Bidirectional", [None, 28, 28], layer=_layer("GRU", units=10**5)),
], ids=["embedding", "conv2d", "lstm", "batchnorm", "bidirectional"])
def test_other_built_in_layers_are_sized_too(tmp_path, layer):
    refused = refusal(craft(tmp_path, _sequential(layer)))
    assert "parameters" in refused.problem and layer["class_name"] in refused.found


def test_a_model_within_the_limit_is_measured(tmp_path):
    size = check_model_file(craft(tmp_path, _sequential(
        _layer("Flatten", [None, 28, 28]), _layer("Dense", [None, 784], units=128, name="hidden"),
        _layer("Dense", [None, 128], units=10))))
    assert size.parameters == 784 * 128 + 128 + 128 * 10 + 10 and size.largest.name == "hidden"


def test_a_real_cnn_is_measured_and_passes(tmp_path):
    """The curriculum's kind of CNN, saved by Keras itself: well inside both limits, its compute counted."""
    import keras

    model = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Conv2D(32, 3, activation="relu"),
                              keras.layers.MaxPooling2D(), keras.layers.Conv2D(64, 3, activation="relu"),
                              keras.layers.MaxPooling2D(), keras.layers.Flatten(), keras.layers.Dense(128),
                              keras.layers.Dense(10)])
    model.save(tmp_path / "cnn.keras")
    size = check_model_file(tmp_path / "cnn.keras")
    assert size.parameters == model.count_params()
    # conv1 at 26x26 (≤ 28x28 counted), conv2 at 11x11 (≤ 13x13), the Dense layers once: about 3.6 million
    assert 3_000_000 < size.operations < 5_000_000 and size.operations < MAX_OPERATIONS / 10


def test_a_small_model_with_too_much_computation_per_image_is_refused(tmp_path):
    """Few parameters, applied at every pixel: it would take the grader hours to predict with it."""
    refused = refusal(craft(tmp_path, _sequential(
        _layer("Conv2D", [None, 28, 28, 1], filters=512, kernel_size=[3, 3], padding="same"),
        _layer("Conv2D", [None, 28, 28, 512], filters=512, kernel_size=[3, 3], padding="same", name="wide"),
        input_shape=(None, 28, 28, 1))))
    assert "computation per image" in refused.problem and "'wide'" in refused.found and "pool" in refused.fix.lower()


def test_an_unknown_layer_class_is_refused_with_its_name(tmp_path):
    custom = {"module": "my_layers", "class_name": "Scaler", "config": {"name": "scaler"},
              "registered_name": "Custom>Scaler"}
    refused = refusal(craft(tmp_path, _sequential(_layer("Flatten"), custom)))
    assert "'Scaler'" in refused.found and "does not know" in refused.problem
    assert "Keras' own layers" in refused.fix


def test_a_built_in_name_from_another_module_is_not_trusted(tmp_path):
    impostor = _layer("Dense", [None, 784], units=10)
    impostor["module"], impostor["registered_name"] = "evil", "Custom>Dense"
    assert "'Dense'" in refusal(craft(tmp_path, _sequential(impostor))).found


def test_a_subclassed_model_is_told_what_to_write_instead(tmp_path):
    config = {"module": "__main__", "class_name": "MyNet", "config": {"name": "my_net"}, "registered_name": "MyNet"}
    refused = refusal(craft(tmp_path, config))
    assert "subclass of keras.Model" in refused.problem and "keras.Sequential" in refused.fix


@pytest.mark.parametrize("units", ["1e9", -5, True, 2.5, None], ids=["text", "negative", "bool", "float", "none"])
def test_sizes_keras_never_writes_are_refused(tmp_path, units):
    refused = refusal(craft(tmp_path, _sequential(_layer("Dense", [None, 784], units=units))))
    assert "not a .keras file the grader can check" in refused.problem


def test_models_nested_too_deeply_are_refused(tmp_path):
    config = _sequential(_layer("Dense", [None, 784], units=10))
    for _ in range(model_guard.MAX_NESTING + 2):
        config = _sequential(config)
    assert "nested too deeply" in refusal(craft(tmp_path, config)).found


# --- the archive itself --------------------------------------------------------------------------------------

SMALL = _sequential(_layer("Dense", [None, 784], units=10))


def test_a_file_that_is_not_a_zip_is_refused(tmp_path):
    path = tmp_path / "model.keras"
    path.write_bytes(b"\x89HDF\r\n" + b"\0" * 100)
    assert "not a zip archive" in refusal(path).found


def test_a_zip_bomb_entry_is_refused_before_it_is_unpacked(tmp_path, monkeypatch):
    monkeypatch.setattr(model_guard, "MAX_ARCHIVE_BYTES", 1_000_000)  # a real bomb needs hundreds of MB
    path = craft(tmp_path, SMALL, extra={"assets/zeros.bin": b"\0" * 2_000_000}, compression=zipfile.ZIP_DEFLATED)
    assert path.stat().st_size < 100_000
    refused = refusal(path)
    assert "unpacks to more" in refused.problem and "2 MB" in refused.found


def test_too_many_entries_are_refused(tmp_path):
    extra = {f"assets/{n}.txt": b"x" for n in range(model_guard.MAX_ENTRIES)}
    assert "entries" in refusal(craft(tmp_path, SMALL, extra=extra)).found


def test_an_entry_keras_does_not_write_is_refused(tmp_path):
    assert "'payload.py'" in refusal(craft(tmp_path, SMALL, extra={"payload.py": b"import os"})).found


def test_an_oversized_file_is_refused_by_its_size(tmp_path, monkeypatch):
    monkeypatch.setattr(model_guard, "MAX_ARCHIVE_BYTES", 1000)
    refused = refusal(craft(tmp_path, SMALL))
    assert "larger than the grader loads" in refused.problem


@pytest.mark.parametrize("text", ["{not json", "[" * 100_000 + "]" * 100_000, "[1, 2]"],
                         ids=["broken", "deeply-nested", "not-a-model"])
def test_a_config_that_is_not_a_model_description_is_refused(tmp_path, text):
    assert "config.json" in refusal(craft(tmp_path, text)).found


def test_an_oversized_config_is_refused_unread(tmp_path):
    text = json.dumps(SMALL | {"padding": "x" * (model_guard.MAX_CONFIG_BYTES + 1)})
    assert "larger than" in refusal(craft(tmp_path, text)).found


# --- the weights file, by declared shapes ------------------------------------------------------------------

def test_weights_declaring_gigabytes_in_a_tiny_file_are_refused(tmp_path):
    """An HDF5 array declared huge but never written takes no space on disk, yet reading it allocates."""
    weights = tmp_path / "bomb.weights.h5"
    with h5py.File(weights, "w") as handle:
        handle.create_dataset("layers/dense/vars/0", shape=(10**9,), dtype="float32", chunks=(10**6,),
                              compression="gzip")
    path = craft(tmp_path, SMALL, weights=weights)
    assert path.stat().st_size < 100_000
    refused = refusal(path)
    assert "weights" in refused.problem and "4000 MB" in refused.found


def test_weights_linking_to_another_file_are_refused(tmp_path):
    weights = tmp_path / "linked.weights.h5"
    with h5py.File(weights, "w") as handle:
        handle["layers/dense/vars/0"] = h5py.ExternalLink("/etc/passwd", "/")
    assert "links elsewhere" in refusal(craft(tmp_path, SMALL, weights=weights)).found


def test_weights_stored_outside_the_file_are_refused(tmp_path):
    weights = tmp_path / "external.weights.h5"
    with h5py.File(weights, "w") as handle:
        handle.create_dataset("vars/0", shape=(10,), dtype="float32", external=[("/dev/zero", 0, 40)])
    assert "outside the file" in refusal(craft(tmp_path, SMALL, weights=weights)).found


def test_compressed_weights_are_checked_the_same_way(tmp_path):
    weights = tmp_path / "ok.weights.h5"
    _weights(weights, {"layers/dense/vars/0": np.zeros((784, 10), np.float32)})
    size = check_model_file(craft(tmp_path, SMALL, weights=weights, compression=zipfile.ZIP_DEFLATED))
    assert size.parameters == 7850


# --- real models, saved by Keras ----------------------------------------------------------------------------

def test_real_models_are_sized_exactly_and_quickly(tmp_path):
    import time

    import keras

    layers = keras.layers
    inputs = keras.Input((28, 28))
    flat = layers.Flatten()(inputs)
    joined = layers.Concatenate()([layers.Dense(64)(flat), layers.Dense(32)(flat)])
    models = {
        "mlp": keras.Sequential([keras.Input((28, 28)), layers.Flatten(), layers.Dense(128, activation="relu"),
                                 layers.Dense(10)]),
        "cnn": keras.Sequential([keras.Input((28, 28, 1)), layers.Conv2D(32, 3, activation="relu"),
                                 layers.MaxPooling2D(), layers.Conv2D(64, 3, padding="same"), layers.MaxPooling2D(),
                                 layers.BatchNormalization(), layers.Flatten(), layers.Dropout(0.2),
                                 layers.Dense(128), layers.Dense(10)]),
        "rnn": keras.Sequential([keras.Input((28, 28)), layers.LSTM(16, return_sequences=True),
                                 layers.Bidirectional(layers.GRU(8)), layers.Dense(10)]),
        "functional": keras.Model(inputs, layers.Dense(10)(joined)),
        "nested": keras.Sequential([keras.Input((28, 28)), layers.Flatten(),
                                    keras.Sequential([keras.Input((784,)), layers.Dense(32)]), layers.Dense(10)]),
    }
    models["mlp"].compile("adam", "sparse_categorical_crossentropy")
    for name, model in models.items():
        path = tmp_path / f"{name}.keras"
        model.save(path)
        started = time.perf_counter()
        size = check_model_file(path)
        assert size.parameters == model.count_params(), name
        assert time.perf_counter() - started < 1.0, name


# --- through the real grader: the file the learner's code leaves -------------------------------------------

def _learner_whose_save_leaves(body: str) -> str:
    """A learner's build_model whose model, when the child saves it, leaves ``body``'s doing instead."""
    return textwrap.dedent("""
        import json, os, zipfile
        import keras

        def build_model():
            model = keras.Sequential([keras.Input((28, 28)), keras.layers.Flatten(),
                                      keras.layers.Dense(128, activation="relu"), keras.layers.Dense(10)])

            def save(path, *args, **kwargs):
        BODY
            model.save = save
            return model
        """).replace("BODY\n", textwrap.indent(textwrap.dedent(body).strip() + "\n", " " * 8))


BOMB_CONFIG = json.dumps(_sequential(_layer("Flatten", [None, 28, 28]),
                                     _layer("Dense", [None, 784], units=10**9, name="dense")))
LEFT_BEHIND = {
    "fifo": ("os.mkfifo(path)", "named pipe"),
    "symlink": ("os.symlink('/etc/passwd', path)", "symbolic link"),
    "folder": ("os.mkdir(path)", "a folder"),
    "parameter-bomb": (f"""
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("metadata.json", "{{}}")
            archive.writestr("config.json", {BOMB_CONFIG!r})
            archive.writestr("model.weights.h5", b"")
        """, "785,000,000,000 parameters"),
}


@pytest.mark.parametrize("left", list(LEFT_BEHIND.values()), ids=list(LEFT_BEHIND))
def test_the_grader_refuses_what_it_cannot_load_safely_as_the_learners_failure(grade, left):
    body, expected = left
    report = grade("03", _learner_whose_save_leaves(body), time_limit=60)
    returns = next(check for check in report.checks if check.name == "test_returns_model")
    assert returns.status == "failed", returns
    assert expected in failure_text(report)
    assert not any(check.status == "error" for check in report.checks)
