"""Named reference artefacts: the correct inputs a grader hands a step, asked for by name.

Grading each step on its own (DESIGN.md principle 2) needs correct inputs for it — scaled images, a
built model, a trained model. The curriculum registers a provider for each under a name such as
``"mnist/trained-mlp"`` (see the curriculum's ``graders/references.py``); graders and the sandbox's
child ask :func:`get` for it. The engine itself knows no exercise, data set or model.
"""

from hnml_tutor.reference.registry import (
    UnknownReference,
    cached_names,
    get,
    prepare,
    provider,
    solution,
)

__all__ = ["UnknownReference", "cached_names", "get", "prepare", "provider", "solution"]
