"""Reading a learner's Keras model the way a teacher would: its layers, activations and compile settings.

Shared by the graders of steps 03, 04 and 05 so each question ("what does the output layer emit?", "which
loss was compiled?") has exactly one answer in the codebase.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any


def dense_layers(model) -> list:
    return [layer for layer in model.layers if type(layer).__name__ == "Dense"]


def _function_name(activation: Any) -> str:
    return getattr(activation, "__name__", str(activation)).lower()


def activation_name(model, layer) -> str:
    """The activation applied after ``layer``, including one given as a separate next layer."""
    name = _function_name(getattr(layer, "activation", None))
    if name != "linear":
        return name
    layers = list(model.layers)
    following = layers[layers.index(layer) + 1] if layers.index(layer) + 1 < len(layers) else None
    kind = type(following).__name__ if following is not None else ""
    if kind == "ReLU":
        return "relu"
    if kind == "Softmax":
        return "softmax"
    if kind == "Activation":
        return _function_name(following.activation)
    return "linear"


def output_kind(model) -> str:
    """'logits' (no activation), 'softmax', or the name of another activation on the last Dense layer."""
    dense = dense_layers(model)
    if not dense:
        return "unknown"
    name = activation_name(model, dense[-1])
    return "logits" if name == "linear" else name


def describe_layers(model) -> str:
    """``Flatten → Dense(128, relu) → Dense(10)``: a model summary short enough for one line."""
    parts = []
    for layer in model.layers:
        kind = type(layer).__name__
        if kind == "Dense":
            name = _function_name(layer.activation)
            parts.append(f"Dense({layer.units}{'' if name == 'linear' else ', ' + name})")
        else:
            parts.append(kind)
    return " → ".join(parts) or "no layers"


def snake_case(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


@dataclass(frozen=True)
class CompiledLoss:
    """The loss a model was compiled with: its canonical name and whether it expects logits."""

    name: str
    from_logits: bool


def compiled_loss(model) -> CompiledLoss | None:
    """Read the loss from the model's compile config (a string, a loss object or a loss function)."""
    config = model.get_compile_config() or {}
    loss = config.get("loss")
    if loss is None:
        return None
    if isinstance(loss, str):
        return CompiledLoss(snake_case(loss) if loss[:1].isupper() else loss, False)
    if isinstance(loss, dict):
        inner = loss.get("config")
        if isinstance(inner, dict):
            name = inner.get("name") or snake_case(loss.get("class_name", ""))
            return CompiledLoss(snake_case(loss.get("class_name", name)), bool(inner.get("from_logits", False)))
        if isinstance(inner, str):
            return CompiledLoss(inner, False)
    return CompiledLoss(str(loss), False)


def compiled_metrics(model) -> list[str]:
    """Metric names from the compile config, flattened (strings, metric objects, nested lists)."""
    config = model.get_compile_config() or {}
    names: list[str] = []

    def walk(entry: Any) -> None:
        if entry is None:
            return
        if isinstance(entry, str):
            names.append(entry)
        elif isinstance(entry, dict):
            inner = entry.get("config")
            if isinstance(inner, dict) and "name" in inner:
                names.append(str(inner["name"]))
            elif "class_name" in entry:
                names.append(snake_case(str(entry["class_name"])))
            else:
                for value in entry.values():
                    walk(value)
        elif isinstance(entry, (list, tuple)):
            for item in entry:
                walk(item)

    walk(config.get("metrics"))
    return names


def compiled_optimizer(model) -> str | None:
    config = model.get_compile_config() or {}
    optimizer = config.get("optimizer")
    if isinstance(optimizer, dict):
        return str(optimizer.get("class_name"))
    return optimizer
