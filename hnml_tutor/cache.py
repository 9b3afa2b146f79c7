"""The tutor's per-user cache folder (decoded data sets, the trained reference model), and its seals.

``HNML_TUTOR_CACHE`` overrides the location, which tests use to start clean; otherwise it follows the XDG
convention (``~/.cache/hnml-tutor``).

Whatever is read back from the cache is graded against, so anything that can write there could change
grades for this run and every later one. Every entry is therefore checked on every load and rebuilt when
it differs. Decoded data sets are checked against the checksums published in :mod:`hnml_tutor.datasets`;
an entry the tutor builds itself (a trained reference model) carries a *manifest*: the SHA-256 of each of
its files, sealed with an HMAC under a key kept in the cache root, so a file swapped in and a manifest
edited to match are caught alike. The seal holds against anything that can write an entry without reading
the key (``0600``, outside every entry); learner code in ``grade`` sees neither, as the OS sandbox hides the
cache. A rebuild is silent for the learner and logged for a developer (:func:`note_rebuild`).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import secrets
import shutil
import stat
import time
import uuid
from pathlib import Path

from hnml_tutor.atomic import write_text_atomic

MANIFEST_NAME = ".manifest.json"
KEY_NAME = ".seal-key"
REBUILD_LOG_NAME = "rebuilds.log"
KEY_BYTES = 32
MAX_MANIFEST_BYTES = 1024 * 1024  # a manifest lists a handful of files; anything larger was not written by us
CHUNK_BYTES = 1024 * 1024

log = logging.getLogger(__name__)
log.addHandler(logging.NullHandler())  # silent unless a developer configures logging (the log file always has it)


def cache_dir() -> Path:
    """Root of the cache; created on first use."""
    explicit = os.environ.get("HNML_TUTOR_CACHE")
    if explicit:
        root = Path(explicit).expanduser()
    else:
        base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
        root = Path(base) / "hnml-tutor"
    root.mkdir(parents=True, exist_ok=True)
    return root


class NotRegular(Exception):
    """A cache path that is a link, a pipe, a folder or a device instead of a file of ours."""


def open_regular_file(path: Path, limit: int | None = None):
    """Open ``path`` for reading only if it is a regular file (no link followed, no pipe waited on).

    ``limit`` refuses a file larger than that many bytes, before anything is read.
    """
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
    try:
        descriptor = os.open(path, flags)
    except OSError as error:
        raise NotRegular(f"{Path(path).name}: {error.strerror}") from None
    info = os.fstat(descriptor)
    if not stat.S_ISREG(info.st_mode) or (limit is not None and info.st_size > limit):
        os.close(descriptor)
        raise NotRegular(f"{Path(path).name} is not a regular file of the expected size")
    return os.fdopen(descriptor, "rb")


def sha256_file(path: Path) -> str:
    """SHA-256 of a regular file's bytes; raises :class:`NotRegular` for anything else."""
    digest = hashlib.sha256()
    with open_regular_file(path) as handle:
        while chunk := handle.read(CHUNK_BYTES):
            digest.update(chunk)
    return digest.hexdigest()


