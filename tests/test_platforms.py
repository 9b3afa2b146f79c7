"""The sandbox on macOS and Windows: limits, the process-tree memory watch, the tree kill, the lock, the note.

There are no macOS or Windows machines here, so most of these tests simulate one, and each says what it
simulates. What runs for real on this Linux machine: psutil's memory watch over a real process tree
(the measure macOS uses), psutil's stray-process sweep, filelock between threads and across a killed
process, the start signal carrying the refused limits, and one `check` whose parent believes it is on
macOS (its child, a real Linux process, sets its limits for real).
"""

from __future__ import annotations

import ctypes
import importlib.util
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

from hnml_tutor.sandbox import limits, memory, platform_support, tree_kill
from hnml_tutor.sandbox.start_signal import StartSignal, announce

MIB = 1024 * 1024
INFINITY = -1


def _fresh_copy(monkeypatch, module, name: str):
    """A second, private copy of ``module`` imported from its file (the real one stays as it is)."""
    spec = importlib.util.spec_from_file_location(name, module.__file__)
    copy = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, name, copy)  # dataclasses look their module up there
    spec.loader.exec_module(copy)
    return copy


# --- Limits set inside the child ------------------------------------------------------------------------------------

def test_without_a_resource_module_every_limit_is_reported_refused(monkeypatch):
    """Simulates Windows: `import resource` fails and os has no setsid."""
    monkeypatch.setitem(sys.modules, "resource", None)
    from hnml_tutor.sandbox import isolation

    monkeypatch.setitem(sys.modules, "pwd", None)
    windows_limits = _fresh_copy(monkeypatch, limits, "limits_on_windows")
    windows_isolation = _fresh_copy(monkeypatch, isolation, "isolation_on_windows")
    assert windows_limits.resource is None
    assert windows_isolation.learner_account() is None

    monkeypatch.delattr(os, "setsid")
    assert windows_limits.apply_in_child(1024) == limits.OS_LIMITS


class FakeResource:
    """A `resource` module that records what is set; ``refuses`` names limits whose setrlimit raises."""

    RLIM_INFINITY = INFINITY

    def __init__(self, refuses=(), hard=None) -> None:
        for number, name in enumerate(limits.OS_LIMITS):
            setattr(self, name, number)
        self.refuses = {getattr(self, name) for name in refuses}
        self.hard = {getattr(self, name): value for name, value in (hard or {}).items()}
        self.set = {}

    def getrlimit(self, which):
        return INFINITY, self.hard.get(which, INFINITY)

    def setrlimit(self, which, values):
        if which in self.refuses:
            raise ValueError("current limit exceeds maximum limit")  # what macOS says for RLIMIT_AS
        self.set[limits.OS_LIMITS[which]] = values


def test_a_limit_the_platform_refuses_is_skipped_named_and_the_others_still_set(monkeypatch):
    """Simulates macOS: setrlimit(RLIMIT_AS) raises, the other two succeed."""
    fake = FakeResource(refuses=("RLIMIT_AS",))
    monkeypatch.setattr(limits, "resource", fake)
    monkeypatch.setattr(limits.os, "setsid", lambda: None)
    assert limits.apply_in_child(1024) == ("RLIMIT_AS",)
    assert fake.set == {"RLIMIT_CORE": (0, 0), "RLIMIT_FSIZE": (limits.MAX_FILE_SIZE, limits.MAX_FILE_SIZE)}


def test_a_stricter_hard_limit_already_in_force_is_kept_not_raised(monkeypatch):
    """Simulates a shell whose hard file-size limit (100 MiB) is below ours: asking for more would raise."""
    fake = FakeResource(hard={"RLIMIT_FSIZE": 100 * MIB})
    monkeypatch.setattr(limits, "resource", fake)
    monkeypatch.setattr(limits.os, "setsid", lambda: None)
    assert limits.apply_in_child(1024) == ()
    assert fake.set["RLIMIT_FSIZE"] == (100 * MIB, 100 * MIB)


def test_the_start_signal_carries_the_refused_limits_and_nothing_else():
    """Real: the child's announcement over a real pipe, read by the watcher's end."""
    for sent, received in ((("RLIMIT_AS",), ("RLIMIT_AS",)), (("RLIMIT_AS", "made up"), ("RLIMIT_AS",)), ((), ())):
        read, write = os.pipe()
        announce(write, sent)
        signal = StartSignal(read)
        started = signal.wait(5, launched=time.monotonic() - 1)
        signal.close()
        assert started is not None and started.refused == received


