"""
# 04 · Compile the model

Before a model can learn, Keras needs three choices:

- an **optimizer**, which updates the weights (Adam is a robust default),
- a **loss**, the number training makes smaller,
- **metrics**, the numbers you want to watch (here: accuracy).

## Your task
Complete `compile_model(model)`: compile the model you are given and return it.

The model you are given is the one from step 03: its last layer is `Dense(10)` **without** an
activation, so it outputs logits, not probabilities. The labels are plain integers 0–9.

## Why it matters
The loss must match both the labels and the output layer. Integer labels call for *sparse* categorical
cross-entropy; logits call for `from_logits=True`. Get either wrong and training runs without an error
but learns badly, which is the hardest kind of bug to find.

## Check your work
    hnml-tutor check 04
"""

import keras


def compile_model(model: keras.Model) -> keras.Model:
    """Compile ``model`` with an optimizer, a loss that fits logits and integer labels, and accuracy."""
    # TODO: call model.compile(...) and return the model.
    raise NotImplementedError("TODO: compile the model and return it")


if __name__ == "__main__":  # run by hand, this file only defines the functions above: say how to try them
    raise SystemExit("04_compile.py only defines functions, for hnml-tutor to call.\n"
                     "See what they return on the grader's inputs:  hnml-tutor run 04\n"
                     "Grade them:                                   hnml-tutor check 04")
