"""Every chart of a results document, in reading order, for every front end.

The headless CLI draws these with plotext, the Textual app with textual-plotext and the
HTML report with matplotlib; each only translates a :class:`Chart` into calls, so the
numbers, units and words a person reads are decided in core, once. One kind of chart
lives in one module (``chart_time``, ``chart_bars``, ``chart_single``, ``chart_disk``,
``chart_baseline``, ``epoch_charts``, ``pareto_chart``); the data types in
``chart_types``, the words for numbers in ``chart_words``, axes in ``chart_axes``, the
document's rows in ``chart_rows`` and the table in ``chart_table``.

The other names here are re-exported for the modules that import them from
``imgbench.core.charts``; new code imports from the module that owns the idea.
"""

from __future__ import annotations

from .chart_axes import tick_label, value_axis
from .chart_bars import bar_chart
from .chart_baseline import throughput_vs_raw_chart
from .chart_disk import disk_per_image, disk_usage_chart, source_bytes_per_image, source_words
from .chart_rows import (
    backend_rank,
    backends_in,
    experiment_rank,
    measurement_rows,
)
from .chart_single import single_image_chart
from .chart_table import TABLE_COLUMNS, TABLE_NUMERIC_COLUMNS, largest_n_medians, table_rows
from .chart_time import random_read_chart, read_time_chart, store_time_chart
from .chart_types import MISSING, Axis, Chart, Document, Reference, Row, Series
from .chart_words import (
    experiment_label,
    format_bytes,
    format_count,
    format_rate,
    format_ratio,
    format_seconds,
    seconds_decade_label,
)
from .epoch_charts import loader_charts
from .pareto_chart import pareto_chart

__all__ = [
    "MISSING",
    "TABLE_COLUMNS",
    "TABLE_NUMERIC_COLUMNS",
    "Axis",
    "Chart",
    "Document",
    "Reference",
    "Row",
    "Series",
    "all_charts",
    "backend_rank",
    "backends_in",
    "bar_chart",
    "disk_per_image",
    "disk_usage_chart",
    "experiment_label",
    "experiment_rank",
    "format_bytes",
    "format_count",
    "format_rate",
    "format_ratio",
    "format_seconds",
    "largest_n_medians",
    "measurement_rows",
    "random_read_chart",
    "read_time_chart",
    "seconds_decade_label",
    "single_image_chart",
    "source_bytes_per_image",
    "source_words",
    "store_time_chart",
    "table_rows",
    "throughput_vs_raw_chart",
    "tick_label",
    "value_axis",
]


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
