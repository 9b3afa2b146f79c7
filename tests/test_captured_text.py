"""What a learner's code printed reaches them as plain text: no escape codes, progress bars in their final
state — whether Keras drew them with carriage returns or backspaces."""

import textwrap

import pytest

from hnml_tutor import sandbox
from hnml_tutor.sandbox import Call, Limits
from hnml_tutor.captured_text import plain_text

# What Keras 3's progress bar wrote into the sandbox's output file for one epoch of 8 steps (captured here).
KERAS_EPOCH = ("Epoch 1/2\n\r\x1b[1m1/8\x1b[0m \x1b[32m━━\x1b[0m\x1b[37m━━━━━━━━━━━━━━━━━━\x1b[0m \x1b[1m0s\x1b[0m "
               "84ms/step - loss: 0.0000e+00" + "\b" * 56 + "\r\x1b[1m8/8\x1b[0m \x1b[32m━━━━━━━━━━━━━━━━━━━━\x1b[0m"
               "\x1b[37m\x1b[0m \x1b[1m0s\x1b[0m 2ms/step - loss: 0.0000e+00 \n")


def test_a_keras_epoch_becomes_its_final_line():
    assert plain_text(KERAS_EPOCH) == "Epoch 1/2\n8/8 ━━━━━━━━━━━━━━━━━━━━ 0s 2ms/step - loss: 0.0000e+00\n"


@pytest.mark.parametrize("captured, shown", [
    ("plain\ntext\n", "plain\ntext\n"),
    ("10%\r50%\r100%\n", "100%\n"),
    ("progress: 9\b10\n", "progress: 10\n"),
    ("long line here\rshort\n", "shortline here\n"),  # what a terminal shows too: only what was overwritten changes
    ("windows\r\nline endings\r\n", "windows\nline endings\n"),
    ("\x1b]0;a window title\x07title gone\n", "title gone\n"),
    ("\x1b[2K\x1b[1Gcleared\n", "cleared\n"),
    ("bell\x07 and null\x00 dropped, tab\tkept\n", "bell and null dropped, tab\tkept\n"),
    ("trailing spaces   \n", "trailing spaces\n"),
    ("\b\b\rstarts with controls\n", "starts with controls\n"),
])
def test_lines_are_replayed_as_a_terminal_draws_them(captured, shown):
    assert plain_text(captured) == shown


def test_a_long_output_of_redraws_is_cleaned_quickly():
    """The output cap is 2 MiB; a bar redrawn thousands of times must not make the report slow."""
    import time

    captured = "".join(f"\r\x1b[1m{step}/5000\x1b[0m ━━━━ - loss: 0.1" + "\b" * 30 for step in range(5000)) + "\n"
    started = time.perf_counter()
    assert plain_text(captured).startswith("4999/5000")
    assert time.perf_counter() - started < 5


def test_a_real_fit_reaches_the_learner_as_plain_text(tmp_path, warm_launcher):
    path = tmp_path / "learner.py"
    path.write_text(textwrap.dedent("""
        import numpy as np
        import keras

        def fit():
            model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
            model.compile(optimizer="sgd", loss="mse")
            model.fit(np.zeros((64, 3)), np.zeros(64), epochs=2, batch_size=8)
            print("\\x1b[31mdone\\x1b[0m")
            return True
        """), encoding="utf-8")
    result = sandbox.run(path, (Call("fit"),), Limits(time_limit=60), seed=1, launcher=warm_launcher)
    sandbox.cleanup(result)
    assert result.ok, (result.status, result.reason, result.output)
    assert "\x1b" not in result.output and "\r" not in result.output and "\b" not in result.output
    lines = result.output.splitlines()
    assert lines[:2] == ["Epoch 1/2", lines[1]] and lines[1].startswith("8/8 ")
    assert lines[-1] == "done" and "Epoch 2/2" in lines
