"""Seals on what ``hnml-tutor grade`` writes: an HMAC-SHA256 that learner code cannot forge.

Everything in OUT could in principle be rewritten by a learner's code that escaped its run (the issue that
started this: a leftover process rewrote ``gradebook.csv`` after ``grade`` had exited). A plain checksum
beside a file proves nothing, since whoever rewrites the file can rewrite the checksum. A MAC keyed with a
secret that lives outside OUT, readable only by the instructor (and never inside any sandbox), can only be
made by the grader. So every results file, feedback page, the gradebook and each ``--resume`` outcome carry
one, ``--resume`` regrades an outcome whose seal does not verify, and ``grade --verify OUT`` names every
file that changed since grading.

The key is 32 random bytes, hex-encoded, in ``$XDG_CONFIG_HOME/hnml-tutor/grading.key`` (``~/.config`` when
unset), created 0600 on first use; ``HNML_TUTOR_GRADING_KEY_FILE`` names another file.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import secrets
from collections.abc import Iterator
from pathlib import Path

from hnml_tutor.errors import TutorError

KEY_ENV = "HNML_TUTOR_GRADING_KEY_FILE"
KEY_BYTES = 32


def key_path() -> Path:
    """Where the instructor's grading key lives (the environment variable wins, for tests and CI)."""
    override = os.environ.get(KEY_ENV)
    if override:
        return Path(override).expanduser()
    config = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(config) / "hnml-tutor" / "grading.key"


def load_key(out: Path, *, create: bool = True) -> bytes:
    """The grading key, created on first use when ``create``; refused when it sits inside OUT, where learner
    code might reach it."""
    path = key_path()
    if _inside(path, Path(out)):
        raise TutorError(f"The grading key {path} is inside the output folder {out}, where it protects nothing.",
                         f"Point {KEY_ENV} at a file outside OUT (or unset it to use ~/.config/hnml-tutor/grading.key).")
    if not path.exists():
        if not create:
            raise TutorError(f"There is no grading key at {path}, so nothing in {out} can be verified.",
                             f"Verify on the machine and account that graded (or set {KEY_ENV} to that key).")
        _create(path)
    try:
        text = path.read_text(encoding="ascii").strip()
        key = bytes.fromhex(text)
    except (OSError, ValueError, UnicodeDecodeError) as error:
        raise TutorError(f"The grading key {path} could not be read ({error}).",
                         "Restore it from a backup, or delete it to start a new one (every earlier seal then "
                         "reads as changed and --resume regrades everything).") from None
    if len(key) < KEY_BYTES:
        raise TutorError(f"The grading key {path} is too short ({len(key)} bytes, expected {KEY_BYTES}).",
                         "Delete it and run grade again to make a new one.")
    return key


def _create(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another grade run made it a moment ago: use theirs
        return
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(secrets.token_hex(KEY_BYTES) + "\n")


def _inside(path: Path, folder: Path) -> bool:
    path, folder = path.resolve(), folder.resolve()
    return path == folder or folder in path.parents


def seal(key: bytes, name: str, data: bytes) -> str:
    """The MAC of ``data`` stored as ``name`` (the name is bound in, so a seal cannot be moved to another file)."""
    return hmac.new(key, name.encode("utf-8") + b"\0" + data, hashlib.sha256).hexdigest()


def verifies(key: bytes, name: str, data: bytes, mac: object) -> bool:
    return isinstance(mac, str) and hmac.compare_digest(seal(key, name, data), mac)


@contextlib.contextmanager
def throwaway_key(path: Path) -> Iterator[None]:
    """Use a fresh key at ``path`` (outside OUT) for one grading run whose OUT is thrown away afterwards, as on
    Gradescope: its seals need no lasting key, and the container's home may not even be writable."""
    previous = os.environ.get(KEY_ENV)
    os.environ[KEY_ENV] = str(path)
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop(KEY_ENV, None)
        else:
            os.environ[KEY_ENV] = previous
