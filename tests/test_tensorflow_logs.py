"""TensorFlow's start-up lines are dropped from the tutor's processes' stderr; everything else written stays."""

from __future__ import annotations

import os

import pytest

from hnml_tutor.tensorflow_logs import start_up_lines_dropped, without_start_up_lines

START_UP = (b"WARNING: All log messages before absl::InitializeLog() is called are written to STDERR\n"
            b"I0000 00:00:1795298550.416539   10371 port.cc:153] oneDNN custom operations are on. You may see\n"
            b"I0000 00:00:1795298528.473337    9827 cpu_feature_guard.cc:227] This TensorFlow binary is optimized.\n"
            b"To enable the following instructions: AVX2 FMA, in other operations, rebuild TensorFlow.\n"
            b"E0000 00:00:1795298528.5   9827 cuda_dnn.cc:8310] Unable to register cuDNN factory\n")


def test_only_the_start_up_lines_go():
    kept = "\r\x1b[2K⏳ Checking 05\nTraceback (most recent call last):\nValueError: real\n".encode()
    assert without_start_up_lines(START_UP + kept + START_UP) == kept


def test_what_the_block_writes_comes_back_without_them(capfd):
    with start_up_lines_dropped():
        os.write(2, START_UP + b"a line of someone else's\n")
    assert capfd.readouterr().err == "a line of someone else's\n"


def test_a_failed_import_shows_everything(capfd):
    with pytest.raises(ImportError), start_up_lines_dropped():
        os.write(2, START_UP)
        raise ImportError("libcudart.so: cannot open shared object file")
    assert capfd.readouterr().err.encode() == START_UP


def test_other_threads_output_goes_through_while_the_import_runs(capfd):
    """The import often runs in a background thread while the main thread draws the live line: what the main
    thread writes must not wait for the import to end (found in a review: it froze, and was lost at exit)."""
    import threading
    import time

    seen_during_import = []
    importing = threading.Event()
    finish = threading.Event()

    def slow_import():
        with start_up_lines_dropped():
            os.write(2, START_UP)
            importing.set()
            finish.wait(10)

    thread = threading.Thread(target=slow_import)
    thread.start()
    importing.wait(10)
    os.write(2, b"\r\x1b[2K live line 1 s\n")
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and "live line" not in "".join(seen_during_import):
        seen_during_import.append(capfd.readouterr().err)
        time.sleep(0.05)
    still_importing = not finish.is_set()
    finish.set()
    thread.join(10)
    assert still_importing and "live line 1 s" in "".join(seen_during_import)
    assert "oneDNN" not in "".join(seen_during_import) + capfd.readouterr().err


def test_a_look_up_keeps_the_quieting_for_the_real_import(monkeypatch):
    """`hnml_tutor.backend` asks importlib whether TensorFlow is installed: that must not use up the finder."""
    import importlib.util
    import sys

    from hnml_tutor import tensorflow_logs

    monkeypatch.setattr(sys, "meta_path", list(sys.meta_path))
    monkeypatch.delitem(sys.modules, "tensorflow", raising=False)
    finder = tensorflow_logs._QuietTensorFlowFinder()
    sys.meta_path.insert(0, finder)
    assert importlib.util.find_spec("tensorflow") is not None
    assert finder in sys.meta_path
