"""The results screen's tabs: their ids, short titles, order, and the number keys that
select them."""

from __future__ import annotations

from textual.binding import Binding

from imgbench.core.chart_types import Chart

#: Short tab titles, so every tab fits on one line of an 80-column terminal.
TAB_TITLES = {
    "time-store_many": "Store",
    "time-read_many": "Read",
    "single-image": "Single",
    "time-read_random": "Random",
    "disk-usage": "Disk",
    "vs-raw-store_many": "Store%",
    "vs-raw-read_many": "Read%",
    "epoch-workers": "Workers",
    "epoch-1-vs-2": "Epochs",
    "first-batch": "1st batch",
    "read-latency": "Latency",
    "pareto": "Pareto",
}
VERDICT_TAB = "tab-verdict"
TABLE_TAB = "tab-table"
STORES_TAB = "tab-stores"
EPOCH_TAB = "tab-epoch"
COMPARE_TAB = "tab-compare"
RUN_TAB = "tab-run"
#: Number keys in the order of the tabs they select: 1 is the first tab, 0 the tenth.
NUMBER_KEYS = "1234567890"


def chart_tab(chart: Chart) -> str:
    """The id of a chart's tab (its view's id is ``chart-`` and the key)."""
    return f"tab-{chart.key}"


def tab_title(chart: Chart) -> str:
    return TAB_TITLES.get(chart.key, chart.title)


def pane_ids(charts: list[Chart], *, epoch: bool, stores: bool, compare: bool) -> list[str]:
    """Every tab in order: the verdict, the charts, the table, then the optional ones."""
    ids = [VERDICT_TAB, *(chart_tab(chart) for chart in charts), TABLE_TAB]
    ids += [tab for tab, shown in ((EPOCH_TAB, epoch), (STORES_TAB, stores)) if shown]
    ids += [COMPARE_TAB] if compare else []
    return [*ids, RUN_TAB]


def number_bindings() -> list[Binding]:
    """1-9 and 0 select the first ten tabs; one line in the help says so."""
    return [
        Binding(
            key,
            f"show_tab({index})",
            "Tab by number (1-9, 0 the tenth)" if index == 0 else "",
            show=False,
            id=f"results.tab-{key}",
        )
        for index, key in enumerate(NUMBER_KEYS)
    ]
