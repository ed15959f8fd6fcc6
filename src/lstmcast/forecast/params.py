"""Every setting of the Forecaster and every data role, described once.

``MODEL`` lists the Forecaster's settings: name, default, what a valid value
is, and the help text. From it come the checks that ``fit`` runs, the
command line's options (``--window``, ``--difference/--no-difference``...),
and the keys a ``config.toml`` may hold in its ``[model]`` section. ``DATA``
does the same for the table's roles (``--target``, ``--group``...) and the
``[data]`` section. A key that is not listed is an error with the nearest
names suggested, wherever it comes from.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from lstmcast.checks import check_bool, check_choice, check_float, check_int, invalid
from lstmcast.errors import InvalidArgumentError, InvalidTypeError


@dataclass(frozen=True)
class Param:
    """One setting.

    Attributes:
        name: the Python name (the CLI option is ``--name-with-dashes``).
        default: the Forecaster's default.
        kind: "int", "float", "choice", "bool", "ints" (a list of positive
            integers), "levels" (quantile levels in (0, 1)), "names" (a list of
            column names), "str".
        help: one line for ``--help``.
        low, high, low_open, high_open: the range of a number.
        choices: the values of a "choice".
        optional: None is allowed (it means "off" or "automatic").
        cli: offered on the command line and in config files.
        restart: whether a change of it starts training afresh (it is part of a
            checkpoint's run tag); False for settings a resumed run may change
            (epochs, the time budget, where checkpoints go, how much is printed).
    """

    name: str
    default: Any
    kind: str
    help: str
    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False
    choices: tuple[str, ...] = ()
    optional: bool = False
    cli: bool = True
    restart: bool = True

    @property
    def flag(self) -> str:
        return "--" + self.name.replace("_", "-")

    def check(self, value: Any) -> Any:
        """``value`` if valid for this setting (normalized), else an error naming it."""
        if value is None and self.optional:
            return None
        if self.kind == "int":
            return check_int(self.name, value, minimum=int(self.low if self.low is not None
                                                            else 1))
        if self.kind == "float":
            return check_float(self.name, value, low=self.low if self.low is not None
                               else float("-inf"),
                               high=self.high if self.high is not None else float("inf"),
                               low_inclusive=not self.low_open,
                               high_inclusive=not self.high_open)
        if self.kind == "choice":
            return check_choice(self.name, value, self.choices)
        if self.kind == "bool":
            return check_bool(self.name, value)
        if self.kind == "ints":
            if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
                raise invalid(self.name, "a list of positive integers such as (100, 50)", value)
            values = list(value)
            if not values:
                raise invalid(self.name, "a list of positive integers such as (100, 50)", value)
            return tuple(check_int(self.name, v) for v in values)
        if self.kind == "levels":
            from lstmcast.forecast.intervals import check_levels

            return check_levels(value, self.name)
        if self.kind == "names":
            if isinstance(value, str):
                return [value]
            if not isinstance(value, Iterable) or not all(isinstance(v, str) for v in value):
                raise invalid(self.name, "a column name or a list of column names", value)
            return list(value)
        if self.kind == "str":
            if not isinstance(value, str) or not value:
                raise invalid(self.name, "a non-empty string", value)
            return value
        raise AssertionError(self.kind)  # pragma: no cover

    def parse(self, value: Any) -> Any:
        """A value from the command line or a config file (text, or TOML's own types)."""
        raw = value
        if isinstance(value, str):
            text = value.strip()
            if self.kind == "names" and not text:
                return []  # `--features ""`: no columns of this kind
            if self.optional and text.lower() in ("none", "off", ""):
                return None
            try:
                if self.kind == "int":
                    value = int(text)
                elif self.kind == "float":
                    value = float(text)
                elif self.kind == "bool":
                    if text.lower() not in ("true", "false"):
                        raise ValueError(text)
                    value = text.lower() == "true"
                elif self.kind == "ints":
                    value = [int(v) for v in text.split(",") if v.strip()]
                elif self.kind == "levels":
                    value = [float(v) for v in text.split(",") if v.strip()]
                elif self.kind == "names":
                    value = [v.strip() for v in text.split(",") if v.strip()]
                else:
                    value = text
            except ValueError:
                raise InvalidArgumentError(
                    f"{self.flag} expects {self.expected()}, got {raw!r}.") from None
        try:
            return self.check(value)
        except InvalidArgumentError as exc:
            if self.kind == "levels" and str(exc).startswith("Quantile level"):
                raise InvalidArgumentError(f"{self.flag}: {exc}") from None
            raise InvalidArgumentError(
                f"{self.flag} expects {self.expected()}, got {raw!r}.") from None
        except InvalidTypeError:
            raise InvalidArgumentError(
                f"{self.flag} expects {self.expected()}, got {raw!r}.") from None

    def expected(self) -> str:
        """What a valid value is, in words."""
        if self.kind == "int":
            low = int(self.low if self.low is not None else 1)
            return "a positive integer" if low == 1 else f"an integer >= {low}"
        if self.kind == "float":
            return _number_between(self.low, self.high, self.low_open, self.high_open)
        if self.kind == "choice":
            return "one of " + ", ".join(self.choices)
        if self.kind == "bool":
            return "true or false"
        if self.kind == "ints":
            return "positive integers separated by commas, such as 100,50"
        if self.kind == "levels":
            return "quantile levels in (0, 1) separated by commas, such as 0.1,0.5,0.9"
        if self.kind == "names":
            return "column names separated by commas"
        return "a non-empty string"


def _p(name: str, default: Any, kind: str, help: str, **kw: Any) -> Param:
    return Param(name, default, kind, help, **kw)


MODEL: tuple[Param, ...] = (
    _p("units", (100, 50), "ints", "units per recurrent layer"),
    _p("dropout", 0.2, "float", "dropout after each recurrent layer", low=0.0, high=1.0,
       high_open=True),
    _p("cell", "lstm", "choice", "recurrent cell", choices=("lstm", "gru")),
    _p("window", None, "int", "rows per input window, at most 8192 (default: from the data: "
       "30, or two seasons where that is longer, at most half the rows the shortest series "
       "trains on and 2016)",
       optional=True),
    _p("horizon", 1, "int", "rows from a window's last row to its first target (0: the "
       "window's own last row)", low=0),
    _p("steps", 1, "int", "target rows forecast at once"),
    _p("loss", None, "choice", "training loss (default: mse; pinball with quantiles); "
       "pinball trains one output per quantile", choices=("mse", "mae", "huber", "pinball"),
       optional=True),
    _p("quantiles", None, "levels", "forecast these quantiles too, e.g. 0.1,0.5,0.9: one "
       "output per level on the pinball loss (with a point loss, they come from calibration)",
       optional=True),
    _p("calibrate", False, "bool", "conformal calibration of the quantiles on the validation "
       "windows, per step (with a point loss: intervals from its calibrated errors)"),
    _p("optimizer", "adam", "choice", "optimizer",
       choices=("adam", "adamw", "sgd", "rmsprop")),
    _p("learning_rate", 0.001, "float", "learning rate", low=0.0, low_open=True),
    _p("epochs", 100, "int", "most passes over the training windows", restart=False),
    _p("batch_size", None, "int", "windows per step (default 200, lowered on small data to "
       "give 10 steps per epoch)", optional=True),
    _p("early_stopping", True, "bool", "stop when the validation loss stops improving"),
    _p("patience", 10, "int", "early-stopping patience in epochs", low=0),
    _p("lr_patience", None, "int", "halve the learning rate after N epochs without a better "
       "validation loss (off)", low=0, optional=True),
    _p("lr_decay", None, "float", "keep the learning rate 3 epochs, then multiply it by this "
       "every epoch (off)", low=0.0, high=1.0, low_open=True, optional=True),
    _p("validation", 0.2, "float", "fraction held out for early stopping", low=0.0, high=1.0,
       high_open=True),
    _p("validation_by", "time", "choice", "hold out the last part of every series, or whole "
       "series", choices=("time", "series")),
    _p("scaler", "minmax", "choice", "input and target scaling (none: off)",
       choices=("minmax", "standard"), optional=True),
    _p("scale_by", "auto", "str", "one scaler for all rows (global), one per series, or one "
       "per value of a key column; auto: per series where the table has several series whose "
       "own past the model reads, else global"),
    _p("season", None, "int", "season length for the seasonal naive baseline and MASE "
       "(default: from the frequency: 24 hourly, 48 half-hourly, 7 daily, 5 business days, "
       "52 weekly, 12 monthly, 4 quarterly; for numbers, years or no time column, a cycle "
       "found in the rows; 1: none)",
       optional=True),
    _p("autoregressive", None, "bool", "the target's own past as an input (default: yes when "
       "forecasting ahead, never with horizon 0)", optional=True),
    _p("difference", False, "bool", "model changes instead of levels, for series that trend "
       "beyond their training range"),
    _p("log", None, "bool", "model the log of the targets (values above 0 only), their "
       "forecasts mapped back with exp: for series whose swings grow with their level "
       "(default: chosen on time-ordered folds of the training rows)", optional=True),
    _p("normalize", "auto", "choice", "instance normalization: each window's targets relative "
       "to its last value (last) or its mean and spread (mean), the forecast mapped back; auto: "
       "last whenever the target's past is an input (without difference), else off",
       choices=("auto", "last", "mean"), optional=True),
    _p("channels", "joint", "choice", "several targets: one network maps all of them (joint), "
       "or each goes through one shared network as its own series (independent)",
       choices=("joint", "independent")),
    _p("segment", None, "int", "segment recurrence: cut the window into segments of this many "
       "rows, one recurrent layer of units[0] over them, every step decoded at once (off: the "
       "tutorial's stack)", optional=True),
    _p("linear", False, "bool", "with segment: add a linear map of the window to the "
       "forecast, the recurrence learning what it leaves (helps at long horizons)"),
    _p("blend", "select", "choice", "select: combine the two forecasts that score best "
       "on the validation rows, weighted by the inverse of their mean squared errors, among "
       "the networks (only when clearly best of all), two "
       "least-squares linear maps of the window and the naive forecasts (docs/panel.md); "
       "linear: the mean of the "
       "networks' forecast and a linear map of each target's window; auto: linear whenever "
       "the target's past is an input and the forecast a point forecast; none: the networks "
       "alone",
       choices=("select", "linear", "auto"), optional=True),
    _p("max_seconds", None, "float", "time budget in seconds for training, counted from the "
       "start of the fit (reading and preparing the table included)", low=0.0, low_open=True,
       optional=True, restart=False),
    _p("clipnorm", None, "float", "clip gradients to this global L2 norm", low=0.0,
       low_open=True, optional=True),
    _p("missing", "error", "choice", "what to do with NaN/inf values and missing time steps",
       choices=("error", "drop", "ffill", "interpolate", "zero")),
    _p("time_format", None, "str", "how text times read: auto (ISO 8601, then day- or "
       "month-first when the values tell), iso8601, dayfirst, monthfirst (both read ISO 8601 "
       "too), epoch-ms or epoch-s (numbers counting from 1970-01-01; whole seconds as "
       "milliseconds from 1973 on, as JSON writers write dates, are read so without it), "
       "excel (a spreadsheet's day numbers, such as 43831 for 2020-01-01), or a strftime "
       "format such as %%d/%%m/%%Y (which also reads numbers such as 20240131; without it "
       "they are read as dates where as numbers they would not be evenly spaced)",
       optional=True),
    _p("calendar", False, "bool", "calendar inputs from a datetime time column: hour, weekday, "
       "day of year or month, as sine/cosine pairs (those the frequency makes meaningful)"),
    _p("shard_rows", 1_000_000, "int", "a folder (or glob) of Parquet files is read in shards "
       "of whole files of at most this many rows, one shard in memory at a time"),
    _p("checkpoint", None, "str", "file for the training state after every epoch",
       optional=True, cli=False, restart=False),
    _p("keep_checkpoint", False, "bool", "keep the checkpoint files after training",
       cli=False, restart=False),
    _p("ensemble", 1, "int", "train N networks (seeds seed..seed+N-1) and forecast their mean"),
    _p("seed", 0, "int", "random seed", low=0),
    _p("device", None, "str", "cpu or cuda (default: cuda when available)", optional=True,
       restart=False),
    _p("threads", None, "int", "CPU threads for training and forecasting (default: torch's, "
       "one per core; 1 beside other busy processes)", optional=True, restart=False),
    _p("precision", "float32", "choice", "float32, or bfloat16 mixed precision (faster on CPUs "
       "with AVX512-BF16/AMX and recent GPUs, slightly less accurate)",
       choices=("float32", "bfloat16")),
    _p("verbose", 0, "int", "0 silent, 1 progress bars, 2 a line per epoch", low=0, cli=False,
       restart=False),
)
"""The Forecaster's settings, in the order of its constructor (``layers`` and
``callbacks`` take Python objects and are not listed)."""

DATA: tuple[Param, ...] = (
    _p("target", None, "names", "column(s) to forecast, comma-separated"),
    _p("features", None, "names", "past-observed input columns, comma-separated (default: all "
       "other numeric columns)", optional=True),
    _p("group", None, "str", "series-id column (many series, one model); several columns "
       "joined by commas where it takes more than one to name a series ('store,item')",
       optional=True),
    _p("time", None, "str", "time column (rows are sorted by it in each series; the command "
       "line takes the table's one column of dates without it, or its years); a year and "
       "a quarter, a year and a month, a year, month and day, or a date and a time of day "
       "in columns of their own joined by commas ('year,quarter', 'Date,Time')",
       optional=True),
    _p("future", None, "names", "input columns known in advance (prices, promotions, planned "
       "load), comma-separated: read over the window and over the forecast rows",
       optional=True),
    _p("static", None, "names", "per-series constants (a store's size), comma-separated",
       optional=True),
    _p("holdout", None, "int", "rows at the end of each series kept for the test (default: the "
       "dataset's, else 20%% of the shortest series, at least the rows one forecast spans)",
       optional=True),
)
"""The table's roles, given to ``fit`` (``holdout`` is the command line's test split)."""

PRESETS: dict[str, dict[str, Any]] = {
    # measured on ETTh2 at look-back 96 (docs/longhorizon.md): segments of 24 rows, one
    # LSTM of 128 units over them, every step decoded at once, each window relative to its
    # last value, each column its own series, trained on the absolute error, the forecast
    # blended with a least-squares linear map of the window
    "long-horizon": {"segment": 24, "units": (128,), "dropout": 0.5, "normalize": "last",
                     "channels": "independent", "loss": "mae", "learning_rate": 0.001,
                     "batch_size": 256, "epochs": 30, "patience": 5, "scaler": "standard",
                     "blend": "auto"},
}
"""Named bundles of settings (``Forecaster.preset``, ``--preset``); given settings win."""

BY_NAME: dict[str, Param] = {p.name: p for p in (*MODEL, *DATA)}
SECTIONS = {"model": {p.name: p for p in MODEL if p.cli}, "data": {p.name: p for p in DATA}}


def preset(name: str) -> dict[str, Any]:
    """The settings of a preset, or an error listing the presets."""
    if name not in PRESETS:
        raise InvalidArgumentError(f"Unknown preset {name!r}; presets: {', '.join(PRESETS)}.")
    return dict(PRESETS[name])


def with_preset(name: str | None, settings: dict[str, Any]) -> dict[str, Any]:
    """``settings`` over the preset ``name`` (None: no preset). A preset's loss is for its
    point forecasts: with ``quantiles`` and no loss of their own, the pinball loss replaces it
    (and a preset's blend, "auto", steps aside for the quantiles)."""
    if name is None:
        return dict(settings)
    base = preset(name)
    if settings.get("quantiles") and settings.get("loss") is None:
        base.pop("loss", None)
    window = settings.get("window")  # None: chosen from the data, a multiple of the segment
    segment = base.get("segment")
    if segment and "segment" not in settings and window and window % segment:
        # the preset's segment must divide the window: the largest divisor up to it that
        # still leaves two segments or more to recur over
        fitted = max(d for d in range(1, min(segment, max(1, window // 2)) + 1)
                     if window % d == 0)
        import warnings

        warnings.warn(f"The {name} preset cuts windows into segments of {segment} rows, which "
                      f"do not divide a window of {window}: segments of {fitted} rows are used "
                      f"instead (give `segment` to choose).", stacklevel=3)
        base["segment"] = fitted
    return {**base, **settings}


def unknown(kind: str, name: str, known: Iterable[str]) -> InvalidArgumentError:
    """The error for an unknown key or option, with the nearest known names."""
    near = difflib.get_close_matches(name, list(known), n=3, cutoff=0.6)
    hint = f" Did you mean {', '.join(repr(n) for n in near)}?" if near else ""
    return InvalidArgumentError(f"Unknown {kind} {name!r}.{hint}")


def check_model(values: dict[str, Any]) -> dict[str, Any]:
    """Every Forecaster setting in ``values`` checked and normalized."""
    return {name: BY_NAME[name].check(value) if name in BY_NAME else value
            for name, value in values.items()}


def read_config(config: dict[str, Any], source: str) -> tuple[dict, dict]:
    """The ``[data]`` and ``[model]`` sections of a config file, every key checked.

    Raises:
        InvalidArgumentError: an unknown section or key (with "did you mean"), or a
            value of the wrong type, naming the file.
    """
    sections: dict[str, dict[str, Any]] = {"data": {}, "model": {}}
    for section, values in config.items():
        if section not in SECTIONS:
            raise unknown(f"section [{section}] in {source}", section, SECTIONS)
        if not isinstance(values, dict):
            raise InvalidArgumentError(f"[{section}] in {source} must be a table of settings.")
        known = SECTIONS[section]
        for key, value in values.items():
            if section == "data" and key == "source":
                continue  # where the run's data came from: a record, not a setting
            if key not in known:
                raise unknown(f"[{section}] setting in {source}", key, known)
            try:
                sections[section][key] = known[key].parse(value)
            except InvalidArgumentError as exc:
                raise InvalidArgumentError(f"{source}, [{section}] {key}: {exc}") from None
    return sections["data"], sections["model"]


# -- settings that exclude each other ---------------------------------------------------


def loss_of(values: dict[str, Any]) -> str:
    """The training loss of settings ``values``: ``loss``, or by default "pinball" with
    quantiles, else "mse"."""
    if values.get("loss") is not None:
        return values["loss"]
    return "pinball" if values.get("quantiles") else "mse"


def check_settings(values: dict[str, Any]) -> None:
    """Check a Forecaster's settings ``values`` (its ``get_params()``): each alone against
    ``MODEL``, then the rules between them. The layers' types and the precision are the
    Forecaster's to check (they need torch)."""
    model = {k: v for k, v in values.items() if k in BY_NAME}
    if values.get("layers") is not None:
        model.pop("units", None)
    check_model(model)
    if values.get("verbose", 0) not in (0, 1, 2):
        raise invalid("verbose", "0, 1 or 2", values["verbose"])
    segment, window = values.get("segment"), values.get("window")
    if segment is not None and window is not None and window % segment:
        raise InvalidArgumentError(f"`segment={segment}` must divide the window ({window} rows).")
    if values.get("linear") and segment is None:
        raise InvalidArgumentError(
            "`linear=True` adds a linear map of the window beside the segment recurrence: "
            "set `segment` too (e.g. segment=24).")
    if segment is not None and values.get("layers") is not None:
        raise InvalidArgumentError("Give `segment` or `layers`, not both: `segment` makes "
                                   "the network (one SegmentLSTM layer).")
    _check_quantiles(values)
    conflict = blend_conflict(values)
    if values.get("blend") == "linear" and conflict:
        raise InvalidArgumentError(conflict)
    if values.get("log") and values.get("difference"):
        raise InvalidArgumentError(
            "`log=True` models the targets' log and `difference=True` their changes, "
            "which reach 0 and below: choose one.")
    normalize = values.get("normalize")
    if normalize not in (None, "auto") and values.get("difference"):
        raise InvalidArgumentError(
            f"`normalize={normalize!r}` and `difference=True` both forecast from the "
            "last value; choose one.")


def blend_conflict(values: dict[str, Any]) -> str | None:
    """Why settings ``values`` leave nothing to blend with the linear map (None: nothing)."""
    if values.get("difference"):
        return ("`blend='linear'` maps the targets' levels (relative to the window's last "
                "value) and `difference=True` forecasts changes: choose one.")
    if values.get("quantiles") and loss_of(values) == "pinball":
        return ("`blend='linear'` blends point forecasts, and the pinball loss trains one "
                "output per quantile: set a point loss (e.g. loss='mae') with "
                "calibrate=True for intervals around the blend, or drop `blend`.")
    return None


def _check_quantiles(values: dict[str, Any]) -> None:
    loss, quantiles, calibrate = loss_of(values), values.get("quantiles"), values.get("calibrate")
    if loss == "pinball" and not quantiles:
        raise InvalidArgumentError(
            "`loss='pinball'` trains one output per quantile level: give `quantiles` too, "
            "e.g. quantiles=(0.1, 0.5, 0.9).")
    if quantiles and loss != "pinball" and not calibrate:
        raise InvalidArgumentError(
            f"`loss={loss!r}` trains a point forecast and cannot train quantiles: use "
            "the pinball loss (loss='pinball', or leave loss unset), or keep the point "
            "loss and make the quantiles from its validation errors with calibrate=True.")
    if calibrate and not quantiles:
        raise InvalidArgumentError(
            "`calibrate=True` makes intervals at quantile levels: give `quantiles` too, "
            "e.g. quantiles=(0.1, 0.9) for an 80% interval.")
    if calibrate and not values.get("validation"):
        raise InvalidArgumentError(
            "`calibrate=True` calibrates on the validation windows: `validation` must "
            "hold some out (e.g. 0.2).")


def _number_between(low: float | None, high: float | None, low_open: bool,
                    high_open: bool) -> str:
    """A float's range in words: "a number above 0", "a number of at least 0 and below 1",
    "a number from 0 to 1"."""
    lows = None if low is None else (f"above {low:g}" if low_open else f"of at least {low:g}")
    highs = None if high is None else (f"below {high:g}" if high_open else f"at most {high:g}")
    if lows and highs and not (low_open or high_open):
        return f"a number from {low:g} to {high:g}"
    return "a number " + " and ".join(part for part in (lows, highs) if part)
