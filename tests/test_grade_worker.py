"""A grading worker outlives whatever one task leaves behind."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

TESTS = Path(__file__).resolve().parent

# Runs in a fresh interpreter: Keras must not be imported yet, as in a newly started worker.
WORKER_TASK = textwrap.dedent('''
    import json, sys
    from pathlib import Path

    sys.path.insert(0, sys.argv[1])
    from classroom_helpers import solution, stub
    from hnml_tutor.classroom.worker import Task, grade_task
    from hnml_tutor.sandbox import WarmLauncher

    launcher = WarmLauncher()
    files = (("02_preprocess.py", solution("02").encode()), ("03_build.py", stub("03").encode()))
    outcomes = []
    try:
        for exercise_id, title, points in (("02", "Scale the pixels", 10), ("03", "Build a network", 15)):
            task = Task(learner="alice", exercise_id=exercise_id, title=title, files=files, time_limit=60,
                        memory_mb=4096, max_points=points, seed=1, fingerprint="f")
            outcomes.append(grade_task(task, Path(sys.argv[2]), launcher))
    finally:
        launcher.close()
    print(json.dumps({"points": [o.points for o in outcomes], "summary": outcomes[-1].summary,
                      "reason": outcomes[-1].reason, "keras_ready": hasattr(sys.modules.get("keras"), "backend")}))
''')


def test_a_learner_failing_before_keras_has_loaded_does_not_break_the_worker(tmp_path):
    """The 03 grader imports Keras in the background. Once the worker's warm parent is up (after its first
    task, 02 here, whose grader needs no Keras), a stub fails in well under a second, and the worker's
    tidy-up used to meet a half-imported Keras and die, costing the learner the exercise."""
    (tmp_path / "scratch").mkdir()
    completed = subprocess.run([sys.executable, "-c", WORKER_TASK, str(TESTS), str(tmp_path / "scratch")],
                               capture_output=True, text=True, timeout=300)
    assert completed.returncode == 0, completed.stderr[-3000:]
    result = json.loads(completed.stdout.strip().splitlines()[-1])
    assert result["points"] == [10, 0] and result["reason"] == "" and "NotImplementedError" in result["summary"], result
    assert result["keras_ready"]
