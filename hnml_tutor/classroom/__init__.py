"""Instructor grading: ``hnml-tutor grade`` over a class of workspaces and the Gradescope bundle.

The same graders and sandbox as ``hnml-tutor check``, run by worker processes over many learners, with
results kept as data (:mod:`outcome`) and written as a gradebook, Gradescope results and HTML feedback.
"""
