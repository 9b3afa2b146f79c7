"""MNIST and Fashion-MNIST, offline first.

Sources are tried in the order of DESIGN.md principle 6:

1. the folder named by ``HNML_TUTOR_DATA`` (IDX files, gzipped or not, in ``mnist/`` and
   ``fashion-mnist/`` sub-folders, or Keras' ``mnist.npz``),
2. Keras' own cache (``$KERAS_HOME/datasets`` or ``~/.keras/datasets``),
3. Debian's ``dataset-fashion-mnist`` package (``/usr/share/datasets/fashion-mnist``),
4. Keras' normal download, where there is internet.

Whatever the source, the arrays are checked against the published SHA-256 checksums, so a truncated or
foreign file is named instead of silently graded against. Decoded arrays are kept as ``.npy`` files in the
tutor's cache, which makes every later load fast; they are checked against the same checksums on every
load (30–60 ms per data set, almost all of it SHA-256), and a cached copy that differs is decoded again from its source. Nothing
here imports TensorFlow unless the download fallback is reached. The names, checksums and places of the
data sets live in :mod:`hnml_tutor.data_catalog`, which needs no NumPy.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import shutil
import struct
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from hnml_tutor.cache import NotRegular, cache_dir, discard, note_rebuild, open_regular_file
from hnml_tutor.data_catalog import ARRAY_NAMES, CHECKSUMS, IDX_FILES, SHAPES, canonical_name, idx_folder_files, places
from hnml_tutor.errors import TutorError

CLASS_NAMES = {
    "mnist": tuple(str(d) for d in range(10)),
    "fashion-mnist": (
        "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
        "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
    ),
}


@dataclass(frozen=True)
class Dataset:
    """The four arrays of one data set, exactly as Keras returns them (uint8)."""

    name: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray

    @property
    def class_names(self) -> tuple[str, ...]:
        return CLASS_NAMES[self.name]


def read_idx(path: Path) -> np.ndarray:
    """Decode one IDX file (gzipped or plain): images become (n, rows, cols), labels (n,)."""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as handle:
        data = handle.read()
    magic, count = struct.unpack(">II", data[:8])
    if magic == 0x00000803:
        rows, cols = struct.unpack(">II", data[8:16])
        return np.frombuffer(data, np.uint8, offset=16).reshape(count, rows, cols).copy()
    if magic == 0x00000801:
        return np.frombuffer(data, np.uint8, offset=8).copy()
    raise ValueError(f"{path} is not an IDX image or label file (magic number {magic:#x})")


def write_idx_folder(name: str, folder: Path) -> list[Path]:
    """Write data set ``name`` as the four gzipped IDX files (the layout ``HNML_TUTOR_DATA`` reads)."""
    name = canonical_name(name)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for key, array in load_arrays(name).items():
        header = struct.pack(">II", 0x803 if array.ndim == 3 else 0x801, array.shape[0])
        header += b"".join(struct.pack(">I", size) for size in array.shape[1:])
        path = folder / f"{IDX_FILES[key]}.gz"
        with gzip.GzipFile(path, "wb", compresslevel=6, mtime=0) as handle:  # mtime 0: the same bytes every time
            handle.write(header + np.ascontiguousarray(array, dtype=np.uint8).tobytes())
        written.append(path)
    return written


def _load_idx_folder(folder: Path) -> dict[str, np.ndarray] | None:
    files = idx_folder_files(folder)
    if files is None:
        return None
    return {key: read_idx(path) for key, path in files.items()}


def _load_npz(path: Path) -> dict[str, np.ndarray] | None:
    if not path.is_file():
        return None
    with np.load(path, allow_pickle=False) as archive:
        return {key: np.asarray(archive[key]) for key in ARRAY_NAMES}


@dataclass(frozen=True)
class Source:
    """One place a data set may be found; ``load`` returns None when it is not there."""

    description: str
    path: Path

    def load(self) -> dict[str, np.ndarray] | None:
        if self.path.suffix == ".npz":
            return _load_npz(self.path)
        if self.path.is_dir():
            return _load_idx_folder(self.path)
        return None


def local_sources(name: str) -> list[Source]:
    """Every local place the data set may be, in the order they are tried."""
    return [Source(place.description, place.path) for place in places(name)]


def _digest(array: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(array).data).hexdigest()


def _verify(name: str, arrays: dict[str, np.ndarray], origin: str) -> None:
    for key in ARRAY_NAMES:
        if _digest(arrays[key]) != CHECKSUMS[name][key]:
            raise TutorError(
                f"The {name} files at {origin} are not the real {name}: {key} has the wrong checksum "
                f"(shape {arrays[key].shape}, dtype {arrays[key].dtype}).",
                "Replace them with intact copies, or remove them so another source is used.",
            )


def _decoded_dir(name: str) -> Path:
    return cache_dir() / "datasets" / name


class _Damaged(Exception):
    """A decoded cache entry that is not exactly the published data set (the reason is the message)."""


def _read_cached_array(path: Path, key: str) -> np.ndarray:
    """One cached array, read only if its header promises exactly the published shape and dtype, so a
    crafted header can't make the tutor allocate more than the real file holds."""
    try:
        with open_regular_file(path) as handle:
            readers = {(1, 0): np.lib.format.read_array_header_1_0, (2, 0): np.lib.format.read_array_header_2_0}
            reader = readers.get(np.lib.format.read_magic(handle))
            if reader is None:
                raise _Damaged(f"{key}.npy is not in the format the tutor writes")
            shape, fortran, dtype = reader(handle)
            if shape != SHAPES[key] or fortran or dtype != np.uint8:
                raise _Damaged(f"{key}.npy holds {dtype} {shape}, not uint8 {SHAPES[key]}")
            handle.seek(0)
            return np.lib.format.read_array(handle, allow_pickle=False)
    except NotRegular as error:
        raise _Damaged(str(error)) from None
    except (ValueError, OSError, EOFError) as error:
        raise _Damaged(f"{key}.npy is unreadable ({type(error).__name__})") from None


