"""Benchmark of the curriculum itself: what each reference solution reaches, and what its check costs.

For every exercise (or those ``--exercises`` names) and every seed, the reference solution is graded as a
learner's ``hnml-tutor check`` grades it (a cold child unless ``--warm``), and this prints:
  * whether it passed, and the grader's first note — the measured test accuracy of a training exercise,
    the learned weights of the one neuron — so a threshold can be set well below the worst seed;
  * the check's wall time next to the exercise's time limit (the limit counts the learner's code only, so
    wall time over the limit is not a failure, but a ratio near 1 leaves a slow laptop no room).
The cache of reference models is built before the first measurement, so no row pays for it.

Timings on shared machines are noisy: this prints medians and ratios, it asserts nothing.

Run:  HNML_TUTOR_DATA=../shared/data python bench/bench_curriculum.py [--exercises 08-13] [--seeds 0,1,2,3,4]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from hnml_tutor.curriculum import load_curriculum
from hnml_tutor.graders.runner import grade_exercise
from hnml_tutor.reference import registry
from hnml_tutor.sandbox import ColdLauncher, WarmLauncher


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--exercises", default=None, help="e.g. 08-13 or 5,9 (default: all)")
    parser.add_argument("--seeds", default="0,1,2", help="comma-separated seeds for the learner's run")
    parser.add_argument("--warm", action="store_true", help="fork each run from a warm parent, as watch does")
    args = parser.parse_args()
    curriculum = load_curriculum()
    chosen = curriculum.select(args.exercises)
    seeds = [int(s) for s in args.seeds.split(",") if s.strip()]

    started = time.perf_counter()
    registry.prepare()
    print(f"reference cache ready in {time.perf_counter() - started:.1f} s")
    launcher = WarmLauncher() if args.warm else ColdLauncher()
    plots = Path(tempfile.mkdtemp(prefix="hnml-bench-curriculum-"))
    print(f"{'id':>3} {'seed':>4} {'passed':>6} {'wall s':>7} {'limit s':>7}  first note")
    summary = []
    try:
        for exercise in chosen:
            walls = []
            for seed in seeds:
                report = grade_exercise(exercise, exercise.solution_path, seed=seed, launcher=launcher,
                                        plots_dir=plots)
                walls.append(report.duration)
                note = report.notes[0] if report.notes else ""
                failed = "" if report.passed else "  FAILED: " + "; ".join(
                    c.message for c in report.checks if not c.passed)
                print(f"{exercise.id:>3} {seed:>4} {str(report.passed):>6} {report.duration:>7.1f} "
                      f"{exercise.time_limit:>7g}  {note}{failed}", flush=True)
            summary.append((exercise, statistics.median(walls)))
    finally:
        if isinstance(launcher, WarmLauncher):
            launcher.close()
    print(f"\nmedian wall time of a check, and its share of the time limit ({len(seeds)} seeds)")
    for exercise, wall in summary:
        print(f"{exercise.id:>3} {exercise.title:<32} {wall:>6.1f} s of {exercise.time_limit:>4g} s  "
              f"({wall / exercise.time_limit:.0%})")


if __name__ == "__main__":
    main()
