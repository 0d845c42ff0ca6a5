"""The report to share: Markdown for an issue or PR, one HTML file with charts, the
``imgbench report`` command and its refusals, ``imgbench show`` (verdict first, charts
only when asked), the app's report key, and the HTML in a real headless browser."""

from __future__ import annotations

import copy
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from markdown_it import MarkdownIt
from markdown_it.token import Token

from imgbench.core.charts import all_charts
from imgbench.core.results import save_document
from imgbench.tui.cli import main
from imgbench.tui.report_figures import INSTALL_CHARTS
from imgbench.tui.report_files import is_report
from imgbench.tui.report_html import html_report
from imgbench.tui.report_markdown import markdown_report
from result_docs import cancelled_document, make_document, with_changes, with_noise_fields

CUTOFFS = (10, 100, 1_000)
CHROMIUM = Path("/usr/bin/chromium")
#: HTML elements that never have an end tag.
VOID = frozenset({"meta", "br", "hr", "img", "input", "link", "col", "area", "base", "wbr"})


def document() -> dict[str, Any]:
    """A complete run with noise figures (± intervals) and one noisy measurement."""
    doc = with_noise_fields(make_document(cutoffs=CUTOFFS))
    doc["measurements"][0]["warnings"] = [
        {"code": "noisy", "ci_half_width_share": 0.4, "iqr_share": 0.4}
    ]
    return doc


def with_epochs(doc: dict[str, Any]) -> dict[str, Any]:
    """``doc`` with epoch rows (1 and 2 workers, epochs 1 and 2) for each store at 1,000."""
    doc = copy.deepcopy(doc)
    reads = [m for m in doc["measurements"] if m["experiment"] == "read_many" and m["n"] == 1_000]
    for row in reads:
        for workers in (1, 2):
            for epoch in (1, 2):
                epoch_row = copy.deepcopy(row)
                epoch_row.update(experiment="epoch", workers=workers, epoch=epoch)
                epoch_row["images_per_s"] = row["images_per_s"] * workers * (1 + epoch / 10)
                epoch_row["first_batch_s"] = 0.01 * workers
                epoch_row["warnings"] = []
                doc["measurements"].append(epoch_row)
    return doc


def saved(tmp_path: Path, doc: dict[str, Any] | None = None, name: str = "r.json") -> Path:
    path = tmp_path / name
    save_document(doc if doc is not None else document(), path, durable=False)
    return path


# -- Markdown -------------------------------------------------------------------------------


def parsed(markdown: str) -> list[Token]:
    return MarkdownIt("commonmark").enable("table").parse(markdown)


def headings(tokens: list[Token]) -> list[tuple[str, str]]:
    return [
        (token.tag, tokens[index + 1].content)
        for index, token in enumerate(tokens)
        if token.type == "heading_open"
    ]


def tables(tokens: list[Token]) -> list[list[Token]]:
    """Each table's tokens, from table_open to table_close."""
    found: list[list[Token]] = []
    current: list[Token] | None = None
    for token in tokens:
        if token.type == "table_open":
            current = []
        if current is not None:
            current.append(token)
        if token.type == "table_close" and current is not None:
            found.append(current)
            current = None
    return found


def cell_rows(table: list[Token]) -> list[list[tuple[str, str]]]:
    """Each row as (text, alignment style) per cell; the heading row first."""
    rows: list[list[tuple[str, str]]] = []
    for index, token in enumerate(table):
        if token.type == "tr_open":
            rows.append([])
        elif token.type in ("th_open", "td_open"):
            inline = table[index + 1]
            text = inline.content if inline.type == "inline" else ""
            rows[-1].append((text, str(token.attrGet("style") or "")))
    return rows


