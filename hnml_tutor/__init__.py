"""hnml-tutor: learn the hands-on machine-learning workflow with Keras, one graded step at a time."""

__version__ = "0.1.0"
