"""The command line and the setup form read typed values with the same parsers: whatever
``imgbench run`` accepts, the form accepts with the same value; values round-trip through
their written form; every refusal is one line."""

from __future__ import annotations

import contextlib
import io
import string
from collections.abc import Callable
from functools import partial
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from imgbench.core.backends.names import CONTAINERS
from imgbench.core.settings import RunSettings
from imgbench.tui.cli import build_parser
from imgbench.tui.value_parsers import (
    names_parser,
    parse_compress_level,
    parse_count,
    parse_default,
    parse_image_size,
    parse_loader_workers,
    parse_numbers,
    parse_optional_whole,
    parse_optional_wxh,
    parse_seconds,
    parse_stores,
    parse_whole,
    parse_wxh,
)

PARSER = build_parser()
FORM_DEFAULTS = RunSettings()

#: ``imgbench run`` flag -> (the namespace's name for it, the form's parser of that field)
CLI_AND_FORM: dict[str, tuple[str, Callable[[str], Any]]] = {
    "--count": ("count", parse_count),
    "--cutoffs": ("cutoffs", parse_numbers),
    "--repeats": ("repeats", partial(parse_whole, minimum=1)),
    "--warmup": ("warmup", partial(parse_whole, minimum=0)),
    "-k": ("k", partial(parse_whole, minimum=1)),
    "--seed": ("seed", partial(parse_whole, minimum=0)),
    "--batch-size": ("batch_size", partial(parse_default, FORM_DEFAULTS.batch_size)),
    "--epochs": ("epochs", partial(parse_default, FORM_DEFAULTS.epochs)),
    "--loader-workers": ("loader_workers", parse_loader_workers),
    "--resize": ("resize", parse_optional_wxh),
    "--image-size": ("image_size", parse_image_size),
    "--png-compress-level": ("png_compress_level", parse_compress_level),
    "--png-workers": ("png_workers", partial(parse_whole, minimum=1)),
    "--hdf5-chunk-rows": ("hdf5_chunk_rows", partial(parse_optional_whole, minimum=1)),
    "--backends": ("backends", parse_stores),
}

NUMBERISH = st.one_of(
    st.text(alphabet=string.digits + ",_ x\u00d7*-+.eab", max_size=12),
    st.integers(-5, 10**7).map(str),
    st.integers(0, 10**7).map(lambda n: f"{n:,}"),
    st.integers(0, 10**7).map(lambda n: f"{n:_}"),
    st.tuples(st.integers(0, 300), st.integers(0, 300)).map(lambda s: f"{s[0]}x{s[1]}"),
    st.tuples(st.integers(0, 99), st.integers(0, 99)).map(lambda s: f" {s[0]} * {s[1]} "),
    st.lists(st.integers(0, 5_000), min_size=1, max_size=4).map(lambda ns: ",".join(map(str, ns))),
)
STORE_TEXT = st.one_of(
    st.text(alphabet=string.ascii_lowercase + string.digits + "+, ", max_size=20),
    st.lists(
        st.sampled_from(["png", "lmdb", "hdf5", "raw", "tar+png", "lmdb+jpeg90", "files+png"]),
        min_size=1,
        max_size=4,
    ).map(", ".join),
)


def cli_value(flag: str, text: str) -> tuple[bool, Any, str]:
    """(accepted, the value ``imgbench run`` parsed, what it said on stderr)."""
    dest = CLI_AND_FORM[flag][0]
    typed = f"{flag}{text}" if flag == "-k" else f"{flag}={text}"
    said = io.StringIO()
    with contextlib.redirect_stderr(said):
        try:
            args = PARSER.parse_args(["run", typed])
        except SystemExit:
            return False, None, said.getvalue()
    return True, getattr(args, dest), said.getvalue()


def form_value(flag: str, text: str) -> tuple[bool, Any]:
    try:
        return True, CLI_AND_FORM[flag][1](text)
    except ValueError:
        return False, None


@settings(max_examples=300, deadline=None)
@given(flag=st.sampled_from(sorted(set(CLI_AND_FORM) - {"--backends"})), text=NUMBERISH)
@example(flag="--resize", text="32")
@example(flag="--resize", text="32 x 32")
@example(flag="--resize", text="32*32")
@example(flag="--count", text="100,000")
@example(flag="--png-compress-level", text="9")
@example(flag="--seed", text="0")
def test_what_the_cli_accepts_the_form_accepts_with_the_same_value(flag: str, text: str) -> None:
    accepted, value, said = cli_value(flag, text)
    if accepted:
        assert form_value(flag, text) == (True, value), said
    else:
        assert len(said.strip().splitlines()) == 1, said
        assert "Traceback" not in said and "<lambda>" not in said


