"""Sizing a learner's saved model before the grader builds it, so no model file can exhaust the grader.

Loading a ``.keras`` file builds every layer its ``config.json`` describes, allocating each weight before
a single value is read: a 1 KiB archive declaring ``Dense(units=10**9)`` made the grader use 15 GB. The
grader's own process has no memory limit of the learner's, so the archive is checked first, without
Keras and without building anything:

- the file, its number of entries and their uncompressed sizes are capped (zip bombs);
- ``config.json`` is read with a size cap and every layer's parameter count is estimated from it, for
  Keras' built-in layers, from the input shape the layer was built with (``build_config``) or the chain of
  shapes before it; a layer of any other class is refused, as it can't be sized (nor loaded safely);
- the weights file is opened without reading data: its arrays must be plain numbers stored inside it
  (no links to other files), no larger in total than the parameters allowed.

Anything refused comes back as :class:`ModelRefused`: what was found, why it is refused, what to do.
"""

from __future__ import annotations

import contextlib
import json
import math
import shutil
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

MAX_PARAMETERS = 20_000_000
"""The most parameters the grader builds. The curriculum's largest model is exercise 12's CNN (two
convolutions, two poolings, Dense 128): about 0.23 million parameters with 32 and 64 filters, and still under
4 million with 64/128 filters, "same" padding and Dense 512. Twenty million (80 MB of float32 weights, about
240 MB with Adam's two slots per weight) leaves room for every honest variation, while the grader's own
memory stays far below the 4 GiB a learner's run may use."""

MAX_OPERATIONS = 50_000_000
"""The most multiply-adds per 28×28 image the grader computes with a learner's model. Parameters bound
memory, not time: a convolution of modest size applied at every pixel can make predicting the 60,000
training images take hours. Exercise 12's CNN needs about 4 million per image (a 64/128-filter variant
about 20 million); at fifty million, the grader's largest prediction (60,000 images) stays within a couple
of minutes on two cores."""

WEIGHT_SLOTS = 3  # each weight, plus the two moments Adam keeps per weight, all saved in the archive
MAX_WEIGHT_BYTES = MAX_PARAMETERS * 4 * WEIGHT_SLOTS  # float32, the curriculum's dtype
MAX_ARCHIVE_BYTES = MAX_WEIGHT_BYTES + 16 * 1024 * 1024  # weights plus room for config, metadata, HDF5 overhead
MAX_ENTRIES = 64  # a .keras archive holds three files (plus a few assets for text layers)
MAX_CONFIG_BYTES = 1024 * 1024  # a 100-layer model's config is about 100 kB
MAX_LAYERS = 1000
MAX_NESTING = 8  # models inside models
MAX_RANK = 8
MAX_DIMENSION = 2**31
MAX_H5_OBJECTS = 10_000  # groups and arrays in the weights file; a 100-layer model has a few hundred
UNBUILT_INPUT_SHAPE = (None, 28, 28)
"""What a model saved before it was built (no ``keras.Input``) is sized for: such a model gets its weights
when the grader first calls it, and every grader feeds it 28×28 images."""

WEIGHTS_ENTRY = "model.weights.h5"
ALLOWED_ENTRIES = frozenset({"config.json", "metadata.json", WEIGHTS_ENTRY})
ASSETS_FOLDER = "assets/"

KEEP_SHAPE = frozenset({
    "Activation", "ReLU", "Softmax", "LeakyReLU", "ELU", "Identity", "Masking", "Rescaling",
    "Dropout", "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D", "GaussianNoise", "GaussianDropout",
    "AlphaDropout", "ActivityRegularization", "UnitNormalization", "RandomFlip", "RandomRotation", "RandomZoom",
    "RandomTranslation", "RandomContrast", "RandomBrightness",
})
WITHOUT_WEIGHTS = KEEP_SHAPE | frozenset({
    "InputLayer", "Flatten", "Reshape", "Permute", "RepeatVector", "Cropping1D", "Cropping2D", "Cropping3D",
    "ZeroPadding1D", "ZeroPadding2D", "ZeroPadding3D", "UpSampling1D", "UpSampling2D", "UpSampling3D",
    "Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum", "Concatenate", "Dot",
    *(f"{kind}Pooling{rank}D" for kind in ("Max", "Average", "GlobalMax", "GlobalAverage") for rank in (1, 2, 3)),
})
MODEL_CLASSES = frozenset({"Sequential", "Functional", "Model"})
CONVOLUTIONS = frozenset({*(f"Conv{rank}D{transposed}" for rank in (1, 2, 3) for transposed in ("", "Transpose")),
                          "SeparableConv1D", "SeparableConv2D", "DepthwiseConv1D", "DepthwiseConv2D"})
