"""How far a learner's code is sealed off, and the bubblewrap jail that seals it (DESIGN.md, "Trust model").

Two levels:

* ``bubblewrap`` (Linux, where Debian's ``bubblewrap`` is installed and user namespaces work): the child
  runs in its own mount, PID, network, IPC, UTS and user namespaces. It sees the system and Python
  read-only, the data sets read-only, a copy of the few tutor modules that run learner code, and one
  writable folder (its job root) besides its own empty ``/tmp`` and ``/dev/shm`` (emptied after every run). It does not see the tutor's package, the reference solutions, the
  graders, hidden tests, the cache, OUT, other learners' copies or the network, and every process it
  starts dies with it.
* ``process``: the child runs as the grader's user with the limits of :mod:`~hnml_tutor.sandbox.limits`
  and nothing more. Self-study ``check`` falls back to it with a one-line note; instructor grading needs
  ``--isolation process`` to accept it.

``HNML_TUTOR_ISOLATION`` (``auto``, ``bubblewrap`` or ``process``) sets the default for the learner-facing
commands; ``auto`` picks the strongest level that works here.
"""

from __future__ import annotations

import atexit
import functools
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from hnml_tutor.errors import TutorError

BUBBLEWRAP = "bubblewrap"
PROCESS = "process"
AUTO = "auto"
CHOICES = (AUTO, BUBBLEWRAP, PROCESS)
ENV_VAR = "HNML_TUTOR_ISOLATION"

# Where things appear inside the jail.
RUNTIME = "/run/hnml/lib"
CACHE = "/run/hnml/cache"
DATA = "/run/hnml/data"
KERAS_HOME = "/run/hnml/keras"

SYSTEM_TREES = ("usr", "bin", "sbin", "lib", "lib32", "lib64", "libx32")
# Only what Python, NumPy and TensorFlow need from /etc: never the whole folder (it holds secrets).
ETC_FILES = ("ld.so.cache", "ld.so.conf", "ld.so.conf.d", "localtime", "nsswitch.conf", "passwd", "group",
             "hosts", "alternatives", "mime.types", "os-release")
# The tutor modules that run inside the jail: the child and what it imports. Nothing that grades.
RUNTIME_MODULES = ("__init__.py", "errors.py", "defaults.py", "cache.py", "datasets.py", "transport.py",
                   "job_files.py")
PASSED_ENVIRONMENT = ("TF_CPP_MIN_LOG_LEVEL", "TF_ENABLE_ONEDNN_OPTS", "MPLBACKEND", "PYTHONUNBUFFERED",
                      "PYTHONDONTWRITEBYTECODE", "LANG", "LC_ALL", "OMP_NUM_THREADS", "HNML_TUTOR_GRADING_RUN")


def requested_isolation(explicit: str | None = None) -> str:
    """The level asked for: ``explicit``, else ``HNML_TUTOR_ISOLATION``, else ``auto``."""
    choice = (explicit or os.environ.get(ENV_VAR) or AUTO).strip().lower()
    if choice not in CHOICES:
        raise TutorError(f"Unknown isolation {choice!r}.", f"Use one of: {', '.join(CHOICES)}.")
    return choice


