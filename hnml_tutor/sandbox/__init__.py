"""Runs a learner's functions in a child process with a time limit, a memory limit and an output cap.

The grader never imports learner code (DESIGN.md principle 3). :func:`run` writes a job — which file,
which functions, which arguments — into a fresh temporary folder, has a launcher start
:mod:`~hnml_tutor.sandbox.child` there, and watches it: past the time limit, over the memory limit or past
the output cap, the whole process group is killed and the reason recorded. What the child returns is only
believed if ``result.json`` carries the random nonce the grader handed it, so a file that exits early or
prints "passed" gets nowhere.

One job per module: ``limits`` (what a run may use, and the rlimits behind it), ``memory`` (measuring a
process tree), ``isolation`` (the bubblewrap jail, the learner account, and which of them works here),
``launchers`` (cold and warm, one interface), ``tree_kill`` (holding and ending a run's whole process tree:
a process group, or a Windows job object), ``platform_support`` (what is weaker on macOS and Windows, said
once), ``child`` and ``zygote`` (the processes
themselves), ``keras_hooks`` (what the child changes in Keras), ``import_guard`` (no framework in a
NumPy-only exercise), ``start_signal`` (the child's "learner
code starts now"), ``fit_progress`` (how far training got), ``watch`` (the loop that enforces the limits)
and ``run`` (a job from start to verdict).
"""

from hnml_tutor.sandbox.fit_progress import SandboxProgress
from hnml_tutor.sandbox.launchers import ColdLauncher, WarmLauncher
from hnml_tutor.sandbox.limits import Limits
from hnml_tutor.sandbox.memory import resident_memory
from hnml_tutor.sandbox.run import Call, CallResult, SandboxRun, cleanup, mentions_keras, run
from hnml_tutor.sandbox.watch import SandboxStartFailed

__all__ = ["Call", "CallResult", "ColdLauncher", "Limits", "SandboxProgress", "SandboxRun", "SandboxStartFailed",
           "WarmLauncher", "cleanup", "mentions_keras", "resident_memory", "run"]
