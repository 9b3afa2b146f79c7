"""The pure parts of grading: the assertion vocabulary, the one result type and its renderers (no sandbox)."""

import numpy as np
import pytest

from hnml_tutor.graders.vocabulary import CheckFailed, describe_array, expect_array, expect_close, fail
from hnml_tutor.render.html import check_item
from hnml_tutor.captured_text import plain_text
from hnml_tutor.render.text import check_text, format_points
from hnml_tutor.results import CheckResult, ExerciseReport


def test_fail_carries_what_the_learner_needs():
    with pytest.raises(CheckFailed) as raised:
        fail("Pixel values go up to 255.", expected="at most 1.0", found="255", hint="divide by 255")
    error = raised.value
    assert (error.rationale, error.expected, error.found, error.hint) == (
        "Pixel values go up to 255.", "at most 1.0", "255", "divide by 255")


def test_arrays_are_described_never_dumped():
    text = describe_array(np.array([[0, 255], [3, 4]], dtype=np.uint8))
    assert text == "uint8 array of shape (2, 2), values 0 to 255"
    assert "2 not finite" in describe_array(np.array([1.0, np.nan, np.inf]))


def test_expect_array_and_expect_close():
    values = np.zeros(3)
    assert expect_array(values, "x") is values
    with pytest.raises(CheckFailed, match="should be a NumPy array"):
        expect_array([1, 2], "x")
    expect_close(0.951, 0.95, "accuracy", tolerance=0.002)
    with pytest.raises(CheckFailed) as raised:
        expect_close(0.9, 0.95, "accuracy", tolerance=0.002, hint="train longer")
    assert raised.value.expected == "0.95 (± 0.002)" and raised.value.hint == "train longer"
    with pytest.raises(CheckFailed):
        expect_close(float("nan"), 0.95, "accuracy", tolerance=1.0)


def _checks():
    return [
        CheckResult("test_runs", "f(x) runs without error", "passed", max_points=2),
        CheckResult("test_shape", "keeps the shape", "failed", message="Wrong shape.", expected="(2, 2)",
                    found="(4,)", hint="don't flatten", max_points=1),
        CheckResult("test_values", "right values", "skipped", message="skipped: needs “keeps the shape” to pass first",
                    max_points=3),
    ]


def test_one_layout_for_every_renderer():
    passed, failed, skipped = _checks()
    assert failed.feedback() == [("expected", "(2, 2)"), ("found", "(4,)"), ("hint", "don't flatten")]
    assert passed.feedback() == [] and skipped.feedback() == []
    assert skipped.skip_reason == "needs “keeps the shape” to pass first" and skipped.points == 0
    assert check_text(failed) == "Wrong shape.\nExpected: (2, 2)\nFound: (4,)\nHint: don't flatten"
    assert check_text(skipped) == "Skipped: needs “keeps the shape” to pass first."
    html = check_item(failed)
    assert "<dt>Expected</dt><dd>(2, 2)</dd>" in html and "0 / 1" in html
    assert "needs “keeps the shape” to pass first" in check_item(skipped) and "– skipped" in check_item(skipped)


def test_results_round_trip_through_json():
    report = ExerciseReport("02", "Scale the pixels", checks=_checks())
    data = report.to_dict()
    assert data["counts"] == {"passed": 1, "failed": 1, "skipped": 1, "error": 0}
    assert [CheckResult.from_dict(check) for check in data["checks"]] == report.checks
    assert data["checks"][0]["points"] == 2 and data["checks"][1]["points"] == 0


def test_learner_output_without_escape_codes_or_progress_redraws():
    raw = "Epoch 1/2\n\x1b[1m 1/10\x1b[0m [>....]\r\x1b[1m10/10\x1b[0m [=====] loss: 0.3\n\x1b]0;title\x07done\r\n"
    assert plain_text(raw) == "Epoch 1/2\n10/10 [=====] loss: 0.3\ndone\n"


@pytest.mark.parametrize("value, text", [(10.0, "10"), (2.5, "2.50"), (1 / 3, "0.33")])
def test_points_read_as_people_write_them(value, text):
    assert format_points(value) == text


def test_a_plot_that_cannot_be_drawn_is_named_and_the_others_are_kept(tmp_path):
    """Plots draw what the learner's code returned; one that breaks on it must not take the grading down."""
    from hnml_tutor import plots

    def fine(path, values):
        figure, axes = plots.pyplot().subplots()
        axes.plot(values)
        return plots.save(figure, path)

    def breaks(path, values):
        raise ValueError("arange: cannot compute length")

    written, failed = plots.draw_all([(breaks, {"filename": "loss.png", "values": [1.0, 1e308]}),
                                      (fine, {"filename": "fine.png", "values": [3.0, 2.0]})], tmp_path)
    assert written == [tmp_path / "fine.png"] and (tmp_path / "fine.png").is_file()
    assert len(failed) == 1 and "loss.png" in failed[0] and "not affected" in failed[0]
