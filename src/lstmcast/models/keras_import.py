"""Keras models brought over: a Keras 3 Sequential file read without Keras.

A ``.keras`` file is a zip of ``config.json`` (the architecture) and
``model.weights.h5`` (HDF5 weights, one group per layer, named by its class and
position: ``layers/lstm_1/vars/<i>``, a recurrent layer's under ``.../cell/vars``).
A legacy ``.h5`` holds the architecture as JSON in its ``model_config``
attribute and the weights under ``model_weights/<name>``, ordered by its
``weight_names``. A ``.weights.h5`` holds weights only: they go into a model
you built with the same layers. h5py reads all three; Keras is not imported.

Keras's weight layout is lstmcast's (see ``lstmcast.layers``), so the arrays
are set as they are read. Only what lstmcast computes the same way is accepted:
a layer or an option it lacks is an error naming it, never a silently
different model.
"""

from __future__ import annotations

import io
import json
import os
import zipfile
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import numpy as np

from lstmcast.engine.network import ACTIVATIONS
from lstmcast.engine.optimizers import OPTIMIZERS, Optimizer
from lstmcast.errors import InvalidArgumentError, LstmcastError
from lstmcast.layers import GRU, LSTM, Activation, Dense, Dropout, Input, Layer
from lstmcast.models.sequential import Sequential

if TYPE_CHECKING:  # h5py is imported when a Keras file is read
    import h5py

KERAS_LAYERS: dict[str, type[Layer]] = {
    "InputLayer": Input, "LSTM": LSTM, "GRU": GRU, "Dense": Dense, "Dropout": Dropout,
    "Activation": Activation}

# options lstmcast takes from a Keras layer's config, by class
_TAKEN = {"LSTM": ("units", "activation", "recurrent_activation", "return_sequences"),
          "GRU": ("units", "activation", "recurrent_activation", "return_sequences"),
          "Dense": ("units", "activation"), "Dropout": ("rate",), "Activation": ("activation",)}
# options that must hold these values (lstmcast computes only this case)
_FIXED = {"return_state": False, "go_backwards": False, "stateful": False, "use_bias": True,
          "dropout": 0.0, "recurrent_dropout": 0.0, "reset_after": True, "noise_shape": None,
          "kernel_regularizer": None, "recurrent_regularizer": None, "bias_regularizer": None,
          "activity_regularizer": None, "kernel_constraint": None,
          "recurrent_constraint": None, "bias_constraint": None, "trainable": True,
          "time_major": False, "lora_rank": None}
# the activations lstmcast computes, per class and option: a recurrent layer runs on the
# fused kernel (tanh, sigmoid gates); Keras's names for lstmcast's ("silu" is its "swish")
_ACTIVATIONS = {"LSTM": {"activation": ("tanh",), "recurrent_activation": ("sigmoid",)},
                "GRU": {"activation": ("tanh",), "recurrent_activation": ("sigmoid",)},
                "Dense": {"activation": tuple(ACTIVATIONS)},
                "Activation": {"activation": tuple(ACTIVATIONS)}}
_KERAS_ACTIVATION_NAMES = {"silu": "swish"}
# a Keras 2 first layer's input shape (read as the model's Input)
_SHAPES = {"batch_input_shape", "batch_shape", "input_shape"}
# options that change nothing once the weights are set (initializers, speed, names)
_IGNORED = {"name", "dtype", "kernel_initializer", "recurrent_initializer", "bias_initializer",
            "unit_forget_bias", "unroll", "zero_output_for_mask", "seed", "implementation",
            "use_cudnn", "lora_alpha", "quantization_config"}