RECURRENT = {"SimpleRNN": 1, "LSTM": 4, "GRU": 3}  # weight blocks per unit


class ModelRefused(Exception):
    """The grader won't build this model: ``problem`` (why), ``found`` (what it saw), ``fix`` (what to do)."""

    def __init__(self, problem: str, found: str, fix: str) -> None:
        super().__init__(problem)
        self.problem, self.found, self.fix = problem, found, fix


class _Unsizable(Exception):
    """A config the estimate can't follow (the message says where); refused as malformed."""


@dataclass(frozen=True)
class LayerSize:
    name: str
    class_name: str
    parameters: int
    operations: int = 0  # multiply-adds per example: its weights times the positions they are applied at


@dataclass(frozen=True)
class ModelSize:
    """What :func:`check_model_file` measured: the parameter count and the largest layer."""

    parameters: int
    largest: LayerSize | None
    operations: int = 0
    busiest: LayerSize | None = None


REBUILD_FIX = ("Return the model itself and let the grader save it; don't replace `model.save` or write "
                "the file by hand.")
_BUILT_IN_FIX = ("Build the model from Keras' own layers (keras.layers.Dense, Conv2D, MaxPooling2D, Flatten, "
                 "Dropout, …) inside keras.Sequential or the functional API.")


def _malformed(found: str) -> ModelRefused:
    return ModelRefused("it is not a .keras file the grader can check before loading it", found, REBUILD_FIX)


# --- the archive ---------------------------------------------------------------------------------------------

def check_model_file(path: Path) -> ModelSize:
    """Check the ``.keras`` archive at ``path`` without building anything; raise :class:`ModelRefused`.

    ``path`` is the grader's own copy of a regular file (see :func:`hnml_tutor.job_files.copy_out`).
    """
    size = Path(path).stat().st_size
    if size > MAX_ARCHIVE_BYTES:
        raise ModelRefused("the saved model is larger than the grader loads",
                           f"a file of {size / 1e6:.0f} MB (at most {MAX_ARCHIVE_BYTES / 1e6:.0f} MB)", _SMALLER_FIX)
    try:
        with zipfile.ZipFile(path) as archive:
            entries = archive.infolist()
            _check_entries(entries)
            config = _read_config(archive)
            model_size = estimate_parameters(config)
            if model_size.parameters > MAX_PARAMETERS:
                raise _too_many(model_size)
            if model_size.operations > MAX_OPERATIONS:
                raise _too_slow(model_size)
            _check_weights(archive)
    except zipfile.BadZipFile:
        raise _malformed("a file that is not a zip archive (a .keras file is one)") from None
    except (OSError, EOFError, RuntimeError, zipfile.LargeZipFile) as error:
        raise _malformed(f"an archive the grader could not read ({type(error).__name__})") from None
    return model_size


def _check_entries(entries: list[zipfile.ZipInfo]) -> None:
    if len(entries) > MAX_ENTRIES:
        raise _malformed(f"an archive of {len(entries)} entries (a .keras file has 3)")
    names = {entry.filename for entry in entries}
    for required in ("config.json", WEIGHTS_ENTRY):
        if required not in names:
            raise _malformed(f"an archive without {required}")
    for entry in entries:
        if entry.filename not in ALLOWED_ENTRIES and not entry.filename.startswith(ASSETS_FOLDER):
            raise _malformed(f"an archive entry Keras does not write for such a model: {entry.filename[:80]!r}")
    total = sum(entry.file_size for entry in entries)
    if total > MAX_ARCHIVE_BYTES:
        raise ModelRefused("the saved model unpacks to more than the grader loads",
                           f"entries of {total / 1e6:.0f} MB in all once unpacked "
                           f"(at most {MAX_ARCHIVE_BYTES / 1e6:.0f} MB)", _SMALLER_FIX)


def _read_config(archive: zipfile.ZipFile) -> dict:
    if archive.getinfo("config.json").file_size > MAX_CONFIG_BYTES:
        raise _malformed(f"a config.json larger than {MAX_CONFIG_BYTES // 1024} kB")
    with archive.open("config.json") as handle:
        text = handle.read(MAX_CONFIG_BYTES + 1)
    try:
        config = json.loads(text)
    except (ValueError, RecursionError):
        raise _malformed("a config.json that is not valid JSON") from None
    if not isinstance(config, dict):
        raise _malformed("a config.json that does not describe a model")
    return config


