"""Opening a results file: type its path, or pick it in a list of folders and JSON files.

The typed path and the list follow each other: picking a file fills the field and opens
it; typing a folder (or pressing enter on one) shows that folder in the list.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DirectoryTree, Input, Static

from .dialogs import path_input, path_problem, words
from .paths import expand_path


class ResultsTree(DirectoryTree):
    """Folders and ``*.json`` files only, dot-files hidden: what can hold results.

    Plain marks instead of emoji, whose width some terminals (and SSH sessions) misjudge.
    """

    ICON_NODE_EXPANDED = "▾ "
    ICON_NODE = "▸ "
    ICON_FILE = "  "

    def filter_paths(self, paths: Iterable[Path]) -> Iterable[Path]:
        return [path for path in paths if shows(path)]


def shows(path: Path) -> bool:
    """Whether the list shows ``path``: a visible folder or a visible JSON file."""
    if path.name.startswith("."):
        return False
    try:
        return path.is_dir() or (path.suffix.lower() == ".json" and path.is_file())
    except OSError:  # unreadable: leave it out rather than fail the whole folder
        return False


def folder_of(text: str) -> Path:
    """The folder to list first: the typed one, a typed file's folder, else the current one."""
    try:
        path = expand_path(text) if text.strip() else Path.cwd()
        for candidate in (path, path.parent):
            if candidate.is_dir():
                return candidate.absolute()
    except (ValueError, OSError):  # ~nobody, a NUL byte: start where the app runs
        pass
    return Path.cwd()


def open_problem(text: str) -> str:
    """Why ``text`` cannot be opened, on one line: the field above shows the whole path,
    so only the part that is wrong is named."""
    text = text.strip()
    problem = path_problem(text, must_exist=True)
    if not problem or not text:
        return problem
    try:
        path = expand_path(text)
        if not path.parent.is_dir():
            return f"no folder {path.parent.name or path.parent} there"
        return f"{path.name} is not a file" if path.exists() else f"no file {path.name} there"
    except (ValueError, OSError):  # the words path_problem found are the right ones
        return problem


def as_typed(folder: Path) -> str:
    """A folder as the field shows it: ending in a slash, ready for a file name."""
    return str(folder).rstrip("/") + "/"


class OpenDialog(ModalScreen[Path | None]):
    """Ask for an existing results file; dismissed with its path, or None on esc."""

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="open.cancel"),
        Binding("down", "to_list", "To the list", show=False),  # from the field only
        Binding("backspace", "up_folder", "Parent folder", show=False),  # in the list only
    ]
    DEFAULT_CSS = """
    OpenDialog { align: center middle; }
    OpenDialog > Vertical { width: 76; max-width: 100%; height: 90%; max-height: 100%;
        border: thick $accent; background: $surface; padding: 0 1; }
    OpenDialog #title { text-style: bold; }
    OpenDialog ResultsTree { height: 1fr; min-height: 3; }
    OpenDialog #problem { color: $error; height: auto; max-height: 3; }
    OpenDialog #keys { color: $text-muted; }
    """

    def __init__(self, title: str, initial: str = "") -> None:
        super().__init__()
        self.title_text, self.initial = title, initial

    def compose(self) -> ComposeResult:
        with Vertical():
            yield words(self.title_text, id="title")
            yield path_input(self.initial)
            yield ResultsTree(folder_of(self.initial), id="tree")
            yield words("", id="problem")
            yield words("enter: open · ↓: the list · backspace: folder up · esc: cancel", id="keys")

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    # -- the typed path -------------------------------------------------------------------------

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """Open a typed file; a typed folder is shown in the list instead of refused."""
        event.stop()
        text = event.value.strip()
        if self._is_folder(text):
            self._show_folder(expand_path(text).absolute())
            self.query_one(ResultsTree).focus()
            return
        self._open(text)

    def on_input_changed(self, event: Input.Changed) -> None:
        """Typing a folder's path (ending in /) shows that folder."""
        self._say("")
        text = event.value.strip()
        if text.endswith("/") and self._is_folder(text):
            self._show_folder(expand_path(text).absolute(), fill=False)

    @staticmethod
    def _is_folder(text: str) -> bool:
        try:
            return bool(text) and expand_path(text).is_dir()
        except (ValueError, OSError):
            return False

    def _open(self, text: str) -> None:
        problem = open_problem(text)
        if problem:
            self._say(problem)
            return
        self.dismiss(expand_path(text))

    def _say(self, problem: str) -> None:
        self.query_one("#problem", Static).update(problem)

    # -- the list -------------------------------------------------------------------------------

    def on_directory_tree_file_selected(self, event: DirectoryTree.FileSelected) -> None:
        """A file picked in the list is opened, through the field so the path shows."""
        event.stop()
        self._fill(str(event.path))
        self._open(str(event.path))

    def on_directory_tree_directory_selected(self, event: DirectoryTree.DirectorySelected) -> None:
        event.stop()
        self._fill(as_typed(event.path))

    def _show_folder(self, folder: Path, fill: bool = True) -> None:
        tree = self.query_one(ResultsTree)
        if Path(tree.path) != folder:
            tree.path = folder
        if fill:
            self._fill(as_typed(folder))

    def _fill(self, text: str) -> None:
        field = self.query_one(Input)
        with field.prevent(Input.Changed):
            field.value = text
        field.cursor_position = len(text)

    # -- keys -----------------------------------------------------------------------------------

    def action_to_list(self) -> None:
        self.query_one(ResultsTree).focus()

    def action_up_folder(self) -> None:
        """The list shows the folder above (the list cannot otherwise go up)."""
        tree = self.query_one(ResultsTree)
        folder = Path(tree.path).absolute()
        if folder.parent != folder:
            self._show_folder(folder.parent)

    def action_cancel(self) -> None:
        self.dismiss(None)
