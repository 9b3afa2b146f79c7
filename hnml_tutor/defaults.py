"""Defaults shared by ``check``, ``grade`` and the Gradescope bundle, kept in one light module.

The CLI reads them for its ``--help`` without importing NumPy or the graders.
"""

DEFAULT_SEED = 12345  # everything the grader trains or samples is seeded with it: same input, same grades
DEFAULT_MEMORY_MB = 4096  # resident memory a learner's code may use in one run (TensorFlow training fits well)
