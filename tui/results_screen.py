"""The results screen: the verdict, every chart in a tab, every number in a table, the
run's details, and a comparison with a second file.

Its parts live beside it, one idea a module: :mod:`.chart_view` (a chart on screen),
:mod:`.measurements_view` (the Table tab), :mod:`.compare_view` (the Compare tab),
:mod:`.run_summary` (the header and the Run tab), :mod:`.results_tabs` (tab ids and
keys) and :mod:`.results_files` (save, open, report).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Header, Static, TabbedContent, TabPane, Tabs

from imgbench.core.chart_compare import charts_for, merged_document
from imgbench.core.chart_types import Chart
from imgbench.core.document_settings import settings_from_document
from imgbench.core.errors import ImgbenchError
from imgbench.core.results import load_document

from .app_footer import AppFooter
from .chart_view import ChartView
from .commands import ScreenCommands
from .compare_view import comparison_widgets
from .dialogs import ConfirmDialog
from .epoch_summary import epoch_table
from .measurement_tables import WIDE_TABLE
from .measurements_view import MeasurementsView
from .open_dialog import OpenDialog
from .results_files import DocumentScreen
from .results_tabs import (
    COMPARE_TAB,
    EPOCH_TAB,
    NUMBER_KEYS,
    RUN_TAB,
    STORES_TAB,
    TABLE_TAB,
    VERDICT_TAB,
    chart_tab,
    number_bindings,
    pane_ids,
    tab_title,
)
from .run_summary import header_content, run_details
from .stores_table import WIDE_STORES, stores_table
from .verdict_view import PRIORITY_WORDS, VerdictView

__all__ = ["COMPARE_TAB", "NUMBER_KEYS", "ChartView", "ResultsScreen", "merged_document"]


class ResultsScreen(DocumentScreen):
    """What a run measured: charts, a table of every number, and a comparison."""

    CSS_PATH = "results_screen.tcss"
    COMMANDS = Screen.COMMANDS | {ScreenCommands}
    BINDINGS = [
        Binding("escape", "back", "Back", id="results.back"),
        Binding("l", "set_scale('log')", "Log", id="results.log"),
        Binding("l", "set_scale('linear')", "Linear", id="results.linear"),
        Binding("s", "save", "Save", id="results.save"),
        Binding("o", "open", "Open", id="results.open"),
        Binding("c", "compare", "Compare", id="results.compare"),
        Binding("n", "new_run", "New run", id="results.new-run"),
        # Not in the footer (it would push Help out at 80 columns): the Verdict tab,
        # help and the palette name it.
        Binding("r", "save_report", "Report", show=False, id="results.report"),
        Binding("p", "next_priority", "Verdict priority", show=False, id="results.priority"),
        Binding("right_square_bracket", "next_tab", "Next tab", show=False, id="results.next-tab"),
        Binding(
            "left_square_bracket", "previous_tab", "Previous tab", show=False, id="results.prev-tab"
        ),
        Binding("right", "next_tab", show=False, id="results.right"),
        Binding("left", "previous_tab", show=False, id="results.left"),
        *number_bindings(),
    ]

    def __init__(
        self,
        document: dict[str, Any],
        path: Path | None,
        other: tuple[dict[str, Any], Path] | None = None,
    ) -> None:
        super().__init__(document, path)
        self.other = other
        #: The scale a chart was switched to with ``l`` (True: log); a chart not in it
        #: shows as it opens, on log axes when its values span more than 10x.
        self.scales: dict[str, bool] = {}
        self.pane_ids: list[str] = []
        self.log_sensitive: set[str] = set()

    # -- building -----------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        charts = self._charts()
        self.log_sensitive = self._keys_that_change_with_scale()
        width = self.app.size.width
        stores = stores_table(self.document, compact=width < WIDE_STORES)
        loader = epoch_table(self.document)
        self.pane_ids = pane_ids(
            charts, epoch=loader is not None, stores=stores is not None, compare=bool(self.other)
        )
        yield Header()
        yield Static(header_content(self.document, self.path), id="summary")
        with TabbedContent(initial=COMPARE_TAB if self.other else VERDICT_TAB):
            with TabPane("Verdict", id=VERDICT_TAB):
                yield VerdictView(self.document, id="verdict")
            for chart in charts:
                with TabPane(tab_title(chart), id=chart_tab(chart)):
                    yield ChartView(chart, id=f"chart-{chart.key}")
            with TabPane("Table", id=TABLE_TAB):
                yield MeasurementsView(self.document, compact=width < WIDE_TABLE)
            if loader is not None:
                with TabPane("Epoch", id=EPOCH_TAB), VerticalScroll(id="epoch-details"):
                    yield Static(loader, id="epoch-text")
            if stores is not None:
                with TabPane("Stores", id=STORES_TAB), VerticalScroll(id="stores-details"):
                    yield Static(stores, id="stores-text")
            if self.other is not None:
                with TabPane("Compare", id=COMPARE_TAB):
                    yield from comparison_widgets(self.document, self.path, self.other)
            with TabPane("Run", id=RUN_TAB), VerticalScroll(id="run-details"):
                yield Static(run_details(self._sides()), id="run-text")
        yield AppFooter()

    def on_mount(self) -> None:
        self.sub_title = f"results · {self.path.name if self.path else 'not saved'}"

    def _sides(self) -> list[tuple[dict[str, Any], Path | None]]:
        """The run shown, and the one it is compared with."""
        return [(self.document, self.path), *([self.other] if self.other else [])]

    def _other_document(self) -> dict[str, Any] | None:
        return self.other[0] if self.other is not None else None

    def _charts(self) -> list[Chart]:
        """Every chart on its scale: as it opens, or as ``l`` switched it."""
        other = self._other_document()
        opened = charts_for(self.document, other, log=None)
        if not self.scales:
            return opened
        versions = {
            log: {chart.key: chart for chart in charts_for(self.document, other, log=log)}
            for log in set(self.scales.values())
        }
        return [
            versions[self.scales[chart.key]][chart.key] if chart.key in self.scales else chart
            for chart in opened
        ]

    def _keys_that_change_with_scale(self) -> set[str]:
        """Charts whose log version differs from the linear one: the toggle applies to them."""
        other = self._other_document()
        pairs = zip(
            charts_for(self.document, other, log=False),
            charts_for(self.document, other, log=True),
            strict=True,
        )
        return {linear.key for linear, log in pairs if linear != log}

    def _active_chart(self) -> Chart | None:
        key = self.active_tab.removeprefix("tab-")
        for view in self.query(f"#chart-{key}").results(ChartView):
            return view.chart
        return None

    @property
    def log_scale(self) -> bool:
        """Whether the chart of the tab shown is on log axes."""
        chart = self._active_chart()
        return chart is not None and chart.log

    def on_resize(self, event: events.Resize) -> None:
        width = event.size.width
        for table in self.query(MeasurementsView).results(MeasurementsView):
            table.set_compact(width < WIDE_TABLE)
        stores = stores_table(self.document, compact=width < WIDE_STORES)
        for text in self.query("#stores-text").results(Static):
            text.update(stores or "")

    def saved(self) -> None:
        self.query_one("#summary", Static).update(header_content(self.document, self.path))
        self.query_one("#run-text", Static).update(run_details(self._sides()))
        self.sub_title = f"results · {self.path.name if self.path else 'not saved'}"

    # -- tabs ---------------------------------------------------------------------------------

    @property
    def active_tab(self) -> str:
        """The id of the tab shown; empty while the screen is being built."""
        tabbed = self.query(TabbedContent)
        return tabbed.first().active if tabbed else ""

    def action_next_priority(self) -> None:
        """Weigh the verdict by the next priority, on the Verdict tab."""
        self.query_one(TabbedContent).active = VERDICT_TAB
        priority = self.query_one(VerdictView).cycle_priority()
        self.notify(f"Verdict for priority: {PRIORITY_WORDS[priority]}", timeout=3)

    def action_show_tab(self, index: int) -> None:
        if 0 <= index < len(self.pane_ids):
            self.query_one(TabbedContent).active = self.pane_ids[index]

    def action_next_tab(self) -> None:
        self._step_tab(+1)

    def action_previous_tab(self) -> None:
        self._step_tab(-1)

    def _step_tab(self, step: int) -> None:
        current = self.active_tab
        index = self.pane_ids.index(current) if current in self.pane_ids else 0
        self.query_one(TabbedContent).active = self.pane_ids[(index + step) % len(self.pane_ids)]

    @on(TabbedContent.TabActivated)
    def _tab_changed(self) -> None:
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """The scale key offers the other scale of the chart shown: dimmed on tabs it does
        not change, hidden when no chart has a log version; number keys past the last tab
        do nothing."""
        if action == "set_scale":
            wanted_log = parameters == ("log",)
            if not self.log_sensitive:
                return False
            if self.active_tab.removeprefix("tab-") not in self.log_sensitive:
                return None if wanted_log else False  # "Log", dimmed
            return wanted_log != self.log_scale
        if action == "show_tab":
            index = parameters[0] if parameters else -1
            return isinstance(index, int) and index < len(self.pane_ids)
        return True

    # -- actions ------------------------------------------------------------------------------

    def action_set_scale(self, scale: str) -> None:
        """Redraw the chart shown on linear or on log axes (both axes of a chart that has
        two value axes)."""
        key = self.active_tab.removeprefix("tab-")
        if key not in self.log_sensitive:
            return
        self.scales[key] = scale == "log"
        for chart in self._charts():
            if chart.key == key:
                for view in self.query(f"#chart-{key}").results(ChartView):
                    view.show(chart)
        self.refresh_bindings()

    def toggle_scale(self) -> None:
        self.action_set_scale("linear" if self.log_scale else "log")

    def action_compare(self) -> None:
        dialog = OpenDialog("Compare with results file (B)", self._folder_text())
        self.app.push_screen(dialog, self._compare_with)

    async def _compare_with(self, path: Path | None) -> None:
        if path is None:
            return
        path = path.absolute()
        try:
            other = load_document(path)
        except ImgbenchError as error:
            self.host.show_error("Cannot compare with that file", str(error))
            return
        self.other = (other, path)
        await self.recompose()
        tabbed = self.query_one(TabbedContent)
        tabbed.active = COMPARE_TAB
        # Focus stays on the removed tabs otherwise, and no key of this screen would work.
        tabbed.query_one(Tabs).focus()
        self.refresh_bindings()

    def action_back(self) -> None:
        self._leave(self._pop_self)

    def action_new_run(self) -> None:
        """Back to the setup, its form filled with this run's settings (of A, comparing)."""
        self._leave(lambda: self.host.new_run(settings_from_document(self.document)))

    def _leave(self, go: Callable[[], None]) -> None:
        """Leave now, or after asking when the results exist nowhere but on screen."""
        if self.path is not None:
            go()
            return
        question = "These results are not saved (s saves them). Leave anyway?"
        self.app.push_screen(
            ConfirmDialog(question, yes="Leave", no="Stay"), lambda yes: go() if yes else None
        )

    def _pop_self(self) -> None:
        self.app.pop_screen()

    # -- the command palette ------------------------------------------------------------------

    def palette_commands(self) -> list[tuple[str, str, Callable[[], Any]]]:
        commands: list[tuple[str, str, Callable[[], Any]]] = [
            ("Save results as JSON", "Write these results to a file (s)", self.action_save),
            ("Open results file", "Show another saved results file (o)", self.action_open),
            ("Compare with results file", "Ratios against a second file (c)", self.action_compare),
            (
                "Save a report to share",
                "HTML or Markdown beside the results (r)",
                self.action_save_report,
            ),
            (
                "Verdict for another priority",
                "Balanced, read, disk, write (p)",
                self.action_next_priority,
            ),
        ]
        if self.active_tab.removeprefix("tab-") in self.log_sensitive:
            target = "Linear" if self.log_scale else "Log"
            commands.append(
                (f"{target} scale on this chart", "Switch its value axes (l)", self.toggle_scale)
            )
        commands.append(("New run", "The setup, with this run's settings (n)", self.action_new_run))
        return commands
