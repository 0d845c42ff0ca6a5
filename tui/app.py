"""The Textual app: setup, live progress, results. Keyboard only, usable over SSH.

The app, not a screen, owns the benchmark run: a thread worker of the App relays the
engine's events (the benchmark itself runs in its own child process), so leaving a
screen never orphans the run.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import threading
import traceback
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from platformdirs import user_log_dir
from textual import work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.screen import Screen
from textual.worker import get_current_worker

from imgbench.core.engine import BenchmarkRun
from imgbench.core.errors import ImgbenchError
from imgbench.core.results import (
    OutputExistsError,
    check_output_path,
    load_document,
    save_document_safely,
)
from imgbench.core.settings import RunSettings

from .dialogs import ConfirmDialog, ErrorDialog
from .messages import RunEnded, RunEventsArrived
from .saving import data_path_of, fallback_folders
from .stopping import STOP_SIGNALS, exit_code_for, silence_terminal

RunFactory = Callable[..., BenchmarkRun]  # (settings, output=path) -> a run not yet started
POLL_S = 0.25  # the relay's batch interval: at most four UI updates a second
EXIT_WATCHDOG_S = 3.0  # after a stop signal, the longest an orderly exit may take


def log_file() -> Path:
    """Where error details go (the dialogs name it)."""
    return Path(user_log_dir("imgbench")) / "imgbench.log"


class ImgbenchApp(App[None]):
    """imgbench: how should I store my images?"""

    TITLE = "imgbench"
    SUB_TITLE = "how should I store my images?"
    CSS_PATH = "app.tcss"
    BINDINGS = [
        Binding("ctrl+q", "quit", "Quit", id="app.quit", priority=True),
        Binding("f1", "help", "Help", id="app.help"),
    ]

    def __init__(
        self,
        *,
        document_path: Path | None = None,
        settings: RunSettings | None = None,
        run_factory: RunFactory = BenchmarkRun,
    ) -> None:
        super().__init__()
        self.document_path = document_path
        self.initial_settings = settings
        self.run_factory = run_factory
        self.current_run: BenchmarkRun | None = None
        self.run_output: Path | None = None
        self.logger = _file_logger()
        #: The signal that ended the app (hang-up, SIGTERM, ctrl+c from outside), if any.
        self.stopped_by: int | None = None
        self.quit_after_run = False

    # -- start-up -------------------------------------------------------------------------

    def on_mount(self) -> None:
        from .setup_screen import SetupScreen

        self._handle_stop_signals()
        self.push_screen(SetupScreen(self.initial_settings))
        if self.document_path is not None:
            self.open_results(self.document_path)

    # -- the run ----------------------------------------------------------------------------

    def start_run(self, settings: RunSettings, output: Path, *, replace: bool = False) -> bool:
        """Check, start and follow a run; a refusal is shown in a dialog. True when started.

        An earlier results file at ``output`` is replaced only after asking (``replace``
        is the answer); a file that is not imgbench's is never replaced."""
        from .progress_screen import ProgressScreen

        if self.current_run is not None and not self.current_run.finished:
            self.show_error("A run is already going", "Wait for it, or cancel it first.")
            return False
        try:
            check_output_path(output, force=replace, data_path=data_path_of(settings))
        except OutputExistsError as error:
            self._ask_to_replace(settings, output, error.found)
            return False
        except (ImgbenchError, OSError) as error:
            self.show_error("Cannot start the run", str(error))
            return False
        try:
            run = self.run_factory(settings, output=output)
            run.start()
        except (ImgbenchError, ValueError, OSError) as error:
            self.show_error("Cannot start the run", str(error))
            return False
        self.current_run, self.run_output = run, output
        self.push_screen(ProgressScreen(settings, output))
        self.relay_events(run)
        return True

    def _ask_to_replace(self, settings: RunSettings, output: Path, found: str) -> None:
        def answered(replace: bool | None) -> None:
            if replace:
                self.start_run(settings, output, replace=True)

        question = f"{output} already exists: {found}. Replace it with this run's results?"
        self.push_screen(ConfirmDialog(question, yes="Replace", no="Keep it"), answered)

    @work(thread=True, exclusive=True, exit_on_error=False, group="run")
    def relay_events(self, run: BenchmarkRun) -> None:
        """Poll the engine off the event loop and post its events in batches."""
        worker = get_current_worker()
        while not run.finished:
            if worker.is_cancelled:
                run.cancel()
            events = run.poll(POLL_S)
            if events:
                self.post_message(RunEventsArrived(events))
        self.post_message(RunEnded(run.document()))

    def cancel_run(self, status: str = "cancelled") -> None:
        if self.current_run is not None:
            self.current_run.cancel(status)

    @property
    def run_going(self) -> bool:
        return self.current_run is not None and not self.current_run.finished

    # -- ways out: ctrl+q and signals -----------------------------------------------------------

    async def action_quit(self) -> None:
        """Quit; during a run, ask first, then stop it and save what was measured."""
        if not self.run_going:
            self.exit()
            return
        if self.quit_after_run:
            return  # already stopping

        def answered(stop: bool | None) -> None:
            if stop:
                self.quit_after_run = True
                self.cancel_run()

        question = "A run is going. Stop the run, save what was measured, and quit?"
        self.push_screen(ConfirmDialog(question, yes="Stop and quit", no="Keep running"), answered)

    def _handle_stop_signals(self) -> None:
        """A hang-up (the SSH session dropped), SIGTERM or a ctrl+c sent from outside ends the
        app the way cancel does: the run stops, its results are saved, the scratch goes."""
        loop = asyncio.get_running_loop()
        for signum in STOP_SIGNALS:
            with contextlib.suppress(RuntimeError):  # not the main thread: a test's pilot
                loop.add_signal_handler(signum, self.stop_for_signal, signum)

    def stop_for_signal(self, signum: int) -> None:
        if signum == signal.SIGHUP:
            silence_terminal()
        self.stopped_by = self.stopped_by or signum
        if self.run_going:
            self.quit_after_run = True
            self.cancel_run("interrupted")
        else:
            self.exit_after_signal()

    def exit_after_signal(self) -> None:
        """Exit with the signal's code. After a hang-up Textual can hang restoring a terminal
        that is gone; by then everything is saved, so a watchdog ends the process."""
        code = exit_code_for(self.stopped_by)
        self.exit(return_code=code)
        watchdog = threading.Timer(EXIT_WATCHDOG_S, os._exit, (code,))
        watchdog.daemon = True
        watchdog.start()

    def on_run_events_arrived(self, message: RunEventsArrived) -> None:
        from .progress_screen import ProgressScreen

        for screen in self.screen_stack:
            if isinstance(screen, ProgressScreen):
                screen.absorb(message.events)

    def on_run_ended(self, message: RunEnded) -> None:
        """Save what was measured (whatever the status), then show it."""
        from .progress_screen import ProgressScreen

        document = message.document
        saved: Path | None = None
        if self.run_output is not None:
            saved = self._save_results(document, self.run_output)
        if self.quit_after_run:
            if self.stopped_by is not None:
                self.exit_after_signal()
            else:
                self.exit()
            return
        if isinstance(self.screen, ProgressScreen):
            self.pop_screen()
        self.show_results(document, saved)

    def _save_results(self, document: dict[str, Any], output: Path) -> Path | None:
        """Save where asked or, when that fails, in a fallback folder (and say where)."""
        settings = self.current_run.settings if self.current_run is not None else None
        try:
            saved = save_document_safely(document, output, fallback_folders(settings))
        except (ImgbenchError, OSError) as error:
            self.show_error("The results could not be saved anywhere", str(error))
            return None
        if saved != output and self.stopped_by is None:
            self.show_error(
                "The results were saved elsewhere",
                f"{output} could not be written; the results are in {saved}",
            )
        return saved

    # -- results ------------------------------------------------------------------------------

    def show_results(
        self,
        document: dict[str, Any],
        path: Path | None,
        other: tuple[dict[str, Any], Path] | None = None,
    ) -> None:
        from .results_screen import ResultsScreen

        self.push_screen(ResultsScreen(document, path, other))

    def new_run(self, settings: RunSettings | None = None) -> None:
        """Back to the setup from the results on top of it; with ``settings`` (a results
        file's), the form starts afresh from them, else it stays as it was."""
        from .setup_screen import SetupScreen

        while len(self.screen_stack) > 2 and not isinstance(self.screen, SetupScreen):
            self.pop_screen()
        if settings is not None and isinstance(self.screen, SetupScreen):
            self.switch_screen(SetupScreen(settings))

    def open_results(self, path: Path) -> None:
        """Load a results file and show it; a bad file is explained, never changed."""
        try:
            document = load_document(path)
        except ImgbenchError as error:
            self.show_error("Cannot open the results", str(error))
            return
        self.show_results(document, path)

    # -- errors and help ----------------------------------------------------------------------

    def show_error(self, title: str, message: str, error: BaseException | None = None) -> None:
        if error is not None:
            self.logger.error(
                "%s: %s\n%s", title, message, "".join(traceback.format_exception(error))
            )
        self.push_screen(ErrorDialog(title, message, log_file() if error is not None else None))

    def action_screenshot(self, filename: str | None = None, path: str | None = None) -> None:
        """Textual saves into ~/Downloads, which is often missing over SSH (and the save
        then fails): save into the current folder unless told; Textual says where."""
        self.deliver_screenshot(filename, path or str(Path.cwd()))

    def action_help(self) -> None:
        from .help_screen import HelpScreen, screen_owners

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen([("everywhere", type(self)), *screen_owners()]))

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        yield SystemCommand("Help: every key", "List every key of every screen", self.action_help)

    def _fatal_error(self) -> None:
        """An unexpected error: details to the log file, one line to the terminal, no traceback."""
        error = self._exception
        if error is not None:
            self.logger.error("internal error\n%s", "".join(traceback.format_exception(error)))
        kind = type(error).__name__
        line = f"imgbench stopped on an internal error ({kind}); details in {log_file()}"
        self._exit_renderables.append(line)
        self._close_messages_no_wait()


def _file_logger() -> logging.Logger:
    logger = logging.getLogger("imgbench.tui")
    if not logger.handlers:
        try:
            path = log_file()
            path.parent.mkdir(parents=True, exist_ok=True)
            handler: logging.Handler = logging.FileHandler(path, encoding="utf-8")
        except OSError:
            handler = logging.NullHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
        logger.addHandler(handler)
        logger.propagate = False
    return logger


def create_app(
    document_path: Path | None = None,
    settings: RunSettings | None = None,
    run_factory: RunFactory = BenchmarkRun,
) -> ImgbenchApp:
    """The one way the CLI and the tests build the app."""
    return ImgbenchApp(document_path=document_path, settings=settings, run_factory=run_factory)
