"""Small modal dialogs: confirm, error, and asking for a file path.

Every dialog fits an 80x24 terminal: its words wrap (a long path with no spaces folds
across lines) and, should they ever be taller than the screen, they scroll while the
buttons stay in view.
"""

from __future__ import annotations

from pathlib import Path

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Static

from .paths import expand_path

#: Shared by every dialog: the box never outgrows the screen, the words wrap inside it.
WORDS_CSS = """
.dialog-box { height: auto; max-height: 100%; background: $surface; padding: 1 2; }
.dialog-words { height: auto; max-height: 60vh; }
.dialog-words > Static { width: 100%; height: auto; }
"""


def words(text: str, id: str | None = None, classes: str = "") -> Static:
    """Plain text that wraps to the box (no markup: paths may hold brackets)."""
    return Static(text, id=id, classes=classes, markup=False)


class ConfirmDialog(ModalScreen[bool]):
    """Yes or no; escape means no."""

    BINDINGS = [
        Binding("escape", "answer(False)", "No", id="dialog.no"),
        Binding("y", "answer(True)", "Yes", id="dialog.yes"),
        Binding("n", "answer(False)", "No", show=False),
    ]
    DEFAULT_CSS = (
        WORDS_CSS
        + """
    ConfirmDialog { align: center middle; }
    ConfirmDialog > Vertical { width: 64; max-width: 100%; border: thick $warning; }
    ConfirmDialog Horizontal { height: auto; margin-top: 1; align-horizontal: right; }
    ConfirmDialog Button { margin-left: 2; }
    """
    )

    def __init__(self, question: str, yes: str = "Yes", no: str = "No") -> None:
        super().__init__()
        self.question, self.yes, self.no = question, yes, no

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box"):
            with VerticalScroll(classes="dialog-words"):
                yield words(self.question, id="question")
            with Horizontal():
                yield Button(f"{self.no} (n)", id="no")
                yield Button(f"{self.yes} (y)", id="yes", variant="warning")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_answer(self, answer: bool) -> None:
        self.dismiss(answer)


class ErrorDialog(ModalScreen[None]):
    """An error in words, and where the details went: never a traceback on screen."""

    BINDINGS = [Binding("escape,enter", "close", "Close", id="dialog.close")]
    DEFAULT_CSS = (
        WORDS_CSS
        + """
    ErrorDialog { align: center middle; }
    ErrorDialog > Vertical { width: 72; max-width: 100%; border: thick $error; }
    ErrorDialog #title { text-style: bold; color: $error; }
    ErrorDialog #log { color: $text-muted; margin-top: 1; }
    ErrorDialog Button { margin-top: 1; }
    """
    )

    def __init__(self, title: str, message: str, log_path: Path | None = None) -> None:
        super().__init__()
        self.title_text, self.message, self.log_path = title, message, log_path

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box"):
            with VerticalScroll(classes="dialog-words"):
                yield words(self.title_text, id="title")
                yield words(self.message, id="message")
                if self.log_path is not None:
                    yield words(f"Details: {self.log_path}", id="log")
            yield Button("Close (esc)", id="close", variant="error")

    def on_button_pressed(self, _: Button.Pressed) -> None:
        self.dismiss(None)

    def action_close(self) -> None:
        self.dismiss(None)


class PathDialog(ModalScreen[Path | None]):
    """Ask for a file path; ``must_exist`` checks it before accepting.

    A pre-filled path stays when typing starts (the cursor waits at its end), so a file
    name can be typed after a folder.
    """

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="dialog.cancel")]
    DEFAULT_CSS = (
        WORDS_CSS
        + """
    PathDialog { align: center middle; }
    PathDialog > Vertical { width: 76; max-width: 100%; border: thick $accent; }
    PathDialog #problem { color: $error; }
    """
    )

    def __init__(self, title: str, initial: str = "", must_exist: bool = False) -> None:
        super().__init__()
        self.title_text, self.initial, self.must_exist = title, initial, must_exist

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box"):
            yield words(self.title_text, id="title")
            yield path_input(self.initial)
            with VerticalScroll(classes="dialog-words"):
                yield words("", id="problem")
            yield words("enter: accept · esc: cancel", classes="hint")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        text = event.value.strip()
        problem = path_problem(text, self.must_exist)
        if problem:
            self.query_one("#problem", Static).update(problem)
            return
        self.dismiss(expand_path(text))

    def action_cancel(self) -> None:
        self.dismiss(None)


def path_input(initial: str) -> Input:
    """A path field whose pre-filled text survives the first key (no select-all)."""
    field = Input(value=initial, placeholder="path/to/file.json", id="path", select_on_focus=False)
    field.cursor_position = len(initial)
    return field


def path_problem(text: str, must_exist: bool) -> str:
    """Why ``text`` cannot be accepted, in words; empty when it can."""
    if not text:
        return "type a path"
    try:
        path = expand_path(text)
        if must_exist and not path.is_file():
            return f"{path} is not a file" if path.exists() else f"{path} does not exist"
    except (ValueError, OSError) as error:  # ~nobody, a NUL byte
        return str(error)
    return ""