def test_markdown_parses_into_headings_and_tables() -> None:
    markdown = markdown_report(with_epochs(document()), source="r.json")
    assert markdown.splitlines()[0].startswith("<!-- imgbench report")
    tokens = parsed(markdown)
    titles = headings(tokens)
    assert titles[0][0] == "h1" and "imgbench 0.1.0 results of 2025-11-23 19:00" in titles[0][1]
    sections = [text for tag, text in titles if tag == "h2"]
    assert sections[:4] == ["Verdict", "What ran where", "Summary", "Tables"]
    assert sections[-1] == "Warnings"
    found = tables(tokens)
    assert len(found) >= 6  # verdict, machine, settings, summary, training read, measurements
    for table in found:
        rows = cell_rows(table)
        assert all(len(row) == len(rows[0]) for row in rows), "a cell spilled into another"
    headers = {tuple(text for text, _ in cell_rows(t)[0]) for t in found}
    assert any("median" in header and "images/s" in header for header in headers)
    assert any("epoch 1 2 workers" in header for header in headers)


def test_markdown_numbers_are_right_aligned_and_text_left() -> None:
    tokens = parsed(markdown_report(document()))
    measurements = next(
        t for t in tables(tokens) if ("median", "text-align:right") in cell_rows(t)[0]
    )
    header, *rows = cell_rows(measurements)
    aligned = dict((text, style) for text, style in header)
    assert aligned["median"] == aligned["n"] == "text-align:right"
    assert aligned["backend"] == "text-align:left"
    assert len(rows) == len(document()["measurements"])
    png_10 = rows[0]
    assert png_10[0][0].startswith("png") and png_10[2][0] == "10"


def test_markdown_shows_the_verdict_first_and_the_fastest_in_bold() -> None:
    markdown = markdown_report(document())
    verdict = markdown.split("\n## Verdict", 1)[1].split("\n## ", 1)[0]
    assert verdict.strip().startswith("Use ")
    summary = markdown.split("\n## Summary", 1)[1].split("\n## ", 1)[0]
    assert "(fastest in bold)" in summary and "**" in summary


def test_markdown_keeps_markup_in_the_data_as_text() -> None:
    doc = document()
    doc["notes"] = ["a | pipe, *stars*, <b>tags</b> and _underscores_"]
    doc["dataset"]["path"] = "/data/my|set"
    tokens = parsed(markdown_report(doc))
    assert not any(token.type == "html_inline" for token in tokens if token.children is None)
    text = "".join(
        child.content for token in tokens for child in token.children or [] if child.type == "text"
    )
    assert "a | pipe, *stars*, <b>tags</b> and _underscores_" in text
    for table in tables(tokens):
        rows = cell_rows(table)
        assert all(len(row) == len(rows[0]) for row in rows)


@pytest.mark.parametrize("kind", ["cancelled", "empty"])
def test_partial_and_empty_runs_still_make_a_report(kind: str) -> None:
    if kind == "cancelled":
        doc = cancelled_document()
        doc["errors"] = [{"task": "hdf5 store_many n=1,000", "message": "disk full"}]
    else:
        doc = with_changes(make_document(), measurements=[], environment={}, dataset={})
    markdown = markdown_report(doc)
    assert ("**error:** hdf5 store\\_many n=1,000: disk full" in markdown) == (kind != "empty")
    assert "## Verdict" in markdown and "## Summary" in markdown
    for table in tables(parsed(markdown)):
        rows = cell_rows(table)
        assert all(len(row) == len(rows[0]) for row in rows)
    page = checked_page(html_report(doc))
    assert ("cancelled" in page) == (kind == "cancelled")


def test_priority_changes_the_verdict_of_the_report() -> None:
    balanced = markdown_report(document())
    disk = markdown_report(document(), priority="disk")
    assert "Priority balanced" in balanced and "Priority disk" in disk


# -- HTML -----------------------------------------------------------------------------------


