"""hnml-tutor: learn the hands-on machine-learning workflow with Keras, one graded step at a time.

In a notebook: ``%load_ext hnml_tutor``, then ``%%exercise 02`` cells, ``hnml_tutor.check("02")``,
``hnml_tutor.hint("02")`` and ``hnml_tutor.show("02")`` (see :mod:`hnml_tutor.notebook`). They load on
first use, so importing the package stays instant for the command line.
"""

__version__ = "0.1.0"

_NOTEBOOK_NAMES = ("check", "hint", "show", "load_ipython_extension")


def __getattr__(name: str):
    if name in _NOTEBOOK_NAMES:
        from hnml_tutor import notebook

        return getattr(notebook, name)
    raise AttributeError(f"module 'hnml_tutor' has no attribute {name!r}")
