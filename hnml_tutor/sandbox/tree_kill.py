"""Ending every process of a run at once, whatever the learner's code started, on every platform.

A learner's code can start processes of its own (``subprocess``, ``multiprocessing``); when the run ends
— its own end, a limit, Ctrl-C — none of them may keep running. How a cold child's tree is held together:

* POSIX (Linux, macOS): the child leads a process group of its own (``start_new_session``), and one
  ``killpg`` reaches every process in it that did not leave it on purpose (``setsid``). When the child ends
  on its own, the group is killed before the child is reaped (``ColdProcess.poll``), so the id cannot have
  been reused by then.
* Windows: the child is put in a *job object* as soon as it exists. ``TerminateJobObject`` ends every
  process in the job, orphans included, and ``JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE`` ends them too when the
  tutor closes the job or dies itself. The job also caps the tree's committed memory
  (``JOB_OBJECT_LIMIT_JOB_MEMORY``) with the same meaning as ``RLIMIT_AS`` on Linux: a floor under the
  watcher for one runaway allocation, not the memory limit. That cap counts the interpreter's and
  TensorFlow's own commit, which the watcher subtracts, so it carries the same headroom.
* Windows without a job object (``AssignProcessToJobObject`` refused, say under a parent job that forbids
  nesting on old Windows): psutil's list of the child's descendants, killed one by one. A process whose
  parent has already exited is no longer anyone's descendant and escapes; the tutor says so once
  (:mod:`~hnml_tutor.sandbox.platform_support`).
"""

from __future__ import annotations

import ctypes
import os
import signal
from typing import Protocol

from hnml_tutor.sandbox.limits import ADDRESS_SPACE_HEADROOM, MIB

PROCESS_GROUP = "process group"
JOB_OBJECT = "job object"
DESCENDANTS = "descendants"

CREATE_NEW_PROCESS_GROUP = 0x00000200
PROCESS_TERMINATE = 0x0001
PROCESS_SET_QUOTA = 0x0100
JOB_OBJECT_LIMIT_JOB_MEMORY = 0x00000200
JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE = 0x00002000
JOB_OBJECT_EXTENDED_LIMIT_INFORMATION_CLASS = 9
KILLED_EXIT_CODE = 1  # what a process ended by TerminateJobObject reports, as TerminateProcess does for Popen.kill


class JobBasicLimits(ctypes.Structure):
    """JOBOBJECT_BASIC_LIMIT_INFORMATION, with the fixed-size types Windows declares."""

    _fields_ = [("PerProcessUserTimeLimit", ctypes.c_int64), ("PerJobUserTimeLimit", ctypes.c_int64),
                ("LimitFlags", ctypes.c_uint32), ("MinimumWorkingSetSize", ctypes.c_size_t),
                ("MaximumWorkingSetSize", ctypes.c_size_t), ("ActiveProcessLimit", ctypes.c_uint32),
                ("Affinity", ctypes.c_size_t), ("PriorityClass", ctypes.c_uint32), ("SchedulingClass", ctypes.c_uint32)]


class IoCounters(ctypes.Structure):
    _fields_ = [(name, ctypes.c_uint64) for name in ("ReadOperationCount", "WriteOperationCount", "OtherOperationCount",
                                                      "ReadTransferCount", "WriteTransferCount", "OtherTransferCount")]


class JobExtendedLimits(ctypes.Structure):
    """JOBOBJECT_EXTENDED_LIMIT_INFORMATION: the basic limits plus the memory caps."""

    _fields_ = [("BasicLimitInformation", JobBasicLimits), ("IoInfo", IoCounters),
                ("ProcessMemoryLimit", ctypes.c_size_t), ("JobMemoryLimit", ctypes.c_size_t),
                ("PeakProcessMemoryUsed", ctypes.c_size_t), ("PeakJobMemoryUsed", ctypes.c_size_t)]


class ProcessTree(Protocol):
    """Every process of one run, held together so that one call ends them all."""

    kind: str  # PROCESS_GROUP, JOB_OBJECT or DESCENDANTS: how strong the hold is (platform_support words it)

    def kill(self) -> None: ...

    def close(self) -> None:
        """The run is over: let go of what holds the tree (a job object kills what is left in it)."""
        ...


def popen_options() -> dict:
    """How to start a cold child so that its tree can be held: a session of its own, or on Windows a
    process group of its own (so a Ctrl-C in the learner's terminal is the tutor's alone to handle)."""
    if os.name == "nt":
        return {"creationflags": CREATE_NEW_PROCESS_GROUP}
    return {"start_new_session": True}


