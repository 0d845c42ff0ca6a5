"""What a screen may ask of the app, as a type: screens depend on this, not on the App.

The app module imports every screen (it pushes them); a screen that imported the App
class back for typing closed an import cycle. :class:`ImgbenchHost` lists exactly what
screens call on the app beyond Textual's own ``App`` methods, and :func:`host_of` hands
it out with a check instead of a ``cast``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol, runtime_checkable

from textual.dom import DOMNode

from imgbench.core.settings import RunSettings


@runtime_checkable
class ImgbenchHost(Protocol):
    """The app as the screens see it: errors, runs, results files, a new run."""

    def show_error(self, title: str, message: str, error: BaseException | None = None) -> None:
        """Explain a problem in a dialog (details of ``error`` go to the log file)."""

    def start_run(self, settings: RunSettings, output: Path, *, replace: bool = False) -> bool:
        """Check and start a run; True when it started, else a dialog said why."""

    def cancel_run(self, status: str = "cancelled") -> None:
        """Stop the run going, keeping what it measured."""

    def open_results(self, path: Path) -> None:
        """Load a results file and show it; a bad file is explained in a dialog."""

    def new_run(self, settings: RunSettings | None = None) -> None:
        """Back to the setup, its form filled from ``settings`` when given."""


def host_of(node: DOMNode) -> ImgbenchHost:
    """The app ``node`` runs in, as a host; a screen shown by another app is a bug."""
    app = node.app
    if not isinstance(app, ImgbenchHost):
        raise TypeError(f"{type(node).__name__} needs the imgbench app, not {type(app).__name__}")
    return app
