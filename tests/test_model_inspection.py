"""Reading models like a teacher (graders/models.py): one-line summaries, input and output, activations and
whether a model scales raw pixels itself, on small models of every shape the curriculum uses."""

from __future__ import annotations

import pytest

from hnml_tutor.graders.models import (
    InputScaling,
    activation_name,
    dense_layers,
    describe_layer,
    describe_layers,
    input_shape,
    layers_of,
    output_kind,
    output_units,
    scales_inputs,
)

keras = pytest.importorskip("keras")
layers = keras.layers


@pytest.fixture(autouse=True)
def _seeded():
    keras.utils.set_random_seed(0)


def fashion_cnn():
    return keras.Sequential([
        keras.Input((28, 28, 1)), layers.Rescaling(1 / 255), layers.Conv2D(32, 3, activation="relu"),
        layers.MaxPooling2D(), layers.Flatten(), layers.Dropout(0.5), layers.Dense(128, activation="relu"),
        layers.Dense(10, activation="softmax"),
    ])


def mnist_mlp(*, output=None):
    return keras.Sequential([
        keras.Input((28, 28)), layers.Flatten(), layers.Dense(128, activation="relu"), layers.Dense(10, **(output or {})),
    ])


def test_a_cnn_in_one_line():
    assert describe_layers(fashion_cnn()) == (
        "Rescaling(1/255) → Conv2D(32, 3×3, relu) → MaxPooling2D(2×2) → Flatten → Dropout(0.5) "
        "→ Dense(128, relu) → Dense(10, softmax)")


def test_dense_models_read_as_before():
    assert describe_layers(mnist_mlp()) == "Flatten → Dense(128, relu) → Dense(10)"
    assert output_kind(mnist_mlp()) == "logits"
    assert output_kind(mnist_mlp(output={"activation": "softmax"})) == "softmax"
    separate = keras.Sequential([*mnist_mlp().layers, layers.Softmax()])
    assert output_kind(separate) == "softmax" and describe_layers(separate).endswith("Dense(10) → Softmax")
    assert [layer.units for layer in dense_layers(mnist_mlp())] == [128, 10]


@pytest.mark.parametrize("layer, text", [
    (lambda: layers.Conv2D(8, (5, 3), strides=2, padding="same"), "Conv2D(8, 5×3, stride 2, same)"),
    (lambda: layers.AveragePooling2D(3, strides=1), "AveragePooling2D(3×3, stride 1)"),
    (lambda: layers.GlobalAveragePooling2D(), "GlobalAveragePooling2D"),
    (lambda: layers.Rescaling(1 / 127.5, offset=-1), "Rescaling(1/127.5, offset -1)"),
    (lambda: layers.Rescaling(0.5), "Rescaling(1/2)"),
    (lambda: layers.Reshape((28, 28, 1)), "Reshape(28, 28, 1)"),
    (lambda: layers.Activation("relu"), "Activation(relu)"),
    (lambda: layers.ReLU(), "ReLU"),
    (lambda: layers.BatchNormalization(), "BatchNormalization"),
    (lambda: layers.SpatialDropout2D(0.2), "SpatialDropout2D(0.2)"),
    (lambda: layers.Normalization(mean=33.0, variance=6400.0), "Normalization(mean 33, std 80)"),
])
def test_each_layer_in_a_few_words(layer, text):
    assert describe_layer(layer()) == text


def test_functional_models_leave_the_input_layer_out():
    inputs = keras.Input((28, 28))
    x = layers.Reshape((28, 28, 1))(inputs)
    x = layers.Conv2D(4, 3)(x)
    x = layers.BatchNormalization()(x)
    x = layers.ReLU()(x)
    outputs = layers.Dense(10)(layers.GlobalAveragePooling2D()(x))
    model = keras.Model(inputs, outputs)
    assert describe_layers(model) == (
        "Reshape(28, 28, 1) → Conv2D(4, 3×3) → BatchNormalization → ReLU → GlobalAveragePooling2D → Dense(10)")
    assert input_shape(model) == (28, 28) and output_units(model) == 10
    assert activation_name(model, layers_of(model, "Conv2D")[0]) == "relu"


