"""Saving, opening and reporting a results document, from any screen that shows one.

:class:`DocumentScreen` holds the document and its file and carries the file actions
(save with a confirmation before replacing, open, the report beside the file); the
results screen adds the tabs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.screen import Screen

from imgbench.core.chart_types import Document
from imgbench.core.errors import ImgbenchError
from imgbench.core.results import save_document as write_document

from .app_host import ImgbenchHost, host_of
from .dialogs import ConfirmDialog, PathDialog
from .open_dialog import OpenDialog


def default_save_path(document: Document) -> Path:
    """A file name in the current folder that says when the run was made."""
    created = document.get("created")
    stamp = ""
    if isinstance(created, str) and "T" in created:
        day, _, clock = created.partition("T")
        stamp = f"-{day}-{clock[:5].replace(':', '')}"
    return Path.cwd() / f"imgbench-results{stamp}.json"


class DocumentScreen(Screen[None]):
    """A screen showing one results document, saved at ``path`` or not saved yet."""

    def __init__(self, document: dict[str, Any], path: Path | None) -> None:
        super().__init__()
        self.document = document
        self.path = path

    @property
    def host(self) -> ImgbenchHost:
        """The app, which shows errors and opens results files for every screen."""
        return host_of(self)

    def saved(self) -> None:
        """Called once the document is saved at ``self.path``: show the new file name."""

    def action_save(self) -> None:
        initial = self.path or default_save_path(self.document)
        self.app.push_screen(PathDialog("Save the results as JSON", str(initial)), self._save_to)

    def _save_to(self, path: Path | None) -> None:
        if path is None:
            return
        path = path.absolute()
        if path.exists() and path != self.path:
            question = f"{path} exists. Replace it with these results?"
            self.app.push_screen(
                ConfirmDialog(question, yes="Replace", no="Keep it"),
                lambda yes: self._write(path) if yes else None,
            )
            return
        self._write(path)

    def _write(self, path: Path) -> None:
        try:
            write_document(self.document, path)
        except (ImgbenchError, OSError) as error:
            self.host.show_error("The results could not be saved", str(error))
            return
        self.path = path
        self.saved()
        self.notify(f"Saved to {path}", title="Results saved")

    def action_save_report(self) -> None:
        """Write the report to share beside the results file (HTML, or Markdown without
        matplotlib), in a thread: drawing the charts takes a moment."""
        path = self.path
        if path is None:
            self.notify("Save the results first (s): the report goes beside them.")
            return
        self.notify("Writing the report…")
        self.run_worker(lambda: self._write_report(self.document, path), thread=True)

    def _write_report(self, document: dict[str, Any], results: Path) -> None:
        from .report_files import save_report_beside

        try:
            target = save_report_beside(document, results)
        except (ImgbenchError, OSError) as error:
            self.app.call_from_thread(self.host.show_error, "No report written", str(error))
            return
        self.app.call_from_thread(self.notify, f"Report written to {target}", title="Report")

    def action_open(self) -> None:
        dialog = OpenDialog("Open a results file", self._folder_text())
        self.app.push_screen(dialog, self._open)

    def _open(self, path: Path | None) -> None:
        if path is not None:
            self.host.open_results(path.absolute())

    def _folder_text(self) -> str:
        """The saved file's folder, where another results file most likely is."""
        return f"{self.path.parent}/" if self.path is not None else ""
