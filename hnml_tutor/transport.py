"""How values cross the boundary between the grader and the learner's child process.

Arguments go in and return values come out as small JSON descriptions that point at files in the job's
folder: arrays as ``.npy``, Keras models as ``.keras``, a ``History`` as its numbers plus its model, lists,
tuples and string-keyed dicts as JSON around those. Nothing is pickled, so nothing the learner returns can
run code in the grader; models are loaded with ``safe_mode=True``; files are read back only when they are
regular files inside the job folder (:mod:`hnml_tutor.job_files`). Keras is imported only when a model
actually has to be loaded.

The child writes ``result.json``, and learner code runs in that same process, so every description is
read as untrusted: a malformed one becomes an :class:`Opaque` value that fails the learner's own check.
"""

from __future__ import annotations

import math
import os
import reprlib
import shutil
import uuid
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from hnml_tutor.job_files import NotARegularFile, copy_out, is_plain_name, open_regular

MAX_ITEMS = 32  # items of one list or tuple passed on; the length is always kept
MAX_KEYS = 64  # keys of one dict; a larger dict is described, not passed on
MAX_DEPTH = 8  # containers inside containers
MAX_VALUES = 512  # values in one returned value, all levels together, so no nesting can explode
MAX_TEXT = 1000  # characters of a returned string
MB = 1000 * 1000
# Bytes of returned arrays and models one run may hand back, all calls together. The grader reads every one
# into its own memory, outside the learner's limit, so this caps what a learner's code can make the tutor
# hold. A fixed 1 GB, not the run's memory limit: the tutor grades several learners at once, and the
# largest honest return (Fashion-MNIST scaled to float64, about 440 MB) still fits twice.
MAX_RETURNED_BYTES = 1000 * MB
JOB_FILES = frozenset({"job.json", "result.json", "result.json.tmp", "output.log", "progress.json",
                       "progress.json.tmp"})  # the sandbox's own

_REPR = reprlib.Repr()
_REPR.maxstring, _REPR.maxother, _REPR.maxlist, _REPR.maxdict = 200, 300, 8, 8


@dataclass(frozen=True)
class ModelFile:
    """A saved ``.keras`` model; loaded on first use, with ``safe_mode=True``."""

    path: Path

    def load(self):
        import keras

        return keras.models.load_model(self.path, safe_mode=True)


@dataclass(frozen=True)
class Reference:
    """An argument: the reference artefact registered as ``name`` (e.g. a freshly built model), which the
    grader builds and hands over as a value or a file in the job folder."""

    name: str


@dataclass(frozen=True)
class HistoryRecord:
    """What a ``keras.callbacks.History`` holds: per-epoch metrics, fit parameters and the model."""

    history: dict[str, list[float]]
    params: dict[str, Any]
    epoch: list[int]
    model: ModelFile | ModelSaveError | Opaque | None


@dataclass(frozen=True)
class Opaque:
    """A returned value of a type the grader does not take (described, never unpickled)."""

    type_name: str
    text: str


@dataclass(frozen=True)
class ModelSaveError:
    """A returned model that could not be saved, for example because it uses a Lambda layer.

    ``subclassed`` says the model is an instance of the learner's own subclass of ``keras.Model``: such a
    model is never saved, since only the learner's code could load it again.
    """

    type_name: str
    message: str
    subclassed: bool = False

    @property
    def class_name(self) -> str:
        """The class as the learner wrote it (``MyModel``), without the module it was found in."""
        return self.type_name.rsplit(".", 1)[-1]


@dataclass(frozen=True)
class TruncatedSequence:
    """A returned list or tuple too long to pass on whole: its length and its first items only.

    Deliberately not a list, so no check mistakes the first items for all of them.
    """

    type_name: str
    length: int
    items: tuple


@dataclass(frozen=True)
class OutputPath:
    """An argument: a path for the learner's function to write to, e.g. ``save_model(model, path)``.

    The child receives an absolute path string ``<job folder>/<name>``; afterwards :func:`written_file`
    reads back what was written there.
    """

    name: str

    def __post_init__(self) -> None:
        _check_file_name(self.name)


@dataclass(frozen=True)
class InputFile:
    """An argument: a file of the grader's for the learner's function to read, e.g. ``load_model(path)``.

    It is copied into the job folder (as ``name``, by default the source's own name), so the learner
    reads a copy and never learns where the grader keeps the original; the child receives its path.
    """

    source: Path
    name: str = ""

    @property
    def file_name(self) -> str:
        return self.name or Path(self.source).name

    def __post_init__(self) -> None:
        _check_file_name(self.file_name)


