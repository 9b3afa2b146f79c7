"""Benchmark of instructor grading: a generated class graded with 1 and 2 workers, and the cost of isolation.

Generates a class of workspaces — correct, wrong and hanging learners — and reports:
  * wall time of ``hnml-tutor grade`` with 1 and with 2 workers, per-learner cost, and the speed-up;
  * the isolation overhead: for the correct learners, the median time ``grade`` spent per exercise
    (worker, copy, sandbox child, grader) next to the time the same learner functions take when called
    directly in one warm Python process with the same inputs, and the ratio of the two.

Timings on shared machines are noisy: this prints medians and ratios, it asserts nothing.

Run:  HNML_TUTOR_DATA=../shared/data python bench/bench_grade.py [--learners 20] [--exercises 01-04,06,07]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from hnml_tutor.curriculum import load_curriculum

WRONG = {  # plausible learner mistakes, each costing some or all of an exercise's points
    "01": "import keras\ndef load_data():\n    (a, b), (c, d) = keras.datasets.mnist.load_data()\n    return (c, d), (a, b)\n",
    "02": "def preprocess(images):\n    return images.astype('float32')\n",
    "03": "import keras\ndef build_model():\n    return keras.Sequential([keras.Input((28, 28)), keras.layers.Flatten(), keras.layers.Dense(10)])\n",
    "04": "def compile_model(model):\n    model.compile(optimizer='adam', loss='mse')\n    return model\n",
    "05": "def train(model, x_train, y_train):\n    return model.fit(x_train[:256], y_train[:256], epochs=1, verbose=0)\n",
    "06": "def evaluate(model, x_test, y_test):\n    return model.evaluate(x_test, y_test, verbose=0)[0]\n",
    "07": "import numpy as np\ndef predict_proba(model, images):\n    return model.predict(images, verbose=0)\n"
          "def predict(model, images):\n    return model.predict(images, verbose=0)\n",
}
HANG = "import time\n\ndef {function}(*args):\n    while True:\n        time.sleep(0.1)\n"


def make_class(root: Path, learners: int, exercise_ids: list[str]) -> dict[str, str]:
    """``learners`` workspaces: half correct, a third wrong, the rest hanging in their first exercise."""
    curriculum = load_curriculum()
    kinds: dict[str, str] = {}
    for n in range(learners):
        kind = "correct" if n % 6 in (0, 1, 2) else ("wrong" if n % 6 in (3, 4) else "hanging")
        name = f"learner{n:02d}_{kind}"
        kinds[name] = kind
        folder = root / name / "exercises"
        folder.mkdir(parents=True)
        (root / name / ".hnml-tutor").mkdir()
        for position, exercise_id in enumerate(exercise_ids):
            exercise = curriculum.resolve(exercise_id)
            if kind == "correct":
                source = exercise.solution_path.read_text()
            elif kind == "wrong":
                source = WRONG[exercise_id]
            elif position == 0:
                source = HANG.format(function=exercise.functions[0])
            else:
                source = exercise.solution_path.read_text()
            (folder / exercise.filename).write_text(source)
    return kinds


def grade(submissions: Path, out: Path, workers: int, exercises: str, timeout: int, isolation: str = "auto") -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "hnml_tutor", "grade", str(submissions), "--out", str(out), "-e", exercises,
                    "--workers", str(workers), "--timeout", str(timeout), "--isolation", isolation],
                   check=True, capture_output=True, env=dict(os.environ, COLUMNS="160"))
    return time.perf_counter() - started


DIRECT = r'''
import importlib.util, json, sys, time
import numpy as np
import keras
from hnml_tutor import datasets, reference
from hnml_tutor.curriculum import load_curriculum
from hnml_tutor.sandbox.keras_hooks import install_offline_datasets

install_offline_datasets()  # the same offline load_data() the sandbox gives learner code

files, exercise_ids = json.loads(sys.argv[1]), json.loads(sys.argv[2])
data = datasets.load("mnist")
scaled = reference.get("mnist/scaled")
x_train, x_test = scaled.x_train, scaled.x_test
trained = reference.get("mnist/trained-mlp").model.load()
subset = np.sort(np.random.default_rng(7).choice(len(data.y_test), 1000, replace=False))
calls = {
    "01": lambda m: m.load_data(),
    "02": lambda m: m.preprocess(data.x_test),
    "03": lambda m: m.build_model(),
    "04": lambda m: m.compile_model(reference.get("mlp/built")),
    "05": lambda m: m.train(reference.get("mlp/compiled"), x_train, data.y_train),
    "06": lambda m: m.evaluate(trained, x_test[subset], data.y_test[subset]),
    "07": lambda m: (m.predict_proba(trained, x_test[subset]), m.predict(trained, x_test[subset])),
}
curriculum = load_curriculum()
times = {e: [] for e in exercise_ids}
for folder in files:
    for exercise_id in exercise_ids:
        path = f"{folder}/exercises/{curriculum.resolve(exercise_id).filename}"
        spec = importlib.util.spec_from_file_location(f"learner_{exercise_id}", path)
        module = importlib.util.module_from_spec(spec)
        keras.utils.set_random_seed(12345)
        started = time.perf_counter()
        spec.loader.exec_module(module)
        calls[exercise_id](module)
        times[exercise_id].append(time.perf_counter() - started)
print(json.dumps(times))
'''


def direct_times(folders: list[Path], exercise_ids: list[str]) -> tuple[dict[str, list[float]], float]:
    """Per-exercise times of calling the learner functions directly (one warm process, no isolation)."""
    started = time.perf_counter()
    completed = subprocess.run([sys.executable, "-c", DIRECT, json.dumps([str(f) for f in folders]), json.dumps(exercise_ids)],
                               capture_output=True, text=True,
                               env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", TF_ENABLE_ONEDNN_OPTS="0"))
    if completed.returncode:
        sys.exit(f"the direct run failed:\n{completed.stderr[-3000:]}")
    return json.loads(completed.stdout.strip().splitlines()[-1]), time.perf_counter() - started


def grade_times(out: Path, learners: list[str], exercise_ids: list[str]) -> dict[str, list[float]]:
    times: dict[str, list[float]] = {e: [] for e in exercise_ids}
    for learner in learners:
        for exercise_id in exercise_ids:
            stored = json.loads((out / ".hnml-grade" / "outcomes" / learner / f"{exercise_id}.json").read_text())
            times[exercise_id].append(stored["duration"])
    return times


def lost_to_workers(out: Path) -> int:
    """Exercises whose grading process died or overran (should be only what hostile learners cause)."""
    return sum(1 for path in (out / ".hnml-grade" / "outcomes").glob("*/*.json")
               if json.loads(path.read_text())["reason"].startswith(("the grading process", "grading took longer")))


def overhead(root: Path, kinds: dict[str, str], exercise_ids: list[str]) -> None:
    correct = sorted(name for name, kind in kinds.items() if kind == "correct")
    isolated = grade_times(root / "out-1", correct, exercise_ids)
    direct, direct_wall = direct_times([root / "submissions" / name for name in correct], exercise_ids)
    print(f"\nisolation overhead on the {len(correct)} correct learners (medians, 1 worker):")
    print(f"{'exercise':>8} {'grade s':>9} {'direct s':>9} {'ratio':>7}")
    total_grade = total_direct = 0.0
    for exercise_id in exercise_ids:
        g, d = statistics.median(isolated[exercise_id]), statistics.median(direct[exercise_id])
        total_grade += sum(isolated[exercise_id])
        total_direct += sum(direct[exercise_id])
        print(f"{exercise_id:>8} {g:9.2f} {d:9.3f} {g / max(d, 1e-3):7.1f}")
    print(f"all correct learners: grade {total_grade:.1f} s vs the same calls made directly {total_direct:.1f} s "
          f"(that direct process, TF import and data loading included: {direct_wall:.1f} s) "
          f"→ ratio {total_grade / max(direct_wall, 1e-3):.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, default=20)
    parser.add_argument("--exercises", default="01-04,06,07", help="05 trains for ~10 s per learner; add it for a long run")
    parser.add_argument("--timeout", type=int, default=15, help="seconds a hanging learner costs per exercise")
    args = parser.parse_args()
    exercise_ids = [e.id for e in load_curriculum().select(args.exercises)]
    root = Path(tempfile.mkdtemp(prefix="hnml-bench-grade-"))
    submissions = root / "submissions"
    kinds = make_class(submissions, args.learners, exercise_ids)
    counts = {kind: list(kinds.values()).count(kind) for kind in ("correct", "wrong", "hanging")}
    print(f"class: {args.learners} learners ({counts}), exercises {','.join(exercise_ids)}, timeout {args.timeout} s")
    # Warm the caches (decoded data, the trained reference model) the way an instructor's first run would.
    subprocess.run([sys.executable, "-c", "from hnml_tutor import reference; reference.prepare()"],
                   check=True, env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3"))

    walls = {}
    for workers in (1, 2):
        walls[workers] = grade(submissions, root / f"out-{workers}", workers, ",".join(exercise_ids), args.timeout)
        print(f"{workers} worker(s): wall {walls[workers]:.1f} s, {walls[workers] / args.learners:.2f} s per learner, "
              f"exercises lost to a grading process that died: {lost_to_workers(root / f'out-{workers}')}")
    print(f"speed-up with 2 workers: {walls[1] / walls[2]:.2f}x")
    books = {w: (root / f"out-{w}" / "gradebook.csv").read_text() for w in (1, 2)}
    print(f"gradebooks of the two runs identical: {books[1] == books[2]}")

    overhead(root, kinds, exercise_ids)
    print(f"\n(work folder: {root})")


if __name__ == "__main__":
    main()
