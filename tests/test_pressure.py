"""CPU pressure readings: PSI parsed from a fake /proc file, the load average as fallback."""

from __future__ import annotations

from pathlib import Path

import pytest

from imgbench.core import pressure
from imgbench.core.pressure import PressureReading, pressure_between, read_pressure

PSI_TEXT = (
    "some avg10=1.99 avg60=2.42 avg300=1.89 total=11019420\n"
    "full avg10=0.00 avg60=0.00 avg300=0.00 total=0\n"
)


@pytest.fixture
def load(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pressure.os, "getloadavg", lambda: (3.5, 2.0, 1.0))


def psi_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "cpu"
    path.write_text(text, encoding="ascii")
    return path


def test_reads_the_some_total_and_the_load_average(tmp_path: Path, load: None) -> None:
    reading = read_pressure(psi_file(tmp_path, PSI_TEXT))
    assert reading.cpu_some_total_us == 11019420  # the "some" line's, not the "full" one's
    assert reading.load1 == 3.5
    assert reading.monotonic_s > 0


def test_an_older_kernel_without_a_full_line_is_read_too(tmp_path: Path, load: None) -> None:
    reading = read_pressure(psi_file(tmp_path, "some avg10=0.00 avg60=0.00 avg300=0.00 total=7\n"))
    assert reading.cpu_some_total_us == 7


@pytest.mark.parametrize(
    "text",
    ["", "\n\n", "full avg10=0.00 total=5\n", "some avg10=0.00 total=lots\n", "some total\n"],
    ids=["empty", "blank lines", "no some line", "not a number", "no value"],
)
def test_unreadable_psi_gives_the_load_average_only(tmp_path: Path, load: None, text: str) -> None:
    reading = read_pressure(psi_file(tmp_path, text))
    assert reading.cpu_some_total_us is None
    assert reading.load1 == 3.5


def test_a_missing_or_binary_psi_file_does_not_raise(tmp_path: Path, load: None) -> None:
    assert read_pressure(tmp_path / "absent").cpu_some_total_us is None
    binary = tmp_path / "binary"
    binary.write_bytes(b"\xff\xfe some total=1")
    assert read_pressure(binary).cpu_some_total_us is None
    assert read_pressure(tmp_path).cpu_some_total_us is None  # a folder


def test_no_load_average_on_this_system(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def unavailable() -> tuple[float, float, float]:
        raise OSError("no load average")

    monkeypatch.setattr(pressure.os, "getloadavg", unavailable)
    reading = read_pressure(tmp_path / "absent")
    assert (reading.cpu_some_total_us, reading.load1) == (None, None)


def test_the_real_machine_is_read_without_raising() -> None:
    first, second = read_pressure(), read_pressure()
    assert second.monotonic_s >= first.monotonic_s
    if Path("/proc/pressure/cpu").is_file():
        assert first.cpu_some_total_us is not None


def test_psi_share_is_stalled_time_over_elapsed_time() -> None:
    start = PressureReading(100.0, 1_000_000, 0.5)
    end = PressureReading(102.0, 1_300_000, 4.0)  # 0.3 s stalled in 2 s
    assert pressure_between(start, end, 8) == {
        "source": "psi",
        "cpu_some_share": pytest.approx(0.15),
        "load1": 4.0,
        "cores": 8,
    }


def test_psi_share_stays_between_zero_and_one() -> None:
    start = PressureReading(0.0, 100, None)
    assert pressure_between(start, PressureReading(1.0, 5_000_000, None), 2)["cpu_some_share"] == 1
    assert pressure_between(start, PressureReading(1.0, 50, None), 2)["cpu_some_share"] == 0


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (PressureReading(0.0, None, 1.0), PressureReading(1.0, None, 2.5)),
        (PressureReading(0.0, 10, 1.0), PressureReading(1.0, None, 2.5)),
        (PressureReading(1.0, 10, 1.0), PressureReading(1.0, 20, 2.5)),  # no time passed
    ],
    ids=["no psi", "psi lost midway", "no elapsed time"],
)
def test_without_psi_on_both_ends_the_load_average_is_the_source(
    start: PressureReading, end: PressureReading
) -> None:
    assert pressure_between(start, end, 4) == {
        "source": "loadavg",
        "cpu_some_share": None,
        "load1": 2.5,
        "cores": 4,
    }
