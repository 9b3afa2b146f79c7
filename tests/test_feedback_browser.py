"""The learner's HTML feedback, opened in a real headless Chromium: rendered, screenshotted and inspected.

Chromium comes from Debian (``apt-get install chromium``; ``.ci/run`` installs it). Outside CI a machine
without it skips these tests; in CI a missing browser is a failure, so the check can never silently vanish.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import textwrap

import numpy as np
import pytest

from classroom_helpers import solution
from hnml_tutor.classroom.html_report import render_feedback_html
from hnml_tutor.classroom.outcome import Outcome
from hnml_tutor.curriculum import load_curriculum
from hnml_tutor.graders.runner import grade_exercise
from hnml_tutor.sandbox import Limits

BROWSER = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
HEIGHT = 2600
GREEN, RED = (0x1A, 0x7F, 0x37), (0xCF, 0x22, 0x2E)

if BROWSER is None:
    if os.environ.get("CI"):
        pytest.fail("CI must have Chromium for the feedback-page test (.ci/run installs Debian's chromium)",
                    pytrace=False)
    pytestmark = pytest.mark.skip(reason="Chromium is not installed (apt-get install chromium)")

WRONG_02 = textwrap.dedent("""
    def preprocess(images):
        print("<script>document.body.innerHTML = 'pwned'</script> scaling now")
        return images.astype("float32")
""")


def browser(*args: str, profile) -> subprocess.CompletedProcess:
    command = [BROWSER, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--disable-extensions", "--no-first-run",
               "--hide-scrollbars", f"--user-data-dir={profile}", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def feedback_page(tmp_path_factory):
    folder = tmp_path_factory.mktemp("feedback")
    curriculum = load_curriculum()
    outcomes = []
    for exercise_id, source in (("02", WRONG_02), ("01", solution("01"))):
        exercise = curriculum.resolve(exercise_id)
        path = folder / exercise.filename
        path.write_text(source, encoding="utf-8")
        report = grade_exercise(exercise, path, limits=Limits(time_limit=60))
        outcomes.append(Outcome.from_report("Ana López", report, exercise.points, ""))
    exercise = curriculum.resolve("03")
    outcomes.append(Outcome.not_graded("Ana López", "03", exercise.title, exercise.points,
                                       "did not finish within the time limit of 60 s"))
    page = folder / "Ana_López.html"
    page.write_text(render_feedback_html("Ana López", sorted(outcomes, key=lambda o: o.exercise_id)), encoding="utf-8")
    return page


def test_the_page_renders_what_the_learner_needs(feedback_page, tmp_path):
    dom = browser("--dump-dom", feedback_page.as_uri(), profile=tmp_path / "profile").stdout
    assert "Feedback for Ana López" in dom
    assert 'id="total">16</strong> / 35' in dom  # 01: 10, 02: 6 of 10 (never divided), 03: not graded
    for words in ("Expected", "Found", "Hint", "Not graded: did not finish within the time limit", "255"):
        assert words in dom, words
    assert "pwned" not in dom.replace("document.body.innerHTML = 'pwned'", "")  # the script never ran
    assert "<script>" not in dom


@pytest.mark.parametrize("width", [1100, 420])
def test_screenshot_shows_passes_in_green_and_failures_in_red(feedback_page, tmp_path, width):
    shot = tmp_path / f"feedback-{width}.png"
    result = browser(f"--screenshot={shot}", f"--window-size={width},{HEIGHT}", feedback_page.as_uri(),
                     profile=tmp_path / "profile")
    assert shot.is_file(), result.stderr[-2000:]
    import matplotlib.image

    pixels = (matplotlib.image.imread(shot)[..., :3] * 255).round().astype(int)
    assert pixels.shape[:2] == (HEIGHT, width)

    def share(colour) -> float:
        return float(np.mean(np.all(np.abs(pixels - np.array(colour)) <= 6, axis=-1)))

    assert share(GREEN) > 0.0005, "the passed exercise's green bar and badges are visible"
    assert share(RED) > 0.0005, "the failed exercise's red bar and badges are visible"
    dark_text = float(np.mean(pixels.sum(axis=-1) < 200))
    assert 0.005 < dark_text < 0.5, "there is text on a light page"
    rows_with_ink = np.where((pixels.sum(axis=-1) < 600).any(axis=1))[0]
    assert rows_with_ink.max() > 900, "the checks run down the page, not one clipped line"