# --- The memory watch -----------------------------------------------------------------------------------------------

GRANDCHILD = """
import sys
print("started", flush=True)
sys.stdin.readline()
hoard = b"x" * (200 * 1024 * 1024)  # bytes(...) of a repeated byte: every page written, so resident
print("allocated", flush=True)
sys.stdin.readline()
"""
CHILD = f"""
import subprocess, sys
subprocess.run([sys.executable, "-c", {GRANDCHILD!r}])
"""


def test_psutil_watch_sees_200_mb_allocated_in_a_grandchild(monkeypatch):
    """Real, on Linux: the psutil path (what macOS uses: rss, children found by psutil) measures a real tree
    whose grandchild allocates 200 MiB, against the /proc path on the same tree."""
    child = subprocess.Popen([sys.executable, "-c", CHILD], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "started"
        with monkeypatch.context() as simulated:
            simulated.setattr(memory, "HAS_PROC", False)
            assert len(memory.process_tree(child.pid)) == 2
            before = memory.resident_memory(child.pid)
        proc_before = memory.resident_memory(child.pid)
        child.stdin.write("\n")
        child.stdin.flush()
        assert child.stdout.readline().strip() == "allocated"
        with monkeypatch.context() as simulated:
            simulated.setattr(memory, "HAS_PROC", False)
            grown = memory.resident_memory(child.pid) - before
        proc_grown = memory.resident_memory(child.pid) - proc_before
        assert 195 * MIB <= grown <= 215 * MIB, grown / MIB
        assert abs(grown - proc_grown) <= 10 * MIB, (grown / MIB, proc_grown / MIB)
        child.stdin.write("\n")
        child.stdin.flush()
    finally:
        child.kill()
        child.wait()
    with monkeypatch.context() as simulated:
        simulated.setattr(memory, "HAS_PROC", False)
        assert memory.resident_memory(child.pid) == 0  # gone: nothing, no exception


class FakePsutil:
    """psutil with a fixed table of processes: pid -> (children, memory_info fields); others are gone."""

    class Error(Exception):
        pass

    class NoSuchProcess(Error):
        pass

    def __init__(self, table) -> None:
        self.table = table
        self.killed = []
        fake = self

        class Process:
            def __init__(self, pid):
                if pid not in fake.table:
                    raise fake.NoSuchProcess(pid)
                self.pid = pid

            def children(self, recursive=False):
                found, pending = [], list(fake.table[self.pid][0])
                while pending:
                    pid = pending.pop(0)
                    found.append(Process(pid))
                    if recursive:
                        pending.extend(fake.table[pid][0])
                return found

            def memory_info(self):
                return SimpleNamespace(**fake.table[self.pid][1])

            def kill(self):
                if self.pid in fake.table and fake.table[self.pid][1].get("unkillable"):
                    raise fake.NoSuchProcess(self.pid)  # ended between the listing and the kill
                fake.killed.append(self.pid)

        self.Process = Process


def test_on_windows_the_watch_counts_private_bytes_of_the_whole_tree(monkeypatch):
    """Simulates Windows: no /proc, sys.platform 'win32', a fake psutil whose processes have a working set
    (rss) smaller than their private bytes (memory paged out: what a trimmed working set would hide)."""
    table = {10: ([11], {"rss": 50 * MIB, "private": 80 * MIB}), 11: ([12], {"rss": 5 * MIB, "private": 300 * MIB}),
             12: ([], {"rss": 1 * MIB, "private": 20 * MIB})}
    monkeypatch.setitem(sys.modules, "psutil", FakePsutil(table))
    monkeypatch.setattr(memory, "HAS_PROC", False)
    monkeypatch.setattr(sys, "platform", "win32")
    assert memory.process_tree(10) == [10, 11, 12]
    assert memory.resident_memory(10) == 400 * MIB
    assert memory.process_memory(99) == 0 and memory.process_tree(99) == [99]
    monkeypatch.setattr(sys, "platform", "darwin")  # and macOS counts rss
    assert memory.resident_memory(10) == 56 * MIB


# --- Killing the whole tree -----------------------------------------------------------------------------------------

class FakeKernel32:
    """kernel32 that records the job-object calls; ``refuse`` names one call that fails (returns 0)."""

    def __init__(self, refuse: str = "") -> None:
        self.calls = []
        self.refuse = refuse
        self.limits = None

    def _call(self, name, *args, result=1):
        self.calls.append((name, *args))
        return 0 if name == self.refuse else result

    def CreateJobObjectW(self, attributes, name):
        return self._call("CreateJobObjectW", attributes, name, result=0x100)

    def SetInformationJobObject(self, job, information_class, information, size):
        self.limits = information._obj  # what byref() points at
        return self._call("SetInformationJobObject", job, information_class, size)

    def OpenProcess(self, access, inherit, pid):
        return self._call("OpenProcess", access, inherit, pid, result=0x200)

    def AssignProcessToJobObject(self, job, process):
        return self._call("AssignProcessToJobObject", job, process)

    def TerminateJobObject(self, job, code):
        return self._call("TerminateJobObject", job, code)

    def CloseHandle(self, handle):
        return self._call("CloseHandle", handle)


def test_a_windows_child_is_held_in_a_job_that_kills_on_close_and_caps_committed_memory():
    """Simulates Windows' kernel32 (a fake recording every job-object call) for a child of pid 4321."""
    kernel32 = FakeKernel32()
    job = tree_kill.JobObject.hold(4321, 1024, kernel32=kernel32)
    assert job is not None and job.kind == tree_kill.JOB_OBJECT
    names = [call[0] for call in kernel32.calls]
    assert names == ["CreateJobObjectW", "SetInformationJobObject", "OpenProcess", "AssignProcessToJobObject",
                     "CloseHandle"]
    assert kernel32.calls[1][1:] == (0x100, 9, ctypes.sizeof(tree_kill.JobExtendedLimits))
    assert kernel32.calls[2][3] == 4321 and kernel32.calls[3][1:] == (0x100, 0x200)
    assert kernel32.calls[4] == ("CloseHandle", 0x200)  # the process handle, not the job
    flags = kernel32.limits.BasicLimitInformation.LimitFlags
    assert flags == tree_kill.JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE | tree_kill.JOB_OBJECT_LIMIT_JOB_MEMORY
    assert kernel32.limits.JobMemoryLimit == 1024 * MIB + limits.ADDRESS_SPACE_HEADROOM

    job.kill()
    job.close()
    job.close()  # twice: the run's end and a kill both close it
    assert kernel32.calls[5:] == [("TerminateJobObject", 0x100, 1), ("CloseHandle", 0x100)]


@pytest.mark.parametrize("refused", ["SetInformationJobObject", "AssignProcessToJobObject", "CreateJobObjectW"])
def test_without_a_job_object_the_tree_kill_falls_back_to_psutils_descendants(monkeypatch, refused):
    """Simulates Windows (os without killpg) where one job-object call fails, e.g. a parent job that
    forbids nesting: the job is closed again and the child's descendants are killed through psutil."""
    kernel32 = FakeKernel32(refuse=refused)
    monkeypatch.setattr(tree_kill, "load_kernel32", lambda: kernel32)
    monkeypatch.delattr(os, "killpg")
    tree = tree_kill.hold(4321, 1024)
    assert tree.kind == tree_kill.DESCENDANTS
    if refused != "CreateJobObjectW":
        assert ("CloseHandle", 0x100) in kernel32.calls

    fake = FakePsutil({4321: ([50, 51], {}), 50: ([60], {"unkillable": True}), 51: ([], {}), 60: ([], {})})
    monkeypatch.setitem(sys.modules, "psutil", fake)
    tree.kill()
    assert sorted(fake.killed) == [51, 60, 4321]  # one that vanished meanwhile stops nobody else's kill


def test_a_windows_child_starts_in_a_new_process_group_not_a_new_session(monkeypatch):
    """Simulates Windows (os.name 'nt') for the Popen options; POSIX keeps its own session."""
    assert tree_kill.popen_options() == {"start_new_session": True}
    with monkeypatch.context() as simulated:
        simulated.setattr(os, "name", "nt")
        options = tree_kill.popen_options()
    assert options == {"creationflags": tree_kill.CREATE_NEW_PROCESS_GROUP}


def test_a_cold_child_lets_go_of_its_tree_when_it_ends_and_kills_it_when_stopped():
    """Simulates the Windows hold (a recording tree) around a real Linux child."""
    from hnml_tutor.sandbox.launchers import ColdProcess

    class RecordingTree:
        kind = tree_kill.JOB_OBJECT

        def __init__(self):
            self.events = []

        def kill(self):
            self.events.append("kill")

        def close(self):
            self.events.append("close")

    ended, tree = subprocess.Popen([sys.executable, "-c", "pass"]), RecordingTree()
    ended.wait()
    process = ColdProcess(ended, tree=tree)
    assert process.poll() == 0 and tree.events == ["close"] and process.tree_kind == tree_kill.JOB_OBJECT

    running, tree = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"]), RecordingTree()
    process = ColdProcess(running, tree=tree)
    assert process.poll() is None and tree.events == []
    running.kill()  # the recording tree kills nothing itself
    process.kill_group()
    assert tree.events == ["kill", "close"]


# --- The stray sweep and the lock -----------------------------------------------------------------------------------

def test_the_stray_sweep_finds_marked_processes_through_psutil_as_through_proc():
    """Real, on Linux: the psutil path (what macOS and Windows use) against /proc on a real marked process."""
    from hnml_tutor.classroom import pool

    marker = f"test-platforms-{os.getpid()}:0:1"
    stray = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"],
                             env={**os.environ, pool.RUN_MARKER: marker})
    try:
        through_psutil = [pid for pid, found in pool._markers_from_psutil() if found == marker]
        through_proc = [pid for pid, found in pool._markers_from_proc() if found == marker]
        assert through_psutil == through_proc == [stray.pid]
    finally:
        stray.kill()
        stray.wait()


