"""Where a run's results go: never over the data, and somewhere even when saving fails."""

from __future__ import annotations

import tempfile
from pathlib import Path

from platformdirs import user_state_dir

from imgbench.core.discovery import discover_data
from imgbench.core.settings import RunSettings


def data_path_of(settings: RunSettings) -> Path | None:
    """The data the run reads (a results file may never replace it), when it is a path."""
    if settings.data == "synthetic":
        return None
    if settings.data == "auto":
        return discover_data().path
    return Path(settings.data).expanduser()


def fallback_folders(settings: RunSettings | None) -> list[Path]:
    """Where results go when their own path cannot take them (a full disk, a folder made
    read-only mid-run): the work dir, then imgbench's state folder."""
    folders = []
    if settings is not None:
        folders.append(Path(settings.workdir) if settings.workdir else Path(tempfile.gettempdir()))
    folders.append(Path(user_state_dir("imgbench")) / "results")
    return folders
