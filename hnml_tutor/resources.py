"""Where the shipped curriculum lives: the exercise stubs, the manifest and the reference solutions.

The top-level ``exercises/`` and ``solutions/`` folders are installed as the packages
``hnml_tutor.exercises`` and ``hnml_tutor.solutions`` (see pyproject.toml), so the same lookup works from a
clone, an editable install and a wheel.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path


def exercises_dir() -> Path:
    """Folder holding ``info.toml`` and the untouched exercise stubs."""
    return Path(str(resources.files("hnml_tutor.exercises")))


def solutions_dir() -> Path:
    """Folder holding one reference solution per exercise."""
    return Path(str(resources.files("hnml_tutor.solutions")))


def graders_dir() -> Path:
    """Folder holding one pytest grader module per exercise."""
    return Path(__file__).parent / "graders"
