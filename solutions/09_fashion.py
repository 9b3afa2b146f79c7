"""Reference solution for 09 · Fashion-MNIST, end to end."""

import keras
import numpy as np

CLASS_NAMES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
               "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]


def load_fashion():
    """Keras ships Fashion-MNIST next to MNIST, in the same format."""
    return keras.datasets.fashion_mnist.load_data()


def train_fashion(x_train: np.ndarray, y_train: np.ndarray) -> keras.Model:
    """The MNIST network with the scaling as its first layer: five epochs at batch 128 reach about 87%."""
    model = keras.Sequential([
        keras.Input(shape=(28, 28)),
        keras.layers.Rescaling(1 / 255),
        keras.layers.Flatten(),
        keras.layers.Dense(128, activation="relu"),
        keras.layers.Dense(10),
    ])
    model.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    model.fit(x_train, y_train, epochs=5, batch_size=128, verbose=2)
    return model


def confusion_matrix(model: keras.Model, x_test: np.ndarray, y_test: np.ndarray) -> np.ndarray:
    """Each test image adds 1 to the cell of its (true, predicted) pair."""
    predicted = model.predict(x_test, verbose=0).argmax(axis=1)
    matrix = np.zeros((10, 10), dtype=int)
    np.add.at(matrix, (y_test, predicted), 1)
    return matrix
