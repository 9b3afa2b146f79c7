"""Lets ``python -m hnml_tutor`` behave exactly like the ``hnml-tutor`` command."""

from hnml_tutor.cli import main

main()