def load_keras(path: str | os.PathLike, model: Sequential | None = None, compile: bool = True,
               device: str | None = None) -> Sequential:
    """Build the lstmcast model of a Keras Sequential file and set its weights.

    Args:
        path: a Keras 3 ``.keras`` file, a legacy ``.h5`` model, or a
            ``.weights.h5`` file (then ``model`` is needed).
        model: for a ``.weights.h5``: an lstmcast Sequential with the same layers
            in the same order, with its input shape known.
        compile: compile with the file's loss, optimizer (its class and
            settings; not its state) and metrics, when it has them.
        device: where to put the model (default CUDA when available).

    Returns:
        The model; its predictions match Keras's to float32 rounding.

    Raises:
        InvalidArgumentError: the file is not a Keras Sequential, or uses a
            layer or option lstmcast lacks (the message names it).
    """
    path = Path(path)
    if not path.exists():
        raise InvalidArgumentError(f"No Keras file at {str(path)!r}.")
    try:
        return _load(path, model, compile, device)
    except LstmcastError:
        raise
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError) as exc:
        raise InvalidArgumentError(
            f"{path.name} is not a readable Keras file ({type(exc).__name__}: {exc}).") from None


def _load(path: Path, model: Sequential | None, compile: bool, device: str | None
          ) -> Sequential:
    name = path.name.lower()
    if name.endswith(".weights.h5"):
        if model is None:
            raise InvalidArgumentError(
                f"{path.name} holds weights only: build the same model in lstmcast and pass "
                "it as `model=`, or load the full `.keras` file.")
        with _h5(path) as weights:
            _set_weights(model, _v3_weights(weights, model.layers, path))
        return model
    if name.endswith(".keras"):
        with zipfile.ZipFile(path) as archive:
            config = json.loads(archive.read("config.json"))
            raw = io.BytesIO(archive.read("model.weights.h5"))
        built = _from_config(config, path, device, compile)
        with _h5(raw) as weights:
            _set_weights(built, _v3_weights(weights, built.layers, path))
        return built
    if name.endswith((".h5", ".hdf5")):
        with _h5(path) as handle:
            if "model_config" not in handle.attrs:
                raise InvalidArgumentError(
                    f"{path.name} has no model_config: is it a `.weights.h5` file? Then "
                    "pass the lstmcast model as `model=`.")
            config = json.loads(_text(handle.attrs["model_config"]))
            training = handle.attrs.get("training_config")
            if training is not None:
                settings = json.loads(_text(training))  # Keras 2's names for compile's
                settings["optimizer"] = settings.get("optimizer_config")
                config["compile_config"] = settings
            built = _from_config(config, path, device, compile)
            _set_weights(built, _legacy_weights(handle["model_weights"], built.layers, path))
        return built
    raise InvalidArgumentError(
        f"{path.name}: expected a Keras file ending in .keras, .h5 or .weights.h5.")


# -- the architecture ------------------------------------------------------------------------
def _from_config(config: dict[str, Any], path: Path, device: str | None,
                 compile: bool) -> Sequential:
    if config.get("class_name") != "Sequential":
        raise InvalidArgumentError(
            f"{path.name} holds a Keras {config.get('class_name')!r} model; lstmcast "
            "brings over Sequential models only.")
    body = config["config"]
    items = body["layers"] if isinstance(body, dict) else body
    if not items:
        raise InvalidArgumentError(f"{path.name}: the Keras model has no layers.")
    layers = [_layer(item, path) for item in items]
    if not isinstance(layers[0], Input):
        first = items[0]["config"]
        shape = (first.get("batch_input_shape") or first.get("batch_shape")
                 or (body.get("build_input_shape") if isinstance(body, dict) else None)
                 or (items[0].get("build_config") or {}).get("input_shape"))
        if shape is None:
            raise InvalidArgumentError(
                f"{path.name}: the model was saved before it was built (no input shape).")
        layers.insert(0, Input(batch_shape=shape))
    model = Sequential(layers, name=body.get("name") if isinstance(body, dict) else None,
                       device=device)
    model.build()
    settings = config.get("compile_config")
    if compile and settings:
        model.compile(**_compile_settings(settings, path))
    return model


