"""``files+jpeg90``, ``files+webp``, ``files+raw``...: one file per image, as people keep
photos, and the labels in one CSV file.

Layout: image ``i`` is ``{i:010d}.{ext}`` holding its record (``png``, ``jpg``, ``webp``,
``raw``; ``original`` keeps each source file's own lower-case suffix), and ``labels.csv``
lists ``id,label``. ``files+png`` is the classic :mod:`.png_store` and never comes here.

Durability as the png store has it: a batch writes every file, then one ``syncfs`` of the
file system and an fsync of the folder (the threads' fsync of each file where there is no
syncfs); ``store_one`` fsyncs its own file.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import IO

import numpy as np

from ..codecs import Codec
from .base import read_marker
from .encoded import CorruptStore, EncodedBackend, Record, Shape
from .png_store import (
    LABELS_FILE,
    LABELS_HEADER,
    _labels_csv,
    _parse_labels_csv,
    sync_file_system,
    sync_files,
)

#: A record file's suffix by codec id.
EXTENSIONS = {"png": "png", "jpeg": "jpg", "webp": "webp", "raw": "raw"}
#: An ``original`` record whose source file has no usable suffix.
FALLBACK_EXTENSION = "img"
RECORD_NAME = re.compile(r"([0-9]{10})\.([0-9a-z]{1,16})")


def record_name(image_id: int, extension: str) -> str:
    """Zero-padded so that a sorted listing is id order."""
    return f"{image_id:010d}.{extension}"


def source_extension(path: str) -> str:
    """A source file's lower-case suffix, or ``img`` when it has none we can use."""
    suffix = os.path.splitext(path)[1][1:].lower()
    if suffix.isascii() and suffix.isalnum() and len(suffix) <= 16:
        return suffix
    return FALLBACK_EXTENSION


class FilesBackend(EncodedBackend):
    """One file per image plus ``labels.csv``."""

    container = "files"

    def __init__(
        self,
        location: Path | str,
        *,
        durable: bool = True,
        varying_shapes: bool = False,
        encoding: str | Codec = "raw",
        source_files: Sequence[str | os.PathLike[str]] | None = None,
    ) -> None:
        super().__init__(
            location,
            durable=durable,
            varying_shapes=varying_shapes,
            encoding=encoding,
            source_files=source_files,
        )
        #: A batch's labels and file names, written and synced at its end.
        self._batch_labels: list[int] = []
        self._batch_names: list[str] = []
        #: An append session's labels file, a line written and synced per image.
        self._label_writer: IO[str] | None = None
        self._folder = os.fspath(self.location)
        #: Every record file's suffix; an ``original`` store's vary, so its reader lists
        #: the file names by id instead.
        self._suffix = EXTENSIONS.get(self.codec.codec_id, "")
        self._names: list[str] | None = None

    def files(self) -> list[Path]:
        if not self.location.is_dir():
            return []
        records = sorted(p for p in self.location.iterdir() if RECORD_NAME.fullmatch(p.name))
        return records + [p for p in [self.location / LABELS_FILE] if p.exists()]

    def _extension(self, image_id: int) -> str:
        if self._source_files is not None and self.codec.codec_id == "original":
            return source_extension(self._source_files[image_id])
        return self._suffix

    # -- writing -----------------------------------------------------------------------

    def _begin_write(self, count: int | None) -> None:
        """A batch gathers its labels and file names for the end; an append session
        writes each label line as it goes."""
        self._batch_labels, self._batch_names = [], []
        if count is None:
            self._label_writer = open(self.location / LABELS_FILE, "w", encoding="ascii")  # noqa: SIM115
            self._label_writer.write(LABELS_HEADER)

    def _write_chunk(
        self, first_id: int, records: list[bytes], labels: list[int], shapes: list[Shape]
    ) -> None:
        names = [
            record_name(first_id + j, self._extension(first_id + j)) for j in range(len(records))
        ]
        if self._label_writer is None:
            for name, record in zip(names, records, strict=True):
                self._write_file(name, record, sync=False)
            self._batch_names.extend(names)
            self._batch_labels.extend(labels)
            return
        self._write_file(names[0], records[0], sync=self.durable)
        self._label_writer.write(f"{first_id},{labels[0]}\n")
        self._sync_file(self._label_writer)
        self._sync_folder()

    def _write_file(self, name: str, record: bytes, *, sync: bool) -> None:
        with open(self.location / name, "wb") as handle:
            handle.write(record)
            if sync:
                handle.flush()
                os.fsync(handle.fileno())

    def _end_write(self) -> None:
        """A batch: the labels file, then everything synced at once when durable."""
        if self._label_writer is not None:  # every line is written and synced already
            self._label_writer.close()
            self._label_writer = None
            return
        labels = np.array(self._batch_labels, dtype=np.int64)
        with open(self.location / LABELS_FILE, "w", encoding="ascii") as handle:
            handle.write(_labels_csv(labels, None))
        if self.durable and not sync_file_system(self.location):
            names = [*self._batch_names, LABELS_FILE]
            sync_files([self.location / name for name in names])
        self._sync_folder()

    def _abort_write(self) -> None:
        if self._label_writer is not None:
            self._label_writer.close()
            self._label_writer = None

    # -- reading -----------------------------------------------------------------------

    def _open_records(self) -> None:
        """The labels read once (row i must be id i, as many rows as the marker says);
        an ``original`` store's file names listed once, as their suffixes vary."""
        labels, _ = _parse_labels_csv((self.location / LABELS_FILE).read_text("ascii"))
        count = int(read_marker(self.marker_path)["count"])
        if len(labels) != count:
            raise CorruptStore(f"{LABELS_FILE} lists {len(labels)} images, the store {count}")
        self._names = self._listed_names(count) if self.codec.codec_id == "original" else None
        self._labels = labels

    def _listed_names(self, count: int) -> list[str]:
        """Image i's file name for each id, from one listing of the folder."""
        names: list[str | None] = [None] * count
        with os.scandir(self.location) as entries:
            for entry in entries:
                match = RECORD_NAME.fullmatch(entry.name)
                if match is None or int(match.group(1)) >= count:
                    continue
                image_id = int(match.group(1))
                if names[image_id] is not None:
                    raise CorruptStore(f"two files hold image {image_id}")
                names[image_id] = entry.name
        missing = [i for i, name in enumerate(names) if name is None]
        if missing:
            raise CorruptStore(f"no file holds image {missing[0]} ({len(missing)} missing)")
        return [name for name in names if name is not None]

    def _record(self, image_id: int) -> Record:
        names = self._names
        name = record_name(image_id, self._suffix) if names is None else names[image_id]
        with open(os.path.join(self._folder, name), "rb", buffering=0) as handle:
            return handle.read()

    def _close_readers(self) -> None:
        self._names = None
