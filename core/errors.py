"""Errors that core raises for bad input, each naming the file and the problem.

The front ends show ``str(error)`` as it is: one line, no traceback.
"""

from __future__ import annotations

from pathlib import Path

from .one_line import one_line


class ImgbenchError(Exception):
    """Base of every error imgbench expects and explains."""

    def __init__(self, path: Path | str | None, problem: str) -> None:
        self.path = Path(path) if path is not None else None
        self.problem = problem
        where = one_line(self.path) if self.path is not None else None
        super().__init__(f"{where}: {problem}" if where is not None else problem)


class DataError(ImgbenchError):
    """A data set could not be loaded: missing, wrong layout, truncated, corrupt."""


class UnsafeDataError(DataError):
    """The input tried something a data file never needs (code in a pickle, a path escape)."""


class StoreError(ImgbenchError):
    """A store could not be written or read: unwritable, disk full, incomplete, corrupt."""


class SettingsError(ImgbenchError):
    """The run cannot start: bad settings, missing data, not enough space."""
