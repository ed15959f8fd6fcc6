"""What a trial draws, per model family: the search spaces, the presets' and the defaults'
first trials, and which trials' losses compare.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from lstmcast.errors import InvalidArgumentError
from lstmcast.forecast import params
from lstmcast.tables.splits import training_rows

if TYPE_CHECKING:
    import optuna


SPACES = ("all", "stacked", "segment")


STACKED_BATCHES = ("auto", "16", "32", "64", "128", "256")


LOGS = {"auto": None, "off": False, "on": True}  # the scale a trial draws: its ``log``

SEGMENT_SIZES = (6, 12, 24, 48)  # segment lengths tried, with the season, where they fit


def loss_name(settings: dict) -> str:
    return settings.get("loss") or ("pinball" if settings.get("quantiles") else "mse")


def plain(value: Any) -> Any:
    """A setting as JSON holds it (tuples as lists)."""
    return list(value) if isinstance(value, tuple) else value


@dataclass
class Space:
    """The settings a trial draws, per model family; ``fixed`` settings leave it.

    Attributes:
        name: "all", "stacked" or "segment".
        fixed: the user's settings (they win over the space and the presets).
        windows: (low, high) of the stacked family's window.
        segments: the segment lengths the segment family draws.
        cap: the longest window the first fold's shortest series allows.
        targets: how many target columns (channels are drawn with several).
        autoregressive: the targets' past is an input (instance normalization needs it).
        logs: the table allows the targets' log (every value above 0): the scale is drawn,
            chosen on folds (auto, the default), as they are (off) or their log (on).
    """

    name: str
    fixed: dict
    windows: tuple[int, int]
    segments: tuple[int, ...]
    cap: int
    targets: int = 1
    autoregressive: bool = True
    logs: bool = False
    families: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        families = ("stacked", "segment") if self.name == "all" else (self.name,)
        if "segment" in self.fixed or "layers" in self.fixed:  # the user chose the family
            families = tuple(f for f in families
                             if f == ("segment" if "segment" in self.fixed else "stacked"))
        if not self.segments:
            families = tuple(f for f in families if f != "segment")
        if not families:
            raise InvalidArgumentError(
                f"The {self.name!r} search space has no family left to search: the segment "
                f"family needs windows of at least {min(SEGMENT_SIZES)} rows (the first fold "
                f"allows {self.cap}), and --segment fixes the segment family; try --space "
                + ("stacked." if self.name == "segment" else "segment."))
        self.families = families

    def _free(self, name: str) -> bool:
        return name not in self.fixed

    def _normalizes(self) -> bool:
        """Whether normalization is drawn: not given, and the targets' past is an input
        whose last value the forecast is not already made from (``difference``)."""
        return (self._free("normalize") and self.autoregressive
                and not self.fixed.get("difference"))

    def _draws_log(self) -> bool:
        return self.logs and self._free("log") and not self.fixed.get("difference")

    def settings(self, trial: optuna.Trial) -> tuple[str, dict]:
        """The family and the Forecaster settings of ``trial`` (drawn from it)."""
        family = (self.families[0] if len(self.families) == 1
                  else trial.suggest_categorical("family", list(self.families)))
        drawn = self._stacked(trial) if family == "stacked" else self._segment(trial)
        if self._draws_log():
            drawn["log"] = LOGS[trial.suggest_categorical("log", list(LOGS))]
        base = {} if family == "stacked" else preset_settings("long-horizon", self.fixed,
                                                       self.autoregressive)
        return family, {**base, **drawn, **self.fixed}

    def _stacked(self, trial: optuna.Trial) -> dict:
        s: dict[str, Any] = {}
        if self._free("window"):
            s["window"] = trial.suggest_int("window", *self.windows, log=True)
        if self._free("units"):
            layers = trial.suggest_int("layers", 1, 3)
            units = trial.suggest_int("units", 8, 256, log=True)
            s["units"] = tuple(max(1, units >> k) for k in range(layers))
        if self._free("dropout"):
            s["dropout"] = trial.suggest_float("dropout", 0.0, 0.5)
        if self._free("learning_rate"):
            s["learning_rate"] = trial.suggest_float("learning_rate", 1e-4, 1e-2, log=True)
        if self._free("batch_size"):
            batch = trial.suggest_categorical("batch_size", list(STACKED_BATCHES))
            s["batch_size"] = None if batch == "auto" else int(batch)
        if self._free("loss") and not self.fixed.get("quantiles"):
            s["loss"] = trial.suggest_categorical("loss", ["mse", "mae", "huber"])
        if self._normalizes():
            normalize = trial.suggest_categorical("normalize", ["auto", "mean", "none"])
            s["normalize"] = None if normalize == "none" else normalize
        return s

    def _segment(self, trial: optuna.Trial) -> dict:
        s: dict[str, Any] = {}
        segment = self.fixed.get("segment") or trial.suggest_categorical(
            "segment", list(self.segments))
        s["segment"] = segment
        if self._free("window"):
            most = max(1, self.cap // segment)
            count = trial.suggest_int("segments", 1, max(1, min(8, self.cap // min(
                self.segments or (segment,)))))
            s["window"] = segment * min(count, most)
        if self._free("units"):
            s["units"] = (trial.suggest_int("segment_units", 16, 256, log=True),)
        if self._free("dropout"):
            s["dropout"] = trial.suggest_float("segment_dropout", 0.0, 0.6)
        if self._free("learning_rate"):
            s["learning_rate"] = trial.suggest_float("segment_learning_rate", 1e-4, 1e-2,
                                                     log=True)
        if self._free("blend"):
            blend = trial.suggest_categorical("blend", ["none", "auto", "select"])
            s["blend"] = None if blend == "none" else blend
        if self._free("channels") and self.targets > 1 and self.autoregressive:
            s["channels"] = trial.suggest_categorical("channels", ["joint", "independent"])
        return s

    def defaults_params(self, window: int) -> dict | None:
        """The trial parameters of the defaults (the stacked family as Forecaster() has
        it, with ``window`` as it chooses), or None when the space has no stacked family."""
        if "stacked" not in self.families:
            return None
        p: dict[str, Any] = {"family": "stacked"} if len(self.families) > 1 else {}
        if self._free("window"):
            p["window"] = min(max(window, self.windows[0]), self.windows[1])
        if self._free("units"):
            p.update(layers=2, units=100)
        if self._free("dropout"):
            p["dropout"] = 0.2
        if self._free("learning_rate"):
            p["learning_rate"] = 0.001
        if self._free("batch_size"):
            p["batch_size"] = "auto"
        if self._free("loss") and not self.fixed.get("quantiles"):
            p["loss"] = "mse"
        if self._normalizes():
            p["normalize"] = "auto"
        if self._draws_log():
            p["log"] = "auto"
        return p

    def preset_params(self, name: str, window: int | None) -> dict | None:
        """The trial parameters of preset ``name`` (its window as it chooses, ``window``),
        or None when the space cannot hold it."""
        preset = preset_settings(name, self.fixed, self.autoregressive)
        segment = preset.get("segment")
        if "segment" not in self.families or segment is None or window is None:
            return None
        if self._free("segment") and segment not in self.segments:
            return None
        p: dict[str, Any] = {"family": "segment"} if len(self.families) > 1 else {}
        if self._free("segment"):
            p["segment"] = segment
        if self._free("window"):
            p["segments"] = max(1, window // segment)
        if self._free("units"):
            p["segment_units"] = int(preset["units"][0])
        if self._free("dropout"):
            p["segment_dropout"] = float(preset["dropout"])
        if self._free("learning_rate"):
            p["segment_learning_rate"] = float(preset["learning_rate"])
        if self._free("blend"):
            p["blend"] = preset.get("blend") or "none"
        if self._free("channels") and self.targets > 1 and self.autoregressive:
            p["channels"] = preset["channels"]
        if self._draws_log():
            p["log"] = "auto"
        return p

    def describe(self) -> dict:
        """What must match for a study to be continued with this space."""
        return {"space": self.name, "families": list(self.families),
                "windows": list(self.windows), "segments": list(self.segments)}


def preset_settings(name: str, fixed: dict, autoregressive: bool = True) -> dict:
    """The settings of preset ``name`` under the user's ``fixed`` ones, as ``--preset``
    gives them (a fixed window gets a segment that divides it), without the instance
    normalization when ``difference`` forecasts from the last value already, or the
    targets' past is no input (then without independent channels too)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        settings = params.with_preset(name, dict(fixed))
    if (fixed.get("difference") or not autoregressive) and "normalize" not in fixed:
        settings.pop("normalize", None)
    if not autoregressive and "channels" not in fixed:  # each target's past its own series
        settings.pop("channels", None)
    return settings


def window_cap(shortest: int, settings: dict) -> int:
    """The longest window the first fold's shortest series leaves windows to train on
    (``defaults.choose_window``'s cap: half the rows it trains on after validation)."""
    watched = settings.get("early_stopping", True) or settings.get("lr_patience") is not None
    validation = settings.get("validation", 0.2) if watched else 0.0
    train_rows = training_rows(shortest, validation)
    return max(2, (train_rows - settings.get("horizon", 1) - settings.get("steps", 1) + 1) // 2)


def comparable(family: str, settings: dict) -> str:
    """Trials whose validation losses can be compared: the same family, loss and scale
    (the scaler, the normalization and the log: auto trials among themselves)."""
    return (f"{family}/{loss_name(settings)}/{settings.get('scaler', 'minmax')}/"
            f"{'mean' if settings.get('normalize') == 'mean' else 'level'}"
            f"/log {settings.get('log')}")
