"""A fitted Forecaster on disk: one safetensors file of the networks' weights and a JSON config.

The config holds the constructor's arguments, the network's architecture,
the fitted table pipeline, the training record, the baselines' statistics
and the library versions. No pickle: loading reads numbers and JSON.

Config versions: 1 (lstmcast 0.1.0 up to commit 803b88b) kept the scalers
and the column roles as loose entries; it is upgraded on load, so those
models still predict exactly what they did. 2 holds the table pipeline. 3
adds the linear map a model's networks are blended with (``blend``); a model
without one is written as 2, so older lstmcast reads it, and one with a blend
as 3, so older lstmcast refuses it rather than forecast without the map. 4
holds any combination chosen on the validation windows (``blend="select"``): each
forecast's weight and config, the maps' weights beside the networks'. 5 is 4's
layout with a forecast version 4 does not know (the training mean or the drift): a
model whose choice holds neither is still written as 4. 6 is the same layout with the
seasonal naive with drift, which 5 does not know (a model without it: 5 or 4). 7 is
the same layout with the Holt-Winters smoothing (a map named ``holt_winters``), which 6
does not know (a model without it: 6, 5 or 4).
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

import torch

from lstmcast.engine import artifact_file, bundle
from lstmcast.errors import ArtifactError
from lstmcast.forecast.baselines import TrainingStats
from lstmcast.forecast.combination import MAPS, component_from_config, finite
from lstmcast.forecast.ensemble import Ensemble
from lstmcast.forecast.intervals import Intervals
from lstmcast.forecast.linear_map import WindowLinearMap
from lstmcast.models.saving import library_versions, load_state
from lstmcast.models.sequential import Sequential
from lstmcast.tables.pipeline import TablePipeline
from lstmcast.tables.roles import Roles
from lstmcast.tables.seen import SeenRows

if TYPE_CHECKING:
    from lstmcast.forecast.forecaster import Forecaster

FORECASTER_KIND = artifact_file.FORECASTER_KIND
CONFIG_VERSION = 7
NEW_IN_5 = ("train_mean", "drift")  # kinds of ``combination.WindowBaseline``
NEW_IN_6 = ("seasonal_drift",)
NEW_IN_7 = ("holt_winters",)  # names of parts (a map, without a kind)
LINEAR_WEIGHTS = "linear_map.weights"
MAP_PREFIXES = tuple(f"{name}." for name in MAPS)


def config(fc: Forecaster) -> dict[str, Any]:
    """The JSON config of a fitted Forecaster ``fc``."""
    values = {k: v for k, v in fc.get_params().items() if k not in ("layers", "callbacks")}
    values["units"] = list(values["units"])
    if values["quantiles"] is not None:
        values["quantiles"] = list(values["quantiles"])
    ensemble = fc.ensemble_
    linear = ensemble.linear
    two_halves = (linear is not None and set(ensemble.parts) == {"linear_map"}
                  and linear.anchor == "last")
    kinds = {getattr(part, "kind", None) for part in ensemble.parts.values()}
    return {
        # 2: the networks alone; 3: blended with one linear map; 4: any combination;
        # 5, 6, 7: one with a forecast 4 (5, 6) does not know; each saved as the oldest
        # version that reads it, so that an older lstmcast still loads what it can
        "config_version": (2 if not ensemble.combined else 3 if two_halves else
                           7 if set(ensemble.parts) & set(NEW_IN_7) else
                           6 if kinds & set(NEW_IN_6) else 5 if kinds & set(NEW_IN_5)
                           else 4),
        "params": values,
        "blend": {"weight": ensemble.weight, **linear.get_config()} if two_halves else None,
        "combination": None if two_halves or not ensemble.combined else {
            "weights": ensemble.weights, "scores": getattr(fc, "blend_scores_", None),
            "networks_edge": finite(getattr(fc, "networks_edge_", None)),
            "parts": {n: part.get_config() for n, part in ensemble.parts.items()}},
        "model": fc.model_.get_config(),
        "input_shape": list(fc.model_.built_input_shape_),
        "pipeline": fc.pipeline_.get_config(),
        "seen": fc.seen_.get_config(),
        "stats": {"train_mean": fc.stats_.train_mean, "naive_scale": fc.stats_.naive_scale,
                  "season": fc.stats_.season,
                  "residual_quantiles": fc.stats_.residual_quantiles,
                  "series_mean": fc.stats_.series_mean},
        "intervals": None if fc.intervals_ is None else fc.intervals_.get_config(),
        "history": fc.history_,
        "histories": fc.histories_,
        "n_windows": fc.n_windows_,
        "batch_size": fc.batch_size_,
        "dtypes": fc.dtypes_,
        "fingerprint": fc.fingerprint_,
        "streamed": getattr(fc, "streamed_", None),
        "versions": library_versions(),
    }


def save(fc: Forecaster, path: str | os.PathLike) -> None:
    """Write a fitted Forecaster to ``path`` (atomically)."""
    tensors = {}
    for i, member in enumerate(fc.ensemble_.members):
        prefix = "" if i == 0 else f"member{i}."
        tensors.update({prefix + k: v for k, v in member.network_.state_dict().items()})
    for name, part in fc.ensemble_.parts.items():
        if getattr(part, "weights", None) is not None:  # a map's weights
            key = LINEAR_WEIGHTS if name == "linear_map" else f"{name}.weights"
            tensors[key] = torch.from_numpy(part.weights)
    bundle.save(path, tensors, config(fc), FORECASTER_KIND)


def load(cls: type[Forecaster], path: str | os.PathLike, device: str | None = None
         ) -> Forecaster:
    """A Forecaster of class ``cls`` read from ``path``.

    Raises:
        ArtifactError: not a Forecaster file, or one from a newer lstmcast (named).
    """
    tensors, saved = bundle.load(path, FORECASTER_KIND)
    version = saved.get("config_version", 1)
    if version > CONFIG_VERSION:
        wrote = saved.get("versions", {}).get("lstmcast", "a newer lstmcast")
        raise ArtifactError(f"{str(path)!r} was saved by lstmcast {wrote} (Forecaster "
                            f"config version {version}); this lstmcast reads up to "
                            f"{CONFIG_VERSION}: upgrade it to load this model.")
    if version == 1:
        saved = upgrade_v1(saved)
    known = set(cls._param_names())
    values = {k: v for k, v in saved["params"].items() if k in known}
    values["device"] = device
    forecaster = cls(**values)
    members = []
    for i in range(values.get("ensemble", 1)):
        prefix = "" if i == 0 else f"member{i}."
        own = {k[len(prefix):]: v for k, v in tensors.items() if k.startswith(prefix)
               and (prefix or not k.startswith(("member", *MAP_PREFIXES)))}
        model = Sequential.from_config(saved["model"], device=device)
        model.build(saved["input_shape"])
        load_state(model.network_, own, path)
        members.append(model)
    forecaster.ensemble_ = Ensemble(members)
    forecaster.blend_scores_ = (saved.get("combination") or {}).get("scores")
    forecaster.networks_edge_ = (saved.get("combination") or {}).get("networks_edge")
    blend = saved.get("blend")
    if blend is not None:
        linear = WindowLinearMap(blend["window"], blend["steps"], blend["columns"],
                                 tensors[LINEAR_WEIGHTS].numpy())
        forecaster.ensemble_ = Ensemble.blend(members, linear, blend["weight"])
    mixed = saved.get("combination")
    if mixed is not None:
        parts = {name: component_from_config(
                     name, part, tensors[LINEAR_WEIGHTS if name == "linear_map"
                                         else f"{name}.weights"].numpy()
                     if name in MAPS else None)
                 for name, part in mixed["parts"].items()}
        forecaster.ensemble_ = Ensemble(members, parts, mixed["weights"])
    forecaster.pipeline_ = TablePipeline.from_config(saved["pipeline"])
    forecaster.seen_ = SeenRows.from_config(saved["seen"])
    forecaster.stats_ = TrainingStats(**saved["stats"])
    intervals = saved.get("intervals")
    forecaster.intervals_ = None if intervals is None else Intervals.from_config(intervals)
    forecaster.histories_ = saved.get("histories", [saved["history"]])
    forecaster.history_ = saved["history"]
    forecaster.n_windows_ = saved["n_windows"]
    forecaster.batch_size_ = saved["batch_size"]
    forecaster.dtypes_ = saved["dtypes"]
    forecaster.fingerprint_ = saved["fingerprint"]
    forecaster.streamed_ = saved.get("streamed")
    forecaster.saved_versions_ = saved["versions"]
    return forecaster


def upgrade_v1(config: dict[str, Any]) -> dict[str, Any]:
    """A Forecaster config of version 1 (loose scalers and roles) in version 2's layout."""
    spec, old = config["spec"], config["params"]
    target = list(spec["target"])
    table_roles = Roles(target=target, features=list(spec["features"]), group=spec["group"],
                        time=spec["time"], key=(spec.get("extra") or [None])[0],
                        autoregressive=bool(config["autoregressive"]))
    if not config["autoregressive"]:
        table_roles.features = [c for c in spec["features"] if c not in target]
    if table_roles.inputs != config["inputs"]:
        raise ArtifactError("This model was saved by an older lstmcast (Forecaster config "
                            "version 1) with an input order that cannot be rebuilt; retrain "
                            "it with this version.")
    step = config.get("time_step")
    time_dtype = config.get("dtypes", {}).get(spec["time"], "") if spec["time"] else ""
    kind = None if spec["time"] is None else (
        "datetime" if "datetime" in time_dtype else "number")
    what = old["scale_by"] if old["scale_by"] not in ("global", "series") else "series"
    scalers = {}
    for name in ("x_scaler", "y_scaler"):
        scalers[name] = {**config[name], "what": what}
        if old["scaler"] is None:
            scalers[name]["by_key"] = []
    return {**config,
            "pipeline": {"roles": table_roles.get_config(), "window": old["window"],
                         "horizon": old["horizon"], "steps": old["steps"],
                         "scaler": old["scaler"], "scale_by": old["scale_by"],
                         "difference": old.get("difference", False),
                         "missing": old.get("missing", "error"), "time_format": None,
                         "calendar": False,
                         "time": {"kind": kind, "step": step, "format": None, "tz": None,
                                  "irregular": []},
                         **scalers},
            "seen": {"columns": table_roles.columns(), "series": {}},
            "stats": {"train_mean": config["train_mean"],
                      "naive_scale": config["naive_scale"], "season": old.get("season")}}
