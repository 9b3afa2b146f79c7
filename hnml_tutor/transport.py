"""How values cross the boundary between the grader and the learner's child process.

Arguments go in and return values come out as small JSON descriptions that point at files in the job's
folder: arrays as ``.npy``, Keras models as ``.keras``, a ``History`` as its numbers plus its model.
Nothing is pickled, so nothing the learner returns can run code in the grader; models are loaded with
``safe_mode=True``. Keras is imported only when a model actually has to be loaded.
"""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

MAX_SEQUENCE = 32


@dataclass(frozen=True)
class ModelFile:
    """A saved ``.keras`` model; loaded on first use, with ``safe_mode=True``."""

    path: Path

    def load(self):
        import keras

        return keras.models.load_model(self.path, safe_mode=True)


@dataclass(frozen=True)
class Reference:
    """Asks the child for the reference artefact registered as ``name`` (e.g. a freshly built model)."""

    name: str


@dataclass(frozen=True)
class HistoryRecord:
    """What a ``keras.callbacks.History`` holds: per-epoch metrics, fit parameters and the model."""

    history: dict[str, list[float]]
    params: dict[str, Any]
    epoch: list[int]
    model: ModelFile | None


@dataclass(frozen=True)
class Opaque:
    """A returned value of a type the grader does not take (described, never unpickled)."""

    type_name: str
    text: str


@dataclass(frozen=True)
class ModelSaveError:
    """A returned model that could not be saved, for example because it uses a Lambda layer."""

    type_name: str
    message: str


def _fresh_name(stem: str, suffix: str) -> str:
    """A file name no other value of this job uses."""
    return f"{stem}_{uuid.uuid4().hex[:12]}{suffix}"


def _type_name(value: Any) -> str:
    kind = type(value)
    return kind.__name__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__qualname__}"


def _is_keras_model(value: Any) -> bool:
    return any(cls.__name__ in {"Model", "Sequential", "Functional"} and cls.__module__.startswith("keras")
               for cls in type(value).__mro__)


def _is_history(value: Any) -> bool:
    return any(cls.__name__ == "History" and cls.__module__.startswith("keras") for cls in type(value).__mro__)


def _encode_model(model: Any, folder: Path) -> dict:
    name = _fresh_name("model", ".keras")
    try:
        model.save(folder / name)
    except Exception as error:  # the learner's model may be unsaveable; say so instead of crashing
        return {"kind": "model_error", "type": _type_name(model), "message": f"{type(error).__name__}: {error}"}
    return {"kind": "model", "path": name}


def _plain_number(value: float) -> float | str:
    """JSON has no NaN or infinity; keep them as strings so a diverged loss is still reported."""
    return value if math.isfinite(value) else repr(value)


def encode_value(value: Any, folder: Path) -> dict:
    """Describe ``value`` as JSON, writing arrays and models to ``folder`` (child side)."""
    if value is None:
        return {"kind": "none"}
    if isinstance(value, (bool, np.bool_)):
        return {"kind": "bool", "value": bool(value)}
    if isinstance(value, (int, float, np.integer, np.floating)):
        return {"kind": "number", "value": _plain_number(float(value)), "type": _type_name(value)}
    if isinstance(value, str):
        return {"kind": "str", "value": value[:1000]}
    if _is_history(value):
        history = {key: [_plain_number(float(v)) for v in values] for key, values in value.history.items()}
        model = getattr(value, "model", None)
        params = {k: v for k, v in (value.params or {}).items() if isinstance(v, (int, float, str, bool))}
        return {
            "kind": "history",
            "history": history,
            "params": params,
            "epoch": [int(e) for e in getattr(value, "epoch", [])],
            "model": _encode_model(model, folder) if model is not None else None,
        }
    if _is_keras_model(value):
        return _encode_model(value, folder)
    if isinstance(value, np.ndarray) or hasattr(value, "__array__"):
        array = np.asarray(value)
        if array.dtype == object:
            return {"kind": "opaque", "type": _type_name(value), "text": repr(value)[:300]}
        name = _fresh_name("array", ".npy")
        np.save(folder / name, array, allow_pickle=False)
        return {"kind": "array", "path": name, "type": _type_name(value)}
    if isinstance(value, (list, tuple)):
        items = [encode_value(item, folder) for item in list(value)[:MAX_SEQUENCE]]
        return {"kind": "sequence", "type": _type_name(value), "length": len(value), "items": items}
    if isinstance(value, dict):
        return {"kind": "opaque", "type": "dict", "text": repr(value)[:300]}
    return {"kind": "opaque", "type": _type_name(value), "text": repr(value)[:300]}


def decode_value(spec: dict, folder: Path) -> Any:
    """Turn a description from :func:`encode_value` back into data (grader side)."""
    kind = spec["kind"]
    if kind == "none":
        return None
    if kind in {"bool", "str"}:
        return spec["value"]
    if kind == "number":
        value = spec["value"]
        return float(value) if isinstance(value, str) else value
    if kind == "array":
        return np.load(folder / spec["path"], allow_pickle=False)
    if kind == "model":
        return ModelFile(folder / spec["path"])
    if kind == "model_error":
        return ModelSaveError(spec["type"], spec["message"])
    if kind == "history":
        model = decode_value(spec["model"], folder) if spec.get("model") else None
        history = {k: [float(v) for v in values] for k, values in spec["history"].items()}
        return HistoryRecord(history, spec["params"], spec["epoch"], model)
    if kind == "sequence":
        items = [decode_value(item, folder) for item in spec["items"]]
        return tuple(items) if spec["type"] == "tuple" else items
    return Opaque(spec.get("type", "?"), spec.get("text", ""))


def encode_argument(value: Any, folder: Path, index: int) -> dict:
    """Describe one argument the grader passes to the learner's function (grader side)."""
    if isinstance(value, np.ndarray):
        name = f"arg_{index}.npy"
        np.save(folder / name, value, allow_pickle=False)
        return {"kind": "array", "path": name}
    if isinstance(value, ModelFile):
        return {"kind": "model_file", "path": str(value.path)}
    if isinstance(value, Reference):
        return {"kind": "reference", "name": value.name}
    return {"kind": "json", "value": value}


def decode_argument(spec: dict, folder: Path) -> Any:
    """Rebuild an argument inside the child process."""
    kind = spec["kind"]
    if kind == "array":
        return np.load(folder / spec["path"], allow_pickle=False)
    if kind == "model_file":
        return ModelFile(Path(spec["path"])).load()
    if kind == "reference":
        from hnml_tutor import reference

        return reference.get(spec["name"])
    return spec["value"]
