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
