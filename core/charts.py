"""Every chart of a results document, in reading order, for every front end.

The headless CLI draws these with plotext, the Textual app with textual-plotext and the
HTML report with matplotlib; each only translates a :class:`Chart` into calls, so the
numbers, units and words a person reads are decided in core, once. One kind of chart
lives in one module (``chart_time``, ``chart_bars``, ``chart_single``, ``chart_disk``,
``chart_baseline``, ``epoch_charts``, ``pareto_chart``); the data types in
``chart_types``, the words for numbers in ``chart_words``, axes in ``chart_axes``, the
document's rows in ``chart_rows`` and the table in ``chart_table``.
"""

from __future__ import annotations

from .chart_baseline import throughput_vs_raw_chart
from .chart_disk import disk_usage_chart
from .chart_single import single_image_chart
from .chart_time import random_read_chart, read_time_chart, store_time_chart
from .chart_types import Chart, Document
from .epoch_charts import loader_charts
from .pareto_chart import pareto_chart


def all_charts(doc: Document, log: bool | None = None) -> list[Chart]:
    """Every chart of a results document, in reading order. ``log`` None opens each chart
    on log axes when its values span more than 10x; True or False asks for one scale."""
    return [
        store_time_chart(doc, log=log),
        read_time_chart(doc, log=log),
        single_image_chart(doc, log=log),
        random_read_chart(doc, log=log),
        disk_usage_chart(doc, log=log),
        throughput_vs_raw_chart(doc, "store_many", log=log),
        throughput_vs_raw_chart(doc, "read_many", log=log),
        *loader_charts(doc, log=log),
        pareto_chart(doc, log=log),
    ]