def test_nested_models_are_read_as_their_layers():
    preprocessing = keras.Sequential([layers.Rescaling(1 / 255)])
    model = keras.Sequential([keras.Input((28, 28)), preprocessing, layers.Flatten(), layers.Dense(10)])
    assert describe_layers(model) == "Rescaling(1/255) → Flatten → Dense(10)"
    assert scales_inputs(model) == InputScaling("Rescaling", 1 / 255, 0.0)


def test_layers_of_finds_kinds_in_order():
    model = fashion_cnn()
    assert [type(layer).__name__ for layer in layers_of(model, "Conv2D", "Dense")] == ["Conv2D", "Dense", "Dense"]
    assert [type(layer).__name__ for layer in layers_of(model, "Dropout")] == ["Dropout"]
    assert len(layers_of(model)) == len(model.layers)
    assert layers_of(model, "LSTM") == []


def test_input_shape_and_output_units():
    assert input_shape(fashion_cnn()) == (28, 28, 1) and output_units(fashion_cnn()) == 10
    neuron = keras.Sequential([keras.Input((1,)), layers.Dense(1)])
    assert input_shape(neuron) == (1,) and output_units(neuron) == 1
    unbuilt = keras.Sequential([layers.Dense(1)])
    assert input_shape(unbuilt) is None and output_units(unbuilt) == 1


def test_activation_name_for_any_layer():
    model = keras.Sequential([
        keras.Input((8, 8, 1)), layers.Conv2D(2, 3), layers.Activation("relu"), layers.Conv2D(2, 3, activation="tanh"),
        layers.Flatten(), layers.Dense(4), layers.Dropout(0.2), layers.ReLU(), layers.Dense(3), layers.Softmax(),
    ])
    first, second = layers_of(model, "Conv2D")
    hidden, output = dense_layers(model)
    assert activation_name(model, first) == "relu"
    assert activation_name(model, second) == "tanh"
    assert activation_name(model, hidden) == "relu"  # through the Dropout in between
    assert activation_name(model, output) == "softmax"
    assert activation_name(model, layers_of(model, "ReLU")[0]) == "relu"
    assert activation_name(model, layers_of(model, "Flatten")[0]) == "linear"
    assert activation_name(mnist_mlp(), dense_layers(mnist_mlp())[-1]) == "linear"


def test_a_leading_rescaling_scales_raw_pixels():
    scaling = scales_inputs(fashion_cnn())
    assert scaling.layers == "Rescaling"
    assert scaling.scale == pytest.approx(1 / 255) and scaling.apply(255) == pytest.approx(1.0)
    centred = keras.Sequential([keras.Input((28, 28)), layers.Flatten(), layers.Rescaling(1 / 127.5, offset=-1),
                                layers.Dense(10)])
    assert scales_inputs(centred).apply(0) == pytest.approx(-1.0) and scales_inputs(centred).apply(255) == pytest.approx(1.0)


def test_a_normalization_layer_counts_as_scaling():
    import numpy as np

    normalization = layers.Normalization(axis=None)
    normalization.adapt(np.linspace(0, 255, 101, dtype="float32"))
    model = keras.Sequential([keras.Input((28, 28)), normalization, layers.Flatten(), layers.Dense(10)])
    scaling = scales_inputs(model)
    assert scaling.layers == "Normalization"
    assert scaling.apply(127.5) == pytest.approx(0.0, abs=1e-5)
    assert 0.005 < scaling.scale < 0.02


def test_no_scaling_or_scaling_too_late_is_none():
    assert scales_inputs(mnist_mlp()) is None
    late = keras.Sequential([keras.Input((28, 28, 1)), layers.Conv2D(2, 3), layers.Rescaling(1 / 255), layers.Flatten(),
                             layers.Dense(10)])
    assert scales_inputs(late) is None


def test_inspection_works_on_a_loaded_model(tmp_path):
    path = tmp_path / "cnn.keras"
    fashion_cnn().save(path)
    loaded = keras.models.load_model(path, safe_mode=True)
    assert describe_layers(loaded) == describe_layers(fashion_cnn())
    assert scales_inputs(loaded).scale == pytest.approx(1 / 255)
    assert input_shape(loaded) == (28, 28, 1) and output_units(loaded) == 10
