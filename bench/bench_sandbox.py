"""Benchmark of the sandbox's two launchers: what a run costs cold and warm, and what memory each counts.

For a trivial NumPy-only call and a trivial Keras-using call, under the cold and the warm launcher:
  * start-up: from ``run()`` asking for a child to the learner's code starting (the tutor's time);
  * total: ``run()`` from start to verdict;
  * memory counted for the learner's code (a call that holds its result for a moment, so the watcher looks).
The warm parent is started once before measuring; its own start is reported on its own line.

Timings on shared machines are noisy: this prints medians, it asserts nothing.

Run:  HNML_TUTOR_DATA=../shared/data python bench/bench_sandbox.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from hnml_tutor import sandbox
from hnml_tutor.sandbox import Call, ColdLauncher, Limits, WarmLauncher

FILES = {
    "numpy": "import time\nimport numpy as np\n\ndef f(hold):\n    x = np.arange(1000) / 255.0\n"
             "    time.sleep(hold)\n    return float(x[-1])\n",
    "keras": "import time\nimport keras\nimport numpy as np\n\ndef f(hold):\n"
             "    x = keras.ops.convert_to_numpy(np.arange(1000) / 255.0)\n    time.sleep(hold)\n    return float(x[-1])\n",
}
MIB = 1024 * 1024


def one_run(path: Path, launcher, hold: float) -> sandbox.SandboxRun:
    result = sandbox.run(path, (Call("f", (hold,)),), Limits(time_limit=60), seed=1, launcher=launcher)
    sandbox.cleanup(result)
    if not result.ok:
        raise SystemExit(f"{path.name}: {result.status} {result.reason}\n{result.output[-2000:]}")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="hnml-bench-sandbox-"))
    warm = WarmLauncher()
    try:
        started = time.perf_counter()
        warmup = folder / "warmup.py"
        warmup.write_text(FILES["numpy"])
        one_run(warmup, warm, 0.0)
        elapsed = time.perf_counter() - started
        print(f"warm parent started (NumPy and Keras imported) and first run done in {elapsed:.2f} s")
        print(f"\nmedians of {args.repeat} runs")
        print(f"{'file':>6} {'launcher':>8} {'start-up s':>11} {'total s':>8} {'memory counted MiB':>19}")
        for name, source in FILES.items():
            path = folder / f"{name}.py"
            path.write_text(source)
            for label, launcher in (("cold", ColdLauncher()), ("warm", warm)):
                quick = [one_run(path, launcher, 0.0) for _ in range(args.repeat)]
                held = [one_run(path, launcher, 0.3) for _ in range(args.repeat)]
                startup = statistics.median(r.startup for r in quick)
                total = statistics.median(r.duration for r in quick)
                memory = statistics.median(r.memory_peak for r in held) / MIB
                print(f"{name:>6} {label:>8} {startup:11.3f} {total:8.3f} {memory:19.1f}")
    finally:
        warm.close()


if __name__ == "__main__":
    main()