@dataclass(frozen=True)
class WrittenFile:
    """A regular file the learner's code wrote where the grader asked, copied to a fresh name.

    ``path`` is the grader's copy, so what the grader opens is exactly what was checked; it keeps the
    requested suffix (Keras loads ``.keras`` files only).
    """

    name: str
    path: Path
    size: int


@dataclass(frozen=True)
class NotAFile:
    """What stood where the grader asked for a file: nothing, a folder, a link, a pipe… (``found``)."""

    name: str
    found: str


def _check_file_name(name: str) -> None:
    if not is_plain_name(name) or name in JOB_FILES:
        raise ValueError(f"{name!r} can't name a file in the job folder: use a plain file name such as "
                         "'model.keras' that is not one of the sandbox's own files")


def _fresh_name(stem: str, suffix: str) -> str:
    """A file name no other value of this job uses."""
    return f"{stem}_{uuid.uuid4().hex[:12]}{suffix}"


def _type_name(value: Any) -> str:
    kind = type(value)
    return kind.__name__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__qualname__}"


def _is_keras_model(value: Any) -> bool:
    """Whether ``value`` is a Keras model, told from its classes' names alone: it imports nothing, so it is as
    safe in the child as in a grader whose background Keras import is still running."""
    return any(cls.__name__ in {"Model", "Sequential", "Functional"} and cls.__module__.startswith("keras")
               for cls in type(value).__mro__)


def _is_history(value: Any) -> bool:
    return any(cls.__name__ == "History" and cls.__module__.startswith("keras") for cls in type(value).__mro__)


def _is_subclassed_model(model: Any) -> bool:
    """A model of the learner's own class (``class MyModel(keras.Model)`` with ``call()``), not Keras' own."""
    return not type(model).__module__.startswith("keras.")


def _plain_number(value: float) -> float | str:
    """JSON has no NaN or infinity; keep them as strings so a diverged loss is still reported."""
    return value if math.isfinite(value) else repr(value)


def _plain_int(value: int) -> int | float | str:
    """An integer as JSON; one too large for a 64-bit integer travels as a float (or infinity)."""
    if -(2**63) <= value < 2**64:
        return value
    try:
        return _plain_number(float(value))
    except OverflowError:
        return repr(math.inf if value > 0 else -math.inf)


def safe_str(value: Any, limit: int = MAX_TEXT) -> str:
    """``str(value)``, at most ``limit`` characters, for a value that may be the learner's: it never raises.

    A learner's ``__str__`` may raise, return something that is not a string, or be a string subclass of
    their own; describing it must not end the child, which would lose the results of every call.
    """
    try:
        return str.__str__(str(value))[:limit]  # a subclass's own slicing is never called
    except BaseException as error:  # a SystemExit or KeyboardInterrupt raised by __str__ included
        return f"<str() of {type(value).__name__} raised {type(error).__name__}>"


def short_repr(value: Any) -> str:
    """A short ``repr()`` of a value that may be the learner's; never raises."""
    try:
        return _REPR.repr(value)
    except BaseException as error:  # a learner's __repr__ may raise (even SystemExit); the value is still described
        return f"<{_type_name(value)} whose repr() raised {type(error).__name__}>"


def _opaque(value: Any, text: str | None = None) -> dict:
    return {"kind": "opaque", "type": _type_name(value), "text": short_repr(value) if text is None else text}


def _history_numbers(history: Any) -> dict[str, list[float | str]]:
    """``History.history`` as JSON: metrics whose per-epoch values are plain numbers."""
    numbers = {}
    for key, values in (history.items() if isinstance(history, dict) else ()):
        try:
            numbers[str(key)] = [_plain_number(float(v)) for v in values]
        except (TypeError, ValueError):
            continue  # a metric with a vector per epoch (e.g. per-class F1) is not a curve to grade
    return numbers


class ReturnedBytes:
    """What one run's returned arrays and models have written so far, counted across all its calls.

    The child keeps one for the whole run and passes it to every :func:`encode_value`: each file is
    capped by the sandbox, but without a total, three calls returning eight 400 MiB arrays each made the
    tutor read 9.6 GB. A value that would pass ``limit`` is left out, and says so.
    """

    def __init__(self, limit: int = MAX_RETURNED_BYTES) -> None:
        self.limit = limit
        self.written = 0  # bytes in files the grader will read
        self.returned = 0  # bytes the learner's code returned, left-out values included

    def refusal(self, size: int) -> str | None:
        """Count a value of ``size`` bytes; why it is left out, or None when it may be written."""
        self.returned += size
        if self.written + size > self.limit:
            return (f"too big to hand back: {self.returned / MB:.0f} MB returned in total, "
                    f"the limit is {self.limit / MB:.0f} MB")
        self.written += size
        return None


