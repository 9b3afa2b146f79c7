"""Finding the learners in a submissions folder, unpacking their zips safely, and copying their exercises.

Each child of the submissions folder is one learner: a workspace folder as ``hnml-tutor start`` makes it,
or a ``.zip`` of one. Nothing a learner handed in is trusted: zips are unpacked member by member with
limits (no absolute paths, no ``..``, no symbolic links, no huge or numerous files); a learner's exercise
files are read into memory once, and their code only ever runs on a fresh copy made from that snapshot.
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from hnml_tutor.curriculum import load_curriculum

MIB = 1024 * 1024
MAX_FILE_BYTES = 8 * MIB  # an exercise file is a few KiB; anything this big is junk and is left out
MAX_TOTAL_BYTES = 256 * MIB
MAX_FILES = 2000
MAX_DEPTH = 4
MAX_SNAPSHOT_FILE_BYTES = 1 * MIB  # what a learner's code may read next to its own file
MAX_SNAPSHOT_BYTES = 16 * MIB
EXERCISE_FILE = re.compile(r"^\d\d_[A-Za-z0-9_]+\.py$")
IGNORED_DIRS = {"__MACOSX", "__pycache__", ".git", ".hg", ".svn", "node_modules", ".ipynb_checkpoints"}


@dataclass(frozen=True)
class Submission:
    """One learner's hand-in, ready to grade (``exercises_dir``) or not (``problem`` says why)."""

    learner: str
    source: Path
    exercises_dir: Path | None = None
    problem: str | None = None
    files: tuple[tuple[str, bytes], ...] = ()

    def digest(self, exercise_file: str) -> str:
        return digest_files(self.files, exercise_file)


def learner_name(entry: Path) -> str:
    """A name that is safe as a file name in OUT and says whose work it is: ``Ana López.zip`` → ``Ana_López``."""
    stem = entry.name[: -len(".zip")] if entry.name.lower().endswith(".zip") else entry.name
    cleaned = re.sub(r"[^\w.-]+", "_", stem, flags=re.UNICODE).strip("._")
    return cleaned or "learner"


def _is_exercises_folder(path: Path) -> bool:
    try:
        return any(EXERCISE_FILE.match(child.name) and child.is_file() for child in path.iterdir())
    except OSError:
        return False


def find_exercises_dir(root: Path) -> Path | None:
    """The folder holding the learner's ``NN_slug.py`` files, wherever the zip or folder put it.

    A workspace has them in ``exercises/``; a learner who zipped the workspace folder adds one level, and
    one who zipped only the files removes one. Anything else has no exercises to grade.
    """
    current = root
    for _ in range(MAX_DEPTH):
        if (current / "exercises").is_dir() and not (current / "exercises").is_symlink():
            return current / "exercises"
        if _is_exercises_folder(current):
            return current
        try:
            children = [c for c in current.iterdir() if c.is_dir() and not c.is_symlink()
                        and c.name not in IGNORED_DIRS and not c.name.startswith(".")]
        except OSError:
            return None
        if len(children) != 1:
            return None
        current = children[0]
    return None


def _safe_member_path(name: str) -> PurePosixPath | None:
    path = PurePosixPath(name.replace("\\", "/"))
    if path.is_absolute() or not path.parts or ".." in path.parts or ":" in path.parts[0]:
        return None
    if any(part in IGNORED_DIRS for part in path.parts):
        return None
    return path


def _is_symlink(info: zipfile.ZipInfo) -> bool:
    return stat.S_ISLNK(info.external_attr >> 16)


def unpack_zip(archive: Path, target: Path) -> str | None:
    """Unpack ``archive`` into ``target`` within the limits; returns the problem, or None when it worked."""
    try:
        with zipfile.ZipFile(archive) as zipped:
            members = [info for info in zipped.infolist() if not info.is_dir()]
            if not members:
                return f"{archive.name} is an empty zip file."
            if len(members) > MAX_FILES:
                return f"{archive.name} holds {len(members)} files; at most {MAX_FILES} are accepted."
            written = 0
            for info in members:
                relative = _safe_member_path(info.filename)
                if relative is None or _is_symlink(info) or info.flag_bits & 0x1 or info.file_size > MAX_FILE_BYTES:
                    continue  # unsafe, a link, encrypted or junk-sized: left out, never fatal
                with zipped.open(info) as source:
                    data = source.read(MAX_FILE_BYTES + 1)
                if len(data) > MAX_FILE_BYTES:
                    continue
                written += len(data)
                if written > MAX_TOTAL_BYTES:
                    return f"{archive.name} unpacks to more than {MAX_TOTAL_BYTES // MIB} MiB."
                destination = target.joinpath(*relative.parts)
                destination.parent.mkdir(parents=True, exist_ok=True)
                destination.write_bytes(data)
    # zipfile raises NotImplementedError for a compression method it does not support
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, ValueError, OSError) as error:
        return f"{archive.name} is not a readable zip file ({type(error).__name__}: {error})."
    return None


