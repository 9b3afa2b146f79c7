"""Lets ``python -m hnml_tutor`` behave exactly like the ``hnml-tutor`` command."""

from hnml_tutor.cli import main

if __name__ == "__main__":  # grading workers are spawned processes that import the main module again
    main()
