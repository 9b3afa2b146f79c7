"""Grader for 12 · A convolutional network: build_cnn's structure, and train_cnn measured on the grader's own CNN.

``build_cnn`` is read layer by layer (input with its channel axis, convolution and pooling, 10 outputs, left
uncompiled). ``train_cnn`` is handed the grader's own reference CNN, uncompiled and freshly initialised, so
its accuracy depends on the training recipe alone; the grader then measures the trained model on the
test set itself and compares it with the Dense network of steps 03–05 trained on the same clothes.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from hnml_tutor import plots
from hnml_tutor.graders.checks import check, learner_calls, runs
from hnml_tutor.graders.common import (expect_accuracy, expect_history, expect_uncompiled, load_returned_model,
                                       trained_model_of)
from hnml_tutor.graders.models import (describe_layers, input_shape, layers_of, output_kind, output_units,
                                       same_architecture)
from hnml_tutor.graders.vocabulary import describe, fail
from hnml_tutor.sandbox import Call

BUILD, TRAIN = "build_cnn", "train_cnn"
IMAGE_SHAPE = (28, 28, 1)
POOLING = ("MaxPooling2D", "AveragePooling2D", "GlobalMaxPooling2D", "GlobalAveragePooling2D")
CHANNEL_FIX = ("Start the model with `keras.Input(shape=(28, 28, 1))`: 28×28 pixels and one channel (grey). "
               "Images without that axis get it with `x[..., None]` or `x.reshape(-1, 28, 28, 1)`.")
# A model trained from the weights it was given keeps a trace of them: after the reference's three epochs its
# largest kernel (the Dense one, ~700,000 weights) still correlates with the initial one at 0.28-0.29, while
# two independent initialisations of that size correlate within about ±0.005 (1/sqrt(size) is 0.0012).
SAME_START = 0.05
MISCLASSIFIED_SHOWN = 12


def channels_last(images: np.ndarray) -> np.ndarray:
    """(N, 28, 28) grey images as a CNN reads them: (N, 28, 28, 1)."""
    return images[..., np.newaxis]


@learner_calls(points={BUILD: 2, TRAIN: 2}, loads_models=True)
def calls(reference_inputs):
    images = channels_last(reference_inputs.get("fashion/scaled").x_train)
    return [Call(BUILD), Call(TRAIN, (reference_inputs.get("cnn/initial"), images, reference_inputs.data.y_train))]


# -- build_cnn: the network's structure ---------------------------------------------------------------------

@pytest.fixture(scope="module")
def built(returned):
    return load_returned_model(returned[BUILD], "build_cnn()'s result")


@check(points=1, after=runs(BUILD))
def test_build_returns_model(returned):
    """build_cnn returns a Keras model that can be loaded safely"""
    load_returned_model(returned[BUILD], "build_cnn()'s result")


@check(points=2, after=test_build_returns_model)
def test_input_has_channel_axis(built):
    """takes one 28×28 image with its channel axis: (28, 28, 1)"""
    shape = input_shape(built)
    if shape == IMAGE_SHAPE:
        return
    if shape is None:
        fail("The model has no input shape, so nothing says what images it takes.",
             expected="keras.Input(shape=(28, 28, 1)) as the first entry", found="a model without an Input",
             hint=CHANNEL_FIX)
    hint = CHANNEL_FIX
    if shape == (28, 28):
        hint = ("The channel axis is missing. Conv2D layers read images as height × width × channels, so a grey "
                "image is (28, 28, 1), not (28, 28). " + CHANNEL_FIX)
    elif shape == (1, 28, 28):
        hint = ("The channel axis comes first here (as in PyTorch). Keras puts it last: (28, 28, 1). " + CHANNEL_FIX)
    elif shape == (784,):
        hint = "This model takes flattened images, but a CNN needs the grid to see which pixels are neighbours. " + CHANNEL_FIX
    fail("The model's input shape is wrong.", expected=str((None, *IMAGE_SHAPE)), found=str((None, *shape)), hint=hint)


def _flattened_size(model) -> int | None:
    """How many numbers per image the first Flatten hands on to the Dense layers, when the model knows."""
    for layer in layers_of(model, "Flatten"):
        try:
            return int(np.prod(layer.output.shape[1:]))
        except (AttributeError, TypeError, ValueError):
            return None
    return None


@check(points=3, after=test_input_has_channel_axis)
def test_convolution_and_pooling(built):
    """has Conv2D layers, with pooling to shrink what they see"""
    if not layers_of(built, "Conv2D"):
        fail("The model has no convolution layer.", expected="at least one keras.layers.Conv2D",
             found=describe_layers(built),
             hint="Add `keras.layers.Conv2D(32, 3, activation=\"relu\")` after the input: its filters slide over "
                  "the image and learn local patterns such as edges.")
    if layers_of(built, *POOLING):
        return
    size = _flattened_size(built)
    cost = (f"; Flatten hands {size:,} numbers per image to the Dense layer after it, each with its own weights"
            if size else "")
    fail("The convolutions are never followed by pooling.", expected="a MaxPooling2D after each Conv2D",
         found=describe_layers(built) + cost,
         hint="Without pooling the grid stays almost 28×28, so the Dense layer after Flatten gets a huge number "
              "of inputs: training is several times slower and the model memorises instead of generalising. Add "
              "`keras.layers.MaxPooling2D()` after each Conv2D: it keeps the strongest answer of every 2×2 patch "
              "and halves the grid.")


@check(points=3, after=test_input_has_channel_axis)
def test_ten_outputs(built):
    """ends in 10 scores per image, one per class (logits or softmax)"""
    units = output_units(built)
    if units != 10:
        fail(f"The model outputs {units} number(s) per image.", expected="Dense(10) at the end: one score per class",
             found=describe_layers(built),
             hint="Fashion-MNIST has 10 classes, so the last layer is `keras.layers.Dense(10)`.")
    if output_kind(built) not in {"logits", "softmax"}:
        fail("The output layer's activation turns the scores into something that is not logits or probabilities.",
             expected="Dense(10) with no activation (logits) or softmax", found=describe_layers(built),
             hint="Leave the last Dense layer without an activation; train_cnn's loss then reads logits "
                  "(`from_logits=True`).")
    try:
        output = np.asarray(built(np.zeros((4, *IMAGE_SHAPE), dtype="float32")))
    except Exception as error:  # a model that can't take images is the learner's to fix, in their terms
        fail("The model can't take a batch of 28×28×1 images.", expected="(4, 10) scores for 4 images",
             found=f"the model raised {type(error).__name__} (details below)", details=str(error)[:1500],
             hint="Between the last pooling layer and the Dense layers, add `keras.layers.Flatten()`.")
    if output.shape != (4, 10):
        fail("The model doesn't give one row of 10 scores per image.", expected="(4, 10) for 4 images",
             found=str(output.shape), hint="Add `keras.layers.Flatten()` before the Dense layers.")


@check(points=1, after=test_build_returns_model)
def test_left_uncompiled(built):
    """is returned uncompiled: train_cnn compiles it"""
    expect_uncompiled(built, BUILD, TRAIN)


# -- train_cnn: the grader's CNN, trained by the learner's recipe --------------------------------------------

@check(points=2, after=runs(TRAIN))
def test_returns_history(returned):
    """train_cnn returns the History that model.fit returns"""
    expect_history(returned[TRAIN], TRAIN)


@pytest.fixture(scope="module")
def trained(returned):
    return trained_model_of(returned[TRAIN])


def _correlation(first: np.ndarray, second: np.ndarray) -> float:
    first, second = first.ravel().astype(np.float64), second.ravel().astype(np.float64)
    first, second = first - first.mean(), second - second.mean()
    scale = np.sqrt((first @ first) * (second @ second))
    return float(first @ second / scale) if scale > 0 else 0.0


@check(points=3, after=test_returns_history)
def test_trains_the_given_model(trained, reference_inputs):
    """trains the model it was given (same layers, started from its weights), not a new one"""
    given = reference_inputs.get("cnn/initial").load()
    initial, final = given.get_weights(), trained.get_weights()
    same_layers = same_architecture(trained, given)
    if same_layers:
        largest = max(range(len(initial)), key=lambda i: initial[i].size)
        if _correlation(initial[largest], final[largest]) >= SAME_START:
            return
    found = (f"a model with other layers: {describe_layers(trained)}" if not same_layers else
             "a model with the same layers whose weights did not start from the given ones: a new model")
    fail("train_cnn() should train the model it was given.",
         expected=f"the model passed in ({describe_layers(given)}), trained", found=found,
         hint="Compile and fit the `model` argument itself. Building a new model inside train_cnn (or calling "
              "build_cnn, or cloning) throws away the one the caller handed you, and with it every layer and "
              "weight they chose.")


def _scores(model, images: np.ndarray) -> np.ndarray:
    try:
        outputs = model.predict(images, verbose=0, batch_size=1024)
    except Exception as error:  # a model that no longer takes the images is the learner's to fix
        fail("The trained model can't classify the test images.",
             expected="(N, 10) scores for N images of 28×28×1", found=f"the model raised {type(error).__name__} "
             "(details below)", details=str(error)[:1500],
             hint="Train the model you were given, on the x_train and y_train you were given, as they are.")
    if not isinstance(outputs, np.ndarray) or outputs.shape != (len(images), 10):
        fail("The trained model doesn't give one row of 10 scores per image.",
             expected="(N, 10) scores for N images", found=describe(outputs),
             hint="Train the model you were given: it ends in Dense(10), one score per class.")
    return outputs


@pytest.fixture(scope="module")
def test_predictions(trained, reference_inputs, artifacts) -> np.ndarray:
    """The trained model's class for every test image; asks for the picture of its mistakes."""
    predicted = _scores(trained, channels_last(reference_inputs.get("fashion/scaled").x_test)).argmax(axis=1)
    data = reference_inputs.data
    wrong = np.flatnonzero(predicted != data.y_test)[:MISCLASSIFIED_SHOWN]
    if wrong.size:
        names = data.class_names
        artifacts.plot(draw_misclassified, images=data.x_test[wrong], predicted=predicted[wrong],
                       true=data.y_test[wrong], class_names=names, filename="12_misclassified.png")
        artifacts.preview("Test images your CNN got wrong (its guess, then the truth)", data.x_test[wrong[:8]],
                          [f"{names[p]}≠{names[t]}" for p, t in zip(predicted[wrong[:8]], data.y_test[wrong[:8]])])
    return predicted


