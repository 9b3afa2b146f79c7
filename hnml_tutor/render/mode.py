"""Plain or rich: the one decision every terminal renderer asks before it draws.

Plain output is for screen readers, braille displays, dumb terminals and logs: words and ``label: value``
lines in reading order, no box drawing, no pictures made of characters, nothing redrawn in place, no
colour. It is chosen by ``--plain``, by ``NO_COLOR`` (https://no-color.org: set and not empty) or by
``TERM=dumb``. Renderers ask :func:`plain`; consoles come from :func:`console`; nothing else reads the
environment for this.
"""

from __future__ import annotations

import os
import sys
from typing import Mapping, TextIO

from rich.console import Console

_plain_flag = False


def choose_plain(flag: bool) -> None:
    """Record the ``--plain`` flag of this command (the root callback calls it on every invocation)."""
    global _plain_flag
    _plain_flag = flag


def plain(environ: Mapping[str, str] | None = None) -> bool:
    """True when output must be plain: ``--plain``, a non-empty ``NO_COLOR``, or ``TERM=dumb``."""
    environ = os.environ if environ is None else environ
    return _plain_flag or bool(environ.get("NO_COLOR")) or environ.get("TERM", "").lower() == "dumb"


def console(stderr: bool = False) -> Console:
    """A console bound to the stream in place now (grading swaps ``sys.stdout``/``sys.stderr`` while pytest
    runs, and the live line must keep drawing on the learner's terminal meanwhile).

    A plain console emits no escape code at all and lets long lines wrap where the reader's terminal wraps
    them, instead of breaking them at a guessed width.
    """
    stream = sys.stderr if stderr else sys.stdout
    if plain():
        return Console(file=stream, highlight=False, color_system=None, force_terminal=False, emoji=False,
                       soft_wrap=True)
    return Console(file=stream, highlight=False)


def in_notebook_kernel(environ: Mapping[str, str] | None = None) -> bool:
    """Whether this process was started from a Jupyter or Colab kernel (``!hnml-tutor check`` in a cell).

    IPython runs a cell's ``!command`` on a pseudo-terminal, so the command's output *is* a terminal as far
    as ``isatty`` can tell, and every redrawn frame would pile up in the cell. The kernel's environment gives
    it away: Jupyter sets ``JPY_PARENT_PID`` for the kernel, ipykernel points ``MPLBACKEND`` at its inline
    backend, and Colab sets ``COLAB_*`` variables; each is inherited by the commands a cell runs.
    """
    environ = os.environ if environ is None else environ
    return (bool(environ.get("JPY_PARENT_PID"))
            or environ.get("MPLBACKEND", "").startswith(("module://matplotlib_inline", "module://ipykernel"))
            or any(name.startswith("COLAB_") for name in environ))


def animate(stream: TextIO) -> bool:
    """May a line be redrawn in place on ``stream`` (a spinner, a live progress line)?

    Only on a real terminal, never in plain mode, and never under a notebook kernel
    (:func:`in_notebook_kernel`). ``FORCE_COLOR``, which ipykernel sets for every process a notebook starts,
    asks for colour, not for a terminal: redrawn frames would pile up in the cell's output, so it does not
    count here either.
    """
    if plain() or in_notebook_kernel():
        return False
    try:
        return stream.isatty()
    except (AttributeError, ValueError, OSError):
        return False
