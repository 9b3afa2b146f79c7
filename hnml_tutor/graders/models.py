"""Reading a learner's Keras model the way a teacher would: its layers, activations, input, output, scaling
and compile settings.

Shared by the graders so each question ("what does the output layer emit?", "does the model scale raw
pixels itself?", "which loss was compiled?") has exactly one answer in the codebase. Any model built from
Keras' own layers works, Sequential or Functional; a model nested inside another is read as the layers it
holds, and Input layers (which Functional models list and Sequential ones don't) are left out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import numpy as np

# Layers that change the shape of the data but not its values: a Rescaling after them still scales the input.
SHAPE_ONLY = frozenset({"Reshape", "Flatten", "Permute", "Identity"})
# Layers that stand as activations of their own, and the activation each applies.
ACTIVATION_LAYERS = {"ReLU": "relu", "Softmax": "softmax", "LeakyReLU": "leaky_relu", "ELU": "elu", "PReLU": "prelu"}
# Layers that may sit between a layer and its separate activation (Dense → Dropout → ReLU).
_IN_BETWEEN = re.compile(r".*Dropout.*|BatchNormalization|LayerNormalization|GaussianNoise")
_SCALING_LAYERS = frozenset({"Rescaling", "Normalization"})


def _is_model(layer) -> bool:
    return any(cls.__name__ == "Model" for cls in type(layer).__mro__)


def layers_of(model, *type_names: str) -> list:
    """The model's layers in order; with ``type_names``, only layers of those classes.

    A name matches the class or any class it derives from, so ``layers_of(model, "Conv2D")`` finds
    Conv2D layers and ``layers_of(model, "Conv2D", "Conv1D")`` either kind.
    """
    found = []
    for layer in model.layers:
        if _is_model(layer):
            found.extend(layers_of(layer))
        elif type(layer).__name__ != "InputLayer":
            found.append(layer)
    if not type_names:
        return found
    return [layer for layer in found if any(cls.__name__ in type_names for cls in type(layer).__mro__)]


def dense_layers(model) -> list:
    return layers_of(model, "Dense")


def _function_name(activation: Any) -> str:
    return getattr(activation, "__name__", str(activation)).lower()


def _own_activation(layer) -> str | None:
    """The non-linear activation ``layer`` itself applies, or None (none, or linear)."""
    kind = type(layer).__name__
    if kind in ACTIVATION_LAYERS:
        return ACTIVATION_LAYERS[kind]
    activation = getattr(layer, "activation", None)
    if activation is None:
        return None
    name = _function_name(activation)
    return None if name == "linear" else name


def activation_name(model, layer) -> str:
    """The activation applied after ``layer``: its own, a separate activation layer's, or 'linear'.

    Works for any layer with an ``activation`` (Dense, Conv2D…) and for Activation, ReLU, Softmax and the
    like themselves. A separate activation layer counts when only Dropout or normalization stands between.
    """
    own = _own_activation(layer)
    if own is not None:
        return own
    layers = layers_of(model)
    position = next((i for i, candidate in enumerate(layers) if candidate is layer), len(layers))
    for following in layers[position + 1:]:
        kind = type(following).__name__
        if _IN_BETWEEN.fullmatch(kind):
            continue
        if kind in ACTIVATION_LAYERS or kind == "Activation":
            return _own_activation(following) or "linear"
        break
    return "linear"


def output_kind(model) -> str:
    """'logits' (no activation), 'softmax', or the name of another activation on the last Dense layer."""
    dense = dense_layers(model)
    if not dense:
        return "unknown"
    name = activation_name(model, dense[-1])
    return "logits" if name == "linear" else name


def input_shape(model) -> tuple | None:
    """The shape of one example the model takes, without the batch axis: ``(28, 28, 1)``.

    None for a Sequential model that was never given an input (no ``keras.Input``, never called).
    Unknown sizes are None; a model with several inputs gives its first.
    """
    try:
        inputs = model.inputs
    except AttributeError:
        return None
    return tuple(inputs[0].shape[1:]) if inputs else None


def output_units(model) -> int | None:
    """How many numbers the model outputs per example (the last axis of its first output).

    For a model without a known input, the units of its last layer that has units (a Dense layer).
    """
    try:
        outputs = model.outputs
    except AttributeError:
        outputs = None
    if outputs:
        return outputs[0].shape[-1]
    with_units = [layer for layer in layers_of(model) if hasattr(layer, "units")]
    return with_units[-1].units if with_units else None


@dataclass(frozen=True)
class InputScaling:
    """How a model's first layers rescale its raw input: ``x * scale + offset``.

    ``layers`` names the layers that do it (``"Rescaling"``, ``"Normalization"``, or both in order). A
    scale given per channel or per feature is averaged, enough to tell 1/255 from no scaling at all.
    """

    layers: str
    scale: float
    offset: float

    def apply(self, value: float) -> float:
        """What the scaling makes of one raw value, e.g. ``apply(255)`` → 1.0 for ``Rescaling(1/255)``."""
        return value * self.scale + self.offset


def _normalization_stats(layer) -> tuple[float, float] | None:
    """Mean and standard deviation a Normalization layer uses (averaged), or None before it has any.

    Values given to the constructor live in ``input_mean``/``input_variance`` until the layer is built.
    """
    mean, variance = getattr(layer, "mean", None), getattr(layer, "variance", None)
    if mean is None or variance is None:
        mean, variance = getattr(layer, "input_mean", None), getattr(layer, "input_variance", None)
    if mean is None or variance is None:
        return None
    return float(np.mean(np.asarray(mean))), float(np.mean(np.sqrt(np.asarray(variance))))


def _scale_and_offset(layer) -> tuple[float, float]:
    if type(layer).__name__ == "Rescaling":
        scale, offset = np.asarray(layer.scale, dtype=float), np.asarray(layer.offset, dtype=float)
        return float(scale.mean()), float(offset.mean())
    stats = _normalization_stats(layer)
    if stats is None:
        return 1.0, 0.0
    mean, std = stats
    if getattr(layer, "invert", False):
        return std, mean
    std = max(std, 1e-7)  # as Keras guards the division
    return 1.0 / std, -mean / std


def scales_inputs(model) -> InputScaling | None:
    """How the model scales raw inputs itself, or None if it takes them as they come.

    Only Rescaling and Normalization layers before any layer that computes (reshaping layers may come
    first) count: a Rescaling after a Conv2D rescales features, not pixels.
    """
    names, scale, offset = [], 1.0, 0.0
    for layer in layers_of(model):
        kind = type(layer).__name__
        if kind in SHAPE_ONLY:
            continue
        if kind not in _SCALING_LAYERS:
            break
        layer_scale, layer_offset = _scale_and_offset(layer)
        names.append(kind)
        scale, offset = scale * layer_scale, offset * layer_scale + layer_offset
    return InputScaling(" → ".join(names), scale, offset) if names else None


def _size(value: Any) -> str:
    """``(3, 3)`` → ``3×3``: kernel and pool sizes as a learner reads them."""
    values = tuple(value) if isinstance(value, (tuple, list)) else (value,)
    return "×".join(str(v) for v in values)


def _stride(strides: tuple) -> str:
    return f"stride {strides[0] if len(set(strides)) == 1 else _size(strides)}"


def _fraction(value: float) -> str:
    """``1/255`` rather than ``0.003922``: a scale the way a learner wrote it."""
    if value < 0:
        return "-" + _fraction(-value)
    if 0 < value < 1:
        inverse = round(1 / value, 1)
        if abs(1 / value - inverse) <= 1e-6 * inverse:
            return f"1/{inverse:g}"
    return f"{value:.4g}"


def _layer_details(layer) -> list[str]:
    """What sets this layer apart from others of its kind, shortest first: units, filters, sizes, rate."""
    kind = type(layer).__name__
    if kind == "Rescaling":
        scale, offset = _scale_and_offset(layer)
        return [_fraction(scale)] + ([f"offset {offset:g}"] if offset else [])
    if kind == "Normalization":
        stats = _normalization_stats(layer)
        return [f"mean {stats[0]:.4g}", f"std {stats[1]:.4g}"] if stats else ["not adapted"]
    if kind == "Reshape":
        return [", ".join(str(v) for v in layer.target_shape)]
    if hasattr(layer, "units"):
        return [str(layer.units)]
    if hasattr(layer, "kernel_size"):
        details = ([str(layer.filters)] if getattr(layer, "filters", None) else []) + [_size(layer.kernel_size)]
        if any(step != 1 for step in layer.strides):
            details.append(_stride(layer.strides))
        return details + (["same"] if layer.padding == "same" else [])
    if hasattr(layer, "pool_size"):
        details = [_size(layer.pool_size)]
        if tuple(layer.strides) != tuple(layer.pool_size):
            details.append(_stride(layer.strides))
        return details + (["same"] if layer.padding == "same" else [])
    if isinstance(getattr(layer, "rate", None), (int, float)):
        return [f"{layer.rate:g}"]
    return []


def describe_layer(layer) -> str:
    """``Conv2D(32, 3×3, relu)``, ``MaxPooling2D(2×2)``, ``Dropout(0.5)``, ``Rescaling(1/255)``, ``Flatten``."""
    kind = type(layer).__name__
    if kind == "Activation":
        return f"Activation({_function_name(layer.activation)})"
    details = _layer_details(layer)
    activation = None if kind in ACTIVATION_LAYERS else _own_activation(layer)
    details += [activation] if activation else []
    return f"{kind}({', '.join(details)})" if details else kind


def describe_layers(model) -> str:
    """``Rescaling(1/255) → Conv2D(32, 3×3, relu) → MaxPooling2D(2×2) → Flatten → Dense(10)`` in one line."""
    return " → ".join(describe_layer(layer) for layer in layers_of(model)) or "no layers"


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
    """Metric names from the compile config, flattened (strings, metric objects, metric functions, nested lists)."""
    config = model.get_compile_config() or {}
    names: list[str] = []

    def walk(entry: Any) -> None:
        if entry is None:
            return
        if isinstance(entry, str):
            names.append(entry)
        elif isinstance(entry, dict):
            inner = entry.get("config")
            if isinstance(inner, str):  # a metric function (keras.metrics.sparse_categorical_accuracy), by name
                names.append(inner)
            elif isinstance(inner, dict) and "name" in inner:
                names.append(str(inner["name"]))
                if "class_name" in entry:  # a metric object renamed by the learner is still its class
                    names.append(snake_case(str(entry["class_name"])))
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


def same_architecture(model, given) -> bool:
    """Whether ``model`` has ``given``'s layers and weight shapes: the model a learner was handed, perhaps trained,
    rather than a new one built alike (its weights then tell whether it started from ``given``'s)."""
    return (describe_layers(model) == describe_layers(given)
            and [w.shape for w in model.get_weights()] == [w.shape for w in given.get_weights()])
