"""Cold and warm launchers mean the same thing: the same limits, measured from the same moment, the same way."""

import os
import subprocess
import sys
import textwrap
import time

import pytest

from hnml_tutor import sandbox
from hnml_tutor.sandbox import Call, ColdLauncher, Limits, SandboxStartFailed, WarmLauncher, cleanup, run
from hnml_tutor.sandbox.launchers import ColdProcess


@pytest.fixture(params=["cold", "warm"])
def launcher(request, warm_launcher):
    return warm_launcher if request.param == "warm" else ColdLauncher()


def run_source(tmp_path, source: str, calls, launcher, **limits):
    path = tmp_path / "learner.py"
    path.write_text(textwrap.dedent(source), encoding="utf-8")
    result = sandbox.run(path, tuple(calls), Limits(**limits), seed=1, launcher=launcher)
    sandbox.cleanup(result)
    return result


def test_time_limit_starts_when_learner_code_starts(tmp_path, launcher):
    """A cold child spends seconds importing Keras before the learner's file; that is not the learner's time."""
    result = run_source(tmp_path, """
        import time
        import keras

        def wait():
            time.sleep(1)
            return keras.__name__
        """, [Call("wait")], launcher, time_limit=3)
    assert result.ok, (result.status, result.reason, result.output)
    assert result.call("wait").value == "keras"
    assert result.startup is not None and result.duration > result.startup


def test_warm_launcher_starts_cold_children_where_fork_is_unsafe(tmp_path, monkeypatch):
    monkeypatch.setattr(WarmLauncher, "available", staticmethod(lambda: False))
    launcher = WarmLauncher()
    started = []
    real_start = ColdLauncher.start
    monkeypatch.setattr(ColdLauncher, "start", lambda self, launch: started.append(launch) or real_start(self, launch))
    result = run_source(tmp_path, "def f():\n    return 7\n", [Call("f")], launcher)
    launcher.close()
    assert result.ok and result.call("f").value == 7 and len(started) == 1


def test_a_slow_start_is_the_tutors_problem_not_the_learners(tmp_path, monkeypatch):
    """A cold child importing Keras (seconds) overruns a start-up allowance of half a second."""
    from hnml_tutor.errors import TutorError
    from hnml_tutor.sandbox import watch

    monkeypatch.setattr(watch, "STARTUP_ALLOWANCE", 0.5)
    marker = tmp_path / "ran"
    with pytest.raises(SandboxStartFailed) as raised:
        run_source(tmp_path, f"""
            import keras
            open({str(marker)!r}, "w").close()
            def f():
                return 1
            """, [Call("f")], ColdLauncher())
    assert isinstance(raised.value, TutorError) and "did not run" in raised.value.problem
    assert "not your code's fault" in raised.value.fix
    assert not marker.exists(), "the child was stopped before the learner's code"


class SilentLauncher:
    """A launcher whose child ends without ever starting the learner's code."""

    isolation = "process"

    def job_root(self):
        return None

    def start(self, launch):
        return ColdProcess(subprocess.Popen([sys.executable, "-c", "print('no module named keras')"],
                                            stdout=open(launch.output_path, "ab"), start_new_session=True))

    def close(self):
        pass


def test_a_child_that_ends_before_learner_code_is_the_tutors_problem(tmp_path):
    with pytest.raises(SandboxStartFailed) as raised:
        run_source(tmp_path, "def f():\n    return 1\n", [Call("f")], SilentLauncher())
    assert "before running your code" in raised.value.problem and "no module named keras" in raised.value.problem


def test_graders_report_a_failed_start_as_an_error_not_a_failure(grade, monkeypatch):
    from hnml_tutor.sandbox import watch

    monkeypatch.setattr(watch, "STARTUP_ALLOWANCE", 0.5)
    report = grade("02", "import keras\ndef preprocess(images):\n    return images / 255.0\n", launcher=ColdLauncher())
    first = report.checks[0]
    assert first.status == "error" and "could not start python" in first.message.lower(), first


MIB = 1024 * 1024
HOLDS_600_MB = """
    import time
    import numpy as np

    def hold():
        block = np.ones(600 * 1024 * 1024 // 8)
        time.sleep(1.5)
        return float(block[-1])
    """


def test_a_trivial_file_is_charged_the_same_cold_and_warm(tmp_path, warm_launcher):
    """A forked child shares hundreds of MiB with its warm parent; none of that is the learner's."""
    source = """
        import time
        import numpy as np

        def scale():
            images = np.zeros((1000, 28, 28), dtype=np.uint8) / 255.0
            time.sleep(0.5)
            return images.shape
        """
    cold = run_source(tmp_path, source, [Call("scale")], ColdLauncher())
    warm = run_source(tmp_path, source, [Call("scale")], warm_launcher)
    assert cold.ok and warm.ok
    assert cold.memory_peak < 64 * MIB and warm.memory_peak < 64 * MIB, (cold.memory_peak, warm.memory_peak)
    assert abs(cold.memory_peak - warm.memory_peak) < 40 * MIB


def test_a_600_mb_array_is_counted_as_600_mb(tmp_path, launcher):
    result = run_source(tmp_path, HOLDS_600_MB, [Call("hold")], launcher, memory_mb=1000)
    assert result.ok, (result.status, result.reason)
    assert abs(result.memory_peak - 600 * MIB) < 60 * MIB, result.memory_peak / MIB