class _Encoder:
    """Describes one returned value (child side), spending a budget of :data:`MAX_VALUES` values.

    The budget and :data:`MAX_DEPTH` keep a self-containing list or a deep nest of small lists from
    turning into millions of files; whatever is left out is marked, never silently dropped. Bytes are
    spent from the run's :class:`ReturnedBytes`; an array or model that appears several times in the value
    (``(a,) * 8``) is written once, and every place points at that file.
    """

    def __init__(self, folder: Path, returned: ReturnedBytes) -> None:
        self.folder = folder
        self.budget = MAX_VALUES
        self.returned = returned
        self.written: dict[int, tuple[Any, dict]] = {}  # id → (the object, kept alive so ids stay unique; its spec)

    def _once(self, value: Any, write) -> dict:
        """``write(value)``'s description, computed only the first time this object is met."""
        if id(value) not in self.written:
            self.written[id(value)] = (value, write(value))
        return self.written[id(value)][1]

    def encode(self, value: Any, depth: int = 0) -> dict:
        self.budget -= 1
        if value is None:
            return {"kind": "none"}
        if isinstance(value, (bool, np.bool_)):
            return {"kind": "bool", "value": bool(value)}
        if isinstance(value, (int, np.integer)):
            return {"kind": "number", "value": _plain_int(int(value)), "type": _type_name(value)}
        if isinstance(value, (float, np.floating)):
            return {"kind": "number", "value": _plain_number(float(value)), "type": _type_name(value)}
        if isinstance(value, str):
            return {"kind": "str", "value": str(value[:MAX_TEXT])}
        if _is_history(value):
            return self._history(value)
        if _is_keras_model(value):
            return self._once(value, self._model)
        if isinstance(value, np.ndarray) or hasattr(value, "__array__"):
            return self._array(value)
        if isinstance(value, (list, tuple)):
            return self._sequence(value, depth)
        if isinstance(value, dict):
            return self._dict(value, depth)
        return _opaque(value)

    def _history(self, value: Any) -> dict:
        model = getattr(value, "model", None)
        params = {k: v for k, v in (getattr(value, "params", None) or {}).items()
                  if isinstance(k, str) and isinstance(v, (int, float, str, bool))}
        return {
            "kind": "history",
            "history": _history_numbers(getattr(value, "history", None)),
            "params": params,
            "epoch": [int(e) for e in getattr(value, "epoch", [])],
            "model": self._once(model, self._model) if model is not None else None,
        }

    def _model(self, model: Any) -> dict:
        if _is_subclassed_model(model):
            return {"kind": "model_error", "type": _type_name(model), "subclassed": True,
                    "message": f"{type(model).__name__} is a subclass of keras.Model, defined in your code"}
        path = self.folder / _fresh_name("model", ".keras")
        try:
            # An unbuilt model (no Input yet) is a legitimate answer to grade; Keras' warning about saving it
            # would land in "your code printed" although the save is the tutor's, so it is left out.
            with warnings.catch_warnings():
                warnings.filterwarnings("ignore", message="You are saving a model that has not yet been built")
                model.save(path)
        except Exception as error:  # the learner's model may be unsaveable; say so instead of crashing
            return {"kind": "model_error", "type": _type_name(model),
                    "message": f"{type(error).__name__}: {safe_str(error)}"}
        refused = self.returned.refusal(path.stat().st_size)  # a model's size is known only once saved
        if refused:
            path.unlink()
            return _opaque(model, refused)
        return {"kind": "model", "path": path.name}

    def _array(self, value: Any) -> dict:
        return self._once(value, self._write_array)

    def _write_array(self, value: Any) -> dict:
        try:
            array = np.asarray(value)
        except Exception as error:  # e.g. a symbolic KerasTensor, which has no values to give
            return _opaque(value, f"not convertible to an array ({type(error).__name__})")
        if array.dtype.hasobject:
            return _opaque(value)
        refused = self.returned.refusal(array.nbytes)
        if refused:
            return _opaque(value, refused)
        name = _fresh_name("array", ".npy")
        np.save(self.folder / name, array, allow_pickle=False)
        return {"kind": "array", "path": name, "type": _type_name(value)}

    def _sequence(self, value: list | tuple, depth: int) -> dict:
        items = []
        if depth < MAX_DEPTH:
            for item in value:
                if len(items) == MAX_ITEMS or self.budget <= 0:
                    break
                items.append(self.encode(item, depth + 1))
        return {"kind": "sequence", "type": _type_name(value), "tuple": isinstance(value, tuple),
                "length": len(value), "items": items, "truncated": len(items) < len(value)}

    def _dict(self, value: dict, depth: int) -> dict:
        keys = list(value)
        count = f"{len(keys)} key{'' if len(keys) == 1 else 's'}"
        shown = ", ".join(short_repr(key) for key in keys[:8]) + (", …" if len(keys) > 8 else "")
        if not all(isinstance(key, str) for key in keys):
            return _opaque(value, f"{count}, not all of them strings: {shown}")
        if len(keys) > MAX_KEYS:
            return _opaque(value, f"{count}, more than the grader takes ({MAX_KEYS}): {shown}")
        if depth >= MAX_DEPTH:
            return _opaque(value, f"{count}, nested too deeply to pass on: {shown}")
        # Plain values first, containers last: a long list of losses beside the weights may use up the
        # budget, but only for itself — the weights still arrive, and only that entry is marked as left out.
        entries = {}
        for key in sorted(keys, key=lambda k: isinstance(value[k], (list, tuple, dict))):
            if self.budget <= 0:
                entries[str(key)] = _opaque(value[key], f"not passed on: the dict holds more than the "
                                                        f"{MAX_VALUES} values the grader takes")
            else:
                entries[str(key)] = self.encode(value[key], depth + 1)
        return {"kind": "dict", "type": _type_name(value), "entries": {str(key): entries[str(key)] for key in keys}}


