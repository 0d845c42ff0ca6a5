"""Forked worker processes that decode image files straight into one shared memory file.

Pillow holds the GIL for about half the time it spends on a small image, so threads do
not use a second core well, and a process pool that pickles the pixels back spends as
much on copying them as on decoding. Workers forked from a single-threaded process
inherit the decode function and the file descriptor, decode chunks of files on request,
and write the pixels where they belong in that file: one copy, out of Pillow.

Each worker has a duplex pipe. The parent sends ("decode", (start, stop)); the worker
decodes those files and answers ("decoded", (start, stop), outcomes). With a size per
image known in advance it has already written the pixels; otherwise it keeps them until
the parent, once every chunk before is decoded, sends ("write", (start, stop), byte
offset). None asks a worker to finish: it answers ("done",) and ends. A worker that fails
for any other reason than a bad file sends ("failed", traceback) and ends. Every worker
has ended when :func:`decode_in_processes` returns or raises.
"""

from __future__ import annotations

import contextlib
import math
import multiprocessing
import os
import traceback
from collections import deque
from collections.abc import Callable, Sequence
from multiprocessing.connection import Connection, wait
from typing import Any, Final, Protocol

from .lifeline import worker_start

#: Per file: the (H, W, C) it was decoded to, or why it could not be read.
Outcome = tuple[int, int, int] | str
Chunk = tuple[int, int]

_IN_FLIGHT: Final = 2  # tasks queued per worker process so it never waits for the next
_JOIN_SECONDS: Final = 5.0


class Decoded(Protocol):
    """What decoding one file gives: its shape and its bytes in that C-order layout."""

    @property
    def shape(self) -> tuple[int, int, int]: ...

    @property
    def data(self) -> bytes: ...


#: Decode one file by path: the image, or the reason it could not be read.
Decode = Callable[[str], Decoded | str]


def decode_in_processes(
    paths: Sequence[str],
    decode: Decode,
    workers: int,
    chunks: list[Chunk],
    fd: int,
    image_bytes: int | None,
    advance: Callable[[int], None],
) -> list[Outcome]:
    """Every file's outcome, in file order, its pixels written into the file ``fd``: image
    i at ``i * image_bytes`` when every image has that size, else packed in file order
    (readable images only). ``advance(k)`` is told of every k files done."""
    with _ForkedWorkers(workers, paths, decode, fd, image_bytes) as team:
        outcomes = team.decode(chunks, advance, place=image_bytes is None)
        team.finish()
    return outcomes


def write_all(fd: int, data: bytes, offset: int) -> None:
    """pwrite until every byte is written (a short write is not an error)."""
    view = memoryview(data)
    while view:
        written = os.pwrite(fd, view, offset)
        view, offset = view[written:], offset + written


class _ForkedWorkers:
    """Worker processes forked from this one, each on its own pipe; every one of them has
    ended when the ``with`` block does (closing the pipes ends them after an error)."""

    def __init__(
        self, count: int, paths: Sequence[str], decode: Decode, fd: int, image_bytes: int | None
    ) -> None:
        context = multiprocessing.get_context("fork")
        self._connections: list[Connection] = []
        self._processes: list[Any] = []
        for _ in range(count):
            mine, theirs = context.Pipe(duplex=True)
            process = context.Process(
                target=_worker_main,
                args=(theirs, _Worker(paths, decode, fd, image_bytes)),
                name="imgbench-folder-decoder",
                daemon=True,
            )
            self._processes.append(process)
            process.start()
            theirs.close()  # so that a worker's death reads as end-of-file here
            self._connections.append(mine)

    def __enter__(self) -> _ForkedWorkers:
        return self

    def __exit__(self, *_: object) -> None:
        for connection in self._connections:
            connection.close()
        for process in self._processes:
            process.join(_JOIN_SECONDS)
            if process.is_alive():
                process.kill()
                process.join()

    def decode(
        self, chunks: list[Chunk], advance: Callable[[int], None], *, place: bool
    ) -> list[Outcome]:
        """Every file's outcome, in file order. Chunks go to whichever worker is free; with
        ``place``, each decoded chunk is told where its pixels go as soon as that is known."""
        outcomes: list[Outcome] = [""] * chunks[-1][1]
        waiting = deque(chunks)
        placing = _Placing(chunks)
        for connection in self._connections * _IN_FLIGHT:
            if waiting:
                _send(connection, ("decode", waiting.popleft()))
        for _ in chunks:
            connection, (_, chunk, results) = self._next_answer()
            outcomes[chunk[0] : chunk[1]] = results
            advance(len(results))
            if waiting:
                _send(connection, ("decode", waiting.popleft()))
            if place:
                for ready, holder, offset in placing.decoded(chunk, connection, results):
                    _send(holder, ("write", ready, offset))
        return outcomes

    def finish(self) -> None:
        """Ask every worker to finish, and wait until each has written everything."""
        for connection in self._connections:
            _send(connection, None)
        for connection in self._connections:
            _answer(connection)

    def _next_answer(self) -> tuple[Connection, Any]:
        connection = wait(self._connections)[0]
        assert isinstance(connection, Connection)
        return connection, _answer(connection)


