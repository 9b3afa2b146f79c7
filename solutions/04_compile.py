"""Reference solution for 04 · Compile the model."""

import keras


def compile_model(model: keras.Model) -> keras.Model:
    """Integer labels → sparse cross-entropy; logits output → from_logits=True."""
    model.compile(
        optimizer="adam",
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    return model