class BalanceChecker(HTMLParser):
    """Fails on an end tag that closes anything but the innermost open element."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.open: list[str] = []
        self.problems: list[str] = []
        self.counts: dict[str, int] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.counts[tag] = self.counts.get(tag, 0) + 1
        if tag not in VOID:
            self.open.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.counts[tag] = self.counts.get(tag, 0) + 1

    def handle_endtag(self, tag: str) -> None:
        if not self.open or self.open[-1] != tag:
            self.problems.append(f"</{tag}> closes {self.open[-1:]}")
        else:
            self.open.pop()


def checked_page(page: str) -> str:
    checked(page)
    return page


def checked(page: str) -> BalanceChecker:
    checker = BalanceChecker()
    checker.feed(page)
    checker.close()
    assert not checker.problems, checker.problems[:5]
    assert not checker.open, f"never closed: {checker.open}"
    return checker


def test_html_is_balanced_self_contained_and_has_a_chart_per_chart() -> None:
    pytest.importorskip("matplotlib")
    doc = with_epochs(document())
    page = html_report(doc, source="r.json")
    assert page.startswith("<!DOCTYPE html>")
    checker = checked(page)
    drawn = [chart for chart in all_charts(doc, log=True) if not chart.empty]
    assert checker.counts["svg"] >= len(drawn)
    assert checker.counts["table"] >= 4  # verdict, summary, training read, measurements
    for outside in ("<script", "<link", "src=", 'href="http', "@import"):
        assert outside not in page, f"{outside} fetches something"
    assert not re.search(r"url\((?!#)", page), "only references inside the page"
    assert len(set(re.findall(r'id="([^"]+)"', page))) == len(re.findall(r'id="', page))
    assert "Time to store many n images" in page  # chart text stays text
    assert INSTALL_CHARTS not in page


def test_html_without_matplotlib_has_tables_and_says_how_to_get_charts(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib now fails
    page = html_report(document())
    checker = checked(page)
    assert checker.counts.get("svg", 0) == 0
    assert checker.counts["table"] >= 3
    assert 'pip install "imgbench[report]"' in page.replace("&quot;", '"')


def test_html_escapes_what_the_data_says() -> None:
    doc = document()
    doc["notes"] = ["<script>alert(1)</script> & more"]
    page = html_report(doc)
    assert "<script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; more" in page
    checked(page)


# -- the report command ---------------------------------------------------------------------


def one_line_refusal(capsys: pytest.CaptureFixture[str], code: int, *words: str) -> None:
    assert code == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    for word in words:
        assert word in lines[0]


def test_report_writes_markdown_to_stdout_by_default(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    results = saved(tmp_path)
    assert main(["report", str(results)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("<!-- imgbench report") and "## Verdict" in out
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.json"]


def test_report_html_goes_beside_the_results_and_is_replaced_when_written_again(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    results = saved(tmp_path)
    assert main(["report", str(results), "--format", "html"]) == 0
    target = tmp_path / "r-report.html"
    assert target.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert is_report(target) and str(target) in capsys.readouterr().err
    assert main(["report", str(results), "--format", "html", "--priority", "disk"]) == 0
    assert "Priority disk" in target.read_text(encoding="utf-8")


@pytest.mark.parametrize(("name", "fmt"), [("out.md", "md"), ("out.html", "html"), ("o.txt", "md")])
def test_the_format_follows_the_output_suffix(tmp_path: Path, name: str, fmt: str) -> None:
    results = saved(tmp_path)
    assert main(["report", str(results), "-o", str(tmp_path / name)]) == 0
    text = (tmp_path / name).read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>" if fmt == "html" else "<!-- imgbench report")


def test_report_never_replaces_a_file_it_did_not_write_unless_forced(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    results = saved(tmp_path)
    notes = tmp_path / "notes.md"
    notes.write_text("my notes\n", encoding="utf-8")
    code = main(["report", str(results), "-o", str(notes)])
    one_line_refusal(capsys, code, "notes.md", "not an imgbench report", "--force")
    assert notes.read_text(encoding="utf-8") == "my notes\n"
    assert main(["report", str(results), "-o", str(notes), "--force"]) == 0
    assert is_report(notes)


def test_report_never_replaces_results(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    results = saved(tmp_path)
    other = saved(tmp_path, name="other.json")
    before = other.read_bytes()
    code = main(["report", str(results), "-o", str(other), "--force"])
    one_line_refusal(capsys, code, "other.json", "results")
    assert other.read_bytes() == before
    code = main(["report", str(results), "-o", str(results), "--force"])
    one_line_refusal(capsys, code, "the results file itself")


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (None, ["missing.json", "no such file"]),
        (b"not json at all", ["bad.json", "not valid JSON"]),
        (b'{"hello": "world"}', ["bad.json", "not an imgbench results file"]),
    ],
)
def test_report_refuses_bad_results_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes | None, words: list[str]
) -> None:
    path = tmp_path / ("missing.json" if content is None else "bad.json")
    if content is not None:
        path.write_bytes(content)
    code = main(["report", str(path), "--format", "html"])
    one_line_refusal(capsys, code, *words)
    assert not list(tmp_path.glob("*report*"))


def test_report_refuses_a_folder_or_a_missing_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    results = saved(tmp_path)
    one_line_refusal(capsys, main(["report", str(results), "-o", str(tmp_path)]), "folder")
    missing = tmp_path / "nowhere" / "r.html"
    one_line_refusal(capsys, main(["report", str(results), "-o", str(missing)]), "does not exist")


def test_report_runs_as_a_real_command(tmp_path: Path) -> None:
    results = saved(tmp_path)
    done = subprocess.run(
        [sys.executable, "-m", "imgbench.tui.cli", "report", str(results), "-o", "-"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "## Verdict" in done.stdout


# -- show -----------------------------------------------------------------------------------


def test_show_prints_the_verdict_first_and_no_chart_unless_asked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    results = saved(tmp_path)
    titles = [chart.title for chart in all_charts(document())]
    assert main(["show", str(results)]) == 0
    out = capsys.readouterr().out
    assert out.lstrip().startswith("Verdict")
    assert out.index("Verdict") < out.index("Median time at") < out.index("Measurements")
    assert not any(title in out for title in titles)
    assert "--charts" in out  # says how to get them

    assert main(["show", str(results), "--charts"]) == 0
    charted = capsys.readouterr().out
    assert all(title in charted for title in titles)
    assert main(["show", str(results), "--log"]) == 0  # a scale asks for charts
    assert titles[0] in capsys.readouterr().out


def test_show_judges_with_another_priority(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    results = saved(tmp_path)
    assert main(["show", str(results), "--priority", "write"]) == 0
    assert "Priority write" in capsys.readouterr().out
    with pytest.raises(SystemExit) as refused:  # argparse's refusal, in one line
        main(["show", str(results), "--priority", "fast"])
    one_line_refusal(capsys, int(str(refused.value.code)), "--priority", "balanced")


def test_run_takes_a_priority() -> None:
    from imgbench.tui.cli import build_parser, settings_from_args

    args = build_parser().parse_args(["run", "--preset", "quick", "--priority", "disk"])
    assert settings_from_args(args).priority == "disk"
    args = build_parser().parse_args(["run", "--preset", "quick"])
    assert settings_from_args(args).priority == "balanced"


# -- the app's key ----------------------------------------------------------------------------


async def test_the_results_screen_writes_the_report_beside_the_results(tmp_path: Path) -> None:
    from imgbench.tui.app import create_app

    results = saved(tmp_path)
    app = create_app(document_path=results)
    app.animation_level = "none"
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await pilot.press("r")
        await app.workers.wait_for_complete()
        await pilot.pause()
        written = list(tmp_path.glob("r-report.*"))
        assert len(written) == 1 and is_report(written[0])
        assert any("Report written" in str(n.message) for n in app._notifications)


# -- a real browser ---------------------------------------------------------------------------


@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium")
def test_the_html_report_renders_in_a_headless_browser(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    from PIL import Image

    page = tmp_path / "report.html"
    page.write_text(html_report(with_epochs(document()), source="r.json"), encoding="utf-8")
    shot = tmp_path / "report.png"
    done = subprocess.run(
        [
            str(CHROMIUM),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            f"--user-data-dir={tmp_path / 'profile'}",
            f"--screenshot={shot}",
            "--window-size=1200,3000",
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert shot.stat().st_size > 10_000
    with Image.open(shot) as image:
        assert image.size == (1200, 3000)
        colours = image.convert("L").getextrema()
    assert colours[0] < 100 < colours[1], "a blank page"