def _check_weights(archive: zipfile.ZipFile) -> None:
    """The weights file's arrays, by their declared shapes only: no array data is read.

    Keras stores the weights uncompressed, so HDF5 reads them straight from the archive; a compressed copy
    is unpacked to a temporary file first (its size is already capped), as seeking backwards in a
    compressed entry would unpack it again on every jump.
    """
    import h5py

    try:
        with contextlib.ExitStack() as stack:
            handle = stack.enter_context(archive.open(WEIGHTS_ENTRY))
            if archive.getinfo(WEIGHTS_ENTRY).compress_type != zipfile.ZIP_STORED:
                unpacked = stack.enter_context(tempfile.TemporaryFile())
                shutil.copyfileobj(handle, unpacked)
                handle = unpacked
            weights = stack.enter_context(h5py.File(handle, "r"))
            total = _walk_h5(weights, h5py, 0, [0])
    except ModelRefused:
        raise
    except Exception as error:  # h5py raises many kinds of error for a damaged file
        raise _malformed(f"a weights file the grader could not read ({type(error).__name__})") from None
    if total > MAX_WEIGHT_BYTES:
        raise ModelRefused("the saved weights are larger than the grader loads",
                           f"arrays of {total / 1e6:.0f} MB in the weights file "
                           f"(at most {MAX_WEIGHT_BYTES / 1e6:.0f} MB)", _SMALLER_FIX)


def _walk_h5(group, h5py, depth: int, seen: list[int]) -> int:
    """Bytes of every array below ``group``; ``seen`` counts objects across the whole walk."""
    if depth > 32:
        raise _malformed("a weights file nested too deeply")
    total = 0
    for key in group:
        seen[0] += 1
        if seen[0] > MAX_H5_OBJECTS:
            raise _malformed(f"a weights file of more than {MAX_H5_OBJECTS} objects")
        link = group.get(key, getlink=True)
        if not isinstance(link, h5py.HardLink):
            raise _malformed(f"a weights file that links elsewhere ({key[:60]!r})")
        item = group[key]
        if isinstance(item, h5py.Group):
            total += _walk_h5(item, h5py, depth + 1, seen)
        elif isinstance(item, h5py.Dataset):
            if item.is_virtual or item.external:
                raise _malformed(f"a weights array stored outside the file ({key[:60]!r})")
            if item.dtype.kind not in "biuf":
                raise _malformed(f"a weights array that is not numbers ({key[:60]!r}, {item.dtype})")
            total += math.prod(item.shape or (1,)) * item.dtype.itemsize
    return total


# --- the parameter estimate ----------------------------------------------------------------------------------

_SMALLER_FIX = ("A model for 28×28 images needs far fewer parameters: use fewer units or filters (Dense(128) is "
                "plenty), and flatten or pool before a large Dense layer.")


def _too_many(size: ModelSize) -> ModelRefused:
    largest = size.largest
    where = f"; the largest layer is '{largest.name}' ({largest.class_name}, {largest.parameters:,} parameters)" \
        if largest else ""
    return ModelRefused(
        f"it has more parameters than the grader builds (at most {MAX_PARAMETERS:,}: the course's largest model, "
        "the CNN of exercise 12, has about 0.2 million)",
        f"about {size.parameters:,} parameters{where}", _SMALLER_FIX)


def _too_slow(size: ModelSize) -> ModelRefused:
    busiest = size.busiest
    where = f"; the busiest layer is '{busiest.name}' ({busiest.class_name}, {busiest.operations:,})" if busiest else ""
    return ModelRefused(
        f"it needs more computation per image than the grader runs (at most {MAX_OPERATIONS:,} multiply-adds: "
        "the course's CNN needs about 4 million)",
        f"about {size.operations:,} multiply-adds per image{where}",
        "Use fewer filters, or pool (MaxPooling2D) before the next convolution, so each layer works on fewer "
        "positions.")