def _exercise_files(exercises_dir: Path) -> list[Path]:
    """Regular files under ``exercises_dir`` worth keeping, in a stable order (links and junk left out)."""
    found: list[Path] = []
    for folder, dirnames, filenames in os.walk(exercises_dir):
        depth = len(Path(folder).relative_to(exercises_dir).parts)
        dirnames[:] = sorted(d for d in dirnames if depth < MAX_DEPTH and d not in IGNORED_DIRS
                             and not d.startswith(".") and not (Path(folder) / d).is_symlink())
        for name in sorted(filenames):
            path = Path(folder) / name
            try:
                info = path.lstat()
            except OSError:
                continue
            if stat.S_ISREG(info.st_mode) and info.st_size <= MAX_SNAPSHOT_FILE_BYTES:
                found.append(path)
    return found


def snapshot(exercises_dir: Path) -> tuple[tuple[str, bytes], ...]:
    """The learner's exercise files, read once into memory.

    Workers get their copy from this snapshot (through a pipe), never from disk, so no learner's code —
    which runs while others are graded — can change the files another learner is graded on.
    """
    files: list[tuple[str, bytes]] = []
    total = 0
    for path in _exercise_files(exercises_dir):
        try:
            data = path.read_bytes()
        except OSError:
            continue
        if total + len(data) > MAX_SNAPSHOT_BYTES or len(files) >= MAX_FILES:
            break
        total += len(data)
        files.append((path.relative_to(exercises_dir).as_posix(), data))
    return tuple(files)


def digest_files(files: tuple[tuple[str, bytes], ...], exercise_file: str) -> str:
    """A fingerprint of what grading ``exercise_file`` depends on, so ``--resume`` regrades what changed.

    That is the exercise's own file and every helper next to it, but not the learner's other exercises:
    finishing 05 does not make a resumed run regrade 01-04.
    """
    digest = hashlib.sha256()
    for name, data in files:
        if EXERCISE_FILE.match(name) and name != exercise_file:
            continue
        digest.update(name.encode("utf-8", "surrogateescape") + b"\0" + hashlib.sha256(data).digest())
    return digest.hexdigest()


def write_exercises(files: tuple[tuple[str, bytes], ...], workspace_copy: Path) -> Path:
    """Lay a snapshot out as a fresh workspace at ``workspace_copy``; returns its ``exercises`` folder."""
    target = workspace_copy / "exercises"
    target.mkdir(parents=True)
    for name, data in files:
        relative = _safe_member_path(name)
        if relative is None:
            continue
        destination = target.joinpath(*relative.parts)
        destination.parent.mkdir(parents=True, exist_ok=True)
        destination.write_bytes(data)
    for folder in ("plots", ".hnml-tutor"):
        (workspace_copy / folder).mkdir(exist_ok=True)
    return target


def _unique(name: str, taken: set[str]) -> str:
    candidate, counter = name, 2
    while candidate.lower() in taken:
        candidate, counter = f"{name}-{counter}", counter + 1
    taken.add(candidate.lower())
    return candidate


def _prepare(entry: Path, learner: str, unpack_root: Path) -> Submission:
    if entry.is_dir():
        root = entry
    else:
        root = unpack_root / learner
        root.mkdir(parents=True)
        problem = unpack_zip(entry, root)
        if problem:
            return Submission(learner, entry, problem=problem)
    exercises_dir = find_exercises_dir(root)
    if exercises_dir is None:
        return Submission(learner, entry, problem=(
            f"No exercise files found in {entry.name}: expected an exercises/ folder with files such as "
            f"{load_curriculum().exercises[0].filename} (a workspace made by `hnml-tutor start`)."))
    return Submission(learner, entry, exercises_dir=exercises_dir, files=snapshot(exercises_dir))


def discover(submissions: Path, unpack_root: Path) -> tuple[list[Submission], list[str]]:
    """Every learner in ``submissions`` (sorted by name), plus a note for each entry that was skipped."""
    learners: list[Submission] = []
    skipped: list[str] = []
    taken: set[str] = set()
    for entry in sorted(submissions.iterdir(), key=lambda p: p.name):
        if entry.name.startswith(".") or entry.name in IGNORED_DIRS:
            continue
        if entry.is_symlink():
            skipped.append(f"{entry.name}: a symbolic link; copy the learner's work in instead")
            continue
        if not (entry.is_dir() or (entry.is_file() and entry.name.lower().endswith(".zip"))):
            skipped.append(f"{entry.name}: not a folder or a .zip")
            continue
        learner = _unique(learner_name(entry), taken)
        learners.append(_prepare(entry, learner, unpack_root))
    return learners, skipped


def single(folder: Path, learner: str, unpack_root: Path) -> Submission:
    """One hand-in that is itself the workspace (Gradescope's ``/autograder/submission``)."""
    zips = [p for p in folder.iterdir() if p.suffix.lower() == ".zip" and p.is_file()] if folder.is_dir() else []
    if find_exercises_dir(folder) is None and len(zips) == 1:
        return _prepare(zips[0], learner, unpack_root)
    return _prepare(folder, learner, unpack_root)
