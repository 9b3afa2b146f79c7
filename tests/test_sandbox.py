"""Learner code that hangs, crashes, exits, floods or lies fails its check with a clear reason."""

import pytest

from conftest import failure_text

HOSTILE = {
    "hangs": ("""
        def preprocess(images):
            while True:
                pass
        """, ["time limit"], {"time_limit": 3}),
    "crashes the interpreter": ("""
        import os, signal
        def preprocess(images):
            os.kill(os.getpid(), signal.SIGSEGV)
        """, ["crashed", "sigsegv"], {}),
    "calls sys.exit at import": ("""
        import sys
        sys.exit(0)
        def preprocess(images):
            return images / 255.0
        """, ["sys.exit"], {}),
    "calls os._exit inside the function": ("""
        import os
        def preprocess(images):
            print("1 passed, 0 failed")
            os._exit(0)
        """, ["stopped before returning"], {}),
    "prints fake passes and patches pytest": ("""
        import sys
        def preprocess(images):
            print("PASSED all checks\\n7 passed, 0 failed")
            try:
                import pytest
                pytest.fail = lambda *a, **k: None
            except ImportError:
                pass
            return images
        """, ["floating-point"], {}),
    "floods the output": ("""
        def preprocess(images):
            while True:
                print("x" * 1000)
        """, ["output"], {}),
    "allocates without bound": ("""
        def preprocess(images):
            hoard = []
            while True:
                hoard.append(bytearray(50 * 1024 * 1024))
        """, ["memory"], {"memory_mb": 600}),
    "has a syntax error": ("""
        def preprocess(images)
            return images / 255.0
        """, ["syntax error on line 2", "^"], {}),
    "imports a missing module": ("""
        import numpyy
        def preprocess(images):
            return images / 255.0
        """, ["modulenotfounderror", "numpyy"], {}),
    "misnames the function": ("""
        def pre_process(images):
            return images / 255.0
        """, ["has no function `preprocess`"], {}),
}


@pytest.fixture(params=["cold", "warm"])
def launcher(request, warm_launcher):
    """Every check runs both ways: a fresh Python per run (``check``) and forked from a warm parent (``grade``)."""
    from hnml_tutor.sandbox import ColdLauncher

    return warm_launcher if request.param == "warm" else ColdLauncher()


@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_or_broken_file_fails_clearly(name, grade, launcher):
    source, phrases, options = HOSTILE[name]
    report = grade("02", source, launcher=launcher, **options)
    assert not report.passed
    text = failure_text(report)
    for phrase in phrases:
        assert phrase.lower() in text, f"{name}: {phrase!r} not in feedback:\n{text}"


def test_non_utf8_file_is_named(tmp_path):
    from hnml_tutor.curriculum import load_curriculum
    from hnml_tutor.graders.runner import grade_exercise

    exercise = load_curriculum().resolve("02")
    path = tmp_path / exercise.filename
    path.write_bytes(b"# caf\xe9\ndef preprocess(images):\n    return images / 255.0\n")
    report = grade_exercise(exercise, path)
    assert not report.passed
    assert "utf-8" in failure_text(report)


def test_missing_file_points_to_reset(tmp_path):
    from hnml_tutor.curriculum import load_curriculum
    from hnml_tutor.graders.runner import grade_exercise

    exercise = load_curriculum().resolve("03")
    report = grade_exercise(exercise, tmp_path / "nope.py")
    assert not report.passed and "hnml-tutor reset 03" in report.checks[0].hint


def test_memory_limit_leaves_real_training_alone(grade, launcher):
    """TensorFlow reserves far more address space than it uses; the default limit must not trip on it."""
    report = grade("05", """
        def train(model, x_train, y_train):
            return model.fit(x_train, y_train, epochs=1, batch_size=128, validation_split=0.1, verbose=0)
        """, launcher=launcher)
    assert report.checks[0].passed, report.checks[0].message


def test_a_learner_that_kills_the_warm_parent_only_fails_itself(grade, warm_launcher):
    report = grade("02", """
        import os, signal
        def preprocess(images):
            os.kill(os.getppid(), signal.SIGKILL)
        """, launcher=warm_launcher)
    assert "killed the process that started it" in failure_text(report)
    after = grade("02", "def preprocess(images):\n    return images / 255.0\n", launcher=warm_launcher)
    assert after.passed, "the next run gets a fresh warm parent"


def test_memory_watch_survives_processes_vanishing_mid_look(monkeypatch):
    """A learner process can exit between two /proc reads; the watch must see that as "gone", not fail the check."""
    import os
    import subprocess
    import sys

    from hnml_tutor.sandbox import memory

    assert memory.resident_memory(2**22 + 12345) == 0  # a pid that does not exist

    real_listdir = os.listdir
    vanished = []

    def listdir_of_a_dying_process(path):
        if str(path).endswith("/task") and not vanished:
            vanished.append(path)
            raise FileNotFoundError(2, "No such file or directory", str(path))
        return real_listdir(path)

    monkeypatch.setattr(memory.os, "listdir", listdir_of_a_dying_process)
    assert memory.resident_memory(os.getpid()) > 0  # itself still counted, no exception
    assert vanished

    # And for real: a parent whose short-lived children come and go while we measure.
    churn = subprocess.Popen([sys.executable, "-c",
                              "import subprocess, sys\n"
                              "for _ in range(60): subprocess.run([sys.executable, '-c', 'pass'])"])
    try:
        while churn.poll() is None:
            assert memory.resident_memory(churn.pid) >= 0
    finally:
        churn.wait()
    assert memory.resident_memory(churn.pid) == 0


def test_a_result_file_forged_by_the_learner_is_their_own_exit_not_a_grader_fault(grade):
    """Learner code runs beside the job folder; a result.json it writes itself never counts, and never
    blames the grader (which would make `grade` regrade and report a grader error)."""
    from hnml_tutor.sandbox import ColdLauncher

    report = grade("02", """
        import os, sys
        def preprocess(images):
            with open(os.path.join(sys.argv[1], "result.json"), "w") as forged:
                forged.write('{"nonce": "guess", "calls": [{"status": "returned"')
            os._exit(0)
        """, launcher=ColdLauncher())
    first = report.checks[0]
    assert first.status == "failed" and not report.grader_fault, first
    assert "stopped before returning" in first.message