def _layer(item: dict[str, Any], path: Path) -> Layer:
    kind = item.get("class_name")
    if kind not in KERAS_LAYERS:
        raise InvalidArgumentError(
            f"{path.name}: layer type {kind!r} is not in lstmcast (it has "
            f"{', '.join(KERAS_LAYERS)}).")
    config = dict(item["config"])
    layer_name = config.get("name")
    if kind == "InputLayer":
        shape = config.get("batch_shape") or config.get("batch_input_shape")
        return Input(batch_shape=shape, name=layer_name)
    for option, value in config.items():
        if option in _TAKEN[kind] or option in _IGNORED or option in _SHAPES:
            continue
        if option in _FIXED and _same(value, _FIXED[option]):
            continue
        raise InvalidArgumentError(
            f"{path.name}: layer {layer_name!r} ({kind}) has {option}={value!r}, which "
            "lstmcast does not have" + (f" (it computes {option}={_FIXED[option]!r} only)."
                                        if option in _FIXED else "."))
    _check_dtype(config.get("dtype"), layer_name, path)
    args = {k: config[k] for k in _TAKEN[kind] if k in config}
    for option, supported in _ACTIVATIONS.get(kind, {}).items():
        if option in args:
            args[option] = _activation(args[option], option, supported, kind, layer_name,
                                       path)
    return KERAS_LAYERS[kind](**args, name=layer_name)


def _activation(value: Any, option: str, supported: tuple[str, ...], kind: str,
                layer_name: Any, path: Path) -> str:
    """A layer's activation in lstmcast's name, or an error naming the file, the layer, the
    activation and the ones lstmcast has for this layer."""
    if value is None and "linear" in supported:
        return "linear"
    name = _KERAS_ACTIVATION_NAMES.get(value, value) if isinstance(value, str) else value
    if name in supported:
        return name
    if isinstance(value, dict):  # a serialized function or object: a custom activation
        got = f"the custom activation {value.get('class_name') or value.get('config')!r}"
    else:
        got = f"{option}={value!r}"
    listed = ", ".join(repr(a) for a in supported)
    has = (f"lstmcast's {kind} computes {option}={listed} only (its fused kernel's)"
           if len(supported) == 1 else f"lstmcast has {listed}")
    raise InvalidArgumentError(
        f"{path.name}: layer {layer_name!r} ({kind}) uses {got}, which lstmcast does not "
        f"have; {has}.")


def _check_dtype(dtype: Any, layer_name: str, path: Path) -> None:
    policy = dtype.get("config", {}).get("name") if isinstance(dtype, dict) else dtype
    if policy not in (None, "float32"):
        raise InvalidArgumentError(
            f"{path.name}: layer {layer_name!r} computes in {policy!r}; lstmcast brings over "
            "float32 models (after loading, Sequential(precision='bfloat16') is the "
            "mixed-precision option).")


def _same(value: Any, fixed: Any) -> bool:
    if isinstance(fixed, float):
        return isinstance(value, (int, float)) and float(value) == fixed
    return value == fixed


def _compile_settings(settings: dict[str, Any], path: Path) -> dict[str, Any]:
    loss = settings.get("loss")
    if isinstance(loss, dict):  # a serialized loss object: {"class_name": "MeanSquaredError"}
        loss = {"MeanSquaredError": "mse", "MeanAbsoluteError": "mae",
                "Huber": "huber"}.get(loss.get("class_name"), loss.get("class_name"))
    metrics = settings.get("metrics") or []
    names = []
    for metric in metrics if isinstance(metrics, list) else [metrics]:
        names.append(metric.get("class_name") if isinstance(metric, dict) else metric)
    aliases = {"MeanAbsoluteError": "mae", "MeanAbsolutePercentageError": "mape",
               "MeanSquaredError": "mse", "RootMeanSquaredError": "rmse",
               "mean_absolute_error": "mae", "mean_absolute_percentage_error": "mape"}
    return {"loss": loss, "optimizer": _optimizer(settings.get("optimizer"), path),
            "metrics": [aliases.get(m, m) for m in names]}


# Keras optimizer settings lstmcast lacks: these must be off (None, False or 0) ...
_OPTIMIZER_OFF = {"weight_decay", "clipvalue", "global_clipnorm", "use_ema",
                  "loss_scale_factor", "gradient_accumulation_steps", "amsgrad", "centered"}
# ... and these change nothing while the others are off
_OPTIMIZER_IGNORED = {"name", "ema_momentum", "ema_overwrite_frequency", "decay",
                      "is_legacy_optimizer"}


