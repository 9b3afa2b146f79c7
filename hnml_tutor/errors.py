"""The one error type the tutor shows to people.

Anything that goes wrong because of input (a bad exercise id, a missing workspace, no data set) is raised
as a ``TutorError`` carrying what went wrong and how to fix it. The CLI renders it as a short message and
exits with status 2, so a learner never meets a traceback from the tutor itself.
"""

from __future__ import annotations


class TutorError(Exception):
    """A problem the user can fix: ``problem`` says what happened, ``fix`` says what to do."""

    def __init__(self, problem: str, fix: str = "") -> None:
        super().__init__(problem)
        self.problem = problem
        self.fix = fix

    def __str__(self) -> str:
        return f"{self.problem}\n{self.fix}" if self.fix else self.problem