def _read_decoded(name: str) -> dict[str, np.ndarray] | None:
    """The cached arrays if the entry is intact (every array's SHA-256 as published), else None.

    A damaged entry is removed and logged, so the caller decodes the source again and stores a good copy.
    """
    folder = _decoded_dir(name)
    if not os.path.lexists(folder):
        return None
    try:
        arrays = {key: _read_cached_array(folder / f"{key}.npy", key) for key in ARRAY_NAMES}
        for key, array in arrays.items():
            if _digest(array) != CHECKSUMS[name][key]:
                raise _Damaged(f"{key}.npy differs from the published {name}")
        return arrays
    except _Damaged as damage:
        note_rebuild(f"datasets/{name}", str(damage))
        discard(folder)
        return None


def _write_decoded(name: str, arrays: dict[str, np.ndarray]) -> None:
    """Store the decoded arrays; a folder rename makes the four files appear together or not at all."""
    final = _decoded_dir(name)
    try:
        final.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{name}-", dir=final.parent))
    except OSError:
        return  # a read-only cache (a learner's jail): the next load decodes again, nothing is lost
    try:
        for key in ARRAY_NAMES:
            np.save(staging / f"{key}.npy", arrays[key])
        try:
            os.replace(staging, final)
        except OSError:
            pass  # another process finished first; its copy is identical
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _download_with_keras(name: str) -> dict[str, np.ndarray]:
    import keras  # only here: the last resort needs the internet and Keras' downloader

    module = keras.datasets.mnist if name == "mnist" else keras.datasets.fashion_mnist
    (x_train, y_train), (x_test, y_test) = module.load_data()
    return {"x_train": x_train, "y_train": y_train, "x_test": x_test, "y_test": y_test}


def _no_data_error(name: str, tried: list[str], download_error: str) -> TutorError:
    looked = "\n".join(f"  - {line}" for line in tried)
    return TutorError(
        f"Could not find the {name} data set. Looked in:\n{looked}\n"
        f"  - Keras' download: {download_error}",
        "Point HNML_TUTOR_DATA at a folder holding "
        f"{name}/train-images-idx3-ubyte.gz and the other three IDX files "
        "(for example `export HNML_TUTOR_DATA=/path/to/data`), or connect to the internet once so "
        "Keras can download it.",
    )


def load_arrays(name: str) -> dict[str, np.ndarray]:
    """The four uint8 arrays of ``name``, from the fastest source that has them."""
    name = canonical_name(name)
    cached = _read_decoded(name)
    if cached is not None:
        return cached
    tried = []
    for source in local_sources(name):
        arrays = source.load()
        if arrays is None:
            tried.append(f"{source.description}: {source.path} (not there)")
            continue
        _verify(name, arrays, str(source.path))
        _write_decoded(name, arrays)
        return arrays
    if os.environ.get("HNML_TUTOR_OFFLINE"):
        raise _no_data_error(name, tried, "skipped (HNML_TUTOR_OFFLINE is set)")
    try:
        arrays = _download_with_keras(name)
    except Exception as error:  # any failure of the download is reported with the sources we tried
        raise _no_data_error(name, tried, f"failed ({type(error).__name__}: {error})") from None
    _verify(name, arrays, "Keras' download")
    _write_decoded(name, arrays)
    return arrays


def load(name: str) -> Dataset:
    """The data set ``name`` ('mnist' or 'fashion-mnist') as a :class:`Dataset`."""
    name = canonical_name(name)
    return Dataset(name=name, **load_arrays(name))


def load_data(name: str) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """``(x_train, y_train), (x_test, y_test)`` of ``name``, as ``keras.datasets.<name>.load_data()`` returns
    them, from the tutor's offline sources: for a learner's own code where Keras' MNIST check cannot be met.

    A learner's own script is not started by the tutor, so a relative ``HNML_TUTOR_DATA`` is resolved here by
    the tutor's rule (:mod:`hnml_tutor.data_folder`), and finds the same folder ``hnml-tutor`` would.
    """
    value = os.environ.get("HNML_TUTOR_DATA", "")
    if value and not os.path.isabs(os.path.expanduser(value)):  # never in the sandbox, which gets absolute paths
        from hnml_tutor.data_folder import pin  # not in the sandbox's runtime

        pin()
    arrays = load_arrays(name)
    return (arrays["x_train"], arrays["y_train"]), (arrays["x_test"], arrays["y_test"])
