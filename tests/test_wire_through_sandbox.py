"""The new wire kinds through a real child process (one cold start, no Keras): a file the grader hands in,
a path the learner writes to, and a dict of arrays coming back. Everything else is in test_wire.py."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import numpy as np

from hnml_tutor.sandbox import Call, Limits, cleanup, run
from hnml_tutor.transport import InputFile, OutputPath, WrittenFile, written_file

LEARNER = """
import numpy as np

def copy_and_report(source, target):
    with open(source, "rb") as inp, open(target, "wb") as out:
        out.write(inp.read() * 2)
    return {"W1": np.ones((3, 2), "float32"), "sizes": [len(source), len(target)], "note": None}
"""


def test_files_and_dicts_cross_a_real_child(tmp_path):
    learner = tmp_path / "learner.py"
    learner.write_text(textwrap.dedent(LEARNER))
    source = tmp_path / "given.bin"
    source.write_bytes(b"0123456789")
    target = OutputPath("written.bin")
    outcome = run(learner, (Call("copy_and_report", (InputFile(source), target)),), Limits(time_limit=60))
    try:
        assert outcome.ok, (outcome.status, outcome.reason, outcome.output)
        value = outcome.call("copy_and_report").value
        assert isinstance(value, dict) and value["note"] is None
        np.testing.assert_array_equal(value["W1"], np.ones((3, 2), "float32"))
        found = written_file(outcome.folder, target)
        assert isinstance(found, WrittenFile) and found.size == 20
        assert found.path.read_bytes() == b"0123456789" * 2
    finally:
        cleanup(outcome)


def test_reading_what_came_back_imports_no_keras(tmp_path):
    """Deciding what a value is never costs a TensorFlow import; only loading a model does."""
    (tmp_path / "model_x.keras").write_bytes(b"PK")
    script = textwrap.dedent(f"""
        import sys
        from pathlib import Path
        from hnml_tutor.graders.vocabulary import describe
        from hnml_tutor.transport import decode_value
        value = decode_value({{"kind": "model", "path": "model_x.keras"}}, Path({str(tmp_path)!r}))
        assert describe(value) == "a Keras model", describe(value)
        assert "keras" not in sys.modules and "tensorflow" not in sys.modules
    """)
    subprocess.run([sys.executable, "-c", script], check=True, timeout=60)
