"""Whether one data file holds exactly the published data, checked with the standard library alone.

``hnml-tutor data`` and ``hnml-tutor data install`` must not import NumPy (the first is meant to answer at
once, the second copies files). An IDX file and a ``.npy`` array of ``uint8`` are both a small header
followed by the array's bytes, so the published SHA-256 of each array can be checked on those bytes
directly, with the header checked to promise exactly the published shape.
"""

from __future__ import annotations

import ast
import gzip
import hashlib
import math
import struct
from pathlib import Path

from hnml_tutor.cache import NotRegular, open_regular_file, sha256_file
from hnml_tutor.data_catalog import CHECKSUMS, SHAPES

IDX_MAGIC = {3: 0x00000803, 1: 0x00000801}  # images (count, rows, cols), labels (count)
NPY_MAGIC = b"\x93NUMPY"


def idx_header(key: str) -> bytes:
    """The IDX header of array ``key`` at its published shape (the same for both data sets)."""
    shape = SHAPES[key]
    return struct.pack(">I", IDX_MAGIC[len(shape)]) + b"".join(struct.pack(">I", size) for size in shape)


def idx_bytes_match(raw: bytes, name: str, key: str) -> bool:
    """Whether ``raw`` (a whole IDX file, uncompressed) is array ``key`` of data set ``name``."""
    header = idx_header(key)
    return raw.startswith(header) and hashlib.sha256(raw[len(header):]).hexdigest() == CHECKSUMS[name][key]


def payload_size(key: str) -> int:
    """Bytes of array ``key`` (one byte per pixel or label)."""
    return math.prod(SHAPES[key])


def read_idx_bytes(path: Path, key: str) -> bytes | None:
    """The uncompressed bytes of the IDX file at ``path`` (gzipped when it ends in ``.gz``), or None when it
    cannot be read. Reads at most one byte more than the real file holds, so no file can make this slow."""
    limit = len(idx_header(key)) + payload_size(key) + 1
    try:
        with open_regular_file(path) as handle:
            if path.suffix == ".gz":
                with gzip.GzipFile(fileobj=handle) as unpacked:
                    return unpacked.read(limit)
            return handle.read(limit)
    except (NotRegular, OSError, EOFError, gzip.BadGzipFile):
        return None


def idx_file_matches(path: Path, name: str, key: str) -> bool:
    """Whether the IDX file at ``path`` holds exactly array ``key`` of data set ``name``."""
    raw = read_idx_bytes(path, key)
    return raw is not None and idx_bytes_match(raw, name, key)


def _skip_npy_header(handle, key: str) -> bool:
    """Read past a ``.npy`` header; True when it promises ``uint8`` in C order at ``key``'s published shape."""
    if handle.read(6) != NPY_MAGIC:
        return False
    size_format = "<H" if handle.read(2)[:1] == b"\x01" else "<I"
    (header_size,) = struct.unpack(size_format, handle.read(struct.calcsize(size_format)))
    header = ast.literal_eval(handle.read(header_size).decode("latin-1"))
    return (isinstance(header, dict) and header.get("descr") in ("|u1", "u1")
            and header.get("fortran_order") is False and tuple(header.get("shape", ())) == SHAPES[key])


def _read_npy(path: Path, key: str, *, data: bool) -> bytes | None:
    """The array bytes after a good header (``b""`` when ``data`` is False), or None."""
    try:
        with open_regular_file(path) as handle:
            if not _skip_npy_header(handle, key):
                return None
            body = handle.read(payload_size(key) + 1) if data else b""
    except (NotRegular, OSError, ValueError, SyntaxError, MemoryError, struct.error, UnicodeDecodeError):
        return None
    return body


def npy_header_matches(path: Path, key: str) -> bool:
    """Whether a ``.npy`` file of the tutor's cache declares array ``key``'s shape and dtype (fast: the
    bytes are not hashed; the tutor hashes them on every load)."""
    return _read_npy(path, key, data=False) is not None


def npy_array_bytes(path: Path, name: str, key: str) -> bytes | None:
    """The array bytes of a ``.npy`` file of the tutor's cache if it is exactly array ``key`` of ``name``
    (``uint8``, C order, the published shape and SHA-256); None for anything else."""
    body = _read_npy(path, key, data=True)
    return body if body is not None and hashlib.sha256(body).hexdigest() == CHECKSUMS[name][key] else None


def file_sha256(path: Path) -> str | None:
    """SHA-256 of a regular file's bytes, or None when it is not a readable regular file."""
    try:
        return sha256_file(path)
    except (NotRegular, OSError):
        return None
