"""How far a learner's code is sealed off, and the bubblewrap jail that seals it (DESIGN.md, "Trust model").

Three levels:

* ``bubblewrap`` (Linux, where Debian's ``bubblewrap`` is installed and user namespaces work): the child
  runs in its own mount, PID, network, IPC, UTS and user namespaces. It sees the system and Python
  read-only, the data sets read-only, a copy of the few tutor modules that run learner code, and one
  writable folder (its job root) besides its own empty ``/tmp`` and ``/dev/shm`` (emptied after every run). It does not see the tutor's package, the reference solutions, the
  graders, hidden tests, the cache, OUT, other learners' copies or the network, and every process it
  starts dies with it.
* ``user`` (where the grader is root but user namespaces are unavailable: Gradescope's containers,
  Docker): the child runs as the unprivileged user ``hnml-learner`` (``HNML_TUTOR_LEARNER_USER``
  overrides the name), which cannot read the autograder's source, hidden tests or cache (the Gradescope
  bundle's ``setup.sh`` makes them private to root) nor write its results. It imports the same staged
  copy of the child's modules, reads a public copy of the data, and after every run every process of
  that user is killed. All learners share that one user, so instructor grading in this mode grades one
  learner at a time.
* ``process``: the child runs as the grader's user with the limits of :mod:`~hnml_tutor.sandbox.limits`
  and nothing more. Self-study ``check`` falls back to it with a one-line note; instructor grading needs
  ``--isolation process`` to accept it.

``HNML_TUTOR_ISOLATION`` (``auto``, ``bubblewrap``, ``user`` or ``process``) sets the default for the learner-facing
commands; ``auto`` picks the strongest level that works here.
"""

from __future__ import annotations

import atexit
import functools
import os
import signal
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from hnml_tutor.errors import TutorError

try:
    import pwd
except ImportError:  # Windows: no accounts to switch to, so no ``user`` isolation
    pwd = None

BUBBLEWRAP = "bubblewrap"
USER = "user"
PROCESS = "process"
AUTO = "auto"
CHOICES = (AUTO, BUBBLEWRAP, USER, PROCESS)
ENV_VAR = "HNML_TUTOR_ISOLATION"
LEARNER_USER = "hnml-learner"
LEARNER_USER_VAR = "HNML_TUTOR_LEARNER_USER"

# Where things appear inside the jail.
RUNTIME = "/run/hnml/lib"
CACHE = "/run/hnml/cache"
DATA = "/run/hnml/data"
KERAS_HOME = "/run/hnml/keras"

SYSTEM_TREES = ("usr", "bin", "sbin", "lib", "lib32", "lib64", "libx32")
# Only what Python, NumPy and TensorFlow need from /etc: never the whole folder (it holds secrets).
ETC_FILES = ("ld.so.cache", "ld.so.conf", "ld.so.conf.d", "localtime", "nsswitch.conf", "passwd", "group",
             "hosts", "alternatives", "mime.types", "os-release", "fonts")
# The tutor modules that run inside the jail: the child and what it imports. Nothing that grades.
RUNTIME_MODULES = ("__init__.py", "errors.py", "defaults.py", "atomic.py", "cache.py", "datasets.py", "data_catalog.py",
                   "transport.py", "job_files.py", "captured_text.py", "backend.py", "tensorflow_logs.py")
PASSED_ENVIRONMENT = ("TF_CPP_MIN_LOG_LEVEL", "TF_ENABLE_ONEDNN_OPTS", "MPLBACKEND", "PYTHONUNBUFFERED",
                      "PYTHONDONTWRITEBYTECODE", "LANG", "LC_ALL", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS",
                      "HNML_TUTOR_GRADING_RUN", "KERAS_BACKEND")


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


def learner_account() -> pwd.struct_passwd | None:
    """The unprivileged account learner code runs as in ``user`` isolation, if it exists."""
    if pwd is None:
        return None
    try:
        return pwd.getpwnam(os.environ.get(LEARNER_USER_VAR) or LEARNER_USER)
    except KeyError:
        return None