def estimate_parameters(config: dict) -> ModelSize:
    """The parameter count of the model ``config.json`` describes (an upper bound for Keras' built-in layers).

    Raises :class:`ModelRefused` for a layer it cannot size: an unknown class, or a config Keras never writes.
    """
    sizes: list[LayerSize] = []
    try:
        _model(config, None, sizes, 0)
    except _Unsizable as error:
        raise _malformed(str(error)) from None
    if len(sizes) > MAX_LAYERS:
        raise _malformed(f"a model of {len(sizes)} layers")
    total = sum(size.parameters for size in sizes)
    largest = max(sizes, key=lambda size: size.parameters, default=None)
    busiest = max(sizes, key=lambda size: size.operations, default=None)
    return ModelSize(total, largest if largest and largest.parameters else None,
                     sum(size.operations for size in sizes), busiest if busiest and busiest.operations else None)


def _is_built_in(entry: dict) -> bool:
    module, registered = entry.get("module"), entry.get("registered_name")
    return (isinstance(module, str) and module.split(".")[0] == "keras"
            and registered in (None, entry.get("class_name")))


def _unknown_class(entry: dict, what: str) -> ModelRefused:
    name = str(entry.get("class_name"))[:60]
    module = str(entry.get("module"))[:60]
    if what == "model":
        return ModelRefused(
            "it is a model class of your own (a subclass of keras.Model), which the grader can neither size nor "
            "load safely", f"a model of class '{name}' (from {module})",
            "Write the same network with keras.Sequential([...]) or the functional API (keras.Model(inputs, "
            "outputs)): the grader then reads every layer.")
    if name == "Lambda":
        return ModelRefused("it uses a Lambda layer, whose Python code the grader will not run",
                            f"a layer of class 'Lambda' (from {module})",
                            "Replace the Lambda layer with Keras' own layers (e.g. keras.layers.Rescaling for a "
                            "scaling step): " + _BUILT_IN_FIX)
    return ModelRefused("it uses a layer the grader does not know, so it can't be sized or loaded safely",
                        f"a layer of class '{name}' (from {module})", _BUILT_IN_FIX)


def _model(entry: dict, input_shape: tuple | None, sizes: list[LayerSize], depth: int) -> tuple | None:
    """Size a (possibly nested) model; returns its output shape for a chain when it can tell."""
    if depth > MAX_NESTING:
        raise _Unsizable("models nested too deeply")
    if not isinstance(entry, dict) or not isinstance(entry.get("config"), dict):
        raise _Unsizable("a model entry without a config")
    if entry.get("class_name") not in MODEL_CLASSES or not _is_built_in(entry):
        raise _unknown_class(entry, "model")
    config = entry["config"]
    layers = config.get("layers")
    if not isinstance(layers, list):
        raise _Unsizable(f"a {entry['class_name']} without a list of layers")
    if entry["class_name"] == "Sequential":
        start = (_build_shape(entry) or _shape(config.get("build_input_shape"), "build_input_shape")
                 or input_shape or UNBUILT_INPUT_SHAPE)
        return _chain(layers, start, sizes, depth)
    for layer in layers:
        _layer(layer, _node_shape(layer), sizes, depth)
    return None


def _chain(layers: list, shape: tuple | None, sizes: list[LayerSize], depth: int) -> tuple | None:
    for layer in layers:
        shape = _layer(layer, shape, sizes, depth)
    return shape


def _build_shape(entry: dict) -> tuple | None:
    build = entry.get("build_config")
    if build is None:
        return None
    if not isinstance(build, dict):
        raise _Unsizable("a build_config that is not a dict")
    return _shape(build.get("input_shape"), "build_config")


def _node_shape(layer: Any) -> tuple | None:
    """A functional layer's input shape as its first inbound tensor records it."""
    try:
        tensor = layer["inbound_nodes"][0]["args"][0]
        return _shape(tensor["config"]["shape"], "inbound_nodes")
    except (KeyError, IndexError, TypeError):
        return None


def _shape(value: Any, what: str) -> tuple | None:
    if value is None:
        return None
    if isinstance(value, list) and value and all(isinstance(v, list) for v in value):
        return None  # several inputs (a merge layer): not one shape
    if not isinstance(value, list) or len(value) > MAX_RANK:
        raise _Unsizable(f"a shape in {what} that is not a list of sizes")
    for dim in value:
        if dim is not None and (not isinstance(dim, int) or isinstance(dim, bool) or not 0 <= dim < MAX_DIMENSION):
            raise _Unsizable(f"a shape in {what} with a size Keras never writes: {str(dim)[:40]}")
    return tuple(value)