def encode_value(value: Any, folder: Path, returned: ReturnedBytes | None = None) -> dict:
    """Describe ``value`` as JSON, writing arrays and models to ``folder`` (child side).

    ``returned`` counts the bytes written by every value of the run; the child passes the same one to each
    call (a fresh one, by default, gives this value alone the whole :data:`MAX_RETURNED_BYTES`).

    Never raises for an ordinary error: a value that breaks while being described (a learner's class
    whose ``__len__`` raises, say) comes back as an opaque value instead of losing the whole run.
    """
    try:
        return _Encoder(folder, returned or ReturnedBytes()).encode(value)
    except BaseException as error:  # learner code (``__array__``, ``__len__``…) may raise even SystemExit
        return _opaque(value, f"could not be passed to the grader ({type(error).__name__}: {safe_str(error, 200)})")


class _Malformed(Exception):
    """A description no honest child writes."""


def _number(value: Any) -> int | float:
    if isinstance(value, str) and value in {"nan", "inf", "-inf"}:
        return float(value)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    raise _Malformed(f"not a number: {value!r:.40}")


class _ArrayReader:
    """Reads the array files of one returned value (grader side): each file once, however many places
    name it, and no more than :data:`MAX_RETURNED_BYTES` in all, even if the child's own count was
    tampered with (learner code runs in the child)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.arrays: dict[str, np.ndarray | Opaque] = {}
        self.size = 0

    def __call__(self, spec: dict) -> np.ndarray | Opaque:
        path = str(spec["path"])
        if path not in self.arrays:
            self.arrays[path] = self._read(path)
        return self.arrays[path]

    def _read(self, path: str) -> np.ndarray | Opaque:
        try:
            with open_regular(self.folder, path) as handle:
                self.size += os.fstat(handle.fileno()).st_size
                if self.size > MAX_RETURNED_BYTES:
                    return Opaque("array", f"not read by the grader: too big to hand back, {self.size / MB:.0f} MB "
                                           f"in this value, the limit is {MAX_RETURNED_BYTES / MB:.0f} MB")
                return np.lib.format.read_array(handle, allow_pickle=False)
        except NotARegularFile as refused:
            return Opaque("array", f"not read by the grader: {refused.found}")
        except (ValueError, OSError, EOFError) as error:
            return Opaque("array", f"an array file the grader could not read ({type(error).__name__})")


def _decode_model(spec: dict, folder: Path) -> ModelFile | Opaque:
    try:
        copy, _ = copy_out(folder, spec["path"], ".keras")
    except NotARegularFile as refused:
        return Opaque("model", f"not read by the grader: {refused.found}")
    return ModelFile(copy)


def _decode(spec: Any, folder: Path, depth: int, arrays: _ArrayReader) -> Any:
    if not isinstance(spec, dict) or depth > MAX_DEPTH:
        raise _Malformed("not a value description")
    kind = spec.get("kind")
    if kind == "none":
        return None
    if kind == "bool":
        return bool(spec["value"])
    if kind == "str":
        return str(spec["value"])
    if kind == "number":
        return _number(spec["value"])
    if kind == "array":
        return arrays(spec)
    if kind == "model":
        return _decode_model(spec, folder)
    if kind == "model_error":
        return ModelSaveError(str(spec["type"]), str(spec["message"]), spec.get("subclassed") is True)
    if kind == "history":
        model = _decode(spec["model"], folder, depth + 1, arrays) if spec.get("model") else None
        history = {str(k): [float(_number(v)) for v in values] for k, values in spec["history"].items()}
        return HistoryRecord(history, dict(spec["params"]), [int(e) for e in spec["epoch"]], model)
    if kind == "sequence":
        items = [_decode(item, folder, depth + 1, arrays) for item in spec["items"]]
        if spec.get("truncated"):
            return TruncatedSequence(str(spec["type"]), int(spec["length"]), tuple(items))
        return tuple(items) if spec.get("tuple") else items
    if kind == "dict":
        return {str(key): _decode(item, folder, depth + 1, arrays) for key, item in spec["entries"].items()}
    return Opaque(str(spec.get("type", "?")), str(spec.get("text", "")))


def decode_value(spec: dict, folder: Path) -> Any:
    """Turn a description from :func:`encode_value` back into data (grader side).

    Arrays are read from regular files only, each file once (the same array returned twice is one
    object here too) and :data:`MAX_RETURNED_BYTES` at most; a model is copied through a checked descriptor to a fresh
    name before anything loads it; a malformed description becomes an :class:`Opaque` value.
    """
    try:
        return _decode(spec, Path(folder), 0, _ArrayReader(Path(folder)))
    except (_Malformed, KeyError, TypeError, ValueError, AttributeError):
        return Opaque("?", "a value the grader could not read")


def encode_argument(value: Any, folder: Path, index: str) -> dict:
    """Describe one argument the grader passes to the learner's function (grader side).

    Everything the child receives is a value or a file inside the job folder: a reference artefact is
    built here, by the grader, and a model file is copied in. The child never learns where the grader
    keeps its cache or its solutions, and never runs their code.
    """
    if isinstance(value, Reference):
        from hnml_tutor import reference

        return encode_argument(reference.get(value.name), folder, index)
    if isinstance(value, np.ndarray):
        name = f"arg_{index}.npy"
        np.save(folder / name, value, allow_pickle=False)
        return {"kind": "array", "path": name}
    if isinstance(value, ModelFile):
        name = f"arg_{index}.keras"
        shutil.copyfile(value.path, folder / name)
        return {"kind": "model_file", "path": name}
    if _is_keras_model(value):
        name = f"arg_{index}.keras"
        value.save(folder / name)
        return {"kind": "model_file", "path": name}
    if isinstance(value, OutputPath):
        return {"kind": "file_path", "name": value.name}
    if isinstance(value, InputFile):
        shutil.copyfile(value.source, folder / value.file_name)
        return {"kind": "file_path", "name": value.file_name}
    return {"kind": "json", "value": value}


def decode_argument(spec: dict, folder: Path) -> Any:
    """Rebuild an argument inside the child process, from files in its job folder only."""
    kind = spec["kind"]
    if kind == "array":
        return np.load(folder / spec["path"], allow_pickle=False)
    if kind == "model_file":
        # The grader's compiled, untrained model has an optimizer with no variables yet, and Keras warns about
        # that on every load: a line of the tutor's own in "your code printed", so it is left out.
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="Skipping variable loading for optimizer")
            return ModelFile(folder / spec["path"]).load()
    if kind == "file_path":
        return os.path.join(os.path.abspath(folder), spec["name"])
    return spec["value"]


def written_file(folder: Path, output: OutputPath) -> WrittenFile | NotAFile:
    """What the learner's code wrote at ``output`` in the job ``folder`` (grader side).

    A :class:`WrittenFile` only if a regular file of its own stands there; otherwise a :class:`NotAFile`
    saying what does (nothing, a folder, a symbolic link, a named pipe…), so the check can tell the
    learner. A named pipe is never opened, so nothing the learner leaves can make the grader wait.
    """
    try:
        copy, size = copy_out(Path(folder), output.name, Path(output.name).suffix)
    except NotARegularFile as refused:
        return NotAFile(output.name, refused.found)
    return WrittenFile(output.name, copy, size)