def user_problem() -> str:
    """Why learner code cannot run as the unprivileged learner account here, or "" when it can."""
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        return "switching to the learner account needs the grader to run as root"
    account = learner_account()
    name = os.environ.get(LEARNER_USER_VAR) or LEARNER_USER
    if account is None:
        return f"there is no account {name!r} (the Gradescope bundle's setup.sh creates it)"
    if account.pw_uid == 0:
        return f"the account {name!r} is root"
    return ""


def resolve(explicit: str | None = None) -> str:
    """``bubblewrap``, ``user`` or ``process``: what ``explicit`` (or the environment) asks for and this
    machine allows.

    ``auto`` takes the strongest that works and falls back to ``process`` quietly (the caller says so); an
    explicit level that cannot work is an error that says why.
    """
    choice = requested_isolation(explicit)
    if choice == PROCESS:
        return PROCESS
    if choice in (AUTO, BUBBLEWRAP) and not bubblewrap_problem():
        return BUBBLEWRAP
    if choice in (AUTO, USER) and not user_problem():
        return USER
    if choice == BUBBLEWRAP:
        raise TutorError(f"Learner code cannot be isolated with bubblewrap here: {bubblewrap_problem()}.",
                         "Install bubblewrap, or pass `--isolation process` to run learner code with process "
                         "limits only.")
    if choice == USER:
        raise TutorError(f"Learner code cannot run as an unprivileged user here: {user_problem()}.",
                         "Run as root with the account created, or pass `--isolation process`.")
    return PROCESS


def for_instructor(explicit: str | None) -> str:
    """The level instructor grading uses: never a quiet fall-back to process limits (it needs the opt-in)."""
    level = resolve(explicit or AUTO)
    if level == PROCESS and requested_isolation(explicit or AUTO) != PROCESS and not sys.platform.startswith("linux"):
        from hnml_tutor.sandbox.platform_support import platform_name

        raise TutorError(f"On {platform_name()} learner code can only run with process limits: it cannot be sealed "
                         "off (bubblewrap needs Linux), so it would run as you, with your files in reach.",
                         "Grade on Linux with bubblewrap installed (a Linux machine or virtual machine), or pass "
                         "`--isolation process` to grade here with process limits only.")
    if level == PROCESS and requested_isolation(explicit or AUTO) != PROCESS:
        raise TutorError(f"Learner code cannot be sealed off here: {bubblewrap_problem()}; and {user_problem()}.",
                         "Install bubblewrap, or pass `--isolation process` to grade with process limits only "
                         "(learners' code then runs as you, with your files in reach).")
    return level


def fallback_note(level: str) -> str:
    """One line for a learner whose ``check`` runs with process limits only, or "" when sealed."""
    if level != PROCESS or requested_isolation() == PROCESS:
        return ""
    return f"Note: your code runs with process limits only ({bubblewrap_problem()})."


def end_learner_processes() -> None:
    """Kill every process of the learner account (``user`` isolation, after each run): from a forked helper
    that becomes that user, whose ``kill(-1)`` reaches exactly that user's processes, all at once."""
    account = learner_account()
    if account is None or account.pw_uid == 0:
        return
    pid = os.fork()
    if pid == 0:
        try:
            os.setgroups([])
            os.setgid(account.pw_gid)
            os.setuid(account.pw_uid)
            os.kill(-1, signal.SIGKILL)
        except OSError:
            pass
        os._exit(0)
    os.waitpid(pid, 0)


def hand_to_learner(folder: Path) -> None:
    """Make a job folder the learner account's own (``user`` isolation): it writes there and nowhere else."""
    account = learner_account()
    for path in (folder, *folder.rglob("*")):
        os.chown(path, account.pw_uid, account.pw_gid, follow_symlinks=False)


@functools.cache
def public_root() -> Path:
    """A folder every user may enter but not list (``user`` isolation): the staged runtime and the public
    copy of the data live inside it, and the learner's job folders too."""
    folder = Path(tempfile.mkdtemp(prefix="hnml-public-", dir="/tmp"))
    atexit.register(shutil.rmtree, folder, True)
    folder.chmod(0o711)
    return folder


