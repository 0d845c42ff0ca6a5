"""Downloading a CIFAR archive from the app: a progress bar, cancel, and errors in words.

The download runs in a thread worker of this screen (it is the screen's whole purpose:
closing the screen cancels it). Progress comes back as messages that replace each other
while queued, a few a second at most, so a fast line never floods the event loop.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from pathlib import Path

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import ProgressBar, Static
from textual.worker import Worker, WorkerState, get_current_worker

from imgbench.core import discovery
from imgbench.core.fetch import (
    ChecksumError,
    Download,
    FetchCancelled,
    FetchError,
    FetchResult,
    InTheWayError,
    default_mirror,
    fetch,
    kept_bytes,
    shown,
)

from .app_footer import AppFooter
from .app_keys import HELP, QUIT

TICK_S = 0.2  # at most five progress updates a second
SPEED_WINDOW_S = 3.0  # the speed shown is over the last few seconds


class FetchScreen(ModalScreen[Path | None]):
    """Download one archive; dismissed with its path when verified, or None."""

    CSS_PATH = "fetch_screen.tcss"
    BINDINGS = [
        Binding("escape", "cancel_download", "Cancel (resumable)", id="fetch.cancel"),
        Binding("escape", "close", "Close", id="fetch.close"),
        Binding("r", "retry", "Try again", id="fetch.retry"),
        QUIT,
        HELP,
    ]

    class Progressed(Message):
        """Bytes so far; a newer one replaces one still queued."""

        def __init__(self, done: int, total: int | None) -> None:
            self.done, self.total = done, total
            super().__init__()

        def can_replace(self, message: Message) -> bool:
            return isinstance(message, FetchScreen.Progressed)

    def __init__(
        self,
        download: Download,
        dest_dir: Path | None = None,
        base_url: str | None = None,
    ) -> None:
        super().__init__()
        self.download = download
        self.dest_dir = dest_dir if dest_dir is not None else discovery.user_data_dir()
        self.base_url = base_url if base_url is not None else default_mirror()
        self.state = "running"  # running, cancelling, failed, closed
        self._stop = threading.Event()
        self._samples: deque[tuple[float, int]] = deque()
        self._last: tuple[int, int | None] = (0, None)

    def compose(self) -> ComposeResult:
        url = self.download.url_from(self.base_url)
        with Vertical(id="fetch-box"):
            yield Static(f"Downloading {self.download.title}", id="fetch-title", markup=False)
            where = f"from {shown(url)}\ninto {shown(self.dest_dir)}"
            yield Static(where, id="fetch-where", markup=False)
            yield ProgressBar(total=None, show_eta=False, id="fetch-bar")
            yield Static("connecting…", id="fetch-numbers", markup=False)
            yield Static("", id="fetch-error", markup=False)
            yield Static("", id="fetch-hint", markup=False)
        yield AppFooter()

    def on_mount(self) -> None:
        self._start()

    # -- the worker ---------------------------------------------------------------------------

    def _start(self) -> None:
        self.state = "running"
        self._stop.clear()
        self._samples.clear()
        self._last = (0, None)
        self.remove_class("failed")
        bar = self.query_one("#fetch-bar", ProgressBar)
        bar.update(total=None, progress=0)
        bar.display = True
        self.query_one("#fetch-error", Static).update("")
        self.query_one("#fetch-hint", Static).update(
            "The MD5 is checked at the end; an interrupted download resumes next time."
        )
        self.refresh_bindings()
        self._download()

    @work(thread=True, exclusive=True, exit_on_error=False, group="fetch")
    def _download(self) -> FetchResult:
        """Off the event loop: fetch, reporting progress as replaceable messages."""
        worker = get_current_worker()
        last = 0.0

        def cancelled() -> bool:
            return worker.is_cancelled or self._stop.is_set()

        def progress(done: int, total: int | None) -> None:
            nonlocal last
            now = time.monotonic()
            if now - last >= TICK_S or done == total:
                last = now
                self.post_message(self.Progressed(done, total))

        return fetch(
            self.download,
            self.dest_dir,
            base_url=self.base_url,
            progress=progress,
            cancelled=cancelled,
        )

    def on_fetch_screen_progressed(self, message: Progressed) -> None:
        if self.state != "running":
            return
        self._last = (message.done, message.total)
        bar = self.query_one("#fetch-bar", ProgressBar)
        bar.update(total=message.total, progress=message.done)
        speed = self._speed(message.done)
        text = describe_progress(message.done, message.total, speed)
        if message.total and message.done >= message.total:
            text += " · checking the MD5…"
        self.query_one("#fetch-numbers", Static).update(text)

    def _speed(self, done: int) -> float | None:
        """Bytes a second over the last few seconds (None until there are two samples)."""
        now = time.monotonic()
        self._samples.append((now, done))
        while len(self._samples) > 2 and now - self._samples[0][0] > SPEED_WINDOW_S:
            self._samples.popleft()
        (start, first), (end, last) = self._samples[0], self._samples[-1]
        return (last - first) / (end - start) if end > start and last >= first else None

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group != "fetch":
            return
        if event.state == WorkerState.SUCCESS and self.state != "closed":
            result = event.worker.result
            if isinstance(result, FetchResult):
                self.dismiss(result.path)
        elif event.state == WorkerState.ERROR:
            self._stopped(event.worker.error)

    def _stopped(self, error: BaseException | None) -> None:
        """A cancel closes the screen (saying how to resume); a failure stays on screen."""
        if self.state == "closed":
            return
        if isinstance(error, FetchCancelled):
            self.app.notify(
                f"{self.download.title} download cancelled; what arrived is kept in "
                f"{shown(self.dest_dir)}: download again to resume.",
                title="Download cancelled",
            )
            self.dismiss(None)
            return
        if isinstance(error, FetchError):
            message = str(error)
        else:  # a bug, not bad input: the details go to the log, words to the screen
            logging.getLogger("imgbench.tui").error("download failed", exc_info=error)
            message = shown(f"unexpected error ({type(error).__name__}): {error}")
        self.state = "failed"
        self.add_class("failed")
        self.query_one("#fetch-title", Static).update(f"{self.download.title}: download failed")
        self.query_one("#fetch-error", Static).update(message)
        kept = self._kept_bytes()
        self._freeze_bar(kept)
        done, total = self._last
        self.query_one("#fetch-numbers", Static).update(after_failure(done, total, kept))
        self.query_one("#fetch-hint", Static).update(f"r: {again_words(error, kept)} · esc: close")
        self.refresh_bindings()

    def _kept_bytes(self) -> int:
        """What the ``.part`` holds: the next try resumes from there only when it is not 0
        (as :func:`imgbench.core.fetch.fetch` decides)."""
        return kept_bytes(self.download, self.dest_dir)

    def _freeze_bar(self, kept: int) -> None:
        """A stopped download shows a still bar (what is kept), never the busy animation;
        no bar at all when the size was never said (a fraction of nothing means nothing)."""
        total = self._last[1]
        bar = self.query_one("#fetch-bar", ProgressBar)
        bar.update(total=total or 1, progress=min(kept, total) if total else 0)
        bar.display = bool(total)

    # -- keys ---------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "cancel_download":
            return self.state == "running"
        if action == "close":
            return self.state != "running"
        if action == "retry":
            return self.state == "failed"
        return True

    def action_cancel_download(self) -> None:
        """Stop between chunks; the worker then reports FetchCancelled."""
        self.state = "cancelling"
        self._stop.set()
        self.query_one("#fetch-numbers", Static).update("cancelling… (esc again: close now)")
        self.refresh_bindings()

    def action_close(self) -> None:
        self.state = "closed"
        self._stop.set()
        self.dismiss(None)

    def action_retry(self) -> None:
        self.query_one("#fetch-title", Static).update(f"Downloading {self.download.title}")
        self.query_one("#fetch-numbers", Static).update("connecting…")
        self._start()


def after_failure(done: int, total: int | None, kept: int) -> str:
    """What a failed download leaves: the bytes kept for a resume, or that none are."""
    if kept:
        return f"{describe_progress(kept, total)} kept for the next try"
    if done:
        return f"{describe_progress(done, total)} arrived; none of it is kept"
    return "nothing arrived"


def again_words(error: BaseException | None, kept: int) -> str:
    """What r does after this failure: resume only when there is something to resume."""
    if isinstance(error, InTheWayError):  # the user's own file: nothing was touched
        return "try again once it is moved"
    if isinstance(error, ChecksumError):
        return "download it again"
    return "resume" if kept else "try again"


def describe_progress(done: int, total: int | None, speed: float | None = None) -> str:
    """``12.3 of 170.5 MB · 4.2 MB/s · about 35 s left`` (the speed when known)."""
    parts = [f"{done / 1e6:,.1f} of {total / 1e6:,.1f} MB" if total else f"{done / 1e6:,.1f} MB"]
    if speed:
        parts.append(_rate(speed))
        if total and done < total:
            parts.append(f"about {_duration((total - done) / speed)} left")
    return " · ".join(parts)


def _rate(speed: float) -> str:
    if speed >= 1e6:
        return f"{speed / 1e6:,.1f} MB/s"
    return f"{speed / 1e3:,.0f} kB/s" if speed >= 1e3 else f"{speed:,.0f} B/s"


def _duration(seconds: float) -> str:
    if seconds < 60:
        return f"{max(1, round(seconds))} s"
    if seconds < 3600:
        return f"{seconds // 60:.0f} min {seconds % 60:02.0f} s"
    return f"{seconds // 3600:.0f} h {seconds % 3600 // 60:02.0f} min"
