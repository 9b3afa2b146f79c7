"""Building learner workspaces and classes for the instructor-grading tests and the benchmark."""

from __future__ import annotations

import csv
import hashlib
import json
import zipfile
from pathlib import Path

from hnml_tutor.curriculum import load_curriculum


def solution(exercise_id: str) -> str:
    return load_curriculum().resolve(exercise_id).solution_path.read_text(encoding="utf-8")


def stub(exercise_id: str) -> str:
    return load_curriculum().resolve(exercise_id).stub_path.read_text(encoding="utf-8")


def filename(exercise_id: str) -> str:
    return load_curriculum().resolve(exercise_id).filename


def make_workspace(folder: Path, files: dict[str, str | bytes]) -> Path:
    """A workspace as ``hnml-tutor start`` leaves it, with ``files`` (by exercise id or path) in it."""
    (folder / "exercises").mkdir(parents=True)
    (folder / "plots").mkdir()
    (folder / ".hnml-tutor").mkdir()
    for key, content in files.items():
        path = folder / "exercises" / filename(key) if key.isdigit() else folder / key
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return folder


def zip_folder(folder: Path, archive: Path, *, prefix: str = "") -> Path:
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zipped:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                zipped.write(path, prefix + path.relative_to(folder).as_posix())
    return archive


def read_gradebook(path: Path) -> dict[str, dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as handle:
        return {row["learner"]: row for row in csv.DictReader(handle)}


def feedback_for(out: Path, learner: str, exercise_id: str) -> str:
    """Everything the Gradescope results tell a learner about one exercise, lower-cased."""
    results = json.loads((out / "results" / f"{learner}.json").read_text(encoding="utf-8"))
    return "\n".join(t["name"] + "\n" + t["output"] for t in results["tests"] if exercise_id in t["tags"]).lower()


def tree_digest(folder: Path) -> str:
    """Every path and byte under ``folder``: equal digests mean nothing was touched."""
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        digest.update(str(path.relative_to(folder)).encode())
        if path.is_file() and not path.is_symlink():
            digest.update(path.read_bytes())
    return digest.hexdigest()


def _of_this_test_run(pid: int) -> bool:
    """Whether ``pid`` was started by this test session (and this xdist worker), not by another checkout's
    tests grading on the same machine: everything this session starts inherits its cache and worker name."""
    import os

    try:
        environ = set(Path(f"/proc/{pid}/environ").read_bytes().split(b"\0"))
    except OSError:
        return False
    ours = [f"{key}={os.environ[key]}".encode() for key in ("HNML_TUTOR_CACHE", "PYTEST_XDIST_WORKER")
            if key in os.environ]
    return all(item in environ for item in ours)


def processes_of_this_test_run() -> list[int]:
    """Processes of any grading run this test session started that are still alive."""
    from hnml_tutor.classroom.pool import marked_processes

    return [pid for pid in marked_processes("") if _of_this_test_run(pid)]


def stop_processes_of_this_test_run() -> None:
    """Kill what a grading run of this session left (never another checkout's runs on the same machine)."""
    import os
    import signal

    for pid in processes_of_this_test_run():
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            continue


def strays_after_grace(seconds: float = 5.0) -> list[str]:
    """Processes of any grading run of this test session still alive after a short grace for ones the run's
    sweep already killed (a SIGKILLed process can take a moment to go); each as ``pid: command line``, to say
    what outlived it."""
    import time

    deadline = time.monotonic() + seconds
    while processes_of_this_test_run() and time.monotonic() < deadline:
        time.sleep(0.1)
    strays = []
    for pid in processes_of_this_test_run():
        try:
            command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            parent = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1]
            parent_command = Path(f"/proc/{parent}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except (OSError, IndexError):
            continue
        strays.append(f"{pid}: {command.strip()} (parent {parent}: {parent_command.strip()[:120]})")
    return strays
