"""The tutorial's face: a Keras-style Sequential model on lstmcast's engine.

The tutorial's code runs with only its imports changed::

    from lstmcast.models import Sequential
    from lstmcast.layers import Dense, Activation, Dropout, LSTM

    model = Sequential()
    model.add(LSTM(units=100, input_shape=(30, 40), return_sequences=True))
    model.add(Dropout(0.2))
    model.add(LSTM(units=50, return_sequences=False))
    model.add(Dropout(0.2))
    model.add(Dense(units=1))
    model.add(Activation("linear"))
    model.compile(loss="mse", optimizer="adam", metrics=["mae", "mape"])
    fit_result = model.fit(trainX, trainY, epochs=100, batch_size=200)
    predicted = model.predict(testX)

Shapes: N samples, T time steps, F features.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch

from lstmcast.checks import check_float, check_int, invalid
from lstmcast.engine.callbacks import Callback, History
from lstmcast.engine.metrics import get_loss, get_metric
from lstmcast.engine.network import Network, default_device
from lstmcast.engine.optimizers import Optimizer, get_optimizer
from lstmcast.engine.runtime import check_precision, warn_if_emulated
from lstmcast.engine.training import (
    Samples,
    predict_batches,
    run_batches,
    train,
)
from lstmcast.errors import InvalidArgumentError, InvalidTypeError, NotFittedError
from lstmcast.layers import Input, Layer, layer_from_config
from lstmcast.models import saving
from lstmcast.models.inputs import check_samples, check_targets
from lstmcast.tables.io import atomic_write
from lstmcast.tables.parts import Parts

PREDICT_BATCH = 1024  # inference batch when none is given: results do not depend on it


class Sequential:
    """A linear stack of layers with compile, fit, predict, evaluate, summary, save.

    Args:
        layers: layers to add, in order (or add them later with ``add``).
        name: the model's name in ``summary()``.
        device: "cpu", "cuda" or a torch.device; default CUDA when available.
        precision: "float32" (default), or "bfloat16" for mixed precision: the
            network computes in bfloat16, weights, optimizer and loss stay
            float32. Faster where the hardware has bfloat16 (AVX512-BF16, AMX,
            recent GPUs), slightly less accurate; see ``lstmcast.engine.runtime``.
    """

    def __init__(self, layers: Sequence[Layer] | None = None, name: str | None = None,
                 device: str | torch.device | None = None, precision: str = "float32") -> None:
        self.name = name or "sequential"
        self.layers: list[Layer] = []
        self.device = torch.device(device) if device is not None else default_device()
        self.precision = check_precision(precision)
        warn_if_emulated(self.precision, self.device)
        self.network_: Network | None = None
        self.optimizer_: torch.optim.Optimizer | None = None
        self.compiled_ = False
        self.stop_training = False
        self.history: History | None = None
        self.input_layer: Input | None = None  # an `Input` added first, if any
        for layer in layers or []:
            self.add(layer)

    # -- building -------------------------------------------------------------
    def add(self, layer: Layer) -> None:
        """Append a layer to the stack.

        As in Keras, the model is built as layers are added once its input shape
        is known (the first layer's ``input_shape`` or ``batch_input_shape``, or
        an earlier ``build``, ``fit`` or ``predict``): each added layer gets its
        weights at once, so ``get_weights`` and ``set_weights`` work before any
        training.
        """
        if not isinstance(layer, Layer):
            raise InvalidTypeError(
                f"`Sequential.add` takes an lstmcast layer (Input, LSTM, GRU, Dense, Dropout, "
                f"Activation), got {type(layer).__name__}.")
        if isinstance(layer, Input):
            if self.layers or self.input_layer is not None:
                raise InvalidArgumentError(
                    "`Input` must be the first thing added to a Sequential, and only once.")
            self.input_layer = layer
            return
        if self.built:
            self._build_layer(layer, self.layers[-1].output_shape)
        elif not self.layers and (layer.input_shape or self.input_shape) is not None:
            if self.input_layer is not None and layer.input_shape is not None:
                raise InvalidArgumentError(
                    f"The model starts with an `Input` of shape {self.input_shape}: leave "
                    f"`input_shape` out of its first layer (it has {layer.input_shape}).")
            self._build_layer(layer, layer.input_shape or self.input_shape)
        if layer.name is None:
            base = type(layer).__name__.lower()  # lstm, dropout, dense... as Keras
            taken = {existing.name for existing in self.layers}
            layer.name = base
            k = 1
            while layer.name in taken:
                layer.name = f"{base}_{k}"
                k += 1
        self.layers.append(layer)
        if layer.built:
            self._assemble()

    def _build_layer(self, layer: Layer, shape: Sequence[int | None]) -> None:
        model_input = self.built_input_shape_ if self.built else tuple(shape)
        layer.build(tuple(shape), model_input)

    def _assemble(self) -> None:
        """The torch network of the layers built so far (their weights are kept)."""
        self.network_ = Network([layer.block for layer in self.layers]).to(self.device)
        self.built_input_shape_ = tuple(self.layers[0].built_input_shape)
        if self.compiled_:
            self.optimizer_ = self.optimizer_spec_.build(self.network_.parameters())

    @property
    def input_shape(self) -> tuple[int | None, ...] | None:
        """Shape of one input sample (T, F), if known."""
        first = self.input_layer or (self.layers[0] if self.layers else None)
        return first.input_shape if first else None

    @property
    def fixed_batch_size(self) -> int | None:
        first = self.input_layer or (self.layers[0] if self.layers else None)
        return first.batch_input_shape[0] if first and first.batch_input_shape else None

    def build(self, input_shape: Sequence[int] | None = None) -> None:
        """Create the torch network for samples of ``input_shape`` (T, F)."""
        if not self.layers:
            raise InvalidArgumentError("The model has no layers: add some before building it.")
        shape = tuple(input_shape) if input_shape is not None else self.input_shape
        if self.built and (shape is None or tuple(shape) == self.built_input_shape_):
            return  # built already, as layers were added: keep the weights
        if shape is None:
            raise NotFittedError(
                "The model does not know its input shape yet: give the first layer "
                "`input_shape=(time_steps, features)`, or call `fit` or `predict`.")
        model_input = tuple(shape)
        for layer in self.layers:
            layer.build(shape, model_input)
            shape = layer.compute_output_shape(shape)
        self._assemble()

    @property
    def built(self) -> bool:
        return self.network_ is not None

    @property
    def output_shape(self) -> tuple[int, ...]:
        self.ensure_built()
        return self.layers[-1].output_shape

    def compile(self, loss: str | Callable = "mse", optimizer: str | Optimizer = "adam",
                metrics: Sequence[str] | None = None) -> None:
        """Choose the loss, the optimizer and the metrics to report.

        Args:
            loss: "mse", "mae", "huber" or a callable ``(y_true, y_pred)`` on tensors.
            optimizer: "adam", "adamw", "sgd", "rmsprop" or an instance such as
                ``lstmcast.engine.optimizers.Adam(learning_rate=1e-3)``.
            metrics: names among "mae", "mape", "mse", "rmse".
        """
        self.loss_name_, self.loss_fn_ = get_loss(loss)
        self.loss_ = loss
        self.optimizer_spec_ = get_optimizer(optimizer)
        self.clipnorm_ = self.optimizer_spec_.clipnorm
        if isinstance(metrics, str):
            metrics = [metrics]
        self.metrics_ = [get_metric(m) for m in (metrics or [])]
        self.compiled_ = True
        if self.built:
            self.optimizer_ = self.optimizer_spec_.build(self.network_.parameters())

    # -- data checks (lstmcast.models.inputs) ---------------------------------------
    def _samples(self, x: Any, name: str = "x", action: str = "training") -> Samples:
        return check_samples(self, x, name, action)

    def _targets(self, y: Any, n: int, name: str = "y", action: str = "training"
                 ) -> torch.Tensor:
        return check_targets(self, y, n, name, action)

    def _batch_size(self, batch_size: int | None, default: int) -> int:
        if batch_size is None:
            return self.fixed_batch_size or default
        return check_int("batch_size", batch_size)

    # -- training and inference -------------------------------------------------
    def fit(
        self,
        x: Any,
        y: Any,
        batch_size: int | None = None,
        epochs: int = 1,
        verbose: int | str = "auto",
        callbacks: Sequence[Callback] | None = None,
        validation_split: float = 0.0,
        validation_data: tuple[Any, Any] | None = None,
        shuffle: bool = True,
        initial_epoch: int = 0,
        steps_per_epoch: int | None = None,
    ) -> History:
        """Train the model.

        Args:
            x: inputs (N, T, F): a NumPy array, or a zero-copy view from
                ``lstmcast.tables.windows.make_windows``; or ``lstmcast.tables.parts.Parts``
                (windows in parts, one in memory at a time; ``y`` None).
            y: targets, (N,) or the model's output shape per sample.
            batch_size: samples per gradient step (Keras's default, 32, when None).
            epochs: passes over the training data.
            verbose: 0 silent, 1 a progress bar per epoch, 2 one line per epoch.
            callbacks: e.g. ``[EarlyStopping(patience=5)]``.
            validation_split: fraction of samples held out for validation, taken
                from the END of x and y before any shuffling, as Keras does. For
                time series that is what you want: the model is checked on the
                latest windows, not on windows interleaved with the training ones
                (which overlap them and would flatter it).
            validation_data: ``(x_val, y_val)``; overrides ``validation_split``.
            shuffle: shuffle the training samples every epoch.
            initial_epoch: epoch to start counting from (to resume a run).
            steps_per_epoch: at most this many batches per epoch (default: all
                samples once). Each epoch still shuffles all samples first.

        Returns:
            A History; ``history.history`` holds per-epoch lists ("loss",
            metrics, and ``"val_..."`` with validation).
        """
        if not self.compiled_:
            raise NotFittedError("Call `compile(loss=..., optimizer=...)` before `fit`.")
        epochs = check_int("epochs", epochs, minimum=0)
        initial_epoch = check_int("initial_epoch", initial_epoch, minimum=0)
        verbose = 1 if verbose == "auto" else verbose
        if verbose not in (0, 1, 2):
            raise invalid("verbose", "0, 1, 2 or 'auto'", verbose)
        validation_split = check_float("validation_split", validation_split, low=0.0, high=1.0,
                                       high_inclusive=False)
        batch_size = self._batch_size(batch_size, 32)
        if steps_per_epoch is not None:
            steps_per_epoch = check_int("steps_per_epoch", steps_per_epoch)
        history = History()
        if isinstance(x, Parts):  # windows in parts, one in memory at a time
            x.bind(lambda xs, ys: (self._samples(xs), self._targets(ys, len(xs))))
            history.params = {"epochs": epochs, "steps": x.steps(batch_size),
                              "verbose": verbose}
            train(self, x, None, epochs=epochs, batch_size=batch_size, shuffle=shuffle,
                  validation=None, callbacks=[*(callbacks or []), history], verbose=verbose,
                  initial_epoch=initial_epoch)
            self.history = history
            return history
        samples, targets, validation = self._split(x, y, validation_data, validation_split)
        steps = math.ceil(len(samples) / batch_size)
        if steps_per_epoch is not None:
            steps = min(steps, steps_per_epoch)
        history.params = {"epochs": epochs, "steps": steps, "verbose": verbose}
        train(self, samples, targets, epochs=epochs, batch_size=batch_size, steps=steps,
              shuffle=shuffle,
              validation=validation, callbacks=[*(callbacks or []), history], verbose=verbose,
              initial_epoch=initial_epoch)
        self.history = history
        return history

    def _split(self, x: Any, y: Any, validation_data: Any, validation_split: float
               ) -> tuple[Samples, torch.Tensor, tuple[Samples, torch.Tensor] | None]:
        """The training samples and targets, checked, and the validation pair: given, or
        the last ``validation_split`` of the samples (as Keras takes it, before shuffling)."""
        samples = self._samples(x)
        targets = self._targets(y, len(samples))
        if validation_data is not None:
            if not isinstance(validation_data, (tuple, list)) or len(validation_data) != 2:
                raise invalid("validation_data", "a tuple (x_val, y_val)", type(validation_data))
            val_samples = self._samples(validation_data[0], "validation_data[0]")
            return samples, targets, (val_samples, self._targets(
                validation_data[1], len(val_samples), "validation_data[1]"))
        if validation_split <= 0:
            return samples, targets, None
        split_at = math.ceil(len(samples) * (1.0 - validation_split))
        if split_at >= len(samples) or split_at == 0:
            raise InvalidArgumentError(
                f"`validation_split={validation_split}` leaves no samples on one side "
                f"of {len(samples)}.")
        train_idx = torch.arange(split_at, device=self.device)
        val_idx = torch.arange(split_at, len(samples), device=self.device)
        return (samples.subset(train_idx), targets[train_idx],
                (samples.subset(val_idx), targets[val_idx]))

    def predict(self, x: Any, batch_size: int | None = None, verbose: int = 0) -> np.ndarray:
        """Return the model's outputs for ``x`` (N, T, F) as a NumPy array.

        ``predicted[i]`` is the forecast after window ``x[i]``: shape (N, 1) for
        the tutorial's model, (N, T, H) when the top layer returns sequences.
        """
        samples = self._samples(x, action="predicting")
        batch_size = self._batch_size(batch_size, PREDICT_BATCH)
        return predict_batches(self.network_, samples, batch_size, self.precision).numpy()

    def evaluate(self, x: Any, y: Any, batch_size: int | None = None, verbose: int = 0,
                 return_dict: bool = False) -> float | list[float] | dict[str, float]:
        """Loss and metrics on ``(x, y)``: a float when there are no metrics,
        else ``[loss, metric, ...]`` in compile order (or a dict)."""
        if not self.compiled_:
            raise NotFittedError("Call `compile(loss=..., optimizer=...)` before `evaluate`.")
        samples = self._samples(x, action="evaluating")
        targets = self._targets(y, len(samples), action="evaluating")
        logs = run_batches(self.network_, samples, targets, self.loss_fn_, self.metrics_,
                           self._batch_size(batch_size, PREDICT_BATCH),
                           precision=self.precision)
        if return_dict:
            return logs
        values = list(logs.values())
        return values[0] if len(values) == 1 else values

    # -- inspection ---------------------------------------------------------------
    def count_params(self) -> int:
        """Number of trainable values (86,651 for the tutorial's model, K2)."""
        self.ensure_built()
        return sum(layer.count_params() for layer in self.layers)

    def summary(self, print_fn: Callable[[str], object] = print) -> None:
        """Print each layer with its output shape and parameter count."""
        self.ensure_built()
        batch = self.fixed_batch_size
        rows = []
        for layer in self.layers:
            shape = str((batch,) + tuple(layer.output_shape))
            rows.append((f"{layer.name} ({type(layer).__name__})", shape,
                         f"{layer.count_params():,}"))
        widths = [max(len(h), *(len(r[i]) for r in rows)) + 2
                  for i, h in enumerate(("Layer (type)", "Output Shape", "Param #"))]
        rule = "+" + "+".join("-" * w for w in widths) + "+"

        def line(cells: Sequence[str]) -> str:
            return ("| " + cells[0].ljust(widths[0] - 1) + "| " + cells[1].ljust(widths[1] - 1)
                    + "|" + cells[2].rjust(widths[2] - 1) + " |")

        total = self.count_params()
        out = [f'Model: "{self.name}"', rule, line(("Layer (type)", "Output Shape", "Param #")),
               rule.replace("-", "=")]
        out += [line(r) for r in rows]
        out += [rule, f" Total params: {total:,} ({total * 4 / 1024:.2f} KB)",
                f" Trainable params: {total:,}", " Non-trainable params: 0"]
        print_fn("\n".join(out))

    def get_weights(self) -> list[np.ndarray]:
        """All layers' weights in Keras's layout, as one flat list."""
        self.ensure_built()
        return [w for layer in self.layers for w in layer.get_weights()]

    def set_weights(self, weights: Sequence[np.ndarray]) -> None:
        """Set all layers' weights from one flat list in Keras's layout."""
        self.ensure_built()
        weights = list(weights)
        expected = sum(len(layer.get_weights()) for layer in self.layers)
        if len(weights) != expected:
            raise InvalidArgumentError(
                f"`set_weights` expects {expected} arrays for this model, got {len(weights)}.")
        for layer in self.layers:
            k = len(layer.get_weights())
            layer.set_weights(weights[:k])
            weights = weights[k:]

    # -- saving -------------------------------------------------------------------
    def get_config(self) -> dict[str, Any]:
        """The architecture as JSON-ready data (no weights)."""
        first = [self.input_layer] if self.input_layer is not None else []
        return {"name": self.name, "precision": self.precision,
                "layers": [{"class_name": type(layer).__name__, "config": layer.get_config()}
                           for layer in (*first, *self.layers)]}

    @classmethod
    def from_config(cls, config: dict[str, Any], device: str | None = None) -> Sequential:
        """Rebuild an (unbuilt, uncompiled) model from ``get_config()``."""
        layers = [layer_from_config(item["class_name"], item["config"])
                  for item in config["layers"]]
        return cls(layers, name=config.get("name"), device=device,
                   precision=config.get("precision", "float32"))

    def get_compile_config(self) -> dict[str, Any] | None:
        """The loss, optimizer and metrics given to ``compile`` (None before it)."""
        if not self.compiled_:
            return None
        return {"loss": self.loss_name_ if isinstance(self.loss_, str) else None,
                "custom_loss": None if isinstance(self.loss_, str) else self.loss_name_,
                "optimizer": {"class_name": type(self.optimizer_spec_).__name__,
                              "config": self.optimizer_spec_.get_config()},
                "metrics": [m.name for m in self.metrics_]}

    def save(self, path: str | os.PathLike) -> None:
        """Save architecture, compile settings, weights and optimizer state to one file
        (``lstmcast.models.saving``): safetensors with a JSON config in its header, no
        pickle; a failed save leaves any previous file at ``path`` as it was."""
        saving.save_model(self, path)

    def export_onnx(self, path: str | os.PathLike) -> None:
        """Write the network as ONNX: input ``windows`` (batch, time_steps, features),
        output ``forecast``, the batch axis dynamic; inference mode (no dropout), float32.
        onnxruntime's outputs match ``predict`` to float32 rounding."""
        from lstmcast.engine.onnx import export_networks

        self.ensure_built()
        atomic_write(path, export_networks([self.network_], self.built_input_shape_))

    def save_weights(self, path: str | os.PathLike) -> None:
        """Save the weights only (safetensors)."""
        saving.save_weights(self, path)

    def load_weights(self, path: str | os.PathLike) -> None:
        """Load weights saved by ``save_weights`` into this (built) model."""
        saving.load_weights(self, path)

    def ensure_built(self) -> None:
        """Builds the model from its first layer's ``input_shape`` if not built yet;
        ``NotFittedError`` when it cannot know its input."""
        if not self.built:
            try:
                self.build()
            except NotFittedError:
                raise NotFittedError(
                    "This model is not built yet: give the first layer "
                    "`input_shape=(time_steps, features)`, or call `fit` or `predict` first."
                ) from None