@check(points=8, after=test_trains_the_given_model)
def test_test_accuracy(test_predictions, reference_inputs, exercise, artifacts):
    """the trained CNN reaches the required accuracy on the test set (measured by the grader)"""
    accuracy = float((test_predictions == reference_inputs.data.y_test).mean())
    expect_accuracy(accuracy, exercise, artifacts, problem="The trained CNN is not accurate enough on the test set.",
                    measured_on="10,000 test images",
                    hint="Compile with adam and `SparseCategoricalCrossentropy(from_logits=True)` (the model outputs "
                         "logits), and train on all the images you were given for 3 epochs with a batch_size of 128 "
                         "(`keras.optimizers.Adam(learning_rate=0.002)` gets there a little faster).")


@check(points=3, after=test_test_accuracy)
def test_beats_the_dense_network(test_predictions, reference_inputs, artifacts):
    """the trained CNN beats the Dense network of steps 03–05 on the same test images"""
    dense = reference_inputs.get("fashion/trained-mlp")
    y_test = reference_inputs.data.y_test
    dense_accuracy = float((dense.test_logits.argmax(axis=1) == y_test).mean())
    accuracy = float((test_predictions == y_test).mean())
    artifacts.note(f"The Dense network of steps 03–05, trained on the same clothes, scores {dense_accuracy:.2%}.")
    if accuracy > dense_accuracy:
        return
    fail("The CNN does no better than a Dense network on the same clothes.",
         expected="a higher test accuracy than the Dense network of steps 03–05",
         found=f"{accuracy:.2%} for your training of the CNN", hint="Train for another epoch or two.")


def draw_misclassified(images, predicted, true, class_names, path: Path) -> Path:
    """Test images the CNN got wrong, each titled with its guess (red) and the true class."""
    count = len(images)
    columns = min(6, count)
    rows = int(np.ceil(count / columns))
    figure, axes = plots.pyplot().subplots(rows, columns, figsize=(columns * 1.7, rows * 2.1), squeeze=False)
    for axis in axes.ravel():
        axis.axis("off")
    for axis, image, guess, label in zip(axes.ravel(), images, predicted, true):
        axis.imshow(image, cmap="gray_r")
        axis.set_title(f"{class_names[guess]}?", fontsize=9, color="tab:red")
        axis.text(0.5, -0.08, f"true: {class_names[label]}", fontsize=8, ha="center", va="top",
                  transform=axis.transAxes)
    figure.suptitle("Test images the CNN got wrong: its guess above, the true class below")
    return plots.save(figure, path)