@settings(max_examples=150, deadline=None)
@given(text=STORE_TEXT)
@example(text="png, lmdb+jpeg90 files+png")
def test_the_store_lists_agree(text: str) -> None:
    accepted, value, said = cli_value("--backends", text)
    if accepted:
        assert form_value("--backends", text) == (True, value)
    else:
        assert len(said.strip().splitlines()) == 1, said


@pytest.mark.parametrize(
    ("flag", "text", "value"),
    [
        ("--resize", "32", (32, 32)),
        ("--resize", "32 x 32", (32, 32)),
        ("--resize", "32*32", (32, 32)),
        ("--resize", "64x48", (64, 48)),
        ("--image-size", "64x48", (48, 64)),  # RunSettings keeps (height, width)
        ("--count", "100,000", 100_000),
        ("--count", "100_000", 100_000),
        ("--png-compress-level", "0", 0),
        ("--seed", "0", 0),
        ("--warmup", "0", 0),
    ],
)
def test_the_cli_takes_the_forms_spellings(flag: str, text: str, value: Any) -> None:
    assert cli_value(flag, text)[:2] == (True, value)


@pytest.mark.parametrize(
    ("flag", "text", "words"),
    [
        ("--png-compress-level", "10", "0 to 9"),
        ("--seed", "-1", "at least 0"),
        ("--warmup", "-1", "at least 0"),
        ("--count", "0", "at least 1"),
        ("--cutoffs", "100,000", "write 100000"),
        ("--resize", "0x5", "at least 1 pixel"),
    ],
)
def test_the_cli_refuses_in_one_line_with_the_reason(flag: str, text: str, words: str) -> None:
    accepted, _, said = cli_value(flag, text)
    lines = said.strip().splitlines()
    assert not accepted and len(lines) == 1 and words in lines[0], said
    assert lines[0].startswith("imgbench run: argument ")


# -- round trips ---------------------------------------------------------------------------


@given(st.integers(0, 10**15), st.sampled_from(["{:d}", "{:,}", "{:_}", " {:,} "]))
def test_whole_numbers_round_trip_with_or_without_thousands_separators(n: int, form: str) -> None:
    assert parse_whole(form.format(n), minimum=0) == n


@given(st.lists(st.integers(1, 10**9), min_size=1, max_size=8), st.sampled_from([",", ", ", " "]))
def test_number_lists_round_trip_sorted_and_once(values: list[int], sep: str) -> None:
    assert parse_numbers(sep.join(map(str, values))) == tuple(sorted(set(values)))


@given(
    st.integers(1, 10**5), st.integers(1, 10**5), st.sampled_from(["x", " x ", "X", "\u00d7", "*"])
)
def test_sizes_round_trip_width_first(width: int, height: int, sep: str) -> None:
    assert parse_wxh(f"{width}{sep}{height}") == (width, height)


@given(st.integers(0, 9))
def test_compress_levels_round_trip(level: int) -> None:
    assert parse_compress_level(str(level)) == level
    assert parse_compress_level("") is None


@given(st.floats(min_value=1e-6, max_value=1e6, allow_nan=False))
def test_seconds_round_trip(seconds: float) -> None:
    assert parse_seconds(repr(seconds)) == seconds


@given(
    st.lists(
        st.tuples(
            st.sampled_from([c for c in CONTAINERS if c != "raw"]),
            st.sampled_from(["", "+raw", "+png", "+png3", "+jpeg90"]),
        ).map("".join),
        min_size=1,
        max_size=5,
    )
)
def test_store_lists_round_trip_in_their_one_spelling(names: list[str]) -> None:
    stores = parse_stores(",".join(names))
    assert parse_stores(", ".join(stores)) == stores  # written back, read again: the same
    assert len(set(stores)) == len(stores)


# -- refusals are one line -------------------------------------------------------------------

PARSERS: list[Callable[[str], Any]] = [
    partial(parse_whole, minimum=0),
    partial(parse_whole, minimum=1),
    parse_numbers,
    parse_wxh,
    parse_loader_workers,
    parse_compress_level,
    parse_seconds,
    parse_stores,
    names_parser(("store_many", "read_many"), "experiment"),
]


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(range(len(PARSERS))), st.text(max_size=30))
def test_every_refusal_is_one_short_line(index: int, text: str) -> None:
    try:
        PARSERS[index](text)
    except ValueError as error:
        message = str(error)
        assert message and "\n" not in message and "\r" not in message
        assert len(message) < 400
