"""Which data to use by default: real CIFAR data when the user has it, else the synthetic set.

Nothing is loaded here; the choice says what was found, where, and where it looked, so a
front end can say e.g. "using CIFAR-10 from ./cifar-10-batches-py" or "no CIFAR data in .
or ~/.local/share/imgbench: using the built-in synthetic set".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import platformdirs

ChoiceSource = Literal["cifar10", "cifar100", "synthetic"]
CandidateKind = Literal["folder", "archive"]


@dataclass(frozen=True)
class Candidate:
    """A name CIFAR data is looked for under, as the official downloads name it."""

    name: str
    source: ChoiceSource
    kind: CandidateKind


#: In order of preference, within each searched directory.
CANDIDATES: tuple[Candidate, ...] = (
    Candidate("cifar-10-batches-py", "cifar10", "folder"),
    Candidate("cifar-10-python.tar.gz", "cifar10", "archive"),
    Candidate("cifar-100-python", "cifar100", "folder"),
    Candidate("cifar-100-python.tar.gz", "cifar100", "archive"),
)


@dataclass(frozen=True)
class DataChoice:
    """The data source chosen by default, and the evidence for it.

    ``path`` is the folder or archive to load (``None`` for synthetic). ``looked_in`` lists
    the directories examined, in order, up to and including the one ``path`` is in; when
    nothing was found it lists every directory searched.
    """

    source: ChoiceSource
    path: Path | None
    looked_in: tuple[Path, ...]
    kind: CandidateKind | None = None

    @property
    def found(self) -> bool:
        """True when real CIFAR data was found."""
        return self.path is not None


def user_data_dir() -> Path:
    """Where imgbench keeps downloaded data sets, by the platform's convention."""
    return Path(platformdirs.user_data_dir("imgbench"))


def default_search_dirs() -> tuple[Path, ...]:
    """The current directory first (what the user is working on), then the data dir."""
    return (Path.cwd(), user_data_dir())


def discover_data(search_dirs: Sequence[Path] | None = None) -> DataChoice:
    """Choose the best CIFAR candidate in the first directory that has one, else synthetic.

    Directories are searched in order (a nearer copy wins over a preferred variant further
    away); within a directory, ``CANDIDATES`` are tried in order.
    """
    dirs = _unique(search_dirs if search_dirs is not None else default_search_dirs())
    for searched, directory in enumerate(dirs, start=1):
        for candidate in CANDIDATES:
            path = directory / candidate.name
            if _is_usable(path, candidate.kind):
                return DataChoice(candidate.source, path, dirs[:searched], candidate.kind)
    return DataChoice("synthetic", None, dirs)


def _unique(dirs: Sequence[Path]) -> tuple[Path, ...]:
    """The directories as paths, in order, each once (cwd may well be the data dir)."""
    return tuple(dict.fromkeys(Path(directory) for directory in dirs))


def _is_usable(path: Path, kind: CandidateKind) -> bool:
    """A folder candidate must be a directory, an archive a regular file (links followed).

    An unreadable parent counts as "not there" rather than an error: discovery only
    suggests, and loading the chosen path reports problems properly.
    """
    try:
        return path.is_dir() if kind == "folder" else path.is_file()
    except OSError:
        return False
