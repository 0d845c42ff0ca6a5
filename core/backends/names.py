"""What a store's name means: a container, and the encoding its records are in.

A store is named ``container`` or ``container+encoding``. The classic names keep their
meaning (``png`` = files+png, ``lmdb`` = lmdb+raw, ``hdf5`` = hdf5+raw, ``raw``), and a
container alone means its default encoding (``tar`` = tar+raw, ``files`` = files+png). Each
store has one canonical spelling, the one results files and charts use: the default
encoding is left out and ``files+png`` is ``png``.

This module imports no storage library, so parsing a name is cheap and never fails for a
missing extra; whether a container's library is installed is :func:`missing_library`'s
question. Importing it loads nothing heavy at all (the command line's help reads
:data:`CONTAINERS`); the codecs load when a name is parsed.
"""

from __future__ import annotations

import importlib.util
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from ..codecs import Codec

#: Every container, in the order they are shown.
CONTAINERS: Final = ("files", "lmdb", "hdf5", "raw", "tar", "parquet", "zarr")
#: A container's encoding when its name stands alone.
DEFAULT_ENCODING: Final = {"files": "png"}
#: The classic study's stores, by their old names.
CLASSIC: Final = ("png", "lmdb", "hdf5", "raw")
#: The module a container needs beyond the base install, and the extra that brings it.
EXTRA_MODULES: Final = {"parquet": "pyarrow", "zarr": "zarr"}
INSTALL_LINE: Final = 'pip install "imgbench[formats]"'
#: zarr 3 (sharding, variable-length bytes) needs Python 3.11 or newer.
ZARR_PYTHON: Final = (3, 11)


@dataclass(frozen=True)
class StoreName:
    """A parsed store name: the container and the encoding's short name."""

    container: str
    encoding: str

    @property
    def canonical(self) -> str:
        """The one spelling of this store (``png``, ``lmdb``, ``tar+jpeg90``...)."""
        if self.container == "files" and self.encoding == "png":
            return "png"
        if self.encoding == DEFAULT_ENCODING.get(self.container, "raw"):
            return self.container
        return f"{self.container}+{self.encoding}"

    @property
    def classic(self) -> bool:
        """Whether this is one of the study's four stores, with its own backend class."""
        return self.canonical in CLASSIC

    def codec(self) -> Codec:
        from ..codecs import get_codec  # numpy and Pillow: only once a codec is wanted

        return get_codec(self.encoding)


def parse_store(name: str) -> StoreName:
    """The container and encoding a store name means; ValueError in one line otherwise."""
    if not isinstance(name, str) or not name.strip():
        raise ValueError(f"a store is named container or container+encoding, not {name!r}")
    container, _, encoding = name.strip().partition("+")
    if container == "png" and not encoding:
        return StoreName("files", "png")
    if container not in CONTAINERS:
        raise ValueError(
            f"unknown store {name!r}: the container must be one of {', '.join(CONTAINERS)} "
            f"(or png), as in lmdb+jpeg90"
        )
    if "+" in name and not encoding:
        raise ValueError(f"store {name!r} names no encoding after '+'")
    from ..codecs import get_codec  # numpy and Pillow: only once a name is parsed

    encoding = encoding or DEFAULT_ENCODING.get(container, "raw")
    codec = get_codec(encoding)  # raises the list of accepted encodings
    if container == "raw" and codec.codec_id != "raw":
        raise ValueError(f"store {name!r}: the raw container holds raw pixels only")
    return StoreName(container, codec.name)


def canonical_name(name: str) -> str:
    """The one spelling of a store name (``files+png`` -> ``png``, ``tar+raw`` -> ``tar``)."""
    return parse_store(name).canonical


def missing_library(container: str) -> str:
    """Why a container cannot be used in this environment, with the install line; empty
    when it can."""
    module = EXTRA_MODULES.get(container)
    if module is None:
        return ""
    if container == "zarr" and sys.version_info < ZARR_PYTHON:
        return "zarr needs Python 3.11 or newer (zarr 3); this is Python " + ".".join(
            str(part) for part in sys.version_info[:2]
        )
    if importlib.util.find_spec(module) is None:
        return f"{container} needs {module}, which is not installed: {INSTALL_LINE}"
    return ""
