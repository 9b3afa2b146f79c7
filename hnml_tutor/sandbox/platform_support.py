"""What the sandbox guarantees less on this platform than on Linux, told to the learner once per machine.

On Linux the tutor seals learner code in bubblewrap where it can (and says so on every check when it
cannot: that is a fix the learner can make). On macOS and Windows there is no such jail and nothing to
install, so a note on every check would be noise; the learner reads one short paragraph, the first time,
and again only if what it says changes. It is built from the platform and from what the runs actually
got: which operating-system limits the child was refused (:func:`~hnml_tutor.sandbox.limits.apply_in_child`,
told through the start signal) and how the process tree was held (:mod:`~hnml_tutor.sandbox.tree_kill`).
Grading runs in the tutor's own process (pytest in-process), so :func:`observe` collects that here, run by
run, for :func:`notes_once` to read after the check.
"""

from __future__ import annotations

import sys

from hnml_tutor.sandbox.tree_kill import DESCENDANTS

MARKER_NAME = "platform-note-shown"
PLATFORM_NAMES = {"darwin": "macOS", "win32": "Windows"}

_refused: set[str] = set()
_tree_kinds: set[str] = set()


def observe(refused: tuple[str, ...], tree_kind: str) -> None:
    """Record what one run was refused and how its tree was held (called by :func:`~hnml_tutor.sandbox.run.run`)."""
    _refused.update(refused)
    _tree_kinds.add(tree_kind)


def platform_name(platform: str | None = None) -> str:
    """How a learner calls ``platform`` (default: this one)."""
    platform = platform or sys.platform
    return PLATFORM_NAMES.get(platform, "Linux" if platform.startswith("linux") else platform)


def note(platform: str, refused: set[str], tree_kinds: set[str]) -> str:
    """The paragraph for a learner on ``platform`` whose runs were refused ``refused`` and held as
    ``tree_kinds``; "" when nothing is weaker than the tutor's other notes already say (Linux)."""
    if not tree_kinds:
        return ""  # no run yet: nothing is known of what worked
    linux = platform.startswith("linux")
    parts = []
    if not linux:
        parts.append(f"On {platform_name(platform)} your code runs as you, with your files in reach: there is no "
                     "sandbox like Linux's bubblewrap here, which is fine for your own exercises on your own "
                     "computer.")
    if "RLIMIT_AS" in refused:
        parts.append("The memory limit is kept by watching your code's memory, not by the system, so one huge "
                     "allocation may slow the computer down before it is stopped.")
    if "RLIMIT_FSIZE" in refused:
        parts.append("The files your code writes have no size limit.")
    if DESCENDANTS in tree_kinds:
        parts.append("A process your code starts is stopped with it only while its parent still runs; one "
                     "left behind may keep running (end it in the Task Manager).")
    elif not linux:
        parts.append("Processes your code starts are stopped with it (unless they start a session of their own).")
    if linux and not parts:
        return ""
    return " ".join(parts)


def notes_once(isolation: str) -> list[str]:
    """What to tell the learner after a check: the isolation fall-back note (Linux, every check), and this
    platform's paragraph the first time this machine sees it (a marker in the tutor's cache)."""
    from hnml_tutor.cache import cache_dir
    from hnml_tutor.sandbox.isolation import fallback_note

    notes = []
    if sys.platform.startswith("linux"):
        fallback = fallback_note(isolation)
        if fallback:
            notes.append(fallback)
    paragraph = note(sys.platform, _refused, _tree_kinds)
    if paragraph:
        marker = cache_dir() / MARKER_NAME
        try:
            shown = marker.read_text(encoding="utf-8")
        except OSError:
            shown = ""
        if shown != paragraph:
            notes.append(paragraph)
            from hnml_tutor.atomic import write_text_atomic

            try:
                write_text_atomic(marker, paragraph)
            except OSError:
                pass  # a cache that cannot be written: the note comes again next time, which is no harm
    return notes