def test_a_600_mb_array_is_stopped_by_a_400_mib_limit(tmp_path, launcher):
    result = run_source(tmp_path, HOLDS_600_MB, [Call("hold")], launcher, memory_mb=400)
    assert result.status == "memory" and "400 MiB" in result.reason, (result.status, result.reason)


def test_progress_reports_the_epochs_of_a_fit(tmp_path, launcher):
    """The front end hears "epoch n of 3" while training runs, and the learner's fit returns what it always did."""
    seen = []
    path = tmp_path / "learner.py"
    path.write_text(textwrap.dedent("""
        import time
        import keras
        import numpy as np

        def train():
            rng = np.random.default_rng(0)
            x, y = rng.random((64, 4)), rng.integers(0, 2, 64)
            model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])
            model.compile(optimizer="sgd", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
            slow = [keras.callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: time.sleep(0.6))]
            history = model.fit(x, y, epochs=3, batch_size=16, verbose=0, callbacks=slow)
            return [type(history).__name__, history.epoch, history.params["epochs"], len(slow)]
        """), encoding="utf-8")
    result = sandbox.run(path, (Call("train"),), Limits(time_limit=60), seed=1, launcher=launcher,
                         on_progress=seen.append)
    sandbox.cleanup(result)
    assert result.ok, (result.status, result.reason, result.output)
    assert result.call("train").value == ["History", [0, 1, 2], 3, 1]
    epochs = [(p.epoch, p.epochs) for p in seen if p.epoch is not None]
    assert {(1, 3), (2, 3)} <= set(epochs), epochs
    assert epochs == sorted(epochs)
    assert all(0 <= p.elapsed <= p.time_limit == 60 for p in seen)
    assert seen[-1].started


def test_a_forged_progress_file_misleads_only_the_display(tmp_path, launcher):
    """Learner code owns the job folder: a FIFO where the progress file goes must not hang the watcher."""
    seen = []
    path = tmp_path / "learner.py"
    path.write_text(textwrap.dedent("""
        import os, time

        def preprocess(images):
            os.mkfifo("progress.json")
            time.sleep(1)
            return images / 255.0
        """), encoding="utf-8")
    import numpy as np

    result = sandbox.run(path, (Call("preprocess", (np.full((2, 2), 255, dtype=np.uint8),)),), Limits(time_limit=10),
                         launcher=launcher, on_progress=seen.append)
    sandbox.cleanup(result)
    assert result.ok and result.call("preprocess").value.max() == 1.0
    assert seen and all(p.epoch is None for p in seen)


@pytest.mark.parametrize("content", [
    b'{"epoch": 7, "epochs": 3}', b'{"epoch": -1, "epochs": 3}', b'{"epoch": true, "epochs": 3}',
    b'[1, 2]', b'{"epoch": 1', b"\xff" * 10_000,
])
def test_progress_files_that_make_no_sense_are_ignored(tmp_path, content):
    from hnml_tutor.sandbox import fit_progress

    (tmp_path / fit_progress.FILENAME).write_bytes(content)
    assert fit_progress.read(tmp_path) == (None, None)


def test_a_progress_file_must_be_a_regular_file_not_a_link(tmp_path):
    from hnml_tutor.sandbox import fit_progress

    (tmp_path / "elsewhere.json").write_text('{"epoch": 1, "epochs": 2}')
    (tmp_path / fit_progress.FILENAME).symlink_to(tmp_path / "elsewhere.json")
    assert fit_progress.read(tmp_path) == (None, None)
    fit_progress.write(tmp_path, 1, 2)  # the child's own write replaces the link with a file
    assert fit_progress.read(tmp_path) == (1, 2)


def test_numpy_runs_its_matrix_products_on_one_thread(tmp_path, launcher):
    """OpenBLAS threads spin-waiting on busy cores made a NumPy training 3-10x slower (exercise 16)."""
    result = run_source(tmp_path, """
        import os

        def threads():
            return os.environ.get("OPENBLAS_NUM_THREADS")
        """, [Call("threads")], launcher)
    assert result.ok and result.call("threads").value == "1"


def test_a_process_the_code_started_ends_with_a_run_that_ends_normally_without_a_jail(tmp_path):
    """Process-only isolation (Linux without bubblewrap, macOS): no PID namespace ends what the learner's code
    started, so the launcher kills the child's process group when the child ends on its own (found in a
    review: a `sleep` the function started outlived the run)."""
    marker = f"{1000 + os.getpid() % 1000}.{time.monotonic_ns() % 997}"
    source = tmp_path / "starts.py"
    source.write_text(textwrap.dedent(f"""
        import subprocess

        def start():
            subprocess.Popen(["sleep", "{marker}"])
            return 1
        """))
    result = run(source, (Call("start"),), Limits(time_limit=30), launcher=ColdLauncher("process"))
    cleanup(result)
    assert result.ok and result.call("start").value == 1, (result.status, result.reason, result.output)
    deadline = time.monotonic() + 5
    while _sleeping(marker) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _sleeping(marker)


def _sleeping(marker: str) -> bool:
    import psutil

    for process in psutil.process_iter(["cmdline"]):
        if process.info["cmdline"] == ["sleep", marker]:
            return True
    return False
