"""Processes that die with the one that started them, and signals only the front end handles.

A run is three layers: the front end (CLI or app), the benchmark child it spawns, and the
child's worker processes. Only the front end decides how a run ends: a terminal's ctrl+c
or hang-up reaches the whole foreground process group, so the layers below ignore those
signals and stop when asked. If the layer above is killed outright (kill -9, an OOM
kill), Linux's ``PR_SET_PDEATHSIG`` tells the layer below, so nothing keeps writing.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import os
import signal
import sys
from collections.abc import Iterator
from typing import Any

#: What a terminal sends when the user presses ctrl+c or the session ends.
TERMINAL_SIGNALS = (signal.SIGINT, signal.SIGHUP)
#: Every signal that ends a run: the terminal's, and a plain ``kill``.
STOP_SIGNALS = (signal.SIGINT, signal.SIGHUP, signal.SIGTERM)
_PR_SET_PDEATHSIG = 1


def die_with_parent(signum: int = signal.SIGKILL) -> bool:
    """Ask the kernel to send ``signum`` to this process when its parent ends.

    True where that is arranged (Linux). If the parent has already gone by the time this
    runs, the signal is raised at once: the request would otherwise never fire. The kernel
    watches the parent *thread* that started this process: start it from a thread that
    lives as long as the run (the front ends start runs from their main thread).
    """
    if not sys.platform.startswith("linux"):
        return False
    parent = os.getppid()
    prctl = _prctl()
    if prctl is None or prctl(_PR_SET_PDEATHSIG, signum, 0, 0, 0) != 0:
        return False
    if parent == 1 or os.getppid() != parent:
        os.kill(os.getpid(), signum)
    return True


@functools.cache
def _prctl() -> Any:
    """libc's prctl from the symbols already loaded (no library search, which would start
    a subprocess). Looked up once: the benchmark child does it before forking its workers,
    which inherit it, so a PNG store's timed pool start-up does not repeat the lookup."""
    try:
        return ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None


def ignore_terminal_signals() -> None:
    """ctrl+c and hang-up are the front end's to handle; a worker process ignores them
    (and the processes it starts inherit that)."""
    for signum in TERMINAL_SIGNALS:
        signal.signal(signum, signal.SIG_IGN)


def worker_start() -> None:
    """The first thing a worker process does: die with its parent, leave the terminal's
    signals to it, and end plainly on SIGTERM (the way a pool stops its workers) rather
    than through any handler a forked worker inherited. A starter that holds the stop
    signals while it forks (:func:`stop_signals_held`) closes the window before this runs:
    a signal that arrived in between finds the new dispositions."""
    ignore_terminal_signals()
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, set(STOP_SIGNALS))  # held by its starter
    die_with_parent(signal.SIGKILL)


@contextlib.contextmanager
def stop_signals_held() -> Iterator[None]:
    """Hold stop signals back while a step must not be cut in half (making the scratch
    folder and starting the child); they arrive, in order, when the step is done."""
    blocked = set(STOP_SIGNALS)
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, blocked)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


@contextlib.contextmanager
def children_ignore_terminal_signals() -> Iterator[None]:
    """Processes started inside this block begin life ignoring ctrl+c and hang-up (an
    ignored disposition survives fork and exec), so even a child still importing its
    modules cannot be stopped half-way by the terminal or print a traceback."""
    previous = {signum: signal.getsignal(signum) for signum in TERMINAL_SIGNALS}
    try:
        for signum in TERMINAL_SIGNALS:
            signal.signal(signum, signal.SIG_IGN)
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler if handler is not None else signal.SIG_DFL)
