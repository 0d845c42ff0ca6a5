"""Live progress of a run: overall bar with ETA, the task in words, each backend, results."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import DataTable, Label, ProgressBar, Static

from imgbench.core.chart_words import format_rate
from imgbench.core.events import (
    DataLoading,
    DatasetLoaded,
    MeasurementRecorded,
    PlanReady,
    Progress,
    RunFinished,
    Task,
    TaskFailed,
    TaskStarted,
)
from imgbench.core.settings import RunSettings

from .app_footer import AppFooter
from .app_host import host_of
from .dialogs import ConfirmDialog
from .document_words import describe_size
from .measurement_tables import median_text

WHAT_IT_DOES = {
    "store_single": "storing {n} images one at a time",
    "store_many": "storing {n} images in one batch",
    "open": "opening a reader of {n} images",
    "read_single": "reading {n} images one at a time, in a shuffled order",
    "read_many": "reading the first {n} images",
    "read_random": "reading {k} random images out of {n}",
    "epoch": "{epochs} through the loader, {workers}, one image at a time",
    "epoch_batched": "{epochs} through the loader, {workers}, a batch at a time",
    "read_latency": "timing {k} random single reads out of {n}",
}
COLUMNS = ("store", "experiment", "n", "median", "throughput", "verified")


def rate_text(images_per_s: float | None) -> str:
    """Images a second, or a dash where nothing moves (opening a store)."""
    return "—" if images_per_s is None else f"{format_rate(images_per_s)} img/s"


def task_in_words(task: Task, settings: RunSettings) -> str:
    workers = task.workers or 0
    words = WHAT_IT_DOES[task.experiment].format(
        n=f"{task.n:,}",
        k=f"{settings.k_for(task.n):,}",
        epochs=f"{settings.epochs} epoch{'s' if settings.epochs != 1 else ''} of {task.n:,} images",
        workers=f"{workers} worker{'s' if workers != 1 else ''}",
    )
    return f"{task.backend}: {words}"


def bar_id(store: str) -> str:
    """A store's bar id: Textual ids take no ``+`` (``lmdb+jpeg90`` becomes
    ``bar-lmdb_jpeg90``; no store name holds ``_``, so ids stay distinct)."""
    return "bar-" + store.replace("+", "_")


def format_eta(seconds: float | None) -> str:
    if seconds is None:
        return "ETA --:--"
    minutes, secs = divmod(int(seconds + 0.5), 60)
    hours, minutes = divmod(minutes, 60)
    return f"ETA {hours}:{minutes:02d}:{secs:02d}" if hours else f"ETA {minutes}:{secs:02d}"


class ProgressScreen(Screen[None]):
    """Follows the run the App owns; leaving or cancelling never orphans the child."""

    CSS_PATH = "progress_screen.tcss"
    BINDINGS = [
        Binding("c", "cancel_run", "Cancel run", id="progress.cancel"),
        Binding("escape", "cancel_run", "Cancel run", show=False),
    ]

    def __init__(self, settings: RunSettings, output: Path) -> None:
        super().__init__()
        self.settings = settings
        self.output = output
        self.tasks: tuple[Task, ...] = ()
        self.done_by_backend: Counter[str] = Counter()
        self.cancelling = False

    def compose(self) -> ComposeResult:
        # A plain title, not Header: a short run pops this screen before Header's own
        # mount callback runs, and Header then fails looking for its title.
        yield Static(f"imgbench · running · results go to {self.output}", id="title", markup=False)
        with Vertical(id="progress-top"):
            yield Static("Loading the data set…", id="dataset", markup=False)
            with Horizontal(id="overall-row"):
                yield Label("overall", classes="row-label")
                yield ProgressBar(id="overall", show_eta=False)
                yield Label(format_eta(None), id="eta")
            yield Static("", id="task", markup=False)
            yield Vertical(id="backends")
        yield DataTable(id="finished", cursor_type="row", zebra_stripes=True)
        yield AppFooter()

    def on_mount(self) -> None:
        table = self.query_one("#finished", DataTable)
        table.add_columns(*COLUMNS)

    def absorb(self, events: list[Any]) -> None:
        """Apply a batch of engine events (called by the App on the UI thread)."""
        for event in events:
            handler = getattr(self, f"_on_{type(event).__name__}", None)
            if handler is not None:
                handler(event)

    def _on_DataLoading(self, event: DataLoading) -> None:
        """A folder of images is decoded before the plan starts: its own progress."""
        text = f"Loading images: {event.done:,} of {event.total:,}"
        self.query_one("#dataset", Static).update(text)
        self.query_one("#overall", ProgressBar).update(total=event.total, progress=event.done)
        self.query_one("#eta", Label).update("loading")

    def _on_DatasetLoaded(self, event: DatasetLoaded) -> None:
        data = event.dataset
        text = f"data: {data.get('source')} · {describe_size(data)}"
        skipped = data.get("details", {}).get("files_skipped")
        if skipped:
            noun = "file" if skipped == 1 else "files"
            text += f" · {skipped:,} {noun} skipped (see the results' notes)"
        self.query_one("#dataset", Static).update(text)
        self.query_one("#overall", ProgressBar).update(total=None, progress=0)
        self.query_one("#eta", Label).update(format_eta(None))

    def _on_PlanReady(self, event: PlanReady) -> None:
        self.tasks = event.tasks
        backends = self.query_one("#backends", Vertical)
        stores = list(dict.fromkeys(task.backend for task in event.tasks))
        width = max([len("overall"), *map(len, stores)]) + 2  # lmdb+jpeg90 in full
        for label in self.query(".row-label").results(Label):
            label.styles.width = width
        for backend in stores:
            total = sum(1 for t in event.tasks if t.backend == backend)
            label = Label(backend, classes="row-label")
            label.styles.width = width
            row = Horizontal(
                label,
                ProgressBar(total=total, show_eta=False, id=bar_id(backend)),
                classes="backend-row",
            )
            backends.mount(row)

    def _on_TaskStarted(self, event: TaskStarted) -> None:
        place = f"task {event.index + 1} of {len(self.tasks)}"
        words = task_in_words(event.task, self.settings)
        if not self.cancelling:
            self.query_one("#task", Static).update(f"{place} · {words}")

    def _on_Progress(self, event: Progress) -> None:
        self.query_one("#overall", ProgressBar).update(total=event.total, progress=event.done)
        self.query_one("#eta", Label).update(format_eta(event.eta_s))

    def _on_MeasurementRecorded(self, event: MeasurementRecorded) -> None:
        row = event.measurement
        # Measurements done of those planned: backends take their samples in rounds, so
        # their bars move together; the overall bar above is the one that says time.
        self.done_by_backend[row["backend"]] += 1
        bars = self.query(f"#{bar_id(row['backend'])}").results(ProgressBar)
        for bar in bars:
            bar.update(progress=self.done_by_backend[row["backend"]])
        verified = {True: "yes", False: "NO", None: ""}[row["verified"]]
        if row.get("warnings"):
            verified += " !"  # noisy or busy: the results screen says which and why
        table = self.query_one("#finished", DataTable)
        table.add_row(
            row["backend"],
            row["experiment"].replace("_", " "),
            f"{row['n']:,}",
            median_text(row),
            rate_text(row.get("images_per_s")),
            verified,
        )
        table.move_cursor(row=table.row_count - 1)

    def _on_TaskFailed(self, event: TaskFailed) -> None:
        self.query_one("#task", Static).update(f"failed: {event.task.label}: {event.message}")

    def _on_RunFinished(self, event: RunFinished) -> None:
        self.query_one("#task", Static).update(f"run {event.status}")

    def action_cancel_run(self) -> None:
        if self.cancelling:
            return

        def answered(cancel: bool | None) -> None:
            if cancel:
                self.cancelling = True
                self.query_one("#task", Static).update("cancelling… (what was measured is kept)")
                host_of(self).cancel_run()

        question = "Cancel the run? What was measured so far is kept and saved."
        self.app.push_screen(ConfirmDialog(question, yes="Cancel run", no="Keep running"), answered)