def test_the_lock_excludes_another_thread_until_the_block_ends(tmp_path):
    """Real: filelock on Linux (flock), two threads of one process."""
    from hnml_tutor.locks import exclusive

    lock, order, inside = tmp_path / "sub" / "progress.lock", [], threading.Event()

    def second():
        inside.wait()
        with exclusive(lock):
            order.append("second")

    other = threading.Thread(target=second)
    other.start()
    with exclusive(lock):
        inside.set()
        time.sleep(0.2)
        order.append("first")
    other.join(timeout=10)
    assert order == ["first", "second"]


def test_the_lock_is_released_when_its_holder_is_killed(tmp_path):
    """Real: a process killed (SIGKILL) inside the block leaves nothing locked."""
    from filelock import FileLock, Timeout

    lock = tmp_path / "progress.lock"
    holder = subprocess.Popen([sys.executable, "-c", "import sys, time\nfrom hnml_tutor.locks import exclusive\n"
                               f"with exclusive({str(lock)!r}):\n    print('held', flush=True)\n    time.sleep(60)"],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(Timeout):
            FileLock(lock, timeout=0.1).acquire()
    finally:
        holder.kill()
        holder.wait()
    with FileLock(lock, timeout=5):
        pass


# --- Saying once what is weaker -------------------------------------------------------------------------------------

def test_the_notes_say_what_is_weaker_on_each_platform():
    """Pure: the paragraph from a platform, the limits refused and how the tree was held."""
    note = platform_support.note
    assert note("linux", set(), {tree_kill.PROCESS_GROUP}) == ""
    assert note("darwin", set(), set()) == ""  # no run yet: nothing known
    mac = note("darwin", {"RLIMIT_AS"}, {tree_kill.PROCESS_GROUP})
    assert "On macOS your code runs as you, with your files in reach" in mac
    assert "memory limit is kept by watching" in mac and "stopped with it (unless they start a session of their own)." in mac
    windows = note("win32", set(limits.OS_LIMITS), {tree_kill.JOB_OBJECT})
    assert "On Windows" in windows and "no size limit" in windows and "Task Manager" not in windows
    escaped = note("win32", set(limits.OS_LIMITS), {tree_kill.JOB_OBJECT, tree_kill.DESCENDANTS})
    assert "may keep running" in escaped and "Task Manager" in escaped
    assert "memory limit is kept by watching" in note("linux", {"RLIMIT_AS"}, {tree_kill.PROCESS_GROUP})


def test_the_note_is_shown_once_per_machine_and_again_only_when_it_changes(monkeypatch, tmp_path):
    """Simulates Windows (sys.platform 'win32') with observed runs; the marker lives in a fresh cache."""
    monkeypatch.setenv("HNML_TUTOR_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(sys, "platform", "win32")
    monkeypatch.setattr(platform_support, "_refused", set())
    monkeypatch.setattr(platform_support, "_tree_kinds", set())
    assert platform_support.notes_once("process") == []  # nothing ran yet
    platform_support.observe(limits.OS_LIMITS, tree_kill.JOB_OBJECT)
    first = platform_support.notes_once("process")
    assert len(first) == 1 and first[0].startswith("On Windows")
    assert platform_support.notes_once("process") == []
    platform_support.observe(limits.OS_LIMITS, tree_kill.DESCENDANTS)  # a later run got no job object
    assert "may keep running" in platform_support.notes_once("process")[0]
    assert platform_support.notes_once("process") == []


def test_instructor_grading_on_macos_says_isolation_is_process_only(monkeypatch):
    """Simulates macOS (sys.platform 'darwin', so no bubblewrap) for `grade`'s choice of isolation."""
    from hnml_tutor.errors import TutorError
    from hnml_tutor.sandbox import isolation

    monkeypatch.setattr(sys, "platform", "darwin")
    monkeypatch.setattr(isolation, "bubblewrap_problem", lambda: "bubblewrap needs Linux")
    monkeypatch.delenv(isolation.ENV_VAR, raising=False)
    with pytest.raises(TutorError) as refused:
        isolation.for_instructor(None)
    assert "On macOS learner code can only run with process limits" in str(refused.value)
    assert "--isolation process" in refused.value.fix
    assert isolation.for_instructor("process") == isolation.PROCESS


def test_a_check_on_macos_tells_the_learner_once(monkeypatch, tmp_path):
    """Simulates macOS in the tutor's process (sys.platform 'darwin': no bubblewrap, no warm parent) around
    real checks; the child is a real Linux process that sets its limits (none refused here)."""
    from typer.testing import CliRunner

    from hnml_tutor.cli import app
    from hnml_tutor.sandbox import isolation

    monkeypatch.setenv("HNML_TUTOR_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv(isolation.ENV_VAR, raising=False)
    monkeypatch.setattr(platform_support, "_refused", set())
    monkeypatch.setattr(platform_support, "_tree_kinds", set())
    runner = CliRunner()
    assert runner.invoke(app, ["start", str(tmp_path / "work")]).exit_code == 0
    monkeypatch.setattr(sys, "platform", "darwin")
    monkeypatch.setattr(isolation, "bubblewrap_problem", lambda: "bubblewrap needs Linux")
    outputs = [" ".join(runner.invoke(app, ["check", "14", "--workspace", str(tmp_path / "work")]).output.split())
               for _ in range(2)]  # NumPy only: the quickest child
    assert "On macOS your code runs as you, with your files in reach" in outputs[0]
    assert "memory limit is kept by watching" not in outputs[0]  # the real child was refused nothing
    assert "On macOS" not in outputs[1] and "process limits only" not in outputs[1]


# --- The start signal's pipe on Windows -----------------------------------------------------------------------------

def test_on_windows_the_pipe_travels_as_one_inherited_handle(monkeypatch):
    """Simulates Windows: os.name 'nt', a fake msvcrt (fd 7 is handle 0x44), a fake STARTUPINFO (Linux has
    none) and a recording os.set_handle_inheritable; Popen would refuse pass_fds there."""
    from hnml_tutor.sandbox import inherited_pipe

    inheritable = []
    monkeypatch.setitem(sys.modules, "msvcrt", SimpleNamespace(
        get_osfhandle=lambda fd: {7: 0x44}[fd], open_osfhandle=lambda handle, flags: (handle, flags)))
    monkeypatch.setattr(subprocess, "STARTUPINFO", lambda **fields: SimpleNamespace(**fields), raising=False)
    monkeypatch.setattr(os, "set_handle_inheritable", lambda handle, on: inheritable.append((handle, on)),
                        raising=False)
    with monkeypatch.context() as simulated:
        simulated.setattr(os, "name", "nt")
        options = inherited_pipe.popen_options(7)
        argument = inherited_pipe.child_argument(7)
        in_child = inherited_pipe.child_fd(argument)
    assert "pass_fds" not in options and options["close_fds"]
    assert options["startupinfo"].lpAttributeList == {"handle_list": [0x44]} and inheritable == [(0x44, True)]
    assert argument == str(0x44) and in_child == (0x44, os.O_WRONLY)
    assert inherited_pipe.popen_options(7) == {"pass_fds": (7,)} and inherited_pipe.child_argument(7) == "7"


def test_on_windows_the_watcher_peeks_at_the_pipe_instead_of_select(monkeypatch):
    """Simulates Windows: os.name 'nt', a fake _winapi.PeekNamedPipe answering from a script (nothing yet,
    then data; or the child's end closed), a fake msvcrt."""
    from hnml_tutor.sandbox import inherited_pipe

    def peeking(answers):
        def peek(handle, size):
            answer = answers.pop(0) if len(answers) > 1 else answers[0]
            if isinstance(answer, Exception):
                raise answer
            return answer, 0
        return SimpleNamespace(PeekNamedPipe=peek)

    monkeypatch.setitem(sys.modules, "msvcrt", SimpleNamespace(get_osfhandle=lambda fd: 0x44))
    monkeypatch.setattr(inherited_pipe, "PEEK_SECONDS", 0.001)
    with monkeypatch.context() as simulated:
        simulated.setattr(os, "name", "nt")
        simulated.setitem(sys.modules, "_winapi", peeking([0, 0, 40]))
        assert inherited_pipe.readable(5, timeout=1.0)
        simulated.setitem(sys.modules, "_winapi", peeking([0, BrokenPipeError()]))
        assert inherited_pipe.readable(5, timeout=1.0)
        simulated.setitem(sys.modules, "_winapi", peeking([0]))
        assert not inherited_pipe.readable(5, timeout=0.02)


def test_on_windows_in_a_venv_the_child_starts_on_the_base_interpreter(monkeypatch):
    """Simulated Windows: a venv's python.exe is a launcher that starts the real interpreter as a process of its
    own, which would escape the job object; the child is started on the base interpreter directly, in the venv
    through __PYVENV_LAUNCHER__ (as multiprocessing does)."""
    from hnml_tutor.sandbox import launchers

    monkeypatch.setattr(sys, "executable", r"C:\course\.venv\Scripts\python.exe")
    monkeypatch.setattr(sys, "_base_executable", r"C:\Python312\python.exe", raising=False)
    command = [sys.executable, "-I", "-m", "hnml_tutor.sandbox.child", "job"]
    env: dict[str, str] = {}
    monkeypatch.setattr(launchers.os, "name", "posix")
    assert launchers._direct_interpreter(list(command), env) == command and env == {}
    monkeypatch.setattr(launchers.os, "name", "nt")
    started = launchers._direct_interpreter(list(command), env)
    assert started == [r"C:\Python312\python.exe", *command[1:]]
    assert env == {"__PYVENV_LAUNCHER__": r"C:\course\.venv\Scripts\python.exe"}


def test_a_cache_that_cannot_be_written_costs_no_check(monkeypatch, tmp_path):
    """The once-per-machine marker cannot be written (a read-only cache): the note is shown, nothing raises."""
    from hnml_tutor import atomic

    monkeypatch.setenv("HNML_TUTOR_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(platform_support.sys, "platform", "darwin")
    monkeypatch.setattr(platform_support, "_refused", {"RLIMIT_AS"})
    monkeypatch.setattr(platform_support, "_tree_kinds", {tree_kill.PROCESS_GROUP})

    def read_only(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(atomic, "write_text_atomic", read_only)
    assert any("On macOS" in note for note in platform_support.notes_once("process"))


def test_an_autograder_built_on_windows_or_macos_names_a_tensorflow_linux_can_install(monkeypatch):
    from importlib import metadata

    from hnml_tutor import backend

    monkeypatch.delenv("KERAS_BACKEND", raising=False)
    monkeypatch.setenv("KERAS_HOME", "/nonexistent")
    for installed, named in (("tensorflow_intel", "tensorflow"), ("tensorflow_macos", "tensorflow"),
                             ("tensorflow_cpu", "tensorflow-cpu"), ("tensorflow", "tensorflow")):
        monkeypatch.setattr(metadata, "packages_distributions", lambda: {"tensorflow": [installed]})
        assert backend.backend_distributions() == [named], installed
