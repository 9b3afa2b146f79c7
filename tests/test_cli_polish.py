"""Issue 11, the command line's rough edges: Typer's own output in plain mode, SIGTERM/SIGHUP during a run,
a damaged state folder, and what `hnml-tutor data` says.

Typer's output is tested through real subprocesses (``python -m hnml_tutor``): usage errors happen before
any command of ours runs, in ``cli.main``, which CliRunner does not call.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

DRAWING = re.compile("[\u2500-\u257f\u2580-\u259f]")  # box drawing and block elements
ESCAPE = "\x1b"
# Rich draws panels and writes colour into a pipe with FORCE_COLOR; plain mode must win over it.
RICH_ENV = {"FORCE_COLOR": "1", "TERM": "xterm-256color", "COLUMNS": "100"}


def hnml(args: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    environ.update(RICH_ENV, **env)
    return subprocess.run([sys.executable, "-m", "hnml_tutor", *args], cwd=cwd, env=environ, text=True,
                          capture_output=True, timeout=60)


TYPER_OUTPUT = {  # what Typer prints by itself, before the root callback runs
    "--plain, unknown option": (["--plain", "list", "--bogus"], {}, 2, "No such option: --bogus"),
    "TERM=dumb, misspelt command": (["chek", "01"], {"TERM": "dumb"}, 2, "No such command 'chek'"),
    "NO_COLOR, option before the command": (["--workspace", "/nonexist", "list"], {"NO_COLOR": "1"}, 2,
                                            "No such option: --workspace"),
    "--plain after the command": (["list", "--plain"], {}, 2, "No such option: --plain"),
    "--plain --help": (["--plain", "--help"], {}, 0, "Commands:"),
    "NO_COLOR, a command's help": (["data", "install", "-h"], {"NO_COLOR": "1"}, 0, "--json"),
}


@pytest.mark.parametrize("case", TYPER_OUTPUT)
def test_typers_own_output_is_plain_when_plain_is_asked_for(tmp_path, case):
    args, env, code, words = TYPER_OUTPUT[case]
    done = hnml(args, tmp_path, **env)
    output = done.stdout + done.stderr
    assert done.returncode == code, output
    assert words in output, output
    assert ESCAPE not in output, repr(output[:300])
    assert not DRAWING.search(output), output


def test_typers_own_output_stays_rich_otherwise(tmp_path):
    """Without plain mode the same error is a Rich panel: the detector above can fail."""
    done = hnml(["chek", "01"], tmp_path)
    assert done.returncode == 2
    assert DRAWING.search(done.stderr) and ESCAPE in done.stderr, done.stderr
