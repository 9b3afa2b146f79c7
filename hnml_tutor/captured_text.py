"""What a learner's code printed, as a reader sees it on a terminal: plain text, each line in its final state.

The child's output is a file, not a terminal, yet Keras' progress bar still writes for one: colour codes,
then a carriage return or a run of backspaces, then the bar drawn again, a few times a second. Shown as
captured, that is a wall of ``\\x1b[1m8/8\\x1b[0m`` and redrawn bars in the "your code printed" panel, in the
HTML feedback and in Gradescope's results. Here escape sequences are dropped and each line is replayed the
way a terminal would draw it — a carriage return goes back to the start of the line, a backspace one
character left, later characters overwrite earlier ones — so only what was finally on screen is kept.
"""

from __future__ import annotations

import re

# CSI (colours, cursor moves, erasing: ESC [ ... final byte), OSC (titles, links: ESC ] ... BEL or ESC \),
# and the remaining two-byte escapes (ESC followed by one character).
ESCAPE_SEQUENCE = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-Z\\-_]")
# Never shown: C0 controls but \t \n \r \b, an ESC no sequence above used up, DEL and the C1 controls (\x9b
# is a CSI of its own on some terminals). \t \n \r \b are kept for the replay below.
OTHER_CONTROLS = re.compile(r"[\x00-\x07\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def plain_text(captured: str) -> str:
    """``captured`` without escape codes, each line as a terminal would finally show it."""
    text = ESCAPE_SEQUENCE.sub("", captured.replace("\r\n", "\n"))
    text = OTHER_CONTROLS.sub("", text)
    return "\n".join(_final_state(line) for line in text.split("\n"))


def _final_state(line: str) -> str:
    """One line replayed: ``\\r`` returns to its start, ``\\b`` steps back, and what comes after overwrites."""
    if "\r" not in line and "\b" not in line:
        return line.rstrip()
    screen: list[str] = []
    cursor = 0
    for piece in re.split(r"([\r\b])", line):
        if piece == "\r":
            cursor = 0
        elif piece == "\b":
            cursor = max(0, cursor - 1)
        elif piece:
            screen[cursor:cursor + len(piece)] = piece
            cursor += len(piece)
    return "".join(screen).rstrip()


def learner_line(text: str) -> str:
    """A value that came from learner code (an exception message, an object's repr, a dict key) as one line
    of plain text: it is shown inside the tutor's own sentences ("found: …"), so it may neither draw on the
    terminal nor start a line that looks like the tutor's ("✓ passed"). Line breaks are shown as ``⏎``."""
    return " ⏎ ".join(line.strip() for line in plain_text(text).split("\n") if line.strip())