def _optimizer(spec: Any, path: Path) -> Optimizer | str:
    if spec is None or isinstance(spec, str):
        return spec or "adam"
    kind = spec.get("class_name", "")
    if kind.lower() not in OPTIMIZERS:
        raise InvalidArgumentError(
            f"{path.name}: optimizer {kind!r} is not in lstmcast (it has "
            f"{', '.join(sorted(OPTIMIZERS))}); load with compile=False and compile it.")
    cls = OPTIMIZERS[kind.lower()]
    accepted = set(cls().get_config())
    args = {}
    for option, value in spec.get("config", {}).items():
        if option in accepted and not (option == "weight_decay" and kind.lower() != "adamw"):
            if isinstance(value, dict):
                raise InvalidArgumentError(
                    f"{path.name}: the optimizer's {option} is a schedule, which lstmcast "
                    "does not read; load with compile=False and compile it.")
            if isinstance(value, float):  # saved from float32: 0.003000000026 is 0.003
                value = float(f"{value:.7g}")
            if value is not None:
                args[option] = value
        elif option in _OPTIMIZER_IGNORED:
            continue
        elif option in _OPTIMIZER_OFF:
            if value not in (None, False, 0, 0.0):
                raise InvalidArgumentError(
                    f"{path.name}: the optimizer has {option}={value!r}, which lstmcast "
                    "does not have; load with compile=False and compile it.")
        else:
            raise InvalidArgumentError(
                f"{path.name}: the optimizer's {option}={value!r} is not in lstmcast; load "
                "with compile=False and compile it.")
    return cls(**args)


# -- the weights ---------------------------------------------------------------------------
def _h5(source: str | os.PathLike | IO[bytes]) -> h5py.File:
    try:
        import h5py
    except ImportError:
        raise InvalidArgumentError(
            "Reading Keras files needs h5py: pip install h5py (or lstmcast[keras]).") from None

    return h5py.File(source, "r")


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _numbered(group: h5py.Group) -> list[np.ndarray]:
    keys = sorted(group.keys(), key=int)
    return [np.asarray(group[k]) for k in keys]


def _v3_weights(handle: h5py.Group, layers: list[Layer], path: Path) -> list[list[np.ndarray]]:
    """Each layer's arrays from a Keras 3 weights file (layers/<name>/[cell/]vars/<i>)."""
    root = handle.get("layers")
    if root is None:
        raise InvalidArgumentError(f"{path.name} is not a Keras 3 weights file (no `layers`).")
    arrays = []
    for layer, key in zip(layers, _saved_names(layers)):
        group = root.get(key)
        if group is None:
            raise InvalidArgumentError(
                f"{path.name} has no weights for layer {layer.name!r} (looked for "
                f"{key!r}; it has {', '.join(root.keys())}): are the layers the same?")
        found = []
        if "vars" in group:
            found += _numbered(group["vars"])
        if "cell" in group and "vars" in group["cell"]:
            found += _numbered(group["cell"]["vars"])
        arrays.append(found)
    return arrays


def _saved_names(layers: list[Layer]) -> list[str]:
    """Keras 3 files name a Sequential's layers by class and position, not by their names:
    the first LSTM is "lstm", the next "lstm_1", whatever the layers were called."""
    used: dict[str, int] = {}
    names = []
    for layer in layers:
        base = type(layer).__name__.lower()  # LSTM, GRU, Dense...: one word each
        if base in used:
            used[base] += 1
            names.append(f"{base}_{used[base]}")
        else:
            used[base] = 0
            names.append(base)
    return names


def _legacy_weights(handle: h5py.Group, layers: list[Layer], path: Path) -> list[list[np.ndarray]]:
    """Each layer's arrays from a legacy .h5 (model_weights/<name>, by weight_names)."""
    arrays = []
    for layer in layers:
        if layer.name not in handle:
            raise InvalidArgumentError(f"{path.name} has no weights for layer {layer.name!r}.")
        group = handle[layer.name]
        names = [_text(n) for n in group.attrs.get("weight_names", [])]
        arrays.append([np.asarray(group[n]) for n in names])
    return arrays


def _set_weights(model: Sequential, arrays: list[list[np.ndarray]]) -> None:
    model.ensure_built()
    for layer, found in zip(model.layers, arrays):
        layer.set_weights(found)