def _send(connection: Connection, message: object) -> None:
    """Send to a worker; one that has gone is an error, with its traceback if it left one."""
    try:
        connection.send(message)
    except OSError:
        _answer(connection)  # raises: the worker's "failed" message, or end-of-file
        raise RuntimeError("an image decoding worker process ended unexpectedly") from None


def _answer(connection: Connection) -> Any:
    """A worker's next message; raises RuntimeError when the worker failed or died."""
    try:
        message = connection.recv()
    except (EOFError, OSError):
        raise RuntimeError("an image decoding worker process ended unexpectedly") from None
    if message[0] == "failed":
        raise RuntimeError(f"an image decoding worker process failed:\n{message[1]}")
    return message


class _Placing:
    """Byte offsets of decoded chunks, known once every chunk before them is decoded."""

    def __init__(self, chunks: list[Chunk]) -> None:
        self._chunks = chunks
        self._next = 0  # the first chunk not yet placed
        self._offset = 0  # where it goes
        self._decoded: dict[Chunk, tuple[Connection, int]] = {}

    def decoded(
        self, chunk: Chunk, holder: Connection, outcomes: Sequence[Outcome]
    ) -> list[tuple[Chunk, Connection, int]]:
        """The chunks that can now be placed: (chunk, its holder, its byte offset)."""
        size = sum(math.prod(shape) for shape in outcomes if not isinstance(shape, str))
        self._decoded[chunk] = (holder, size)
        ready = []
        while self._next < len(self._chunks) and self._chunks[self._next] in self._decoded:
            first = self._chunks[self._next]
            first_holder, first_size = self._decoded.pop(first)
            ready.append((first, first_holder, self._offset))
            self._next += 1
            self._offset += first_size
        return ready


def _worker_main(connection: Connection, worker: _Worker) -> None:
    """A forked worker: decode chunks on request, write their pixels into the memory file."""
    worker_start()
    try:
        while (message := connection.recv()) is not None:
            if message[0] == "decode":
                connection.send(("decoded", message[1], worker.decode(*message[1])))
            else:
                worker.write(message[1], message[2])
        connection.send(("done",))
    except (EOFError, OSError, KeyboardInterrupt):
        return  # the parent has gone or is stopping
    except BaseException:
        _send_quietly(connection, ("failed", traceback.format_exc()))
    finally:
        connection.close()


def _send_quietly(connection: Connection, message: object) -> None:
    with contextlib.suppress(OSError):  # the parent has already gone
        connection.send(message)


class _Worker:
    """A worker process's state: the pixels of the chunks it holds until told where they
    go (when each image's size is known in advance, it writes them at once instead)."""

    def __init__(
        self, paths: Sequence[str], decode: Decode, fd: int, image_bytes: int | None
    ) -> None:
        self._paths = paths
        self._decode = decode
        self._fd = fd
        self._image_bytes = image_bytes
        self._held: dict[Chunk, list[bytes]] = {}

    def decode(self, start: int, stop: int) -> list[Outcome]:
        outcomes: list[Outcome] = []
        held: list[bytes] = []
        for index in range(start, stop):
            image = self._decode(self._paths[index])
            if isinstance(image, str):
                outcomes.append(image)
                continue
            outcomes.append(image.shape)
            if self._image_bytes is None:
                held.append(image.data)
            else:
                write_all(self._fd, image.data, index * self._image_bytes)
        if held:
            self._held[(start, stop)] = held
        return outcomes

    def write(self, chunk: Chunk, offset: int) -> None:
        for data in self._held.pop(chunk, []):
            write_all(self._fd, data, offset)
            offset += len(data)
