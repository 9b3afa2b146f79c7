"""Benchmark of isolation: what sealing learner code off (bubblewrap) costs against process limits only.

Reports, with medians and ratios (shared machines are noisy; nothing is asserted):
  * ``hnml-tutor grade`` of a generated class (correct, wrong and hanging learners, as bench_grade.py makes
    it) with ``--isolation process`` and ``--isolation bubblewrap``, with 1 and 2 workers: wall time, time
    per learner, and the ratio (target: bubblewrap ≤ 1.3× process per learner);
  * one ``hnml-tutor check`` of an exercise in a fresh process, ``HNML_TUTOR_ISOLATION=process`` against
    ``bubblewrap``: median wall time and the ratio.

Run:  HNML_TUTOR_DATA=../shared/data python bench/bench_isolation.py [--learners 20] [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_grade import grade, make_class  # noqa: E402  (the same class bench_grade.py grades)

from hnml_tutor.curriculum import load_curriculum  # noqa: E402
from hnml_tutor.sandbox.isolation import bubblewrap_problem  # noqa: E402

LEVELS = ("process", "bubblewrap")


def check_times(workspace: Path, exercise_id: str, isolation: str, repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "hnml_tutor", "check", exercise_id, "--workspace", str(workspace)],
                       capture_output=True, env=dict(os.environ, HNML_TUTOR_ISOLATION=isolation))
        times.append(time.perf_counter() - started)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, default=20)
    parser.add_argument("--exercises", default="01-04,06,07")
    parser.add_argument("--timeout", type=int, default=15)
    parser.add_argument("--repeat", type=int, default=3, help="checks per isolation level")
    args = parser.parse_args()
    if bubblewrap_problem():
        sys.exit(f"bubblewrap does not work here: {bubblewrap_problem()}")
    exercise_ids = [e.id for e in load_curriculum().select(args.exercises)]
    root = Path(tempfile.mkdtemp(prefix="hnml-bench-isolation-"))
    make_class(root / "submissions", args.learners, exercise_ids)
    subprocess.run([sys.executable, "-c", "from hnml_tutor import reference; reference.prepare()"], check=True,
                   env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3"))
    print(f"class of {args.learners}, exercises {','.join(exercise_ids)}")
    for workers in (1, 2):
        walls = {level: grade(root / "submissions", root / f"out-{level}-{workers}", workers, ",".join(exercise_ids),
                              args.timeout, level) for level in LEVELS}
        same = (root / f"out-process-{workers}" / "gradebook.csv").read_text() == \
            (root / f"out-bubblewrap-{workers}" / "gradebook.csv").read_text()
        print(f"{workers} worker(s): " + ", ".join(f"{level} {walls[level]:.1f} s ({walls[level] / args.learners:.2f} s "
                                                   f"per learner)" for level in LEVELS)
              + f" → bubblewrap/process {walls['bubblewrap'] / walls['process']:.2f}x; same gradebook: {same}")
    workspace = root / "submissions" / sorted(os.listdir(root / "submissions"))[0]
    for exercise_id in ("02", "03"):
        medians = {level: statistics.median(check_times(workspace, exercise_id, level, args.repeat)) for level in LEVELS}
        print(f"check {exercise_id}: " + ", ".join(f"{level} {medians[level]:.2f} s" for level in LEVELS)
              + f" → {medians['bubblewrap'] / medians['process']:.2f}x")
    print(f"(work folder: {root})")


if __name__ == "__main__":
    main()
