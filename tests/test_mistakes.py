"""Real learner mistakes: each learner-style file must fail, with a message that names the mistake."""

import pytest

from conftest import failure_text

MISTAKES = {
    "pixels not scaled": ("02", """
        def preprocess(images):
            return images.astype("float32")
        """, ["not scaled", "255"]),
    "divided by 256": ("02", """
        def preprocess(images):
            return images.astype("float32") / 256
        """, ["256"]),
    "floor division": ("02", """
        def preprocess(images):
            return images // 255
        """, ["floor division"]),
    "standardized": ("02", """
        def preprocess(images):
            images = images.astype("float32")
            return (images - images.mean()) / images.std()
        """, ["standardized"]),
    "input mutated": ("02", """
        import numpy as np
        def preprocess(images):
            scaled = images.astype("float32") / 255.0
            images[:] = 0
            return scaled
        """, ["changed the array"]),
    "in-place division on uint8": ("02", """
        def preprocess(images):
            images /= 255
            return images
        """, ["in-place division"]),
    "train and test swapped": ("01", """
        import keras
        def load_data():
            train, test = keras.datasets.mnist.load_data()
            return test, train
        """, ["swapped"]),
    "flattened at load": ("01", """
        import keras
        def load_data():
            (x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
            return (x_train.reshape(-1, 784), y_train), (x_test.reshape(-1, 784), y_test)
        """, ["flattened"]),
    "output layer not 10 units": ("03", """
        import keras
        def build_model():
            return keras.Sequential([keras.Input(shape=(28, 28)), keras.layers.Flatten(),
                                     keras.layers.Dense(128, activation="relu"), keras.layers.Dense(1)])
        """, ["10 units"]),
    "no activation in the hidden layer": ("03", """
        import keras
        def build_model():
            return keras.Sequential([keras.Input(shape=(28, 28)), keras.layers.Flatten(),
                                     keras.layers.Dense(128), keras.layers.Dense(10)])
        """, ["no activation"]),
    "string loss on a logits model": ("04", """
        def compile_model(model):
            model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
            return model
        """, ["from_logits=true"]),
    "categorical cross-entropy with integer labels": ("04", """
        def compile_model(model):
            model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
            return model
        """, ["one-hot"]),
    "no metric": ("04", """
        import keras
        def compile_model(model):
            model.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
            return model
        """, ["accuracy"]),
    "compile returns None": ("04", """
        import keras
        def compile_model(model):
            return model.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                                 metrics=["accuracy"])
        """, ["returns none"]),
    "SGD(lr=...)": ("04", """
        import keras
        def compile_model(model):
            model.compile(optimizer=keras.optimizers.SGD(lr=0.01),
                          loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
            return model
        """, ["learning_rate="]),
    "tensorflow.python.keras": ("03", """
        from tensorflow.python.keras import layers, models
        def build_model():
            return models.Sequential([layers.Flatten(input_shape=(28, 28)), layers.Dense(128, activation="relu"),
                                      layers.Dense(10)])
        """, ["import keras"]),
    "no validation split": ("05", """
        def train(model, x_train, y_train):
            return model.fit(x_train, y_train, epochs=2, batch_size=256, verbose=0)
        """, ["validation_split"]),
    "evaluate returns the loss": ("06", """
        def evaluate(model, x_test, y_test):
            loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
            return loss
        """, ["loss, not the accuracy"]),
    "evaluate returns the whole list": ("06", """
        def evaluate(model, x_test, y_test):
            return model.evaluate(x_test, y_test, verbose=0)
        """, ["[loss, accuracy]"]),
    "evaluate returns the dict": ("06", """
        def evaluate(model, x_test, y_test):
            return model.evaluate(x_test, y_test, verbose=0, return_dict=True)
        """, ["return_dict=True", "accuracy"]),
    "predict_proba returns logits": ("07", """
        def predict_proba(model, images):
            return model.predict(images, verbose=0)
        def predict(model, images):
            return model.predict(images, verbose=0).argmax(axis=1)
        """, ["logits", "softmax"]),
    "argmax over the wrong axis": ("07", """
        import keras
        def predict_proba(model, images):
            return keras.ops.convert_to_numpy(keras.activations.softmax(model.predict(images, verbose=0)))
        def predict(model, images):
            return predict_proba(model, images).argmax(axis=0)
        """, ["wrong axis"]),
}


@pytest.mark.parametrize("name", list(MISTAKES))
def test_mistake_is_named(name, grade):
    exercise_id, source, phrases = MISTAKES[name]
    report = grade(exercise_id, source)
    assert not report.passed
    text = failure_text(report)
    for phrase in phrases:
        assert phrase.lower() in text, f"{name}: {phrase!r} not in feedback:\n{text}"


@pytest.mark.parametrize("source, noted", [
    ("opt = keras.optimizers.SGD(lr=0.01)", True),
    ("opt = keras.optimizers.SGD(momentum=0.9,\n    lr=0.01)", True),
    ("opt = keras.optimizers.Adam(\n    lr = 0.1)", True),
    ("lr = 0.001\nopt = keras.optimizers.Adam(learning_rate=lr)", False),
    ("if lr == 0.1:\n    pass", False),
    ("# SGD(lr=0.01) in old tutorials", False),
])
def test_the_old_lr_keyword_is_noted_but_a_variable_named_lr_is_not(source, noted):
    from hnml_tutor.graders.mistakes import outdated_spellings

    assert any("`lr=`" in advice for advice in outdated_spellings(source)) is noted