class ProcessGroup:
    """POSIX: the child's process group, which it leads."""

    kind = PROCESS_GROUP

    def __init__(self, pid: int) -> None:
        self.pid = pid

    def kill(self) -> None:
        try:
            os.killpg(self.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass

    def close(self) -> None:
        pass  # nothing is held between runs


class Descendants:
    """The fallback: whatever psutil finds below the child when it is time to kill (orphans escape)."""

    kind = DESCENDANTS

    def __init__(self, pid: int) -> None:
        self.pid = pid

    def kill(self) -> None:
        import psutil

        try:
            child = psutil.Process(self.pid)
            tree = [child, *child.children(recursive=True)]  # listed before any dies: a dead parent links no one
        except psutil.Error:
            return
        for process in tree:
            try:
                process.kill()
            except psutil.Error:
                continue

    def close(self) -> None:
        pass


def load_kernel32():
    """kernel32 with the prototypes used here (handles are pointer-sized: the default int would cut them)."""
    from ctypes import wintypes

    kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)
    kernel32.CreateJobObjectW.restype = wintypes.HANDLE
    kernel32.CreateJobObjectW.argtypes = (ctypes.c_void_p, wintypes.LPCWSTR)
    kernel32.SetInformationJobObject.restype = wintypes.BOOL
    kernel32.SetInformationJobObject.argtypes = (wintypes.HANDLE, ctypes.c_int, ctypes.c_void_p, wintypes.DWORD)
    kernel32.OpenProcess.restype = wintypes.HANDLE
    kernel32.OpenProcess.argtypes = (wintypes.DWORD, wintypes.BOOL, wintypes.DWORD)
    kernel32.AssignProcessToJobObject.restype = wintypes.BOOL
    kernel32.AssignProcessToJobObject.argtypes = (wintypes.HANDLE, wintypes.HANDLE)
    kernel32.TerminateJobObject.restype = wintypes.BOOL
    kernel32.TerminateJobObject.argtypes = (wintypes.HANDLE, wintypes.UINT)
    kernel32.CloseHandle.restype = wintypes.BOOL
    kernel32.CloseHandle.argtypes = (wintypes.HANDLE,)
    return kernel32


def job_limits(memory_mb: int) -> JobExtendedLimits:
    """Kill on close, and the committed-memory floor (``memory_mb`` plus the headroom of ``RLIMIT_AS``)."""
    limits = JobExtendedLimits()
    limits.BasicLimitInformation.LimitFlags = JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE | JOB_OBJECT_LIMIT_JOB_MEMORY
    limits.JobMemoryLimit = memory_mb * MIB + ADDRESS_SPACE_HEADROOM
    return limits


class JobObject:
    """Windows: a job holding the child and everything it starts."""

    kind = JOB_OBJECT

    def __init__(self, handle, kernel32) -> None:
        self.handle = handle
        self.kernel32 = kernel32

    @classmethod
    def hold(cls, pid: int, memory_mb: int, kernel32=None) -> "JobObject | None":
        """A job with ``pid`` in it, or None when Windows refuses one (the caller falls back)."""
        kernel32 = kernel32 or load_kernel32()
        handle = kernel32.CreateJobObjectW(None, None)
        if not handle:
            return None
        job = cls(handle, kernel32)
        limits = job_limits(memory_mb)
        process = None
        try:
            if not kernel32.SetInformationJobObject(handle, JOB_OBJECT_EXTENDED_LIMIT_INFORMATION_CLASS,
                                                    ctypes.byref(limits), ctypes.sizeof(limits)):
                raise OSError("SetInformationJobObject")
            process = kernel32.OpenProcess(PROCESS_SET_QUOTA | PROCESS_TERMINATE, False, pid)
            if not process or not kernel32.AssignProcessToJobObject(handle, process):
                raise OSError("AssignProcessToJobObject")
        except OSError:
            kernel32.CloseHandle(handle)  # the child is not in it: closing kills nothing
            return None
        finally:
            if process:
                kernel32.CloseHandle(process)
        return job

    def kill(self) -> None:
        if self.handle:
            self.kernel32.TerminateJobObject(self.handle, KILLED_EXIT_CODE)

    def close(self) -> None:
        if self.handle:
            self.kernel32.CloseHandle(self.handle)  # kill-on-close: anything the run left ends here
            self.handle = None


def hold(pid: int, memory_mb: int) -> ProcessTree:
    """Hold the tree of the child ``pid`` (just started with :func:`popen_options`) the strongest way here."""
    if hasattr(os, "killpg"):
        return ProcessGroup(pid)
    return JobObject.hold(pid, memory_mb) or Descendants(pid)