def _layer(entry: Any, chain_shape: tuple | None, sizes: list[LayerSize], depth: int) -> tuple | None:
    """Size one layer (recording it) and return its output shape in a chain, or None when unknown."""
    if not isinstance(entry, dict) or not isinstance(entry.get("config"), dict):
        raise _Unsizable("a layer entry without a config")
    kind = entry.get("class_name")
    if kind in MODEL_CLASSES:
        return _model(entry, chain_shape, sizes, depth + 1)
    if not isinstance(kind, str) or not _is_built_in(entry):
        raise _unknown_class(entry, "layer")
    config = entry["config"]
    name = str(config.get("name", kind))[:60]
    if kind == "InputLayer":
        return _shape(config.get("batch_shape", config.get("batch_input_shape")), "InputLayer")
    if kind in WITHOUT_WEIGHTS:
        sizes.append(LayerSize(name, kind, 0))
        return _output_shape(kind, config, _build_shape(entry) or chain_shape)
    built = _build_shape(entry)
    candidates = [shape for shape in (built, chain_shape) if shape is not None]
    if not candidates and kind != "Embedding":
        raise ModelRefused("the grader can't tell the size of its layers before building it",
                           f"layer '{name}' ({kind}) with no known input shape",
                           "Start the model with `keras.Input(shape=...)` so every layer's size is fixed.")
    parameters = max(_parameters(kind, config, shape) for shape in candidates or [()])
    output = _output_shape(kind, config, built or chain_shape)
    positions = max(_positions(shape) for shape in [*candidates, output])
    sizes.append(LayerSize(name, kind, parameters, parameters * positions))
    return output


def _positions(shape: tuple | None) -> int:
    """How many times a layer's weights are applied per example: every axis but the batch and the channels."""
    if not shape or len(shape) < 3:
        return 1
    return math.prod(_dim(d) for d in shape[1:-1])


def _int(config: dict, key: str, default: int | None = None) -> int:
    value = config.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < MAX_DIMENSION:
        raise _Unsizable(f"{key}={str(value)[:40]}, which is not a size Keras writes")
    return value


def _ints(config: dict, key: str, rank: int, default: Any = 1) -> tuple[int, ...]:
    value = config.get(key, default)
    values = [value] * rank if isinstance(value, int) else value
    if not isinstance(values, list | tuple) or len(values) != rank:
        raise _Unsizable(f"{key}={str(value)[:40]}, which is not a size Keras writes")
    return tuple(_int({key: v}, key) for v in values)


def _rank(kind: str) -> int:
    """1, 2 or 3 for Conv1D, MaxPooling2D, Conv3DTranspose…"""
    return next((int(c) for c in kind if c in "123"), 1)


def _channels(config: dict, shape: tuple) -> int | None:
    if len(shape) < 2:
        raise _Unsizable("a convolution on data without channels")
    return shape[1] if config.get("data_format") == "channels_first" else shape[-1]


def _dim(value: int | None) -> int:
    """A size for counting weights. An unknown one (None) adds nothing: Keras refuses to make a weight of
    unknown size, so such a model fails to build before it allocates anything."""
    return 1 if value is None else value


def _parameters(kind: str, config: dict, shape: tuple) -> int:
    bias = bool(config.get("use_bias", True))
    if kind == "Dense":
        units = _int(config, "units")
        return _dim(shape[-1] if shape else None) * units + units * bias
    if kind == "Embedding":
        return _int(config, "input_dim") * _int(config, "output_dim")
    if kind in ("BatchNormalization", "LayerNormalization", "GroupNormalization", "Normalization"):
        axes = config.get("axis", -1)
        axes = axes if isinstance(axes, list) else [axes]
        if not all(isinstance(a, int) and -len(shape) <= a < len(shape) for a in axes):
            raise _Unsizable(f"axis={str(axes)[:40]} for an input of rank {len(shape)}")
        channels = math.prod(_dim(shape[a]) for a in axes)
        return {"BatchNormalization": 4, "Normalization": 2}.get(kind, 2) * channels + (kind == "Normalization")
    if kind == "PReLU":
        return math.prod(_dim(d) for d in shape[1:])
    if kind in RECURRENT:
        units = _int(config, "units")
        features = _dim(shape[-1] if shape else None)
        blocks = RECURRENT[kind]
        return blocks * (units * (features + units) + units) + (blocks * units if kind == "GRU" else 0)
    if kind == "Bidirectional":
        inner = config.get("layer")
        backward = config.get("backward_layer") or inner
        return sum(_wrapped(part, shape) for part in (inner, backward))
    if kind == "TimeDistributed":
        return _wrapped(config.get("layer"), shape[:1] + shape[2:])
    if kind in CONVOLUTIONS:
        return _convolution(kind, config, shape, bias)
    raise _unknown_class({"class_name": kind, "module": "keras.layers"}, "layer")


