"""Small modal dialogs: confirm, error, and asking for a file path."""

from __future__ import annotations

from pathlib import Path

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from .paths import expand_path


class ConfirmDialog(ModalScreen[bool]):
    """Yes or no; escape means no."""

    BINDINGS = [
        Binding("escape", "answer(False)", "No", id="dialog.no"),
        Binding("y", "answer(True)", "Yes", id="dialog.yes"),
        Binding("n", "answer(False)", "No", show=False),
    ]
    DEFAULT_CSS = """
    ConfirmDialog { align: center middle; }
    ConfirmDialog > Vertical { width: 60; max-width: 95%; height: auto; border: thick $warning;
        background: $surface; padding: 1 2; }
    ConfirmDialog #question { width: 100%; height: auto; }
    ConfirmDialog Horizontal { height: auto; margin-top: 1; align-horizontal: right; }
    ConfirmDialog Button { margin-left: 2; }
    """

    def __init__(self, question: str, yes: str = "Yes", no: str = "No") -> None:
        super().__init__()
        self.question, self.yes, self.no = question, yes, no

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(self.question, id="question", markup=False)  # wraps to fit
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
    DEFAULT_CSS = """
    ErrorDialog { align: center middle; }
    ErrorDialog > Vertical { width: 70; max-width: 95%; height: auto; border: thick $error;
        background: $surface; padding: 1 2; }
    ErrorDialog #title { text-style: bold; color: $error; }
    ErrorDialog #log { color: $text-muted; margin-top: 1; }
    ErrorDialog Button { margin-top: 1; }
    """

    def __init__(self, title: str, message: str, log_path: Path | None = None) -> None:
        super().__init__()
        self.title_text, self.message, self.log_path = title, message, log_path

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(self.title_text, id="title", markup=False)
            yield Static(self.message, id="message", markup=False)
            if self.log_path is not None:
                yield Static(f"Details: {self.log_path}", id="log", markup=False)
            yield Button("Close (esc)", id="close", variant="error")

    def on_button_pressed(self, _: Button.Pressed) -> None:
        self.dismiss(None)

    def action_close(self) -> None:
        self.dismiss(None)


class PathDialog(ModalScreen[Path | None]):
    """Ask for a file path; ``must_exist`` checks it before accepting."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="dialog.cancel")]
    DEFAULT_CSS = """
    PathDialog { align: center middle; }
    PathDialog > Vertical { width: 76; max-width: 95%; height: auto; border: thick $accent;
        background: $surface; padding: 1 2; }
    PathDialog #problem { color: $error; height: auto; }
    """

    def __init__(self, title: str, initial: str = "", must_exist: bool = False) -> None:
        super().__init__()
        self.title_text, self.initial, self.must_exist = title, initial, must_exist

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self.title_text)
            yield Input(value=self.initial, placeholder="path/to/file.json", id="path")
            yield Static("", id="problem", markup=False)
            yield Label("enter: accept · esc: cancel", classes="hint")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        text = event.value.strip()
        problem = self._problem(text)
        if problem:
            self.query_one("#problem", Static).update(problem)
            return
        self.dismiss(expand_path(text))

    def _problem(self, text: str) -> str:
        if not text:
            return "type a path"
        try:
            path = expand_path(text)
            if self.must_exist and not path.is_file():
                return f"{path} is not a file"
        except (ValueError, OSError) as error:  # ~nobody, a NUL byte
            return str(error)
        return ""

    def action_cancel(self) -> None:
        self.dismiss(None)
