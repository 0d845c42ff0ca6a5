"""The report as one self-contained HTML file: open it in any browser, attach it, mail it.

Everything is inside the file: a little CSS, the tables, and the charts as inline SVG
drawn by matplotlib (:mod:`.report_figures`). No script, no font, no image is fetched.
Without matplotlib the page still has every table and says how to get the charts.
The ``generator`` meta tag tells ``imgbench report`` the file is a report it may replace.
"""

from __future__ import annotations

from collections.abc import Iterable
from html import escape

from imgbench.core import __version__
from imgbench.core.chart_types import Chart, Document

from .report_content import ReportContent, report_content
from .report_figures import INSTALL_CHARTS, chart_svg, charts_available
from .report_tables import Cell, PlainTable

__all__ = ["HTML_MARK", "html_report", "html_table"]

#: In the head of every HTML report: how a report is told from other files.
HTML_MARK = '<meta name="generator" content="imgbench report'

STYLE = """
:root { color-scheme: light; }
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
  color: #1f2328; background: #fff; margin: 0 auto; padding: 1.5rem 2rem 3rem;
  max-width: 72rem; }
h1 { font-size: 1.6rem; margin: 0 0 .3rem; }
h2 { font-size: 1.25rem; margin: 2.2rem 0 .6rem; padding-bottom: .25rem;
  border-bottom: 1px solid #d0d7de; }
h3 { font-size: 1.02rem; margin: 1.4rem 0 .4rem; }
.status { display: inline-block; padding: .05rem .55rem; border-radius: 1rem;
  font-weight: 600; font-size: .85rem; background: #dafbe1; color: #116329; }
.status.partial { background: #fff8c5; color: #7d4e00; }
.status.failed { background: #ffebe9; color: #a40e26; }
.verdict { background: #f6f8fa; border: 1px solid #d0d7de; border-left: 4px solid #1f6feb;
  border-radius: 6px; padding: .6rem 1.1rem; }
.verdict p { margin: .35rem 0; }
.verdict p:first-child { font-weight: 600; font-size: 1.05rem; }
.note, .error, .hint { border-radius: 6px; padding: .5rem .9rem; margin: .5rem 0; }
.note, .hint { background: #fff8c5; border: 1px solid #d4a72c66; }
.error { background: #ffebe9; border: 1px solid #ff818266; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1rem; }
dl.facts dt { font-weight: 600; color: #59636e; }
dl.facts dd { margin: 0; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; margin: .3rem 0 .4rem; font-size: .88rem; }
th, td { padding: .28rem .65rem; border-bottom: 1px solid #eaeef2; text-align: left;
  white-space: nowrap; }
th { background: #f6f8fa; border-bottom: 2px solid #d0d7de; vertical-align: bottom; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.section td { border-bottom: 1px solid #8c959f; }
td .best { color: #116329; }
td .alert { color: #a40e26; }
.caption { color: #59636e; font-size: .85rem; margin: .1rem 0 1rem; }
.charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(30rem, 1fr));
  gap: 1rem; }
figure { margin: 0; border: 1px solid #d0d7de; border-radius: 6px; padding: .5rem; }
figure svg { width: 100%; height: auto; display: block; }
figcaption { color: #59636e; font-size: .82rem; margin-top: .3rem; }
figure.empty h3 { margin: .2rem 0; }
ul.warnings > li { margin: .4rem 0; }
details summary { cursor: pointer; color: #0969da; }
footer { margin-top: 3rem; color: #59636e; font-size: .82rem; }
code { background: #f6f8fa; padding: .05rem .3rem; border-radius: 4px; }
"""


def html_report(doc: Document, *, source: str = "", priority: str | None = None) -> str:
    """The whole report of ``doc`` (read from ``source``, a file name) as an HTML page."""
    content = report_content(doc, source=source, priority=priority)
    return "\n".join(_page(content)) + "\n"


def _page(content: ReportContent) -> Iterable[str]:
    yield "<!DOCTYPE html>"
    yield '<html lang="en">'
    yield "<head>"
    yield '<meta charset="utf-8">'
    yield f'{HTML_MARK} {escape(__version__)}">'
    yield '<meta name="viewport" content="width=device-width, initial-scale=1">'
    yield f"<title>{escape(content.title)}</title>"
    yield f"<style>{STYLE}</style>"
    yield "</head>"
    yield "<body>"
    yield "<header>"
    yield f"<h1>{escape(content.title)}</h1>"
    kind = {"complete": "", "failed": " failed"}.get(content.status, " partial")
    source = f" · {escape(content.source)}" if content.source else ""
    yield f'<p><span class="status{kind}">{escape(content.status)}</span>{source}</p>'
    for note in content.notes:
        yield f'<p class="note"><strong>note:</strong> {escape(note)}</p>'
    for error in content.errors:
        yield f'<p class="error"><strong>error:</strong> {escape(error)}</p>'
    yield "</header>"
    yield from _verdict(content)
    yield from _where(content)
    yield '<section id="summary">'
    yield "<h2>Summary</h2>"
    for item in content.summary:
        if isinstance(item, PlainTable):
            yield from html_table(item)
        else:
            yield f'<p class="caption">{escape(item)}</p>'
    yield "</section>"
    yield from _charts(content.charts)
    yield '<section id="tables">'
    yield "<h2>Tables</h2>"
    for table in content.tables:
        yield from html_table(table)
    yield "</section>"
    yield from _warnings(content)
    yield "<footer>"
    yield (
        f"Made with imgbench {escape(__version__)}: "
        "<code>imgbench report RESULTS.json --format html</code>"
    )
    yield "</footer>"
    yield "</body>"
    yield "</html>"


