"""Benchmark of the learner-facing commands: medians and ratios, not pass/fail (shared machines are noisy).

Measures, in a fresh workspace holding the reference solutions:
  * ``--help``, ``list``, ``hint``, ``show``: median wall time (target < 0.3 s);
  * ``check`` of each non-training exercise: median wall time and its ratio to
    ``python -c "import tensorflow"`` measured side by side (target ≤ 2×);
  * ``check 05``: wall time and the test accuracy the grader measured;
  * ``watch``: a re-check of 02 and 03 after the first, in one process with a warm launcher as ``watch``
    keeps it, beside the learner's own function called directly in a warm process (the difference is the
    tutor's overhead).

Run:  HNML_TUTOR_DATA=../shared/data python bench/bench_cli.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from hnml_tutor.curriculum import load_curriculum


WATCH_RECHECKS = """
import statistics, sys, time
from pathlib import Path
from hnml_tutor import app, datasets, reference
from hnml_tutor.sandbox import WarmLauncher

workspace, repeat = Path(sys.argv[1]), int(sys.argv[2])
images = datasets.load("mnist").x_test
direct = {"02": lambda: reference.solution("02").preprocess(images),
          "03": lambda: reference.solution("03").build_model()}
launcher = WarmLauncher()
try:
    for exercise_id, call in direct.items():
        app.check(exercise_id, workspace, launcher=launcher)  # the first check: imports, caches, the warm parent
        rechecks, own = [], []
        for _ in range(repeat):
            started = time.perf_counter()
            assert app.check(exercise_id, workspace, launcher=launcher).passed
            rechecks.append(time.perf_counter() - started)
            started = time.perf_counter()
            call()
            own.append(time.perf_counter() - started)
        recheck, mine = statistics.median(rechecks), statistics.median(own)
        print(f"{'watch re-check ' + exercise_id:<28}{recheck:>10.3f}{'':>10}   learner's own function: {mine:.3f} s, "
              f"tutor overhead: {recheck - mine:.3f} s")
finally:
    launcher.close()
"""


def timed(command: list[str], cwd: Path) -> tuple[float, subprocess.CompletedProcess]:
    started = time.perf_counter()
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True, env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3"))
    return time.perf_counter() - started, result


def median_of(command: list[str], cwd: Path, repeat: int) -> float:
    return statistics.median(timed(command, cwd)[0] for _ in range(repeat))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    tutor = [sys.executable, "-m", "hnml_tutor"]
    root = Path(tempfile.mkdtemp(prefix="hnml-bench-"))
    subprocess.run([*tutor, "start", "ws"], cwd=root, check=True, capture_output=True)
    workspace = root / "ws"
    curriculum = load_curriculum()
    for exercise in curriculum.exercises:
        shutil.copy(exercise.solution_path, workspace / "exercises" / exercise.filename)
    # Warm the caches (decoded data, trained reference model) once, as a learner's first check does.
    subprocess.run([*tutor, "check", "06"], cwd=workspace, capture_output=True)

    print(f"{'command':<28}{'median s':>10}{'ratio':>10}")
    for name in (["--help"], ["list"], ["hint", "03"], ["show", "03"]):
        seconds = median_of([*tutor, *name], workspace, args.repeat)
        print(f"{'hnml-tutor ' + ' '.join(name):<28}{seconds:>10.3f}{'':>10}")

    tf_import = [sys.executable, "-c", "import tensorflow"]
    for exercise in curriculum.exercises:
        if exercise.threshold is not None:
            continue
        check_times, tf_times = [], []
        for _ in range(args.repeat):  # interleaved, so both see the same machine load
            check_times.append(timed([*tutor, "check", exercise.id], workspace)[0])
            tf_times.append(timed(tf_import, workspace)[0])
        check_median, tf_median = statistics.median(check_times), statistics.median(tf_times)
        print(f"{'hnml-tutor check ' + exercise.id:<28}{check_median:>10.3f}{check_median / tf_median:>9.2f}×"
              f"   (import tensorflow: {tf_median:.3f} s)")

    print(subprocess.run([sys.executable, "-c", WATCH_RECHECKS, str(workspace), str(args.repeat)], capture_output=True,
                         text=True, env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")).stdout, end="")

    for exercise in curriculum.exercises:
        if exercise.threshold is None:
            continue
        seconds, result = timed([*tutor, "check", exercise.id, "--json"], workspace)
        report = json.loads(result.stdout)
        print(f"{'hnml-tutor check ' + exercise.id:<28}{seconds:>10.3f}{'':>10}   passed={report['passed']}; "
              + "; ".join(report["notes"]))
    shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
