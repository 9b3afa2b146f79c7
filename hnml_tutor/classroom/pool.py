"""Runs grading tasks on N worker processes and survives whatever happens to any one of them.

Each worker grades one task at a time. The coordinator waits on the workers' pipes and process handles
together: an outcome is handed on the moment it arrives; a worker that dies (a learner's code can kill
its parent) or overruns its task's deadline costs that one task a zero with the reason, its stray
processes are stopped, and a fresh worker takes its place. A task whose grader broke (the tutor's fault,
not the learner's: see :attr:`Outcome.grader_error`) is graded once more on a fresh worker before its
outcome counts. Nothing here imports TensorFlow.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import time
from collections import deque
from dataclasses import dataclass, field, replace
from multiprocessing.connection import wait
from pathlib import Path
from typing import Callable, Iterator

from hnml_tutor.classroom.outcome import Outcome
from hnml_tutor.classroom.worker import RUN_MARKER, Task, serve

TASKS_PER_WORKER = 40  # a fresh process now and then keeps memory from creeping up over a big class
GRADER_ERROR_RETRIES = 1  # a second go for a task whose grader broke; a fault that repeats is reported
GRADER_OVERHEAD_SECONDS = 300  # the grader's own work on top of the learner's time (first reference training)
# Windows has no SIGKILL; its os.kill with SIGTERM ends the process outright (TerminateProcess).
KILL = getattr(signal, "SIGKILL", signal.SIGTERM)


def task_deadline(task: Task) -> float:
    """Seconds a worker may spend on ``task`` before it is presumed stuck and replaced."""
    return 3 * task.time_limit + GRADER_OVERHEAD_SECONDS


def _markers_from_proc() -> Iterator[tuple[int, str]]:
    """(pid, grading-run marker) of every readable process, from /proc (Linux)."""
    key = f"{RUN_MARKER}=".encode()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            environ = (entry / "environ").read_bytes()
        except OSError:
            continue
        for item in environ.split(b"\0"):
            if item.startswith(key):
                yield int(entry.name), item[len(key):].decode(errors="replace")


def _markers_from_psutil() -> Iterator[tuple[int, str]]:
    """The same through psutil, where there is no /proc (macOS, Windows): it reads our own processes'
    environments, and learner code runs as us there."""
    import psutil

    for process in psutil.process_iter():
        try:
            marker = process.environ().get(RUN_MARKER)
        except psutil.Error:  # gone, or another user's
            continue
        if marker is not None:
            yield process.pid, marker


def marked_processes(prefix: str) -> list[int]:
    """Processes whose environment carries a grading-run marker starting with ``prefix``."""
    markers = _markers_from_proc() if Path("/proc/self/environ").exists() else _markers_from_psutil()
    return [pid for pid, marker in markers if marker.startswith(prefix) and pid != os.getpid()]


def stop_marked(prefix: str) -> int:
    """Kill every process of a run (or of one worker) still alive; returns how many were stopped."""
    stopped = 0
    for pid in marked_processes(prefix):
        try:
            os.kill(pid, KILL)
            stopped += 1
        except (ProcessLookupError, PermissionError):
            continue
    return stopped


@dataclass
class _Worker:
    index: int
    process: multiprocessing.Process
    connection: object
    marker: str
    task: Task | None = None
    started: float = 0.0
    done: int = 0
    learner: str | None = None  # whose jail the worker holds: its next task is that learner's if any is left


@dataclass
class WorkerPool:
    """``size`` grading workers sharing one scratch folder and one log folder."""

    size: int
    scratch: Path
    log_dir: Path
    run_id: str
    tasks_per_worker: int = TASKS_PER_WORKER
    deadline: Callable[[Task], float] = task_deadline
    _context: object = field(default_factory=lambda: multiprocessing.get_context("spawn"))
    _generation: int = 0
    _pending: deque = field(default_factory=deque)
    regraded: int = 0  # tasks given a second go because their grader broke

    def _start(self, index: int) -> _Worker:
        self._generation += 1
        marker = f"{self.run_id}:{index}:{self._generation}"
        parent_end, child_end = self._context.Pipe()
        log = self.log_dir / f"worker-{index}.log"
        process = self._context.Process(target=serve, args=(child_end, str(self.scratch), str(log), marker),
                                        name=f"hnml-grade-worker-{index}", daemon=True)
        # Ctrl-C is the coordinator's. A worker ignores it once it runs, but it imports for a second first:
        # starting it with SIGINT ignored (inherited across exec) keeps its traceback off the terminal.
        main = threading.current_thread() is threading.main_thread()
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN) if main else None
        try:
            process.start()
        finally:
            if main:
                signal.signal(signal.SIGINT, previous)
        child_end.close()
        return _Worker(index, process, parent_end, marker)

    def _retire(self, worker: _Worker, *, kill: bool) -> None:
        if kill:
            worker.process.kill()
        else:
            try:
                worker.connection.send(None)
            except OSError:
                pass
        worker.process.join(timeout=10)
        if worker.process.is_alive():
            worker.process.kill()
            worker.process.join()
        worker.connection.close()
        stop_marked(worker.marker)

    def run(self, tasks: list[Task], on_start: Callable[[Task], None], on_done: Callable[[Task, Outcome], None]) -> None:
        """Grade every task; ``on_done`` is called exactly once per task, in the coordinator's process."""
        pending = self._pending = deque(tasks)
        workers = [self._start(i) for i in range(min(self.size, len(tasks)))]
        try:
            while pending or any(w.task for w in workers):
                for worker in workers:
                    if worker.task is None and pending:
                        worker.task, worker.started = self._next_for(worker, workers), time.monotonic()
                        worker.learner = worker.task.learner
                        worker.connection.send(worker.task)
                        on_start(worker.task)
                busy = [w for w in workers if w.task is not None]
                wait([w.connection for w in busy] + [w.process.sentinel for w in busy], timeout=1.0)
                for position, worker in enumerate(workers):
                    if worker.task is not None:
                        workers[position] = self._collect(worker, on_done, bool(pending))
        finally:
            for worker in workers:
                self._retire(worker, kill=worker.task is not None)
            stop_marked(self.run_id + ":")

    def _next_for(self, worker: _Worker, workers: list[_Worker]) -> Task:
        """The next task for ``worker``: more of the learner whose jail it holds, else a learner nobody holds.

        Each worker starts a fresh jail (and imports TensorFlow in it) per learner; keeping a learner's
        exercises on one worker pays that once per learner instead of once per learner per worker.
        """
        pending = self._pending
        held = {w.learner for w in workers if w is not worker and w.task is not None}
        for wanted in (lambda t: t.learner == worker.learner, lambda t: t.learner not in held):
            for position, task in enumerate(pending):
                if wanted(task):
                    del pending[position]
                    return task
        return pending.popleft()

    def _collect(self, worker: _Worker, on_done, more_to_do: bool) -> _Worker:
        """Hand on ``worker``'s outcome if it has one; replace the worker if it died or overran."""
        task = worker.task
        elapsed = time.monotonic() - worker.started
        if worker.connection.poll():
            try:
                outcome = Outcome.from_dict(worker.connection.recv())
            except (EOFError, OSError):
                outcome = None
            if outcome is not None:
                worker.task, worker.done = None, worker.done + 1
                if self._grade_again(task, outcome):
                    self._retire(worker, kill=False)  # whatever broke, the second go starts clean
                    return self._start(worker.index)
                on_done(task, outcome)
                if worker.done >= self.tasks_per_worker and more_to_do:
                    self._retire(worker, kill=False)
                    return self._start(worker.index)
                return worker
        if worker.process.is_alive() and elapsed <= self.deadline(task):
            return worker
        ours = False
        if worker.process.is_alive():
            reason = (f"grading took longer than {self.deadline(task):.0f} s and was stopped "
                      "(the learner's code or the grader got stuck)")
        elif (worker.process.exitcode or 0) > 0:
            # Learner code runs two processes further down; it can signal the worker, but an exit
            # code of the worker's own means an exception escaped hnml-tutor's grading loop.
            ours = True
            reason = (f"the grading process failed (exit code {worker.process.exitcode}); "
                      f"worker-{worker.index}.log in the grading logs has its traceback")
        else:
            reason = (f"the grading process stopped unexpectedly (exit code {worker.process.exitcode}) while "
                      "grading this exercise; the learner's code may have killed it")
        worker.task = None
        self._retire(worker, kill=True)
        outcome = task.not_graded(reason, duration=elapsed, grader_error=ours)
        if not self._grade_again(task, outcome):
            on_done(task, outcome)
        return self._start(worker.index)

    def _grade_again(self, task: Task, outcome: Outcome) -> bool:
        """Queue a second go when the grader itself broke; True when ``outcome`` was set aside for it."""
        if not outcome.grader_error or task.attempt >= GRADER_ERROR_RETRIES:
            return False
        self.regraded += 1
        self._pending.appendleft(replace(task, attempt=task.attempt + 1))
        return True