def _verdict(content: ReportContent) -> Iterable[str]:
    yield '<section id="verdict">'
    yield "<h2>Verdict</h2>"
    yield '<div class="verdict">'
    for line in content.verdict:
        if line.strip():
            yield f"<p>{escape(line.strip())}</p>"
    yield "</div>"
    if content.verdict_table is not None:
        yield from html_table(content.verdict_table)
    yield "</section>"


def _where(content: ReportContent) -> Iterable[str]:
    yield '<section id="where">'
    yield "<h2>What ran where</h2>"
    yield from _facts(content.facts)
    if content.environment:
        yield "<details><summary>The machine in full</summary>"
        yield from _facts(content.environment)
        yield "</details>"
    if content.settings:
        yield "<details><summary>Every setting</summary>"
        yield from _facts(content.settings)
        yield "</details>"
    yield "</section>"


def _facts(pairs: Iterable[tuple[str, str]]) -> Iterable[str]:
    yield '<dl class="facts">'
    for label, value in pairs:
        yield f"<dt>{escape(label)}</dt><dd>{escape(value)}</dd>"
    yield "</dl>"


def _charts(charts: Iterable[Chart]) -> Iterable[str]:
    yield '<section id="charts">'
    yield "<h2>Charts</h2>"
    if not charts_available():
        yield (
            '<p class="hint">The charts need matplotlib, which is not installed here: '
            f"<code>{escape(INSTALL_CHARTS)}</code>, then write this report again.</p>"
        )
        yield "</section>"
        return
    yield '<div class="charts">'
    for chart in charts:
        if chart.empty:
            yield '<figure class="empty">'
            yield f"<h3>{escape(chart.title)}</h3>"
            yield f"<figcaption>{escape(chart.note or 'no data')}</figcaption>"
        else:
            yield f'<figure id="chart-{escape(chart.key)}{"-log" if chart.log_y else ""}">'
            yield chart_svg(chart)
            if chart.note:
                yield f"<figcaption>{escape(chart.note)}</figcaption>"
        yield "</figure>"
    yield "</div>"
    yield "</section>"


def _warnings(content: ReportContent) -> Iterable[str]:
    if not content.warnings:
        return
    yield '<section id="warnings">'
    yield "<h2>Warnings</h2>"
    yield "<p>Measurements marked ! in the tables:</p>"
    yield '<ul class="warnings">'
    for group in content.warnings:
        advice = f" — {escape(group.advice)}" if group.advice else ""
        yield f"<li><strong>{escape(group.title)}</strong>{advice}<ul>"
        for labels, seen in group.seen:
            shown = f": {escape(seen)}" if seen else ""
            yield f"<li><strong>{escape(labels)}</strong>{shown}</li>"
        yield "</ul></li>"
    yield "</ul>"
    yield "</section>"


def html_table(table: PlainTable) -> Iterable[str]:
    """The table under its title, numbers right-aligned, its caption below."""
    if table.title:
        yield f"<h3>{escape(table.title)}</h3>"
    yield '<div class="scroll"><table>'
    yield (
        "<thead><tr>"
        + "".join(
            f"<th{_numeric(numeric)}>{escape(header)}</th>"
            for header, numeric in zip(table.headers, table.numeric, strict=True)
        )
        + "</tr></thead>"
    )
    yield "<tbody>"
    last = len(table.rows) - 1
    for index, row in enumerate(table.rows):
        section = ' class="section"' if index in table.sections and index != last else ""
        cells = "".join(
            f"<td{_numeric(numeric)}>{_cell(cell)}</td>"
            for cell, numeric in zip(row, table.numeric, strict=True)
        )
        yield f"<tr{section}>{cells}</tr>"
    yield "</tbody></table></div>"
    if table.caption:
        yield f'<p class="caption">{escape(table.caption)}</p>'


def _numeric(numeric: bool) -> str:
    return ' class="num"' if numeric else ""


def _cell(cell: Cell) -> str:
    text = escape(cell.text)
    if cell.alert:
        return f'<strong class="alert">{text}</strong>'
    if cell.strong:
        return f'<strong class="best">{text}</strong>'
    return text
