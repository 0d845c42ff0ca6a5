"""A whole results document on a plain terminal, as ``imgbench show`` prints it: the
verdict and summary first, then what was run where, every number, and every chart.

It only puts the other modules' parts in order; :func:`charts_to_show` also picks the
charts of the reports.
"""

from __future__ import annotations

from rich.console import Console

from imgbench.core.chart_types import Chart, Document
from imgbench.core.charts import all_charts
from imgbench.core.verdict import verdict_of

from .document_words import render_header
from .measurement_tables import measurement_table, render_summary, render_warnings
from .stores_table import WIDE_STORES, stores_table
from .terminal_chart import render_chart
from .verdict_text import verdict_renderable

__all__ = ["charts_to_show", "render_document"]


def render_document(
    doc: Document,
    console: Console,
    *,
    width: int = 100,
    log: bool | None = None,
    charts: bool = True,
    priority: str | None = None,
) -> None:
    """Everything in a results file: the verdict and a summary first, then what was run
    where and every number, then (with ``charts``) every chart.

    ``priority`` None judges by the run's own priority; ``log`` picks the charts' scales
    as :func:`charts_to_show` says.
    """
    console.print(verdict_renderable(verdict_of(doc, priority=priority)))
    console.print()
    render_summary(doc, console)  # the time at the largest n, and the training read's table
    console.print()
    render_header(doc, console)
    stores = stores_table(doc, compact=console.width < WIDE_STORES)
    if stores is not None:
        console.print()
        console.print(stores)
    console.print()
    console.print(measurement_table(doc, width=console.width))
    render_warnings(doc, console)
    if not charts:
        return
    chart_width = max(40, min(width, console.width))
    for chart in charts_to_show(doc, log):
        console.print()
        render_chart(chart, console, width=chart_width)


def charts_to_show(doc: Document, log: bool | None) -> list[Chart]:
    """The charts of ``show``: with ``log`` None each on the scale that suits it (log
    when its values span more than 10x), the store and read time charts then also on
    the other scale; True or False puts every chart on that scale."""
    if log is not None:
        return all_charts(doc, log=log)
    chosen, linear, logarithmic = (
        all_charts(doc),
        all_charts(doc, log=False),
        all_charts(doc, log=True),
    )
    shown = []
    for index, chart in enumerate(chosen):
        shown.append(chart)
        other = linear[index] if chart.log else logarithmic[index]
        if index < 2 and other != chart:
            shown.append(other)
    return shown