@functools.cache
def bubblewrap_problem() -> str:
    """Why bubblewrap cannot seal learner code here, or "" when it can (tried once per process)."""
    if not sys.platform.startswith("linux"):
        return "bubblewrap needs Linux"
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        return "bubblewrap is not installed (Debian/Ubuntu: `apt-get install bubblewrap`)"
    try:
        trial = subprocess.run([bwrap, "--unshare-all", "--die-with-parent", "--ro-bind", "/", "/", "--proc", "/proc",
                                "--dev", "/dev", "true"], capture_output=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as error:
        return f"bubblewrap could not start ({error})"
    if trial.returncode != 0:
        said = trial.stderr.decode(errors="replace").strip().splitlines()
        return "bubblewrap cannot create namespaces here (" + (said[-1] if said else f"exit {trial.returncode}") + ")"
    return ""


def resolve(explicit: str | None = None) -> str:
    """``bubblewrap`` or ``process``: what ``explicit`` (or the environment) asks for and this machine allows.

    ``auto`` falls back to ``process`` quietly (the caller says so); an explicit ``bubblewrap`` that cannot
    work is an error that says why.
    """
    choice = requested_isolation(explicit)
    if choice == PROCESS:
        return PROCESS
    problem = bubblewrap_problem()
    if not problem:
        return BUBBLEWRAP
    if choice == BUBBLEWRAP:
        raise TutorError(f"Learner code cannot be isolated with bubblewrap here: {problem}.",
                         "Install bubblewrap, or pass `--isolation process` to run learner code with process "
                         "limits only.")
    return PROCESS


def for_instructor(explicit: str | None) -> str:
    """The level instructor grading uses: never a quiet fall-back to process limits (it needs the opt-in)."""
    choice = requested_isolation(explicit or AUTO)
    if choice == AUTO and bubblewrap_problem():
        raise TutorError(f"Learner code cannot be sealed off here: {bubblewrap_problem()}.",
                         "Install bubblewrap, or pass `--isolation process` to grade with process limits only "
                         "(learners' code then runs as you, with your files in reach).")
    return resolve(choice)


def fallback_note(level: str) -> str:
    """One line for a learner whose ``check`` runs with process limits only, or "" when sealed."""
    if level != PROCESS or requested_isolation() == PROCESS:
        return ""
    return f"Note: your code runs with process limits only ({bubblewrap_problem()})."


def _copy_runtime(target: Path) -> None:
    package = Path(__file__).resolve().parent.parent
    (target / "hnml_tutor" / "sandbox").mkdir(parents=True)
    for name in RUNTIME_MODULES:
        shutil.copyfile(package / name, target / "hnml_tutor" / name)
    for module in sorted((package / "sandbox").glob("*.py")):
        shutil.copyfile(module, target / "hnml_tutor" / "sandbox" / module.name)


@functools.cache
def staged_runtime() -> Path:
    """A folder holding only the tutor modules the child needs, made once per process.

    Learner code may read every module it can import; this copy is all of the tutor it can see.
    """
    folder = Path(tempfile.mkdtemp(prefix="hnml-runtime-"))
    atexit.register(shutil.rmtree, folder, True)
    _copy_runtime(folder)
    return folder


def python_command(module: str, args: list[str], *, jailed: bool) -> list[str]:
    """The command that runs ``module`` as ``__main__``: from the staged runtime when ``jailed``."""
    if not jailed:
        return [sys.executable, "-I", "-m", module, *args]
    boot = (f"import sys; sys.path.insert(0, {RUNTIME!r}); import runpy; "
            f"runpy.run_module({module!r}, run_name='__main__', alter_sys=True)")
    return [sys.executable, "-I", "-c", boot, *args]


def _inside(path: Path, roots: list[Path]) -> bool:
    return any(path == root or root in path.parents for root in roots)


def _secret_paths() -> list[Path]:
    """The tutor's own folders, which learner code must never see even where a bound tree contains them."""
    from hnml_tutor.cache import cache_dir

    paths = [Path(__file__).resolve().parent.parent, cache_dir()]
    curriculum = os.environ.get("HNML_TUTOR_CURRICULUM")
    if curriculum:
        paths.append(Path(curriculum))
    return [Path(os.path.realpath(p)) for p in paths]


def _python_trees() -> list[Path]:
    """Python itself and its installed packages; never other ``sys.path`` entries (a project folder, tests)."""
    import site
    import sysconfig

    trees = {Path(sys.base_prefix), Path(sys.prefix), Path(os.path.realpath(sys.executable)).parent.parent}
    trees.update(Path(path) for path in sysconfig.get_paths().values() if os.path.exists(path))
    trees.update(Path(path) for path in site.getsitepackages() if os.path.exists(path))
    resolved = sorted({Path(os.path.realpath(tree)) for tree in trees}, key=lambda p: len(p.parts))
    kept: list[Path] = []
    for tree in resolved:
        if not _inside(tree, kept):
            kept.append(tree)
    return kept


@dataclass(frozen=True)
class Jail:
    """A bubblewrap command line: read-only system and Python, read-only data, writable ``writable`` only."""

    writable: tuple[Path, ...]
    hidden: tuple[Path, ...] = ()  # more folders learner code must not see (hidden tests, OUT, submissions)
    chdir: Path | None = None
    extra_env: dict[str, str] = field(default_factory=dict)

    def command(self, inner: list[str]) -> list[str]:
        args = [shutil.which("bwrap") or "bwrap", "--unshare-all", "--die-with-parent", "--new-session",
                "--cap-drop", "ALL", "--clearenv"]
        for name in SYSTEM_TREES:
            host = Path("/") / name
            if host.is_symlink():
                args += ["--symlink", os.readlink(host), str(host)]
            elif host.is_dir():
                args += ["--ro-bind", str(host), str(host)]
        for name in ETC_FILES:
            args += ["--ro-bind-try", f"/etc/{name}", f"/etc/{name}"]
        bound = [Path("/usr")]
        for tree in _python_trees():
            if not _inside(tree, bound):
                args += ["--ro-bind", str(tree), str(tree)]
                bound.append(tree)
        for secret in [*_secret_paths(), *(Path(os.path.realpath(p)) for p in self.hidden)]:
            if _inside(secret, bound):
                args += ["--tmpfs", str(secret), "--remount-ro", str(secret)]
        args += ["--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp"]
        args += ["--ro-bind", str(staged_runtime()), RUNTIME]
        args += self._data_binds()
        for folder in self.writable:
            args += ["--bind", str(folder), str(folder)]
        environment = {name: os.environ[name] for name in PASSED_ENVIRONMENT if name in os.environ}
        environment.update(PATH="/usr/local/bin:/usr/bin:/bin", HOME="/tmp", HNML_TUTOR_CACHE=CACHE,
                           KERAS_HOME=KERAS_HOME, HNML_TUTOR_OFFLINE="1", HNML_TUTOR_JAILED="1",
                           HNML_TUTOR_JAIL_WRITABLE=os.pathsep.join(str(folder) for folder in self.writable))
        if os.environ.get("HNML_TUTOR_DATA"):
            environment["HNML_TUTOR_DATA"] = DATA
        environment.update(self.extra_env)
        for name, value in environment.items():
            args += ["--setenv", name, value]
        if self.chdir is not None:
            args += ["--chdir", str(self.chdir)]
        args += ["--remount-ro", "/", "--", *inner]
        return args

    @staticmethod
    def _data_binds() -> list[str]:
        """The data sets, read-only: the decoded cache, HNML_TUTOR_DATA and Keras' cache (public data only)."""
        from hnml_tutor.cache import cache_dir
        from hnml_tutor.datasets import keras_cache_dir

        decoded = cache_dir() / "datasets"
        decoded.mkdir(parents=True, exist_ok=True)  # bound now, so data sets decoded later show up inside
        binds = ["--ro-bind", str(decoded), f"{CACHE}/datasets"]
        if os.environ.get("HNML_TUTOR_DATA"):
            binds += ["--ro-bind-try", os.path.expanduser(os.environ["HNML_TUTOR_DATA"]), DATA]
        binds += ["--ro-bind-try", str(keras_cache_dir()), f"{KERAS_HOME}/datasets"]
        return binds