def _wrapped(entry: Any, shape: tuple) -> int:
    if not isinstance(entry, dict) or not isinstance(entry.get("config"), dict):
        raise _Unsizable("a wrapper layer without the layer it wraps")
    kind = entry.get("class_name")
    if not isinstance(kind, str) or not _is_built_in(entry) or kind in MODEL_CLASSES or kind in WITHOUT_WEIGHTS:
        raise _unknown_class(entry, "layer")
    return _parameters(kind, entry["config"], shape)


def _convolution(kind: str, config: dict, shape: tuple, bias: bool) -> int:
    rank = _rank(kind)
    window = math.prod(_ints(config, "kernel_size", rank))
    channels = _dim(_channels(config, shape))
    if kind.startswith("DepthwiseConv"):
        multiplier = _int(config, "depth_multiplier", 1)
        return window * channels * multiplier + channels * multiplier * bias
    filters = _int(config, "filters")
    if kind.startswith("SeparableConv"):
        multiplier = _int(config, "depth_multiplier", 1)
        return window * channels * multiplier + channels * multiplier * filters + filters * bias
    groups = 1 if "Transpose" in kind else max(_int(config, "groups", 1), 1)
    return window * (channels // groups or channels) * filters + filters * bias


# --- shapes along a chain ------------------------------------------------------------------------------------

def _output_shape(kind: str, config: dict, shape: tuple | None) -> tuple | None:
    """The layer's output shape given its input's, for the layers a chain commonly holds; else None."""
    if shape is None:
        return None
    if kind in KEEP_SHAPE or kind in ("BatchNormalization", "LayerNormalization", "GroupNormalization",
                                      "Normalization", "PReLU"):
        return shape
    if kind == "Flatten":
        rest = shape[1:]
        return (shape[0], None if None in rest else math.prod(rest))
    if kind == "Reshape":
        target = _shape(config.get("target_shape"), "target_shape")
        return None if target is None or None in target else (shape[0], *target)
    if kind == "Dense":
        return (*shape[:-1], _int(config, "units"))
    if kind == "Embedding":
        return (*shape, _int(config, "output_dim"))
    if kind in RECURRENT:
        units = _int(config, "units")
        return (*shape[:2], units) if config.get("return_sequences") else (shape[0], units)
    if kind.startswith("Global") and "Pooling" in kind:
        keep = config.get("keepdims", False)
        channels = _channels(config, shape)
        return (shape[0], *([1] * (len(shape) - 2)), channels) if keep else (shape[0], channels)
    if "Pooling" in kind or (kind.startswith("Conv") and "Transpose" not in kind) or kind.startswith(
            ("SeparableConv", "DepthwiseConv")):
        return _windowed(kind, config, shape)
    return None


def _windowed(kind: str, config: dict, shape: tuple) -> tuple | None:
    rank = _rank(kind)
    if len(shape) != rank + 2:
        return None
    first = config.get("data_format") == "channels_first"
    spatial = shape[2:] if first else shape[1:-1]
    if "Pooling" in kind:
        window = _ints(config, "pool_size", rank, 2)
        strides = _ints(config, "strides", rank, None) if config.get("strides") is not None else window
        dilation, channels = (1,) * rank, _channels(config, shape)
    else:
        window = _ints(config, "kernel_size", rank)
        strides = _ints(config, "strides", rank)
        dilation = _ints(config, "dilation_rate", rank)
        if kind.startswith("Conv"):
            channels = _int(config, "filters")
        else:
            channels = _channels(config, shape) * _int(config, "depth_multiplier", 1)
            if kind.startswith("SeparableConv"):
                channels = _int(config, "filters")
    padding = config.get("padding", "valid")
    sizes = []
    for size, k, s, d in zip(spatial, window, strides, dilation):
        if size is None:
            sizes.append(None)
        elif padding in ("same", "causal"):
            sizes.append(-(-size // max(s, 1)))
        else:
            sizes.append(max((size - d * (k - 1) - 1) // max(s, 1) + 1, 0))
    return (shape[0], channels, *sizes) if first else (shape[0], *sizes, channels)