def _seal_key() -> bytes:
    """The cache's HMAC key, made on first use; a missing or damaged key is replaced (every seal then
    fails and its entry is rebuilt, which is safe)."""
    path = cache_dir() / KEY_NAME
    try:
        with open_regular_file(path, KEY_BYTES) as handle:
            key = handle.read()
        if len(key) == KEY_BYTES:
            return key
    except NotRegular:
        pass
    key = secrets.token_bytes(KEY_BYTES)
    staging = path.with_name(f".{KEY_NAME}.{uuid.uuid4().hex}")
    descriptor = os.open(staging, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(key)
    os.replace(staging, path)
    return key


def _seal(entry: str, files: dict[str, str]) -> str:
    payload = json.dumps({"entry": entry, "files": files}, sort_keys=True).encode()
    return hmac.new(_seal_key(), payload, hashlib.sha256).hexdigest()


def _files_in(folder: Path) -> dict[str, Path]:
    """Every file below ``folder`` by its relative POSIX path; raises :class:`NotRegular` on anything else."""
    found: dict[str, Path] = {}
    pending = [folder]
    while pending:
        current = pending.pop()
        with os.scandir(current) as entries:
            for item in entries:
                relative = Path(item.path).relative_to(folder).as_posix()
                if item.is_symlink():
                    raise NotRegular(f"{relative} is a symbolic link")
                if item.is_dir(follow_symlinks=False):
                    pending.append(Path(item.path))
                elif item.is_file(follow_symlinks=False):
                    found[relative] = Path(item.path)
                else:
                    raise NotRegular(f"{relative} is not a regular file")
    found.pop(MANIFEST_NAME, None)
    return found


def seal_folder(folder: Path, entry: str) -> None:
    """Write ``folder``'s manifest: every file's SHA-256, sealed for ``entry`` (call once it is complete)."""
    files = {name: sha256_file(path) for name, path in sorted(_files_in(Path(folder)).items())}
    manifest = {"entry": entry, "files": files, "seal": _seal(entry, files)}
    write_text_atomic(Path(folder) / MANIFEST_NAME, json.dumps(manifest, indent=1, sort_keys=True))


def seal_problem(folder: Path, entry: str) -> str | None:
    """Why ``folder`` is not the intact entry ``entry`` it was sealed as, or None when it is.

    Checks, in order: the manifest is there and its seal is ours for this entry; no file is missing,
    extra or anything but a regular file; every file's SHA-256 matches.
    """
    folder = Path(folder)
    if not folder.is_dir():
        return "the entry is missing"
    try:
        with open_regular_file(folder / MANIFEST_NAME, MAX_MANIFEST_BYTES) as handle:
            manifest = json.loads(handle.read())
        files, seal = manifest["files"], manifest["seal"]
        if not isinstance(files, dict) or not all(isinstance(v, str) for v in files.values()):
            return "the manifest is malformed"
    except NotRegular:
        return "the manifest is missing or not a file"
    except (ValueError, KeyError, TypeError):
        return "the manifest is malformed"
    if not isinstance(seal, str) or not hmac.compare_digest(seal, _seal(entry, files)):
        return "the manifest's seal does not match (edited, or sealed for another entry)"
    try:
        present = _files_in(folder)
    except (NotRegular, OSError) as error:
        return str(error)
    extra, missing = sorted(set(present) - set(files)), sorted(set(files) - set(present))
    if extra:
        return f"extra file {extra[0]}"
    if missing:
        return f"missing file {missing[0]}"
    for name, expected in sorted(files.items()):
        try:
            if not hmac.compare_digest(sha256_file(present[name]), expected):
                return f"{name} differs from its manifest"
        except NotRegular as error:
            return str(error)
    return None


def discard(folder: Path) -> None:
    """Remove a cache entry: renamed aside first, so no reader ever sees half of it."""
    folder = Path(folder)
    aside = folder.with_name(f".discarded-{folder.name}-{uuid.uuid4().hex[:8]}")
    try:
        os.replace(folder, aside)
    except FileNotFoundError:
        return
    except OSError:
        aside = folder  # e.g. a file or link where the folder should be
    if aside.is_dir() and not aside.is_symlink():
        shutil.rmtree(aside, ignore_errors=True)
    else:
        try:
            aside.unlink(missing_ok=True)
        except OSError:
            pass  # a read-only cache (a learner's jail): the damaged entry is only ignored


def note_rebuild(entry: str, reason: str) -> None:
    """Record that a cache entry was found damaged and is rebuilt: never shown to the learner, kept for a
    developer in ``<cache>/rebuilds.log`` and on the ``hnml_tutor.cache`` logger."""
    line = f"{time.strftime('%Y-%m-%dT%H:%M:%S')} rebuilt {entry}: {reason}"
    log.warning("%s", line)
    try:
        with open(cache_dir() / REBUILD_LOG_NAME, "a", encoding="utf-8") as handle:
            handle.write(line + "\n")
    except OSError:
        pass  # the log is a courtesy; the rebuild itself is what keeps grades right
