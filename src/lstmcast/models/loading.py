"""``load_model``: a Sequential saved by ``Sequential.save`` back, with its compile settings
and optimizer state (``lstmcast.models.saving`` holds the file's layout).
"""

from __future__ import annotations

import os
from collections.abc import Callable

from lstmcast.engine import bundle
from lstmcast.engine.optimizers import optimizer_from_config
from lstmcast.errors import InvalidArgumentError
from lstmcast.models.saving import MODEL_KIND, load_state
from lstmcast.models.sequential import Sequential


def load_model(path: str | os.PathLike, custom_objects: dict[str, Callable] | None = None,
               compile: bool = True, device: str | None = None) -> Sequential:
    """Load a model saved by ``Sequential.save``; it predicts exactly as the saved one did.

    Args:
        path: the saved file.
        custom_objects: ``{name: function}`` for a custom loss the model was compiled with.
        compile: restore the compile settings and optimizer state too.
        device: where to put the model (default CUDA when available).
    """
    tensors, config = bundle.load(path, MODEL_KIND)
    model = Sequential.from_config(config["model"], device=device)
    model.build(config["input_shape"])
    network_tensors = {k[len("network."):]: v for k, v in tensors.items()
                       if k.startswith("network.")}
    load_state(model.network_, network_tensors, path)
    settings = config.get("compile")
    if compile and settings:
        loss: str | Callable = settings["loss"]
        if settings.get("custom_loss"):
            name = settings["custom_loss"]
            if not custom_objects or name not in custom_objects:
                raise InvalidArgumentError(
                    f"{str(path)!r} was compiled with the custom loss {name!r}: pass "
                    f"custom_objects={{{name!r}: fn}}, or compile=False.")
            loss = custom_objects[name]
        optimizer = optimizer_from_config(settings["optimizer"]["class_name"],
                                          settings["optimizer"]["config"])
        model.compile(loss=loss, optimizer=optimizer, metrics=settings["metrics"])
        if config.get("optimizer_state") is not None:
            bundle.restore_optimizer(model.optimizer_, tensors, config["optimizer_state"])
    return model
