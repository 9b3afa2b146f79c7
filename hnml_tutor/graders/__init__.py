"""Graders: one pytest module per exercise (``grade_<id>_<slug>.py``) and the helpers they share.

A grader never imports the learner's code. It asks the sandbox to run the learner's functions in a child
process with inputs from the reference pipeline, then checks what came back with the friendly assertions
in :mod:`hnml_tutor.graders.vocabulary`.
"""
