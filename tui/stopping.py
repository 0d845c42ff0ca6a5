"""ctrl+c, hang-up and SIGTERM in the front end: one way to stop, from the first instant.

Before a run starts, a stop signal raises :class:`StopRequested` (a KeyboardInterrupt, so
code that already handles ctrl+c handles the others alike) and the command ends quietly.
While a run goes, :class:`StopFlag` only notes the signal: the loop that follows the run
cancels it, saves what was measured and removes the scratch folder, and further signals
(ctrl+c pressed again and again) cannot cut that clean-up short. Imports nothing heavy:
the console script installs this before anything else loads.
"""

from __future__ import annotations

import contextlib
import os
import signal
from types import FrameType

STOP_SIGNALS = (signal.SIGINT, signal.SIGHUP, signal.SIGTERM)
EXIT_INTERRUPTED = 130  # what a shell shows for ctrl+c; a hang-up ends the same way
EXIT_TERMINATED = 143  # 128 + SIGTERM


class StopRequested(KeyboardInterrupt):
    """A stop signal arrived; ``signum`` says which."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def exit_code_for(signum: int | None) -> int:
    return EXIT_TERMINATED if signum == signal.SIGTERM else EXIT_INTERRUPTED


def silence_terminal() -> None:
    """After a hang-up the terminal is gone and every write to it fails: send the output
    to /dev/null instead, so finishing the run and saving it cannot trip over a print."""
    with contextlib.suppress(OSError):
        null = os.open(os.devnull, os.O_RDWR)
        for descriptor in (0, 1, 2):
            os.dup2(null, descriptor)
        os.close(null)


def _raise_stop(signum: int, frame: FrameType | None) -> None:
    if signum == signal.SIGHUP:
        silence_terminal()
    raise StopRequested(signum)


def raise_on_stop_signals() -> None:
    """Until a run starts: a stop signal ends the command (nothing to save yet)."""
    for signum in STOP_SIGNALS:
        signal.signal(signum, _raise_stop)


class StopFlag:
    """While a run goes: stop signals are noted, never raised."""

    def __init__(self) -> None:
        self.signum: int | None = None
        self.count = 0

    def install(self) -> StopFlag:
        for signum in STOP_SIGNALS:
            signal.signal(signum, self._note)
        return self

    def _note(self, signum: int, frame: FrameType | None) -> None:
        if signum == signal.SIGHUP:
            silence_terminal()
        if self.signum is None or signum != signal.SIGINT:
            self.signum = signum  # a hang-up or SIGTERM outranks a ctrl+c
        self.count += 1

    @property
    def raised(self) -> bool:
        return self.signum is not None

    @property
    def exit_code(self) -> int:
        return exit_code_for(self.signum)
