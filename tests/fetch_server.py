"""A local HTTP server for the download tests: one file, Range requests, and ways to fail.

It listens on 127.0.0.1 (port 0: the system picks a free one) in a thread of its own, and
records every request, so a test can say "no request was made" or "the retry asked for a
range". Modes:

- ``ok``: the file, honouring ``Range: bytes=N-`` (206, or 416 past the end)
- ``drop_once``: the first response promises the whole body, sends half, and hangs up
- ``drop_always``: every response sends half of what it promises, then hangs up
- ``error500``: every request gets 500
- ``ignore_range``: always 200 with the whole file, whatever the Range says
- ``trickle``: the body in small pieces with pauses (a download that takes a while);
  ``release`` lets a stalled trickle finish
- ``endless``: 200 with no Content-Length, the file and then junk that never ends (until the
  client hangs up, or ``ENDLESS_CAP`` bytes: a safety net for the test machine)
- ``too_long``: 200 announcing (and sending) ``too_long_by`` bytes more than the file
"""

from __future__ import annotations

import hashlib
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from imgbench.core.fetch import DOWNLOADS, Download

NAME = DOWNLOADS["cifar10"].filename
PROXY_VARIABLES = ("http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY")
MODES = ("ok", "drop_once", "drop_always", "error500", "ignore_range", "trickle")
MODES += ("endless", "too_long")
ENDLESS_CAP = 64 << 20


class FileServer:
    """Serves ``data`` at ``/<name>`` in the chosen mode; ``url`` is the folder (a mirror)."""

    def __init__(self, data: bytes, name: str) -> None:
        self.data, self.name = data, name
        self.mode = "ok"
        self.trickle_piece, self.trickle_pause_s = 8192, 0.01
        self.too_long_by = 4 << 20
        self.sent_junk = 0  # bytes of junk an endless or too-long body got out
        self.requests: list[dict[str, str | None]] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        # Request threads are joined on close, so none outlives its test (a live thread
        # would make later tests' forking unsafe).
        self._server.daemon_threads = False
        self._server.block_on_close = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/"

    @property
    def ranges(self) -> list[str | None]:
        """The Range header of every request so far (None where there was none)."""
        with self._lock:
            return [request["range"] for request in self.requests]

    def record(self, path: str, range_header: str | None) -> int:
        """Remember a request; returns how many came before it."""
        with self._lock:
            self.requests.append({"path": path, "range": range_header})
            return len(self.requests) - 1

    def start(self) -> FileServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and wait for the serving thread: nothing outlives the test."""
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


def _handler_for(server: FileServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            earlier = server.record(self.path, self.headers.get("Range"))
            if server.mode == "error500":
                self.send_error(500, "Internal Server Error")
                return
            if self.path != "/" + server.name:
                self.send_error(404, "Not Found")
                return
            if server.mode in ("endless", "too_long"):
                self._send_too_much()
                return
            start = self._range_start()
            if start is not None and start >= len(server.data):
                self.send_response(416)
                self.send_header("Content-Range", f"bytes */{len(server.data)}")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            body = server.data[start or 0 :]
            self._send_head(start, len(body))
            self._send_body(
                body,
                drop=server.mode == "drop_always" or (server.mode == "drop_once" and earlier == 0),
            )

        def _range_start(self) -> int | None:
            """Where a ``Range: bytes=N-`` asks to start; None for the whole file."""
            if server.mode == "ignore_range":
                return None
            match = re.fullmatch(r"bytes=(\d+)-", self.headers.get("Range") or "")
            return int(match.group(1)) if match else None

        def _send_head(self, start: int | None, length: int) -> None:
            total = len(server.data)
            self.send_response(200 if start is None else 206)
            if start is not None:
                self.send_header("Content-Range", f"bytes {start}-{total - 1}/{total}")
            self.send_header("Content-Type", "application/gzip")
            self.send_header("Content-Length", str(length))
            self.end_headers()

        def _send_body(self, body: bytes, *, drop: bool) -> None:
            """The body; or half of it, then the connection closes (a dropped download)."""
            if drop:
                self.wfile.write(body[: max(1, len(body) // 2)])
                self.close_connection = True
                return
            if server.mode != "trickle":
                self.wfile.write(body)
                return
            for offset in range(0, len(body), server.trickle_piece):
                try:
                    self.wfile.write(body[offset : offset + server.trickle_piece])
                    self.wfile.flush()
                except OSError:  # the client went away (a cancel): fine
                    return
                time.sleep(server.trickle_pause_s)

        def _send_too_much(self) -> None:
            """The file, then junk: for ever (no length said) or ``too_long_by`` bytes more than
            the length of the file (said up front)."""
            self.send_response(200)
            self.send_header("Content-Type", "application/gzip")
            junk_bytes = ENDLESS_CAP
            if server.mode == "too_long":
                junk_bytes = server.too_long_by
                self.send_header("Content-Length", str(len(server.data) + junk_bytes))
            self.end_headers()
            self.close_connection = True
            junk = b"\x00" * 65536
            try:
                self.wfile.write(server.data)
                while server.sent_junk < junk_bytes:
                    piece = junk[: junk_bytes - server.sent_junk]
                    self.wfile.write(piece)
                    server.sent_junk += len(piece)
            except OSError:  # the client hung up: what it should do
                return

        def log_message(self, format: str, *args: object) -> None:
            """Quiet: the requests are recorded, not printed."""

    return Handler


def served_archive(tmp_path: Path) -> bytes:
    """The bytes of a small CIFAR-10 archive, as the official one is laid out."""
    from cifar_fixtures import write_archive, write_cifar10_folder

    folder = write_cifar10_folder(tmp_path / "source", n_per_batch=20)
    return write_archive(folder, tmp_path / "source.tar.gz").read_bytes()


# -- fixtures (a test module imports the ones it uses) -----------------------------------------


@pytest.fixture
def archive(tmp_path: Path) -> bytes:
    return served_archive(tmp_path)


@pytest.fixture
def server(archive: bytes, monkeypatch: pytest.MonkeyPatch) -> Iterator[FileServer]:
    """The archive on a local server, under the official archive's name; stopped after."""
    for variable in PROXY_VARIABLES:  # 127.0.0.1 must be asked directly
        monkeypatch.delenv(variable, raising=False)
    running = FileServer(archive, NAME).start()
    yield running
    running.stop()


@pytest.fixture
def download(server: FileServer, archive: bytes) -> Download:
    """The official entry, pointed at the local server, with the served file's MD5 and size."""
    official = DOWNLOADS["cifar10"]
    md5 = hashlib.md5(archive).hexdigest()
    return replace(official, url=server.url + NAME, md5=md5, size=len(archive))