@functools.cache
def public_data() -> Path:
    """A copy of the decoded data sets the learner account may read, as a cache folder of its own: the
    tutor's cache stays private (it holds the reference model and its seals)."""
    from hnml_tutor.cache import cache_dir

    folder = public_root() / "cache"
    decoded = cache_dir() / "datasets"
    if decoded.is_dir():
        shutil.copytree(decoded, folder / "datasets", ignore=shutil.ignore_patterns(".*"), symlinks=False)
    else:
        (folder / "datasets").mkdir(parents=True)
    for path in (folder, *folder.rglob("*")):
        path.chmod(0o755 if path.is_dir() else 0o644)
    return folder


def user_runtime() -> Path:
    """The staged runtime where the learner account can import it."""
    target = public_root() / "lib"
    if not target.exists():
        _copy_runtime(target)
        for path in (target, *target.rglob("*")):
            path.chmod(0o755 if path.is_dir() else 0o644)
    return target


def user_jobs() -> Path:
    """Where job folders are made in ``user`` isolation: reachable by the learner account, listable by nobody."""
    folder = public_root() / "jobs"
    folder.mkdir(mode=0o711, exist_ok=True)
    folder.chmod(0o711)
    return folder


def user_environment() -> dict[str, str]:
    """The child's whole environment in ``user`` isolation: the public data and nothing of the tutor's paths."""
    environment = {name: os.environ[name] for name in PASSED_ENVIRONMENT if name in os.environ}
    environment.update(PATH="/usr/local/bin:/usr/bin:/bin", HOME="/nonexistent", HNML_TUTOR_CACHE=str(public_data()),
                       HNML_TUTOR_OFFLINE="1")
    return environment


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


def python_command(module: str, args: list[str], *, jailed: bool, runtime: str = RUNTIME) -> list[str]:
    """The command that runs ``module`` as ``__main__``: from the staged runtime at ``runtime`` when ``jailed``."""
    if not jailed:
        return [sys.executable, "-I", "-m", module, *args]
    boot = (f"import sys; sys.path.insert(0, {runtime!r}); import runpy; "
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
    base_env: dict[str, str] | None = None  # the environment the child would have had; the jail keeps a few

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
        # A fresh /proc, /dev and /tmp first: a Python installed under /tmp (a venv made there) is bound on top.
        args += ["--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp"]
        bound = [Path("/usr")]
        for tree in _python_trees():
            if not _inside(tree, bound):
                args += ["--ro-bind", str(tree), str(tree)]
                bound.append(tree)
        for secret in [*_secret_paths(), *(Path(os.path.realpath(p)) for p in self.hidden)]:
            if _inside(secret, bound):
                args += ["--tmpfs", str(secret), "--remount-ro", str(secret)]
        args += ["--ro-bind", str(staged_runtime()), RUNTIME]
        args += self._data_binds()
        for folder in self.writable:
            args += ["--bind", str(folder), str(folder)]
        base = os.environ if self.base_env is None else self.base_env
        environment = {name: base[name] for name in PASSED_ENVIRONMENT if name in base}
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
        """The data sets, read-only: the decoded cache, and from HNML_TUTOR_DATA and Keras' cache only the data
        sets' own files, by name. Those folders are the instructor's or the learner's to choose and may hold
        anything else (a home folder, the grading key, the submissions): none of it is the learner code's to see."""
        from hnml_tutor.cache import cache_dir
        from hnml_tutor.data_catalog import data_file_names, keras_cache_dir

        decoded = cache_dir() / "datasets"
        decoded.mkdir(parents=True, exist_ok=True)  # bound now, so data sets decoded later show up inside
        binds = ["--ro-bind", str(decoded), f"{CACHE}/datasets"]
        sources = [(Path(os.path.expanduser(os.environ["HNML_TUTOR_DATA"])), DATA)] \
            if os.environ.get("HNML_TUTOR_DATA") else []
        sources.append((keras_cache_dir(), f"{KERAS_HOME}/datasets"))
        for source, inside in sources:
            for name in data_file_names():
                if (source / name).is_file():
                    binds += ["--ro-bind", str(source / name), f"{inside}/{name}"]
        return binds
