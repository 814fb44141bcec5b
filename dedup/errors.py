"""Errors a user can act on, each with the exit status the CLI should return.

The library raises these; the CLI turns them into one-line messages. Anything else that escapes is
a bug in dedup (exit status 3), reported with a request to file it.
"""

from __future__ import annotations


class DedupError(Exception):
    """Base class: a problem described well enough for a user to fix it."""

    exit_code = 2

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class UsageError(DedupError):
    """Wrong arguments or configuration: nothing was processed."""

    exit_code = 2


class InputError(DedupError):
    """An input path or file cannot be used."""

    exit_code = 2


class ConfigError(UsageError):
    """A configuration file or key is invalid."""


class InternalError(DedupError):
    """An invariant of dedup itself failed (for example a change log that would not restore)."""

    exit_code = 3


class WorkerError(DedupError):
    """A worker process died (killed, or out of memory): the run stopped and published nothing."""

    exit_code = 2
