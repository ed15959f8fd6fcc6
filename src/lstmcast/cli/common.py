"""What the commands share: settings from flags and config files, the guard over what each
command reads and writes, the test split, the Forecaster they build, scores shown,
run folders written, and the options every command that trains or reads a table takes.

No torch is imported here: the checks answer first.
"""

from __future__ import annotations

import argparse
import json
import time
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from lstmcast.cli.flags import as_flags
from lstmcast.errors import LstmcastError, ShortSeriesError
from lstmcast.forecast import params
from lstmcast.runs.outputs import Access

if TYPE_CHECKING:  # no torch at import: the commands import what they run
    import pandas as pd

    from lstmcast.forecast.explain import Explanation
    from lstmcast.forecast.forecaster import Forecaster
    from lstmcast.runs.folders import Source
    from lstmcast.runs.outputs import OutputGuard
    from lstmcast.tables.streaming import ShardedTable

# What each command reads and writes (argument names): one guard enforces it (outputs.py)
ACCESS = {
    "train": Access(reads=("data", "config", "resume"), folder=True),
    "demo": Access(folder=True),
    "evaluate": Access(reads=("run", "data")),
    "predict": Access(reads=("run", "data", "future")),
    "explain": Access(reads=("run", "data"), folder=True),
    "backtest": Access(reads=("data", "config")),
    "tune": Access(reads=("data", "config", "resume"), folder=True),
    "inspect": Access(reads=("data", "config"), writes=()),
    "export": Access(reads=("run",)),
    "import-keras": Access(reads=("model",)),
    "serve": Access(reads=("run",), writes=()),  # its --state: checked by serve.command
}

def read_settings(args: argparse.Namespace, source: Source) -> tuple[dict, dict]:
    """Data roles and Forecaster settings: dataset defaults < --config file < flags.

    Every value is parsed and checked here (``lstmcast.forecast.params``), before any
    data is fitted: an unknown key or a bad value is one line naming it.
    """
    from lstmcast.runs.folders import read_toml
    from lstmcast.tables import joined_columns

    data = {k: params.BY_NAME[k].check(v) for k, v in source.defaults.items()
            if k in params.SECTIONS["data"]}
    model = {k: params.BY_NAME[k].check(v) for k, v in source.defaults.items()
             if k in params.SECTIONS["model"]}
    given: dict[str, Any] = {}  # the --config file's and the flags' settings
    if getattr(args, "config", None):
        config_data, config_model = params.read_config(read_toml(args.config), args.config)
        data.update(config_data)
        given.update(config_model)
    for section, values in (("data", data), ("model", given)):
        for name, param in params.SECTIONS[section].items():
            value = getattr(args, name, None)
            if value is not None:
                values[name] = param.parse(value)
    model.update(params.with_preset(getattr(args, "preset", None), given))
    source.frame = joined_columns.join(source.frame, data.get("group"),  # "store,item"
                                       data.get("time"))  # "year,month"
    if source.test is not None:
        source.test = joined_columns.join(source.test, data.get("group"), data.get("time"))
    if not data.get("time"):
        data.update(_unnamed_time(source.frame, data))
        if joined_columns.parts(data.get("time")):  # found as a year and a month
            source.frame = joined_columns.join(source.frame, None, data["time"])
            if source.test is not None:
                source.test = joined_columns.join(source.test, None, data["time"])
    if not data.get("target"):
        data["target"] = [_only_target(source.frame, data)]
    return data, model


def _unnamed_time(frame: pd.DataFrame, data: dict) -> dict:
    """Where --time is not given, the time column found in the table, with a warning naming
    it: the column without a name in the header that holds dates in order (a DataFrame's
    date index written by ``to_csv``), else the table's one column of dates (its rows then
    sorted by it, as --time sorts them), else a column of years named so, the same number
    apart, else a column of years beside one of months or quarters ("Year,Month")."""
    from lstmcast.tables.found_time import dated_column, unnamed_time, year_and_period, year_column

    name = unnamed_time(frame, data.get("group"))
    if name is not None:
        warnings.warn(f"Column {name!r} (no name in the file: "
                      + ("an index written with the table" if name.startswith("Unnamed") else
                         "the file has no header line")
                      + ") holds dates in order: read as the time column (--time names "
                      "another).", stacklevel=3)
        return {"time": name}
    name = dated_column(frame, data.get("group"))
    if name is not None:
        warnings.warn(f"Column {name!r} holds the table's dates: read as the time column, as "
                      f"--time {name} reads it (a season from the calendar, forecasts dated; "
                      "--time names another).", stacklevel=3)
        return {"time": name}
    found = year_column(frame, data.get("group"))
    if found is None:
        name = year_and_period(frame, data.get("group"))
        if name is None:
            return {}
        first, second = name.split(",")
        warnings.warn(f"Columns {first!r} and {second!r} hold the time: read together as the "
                      f"time column, as --time {name} reads them, not as inputs (--time names "
                      "another).", stacklevel=3)
        return {"time": name}
    name, apart = found
    warnings.warn(f"Column {name!r} holds years {'one' if apart == 1 else apart} apart: read as "
                  f"the time column, as --time {name} reads it, not as an input (--time names "
                  "another).", stacklevel=3)
    return {"time": name}


def _only_target(frame: pd.DataFrame, data: dict) -> str:
    """The table's one numeric column left to forecast when --target is not given, with a
    warning naming it; otherwise an error that lists the columns to choose from."""
    from lstmcast.tables.roles import only_target

    taken = {data.get("time"), data.get("group"), *(data.get("features") or ()),
             *(data.get("future") or ()), *(data.get("static") or ())}
    name = only_target(frame, taken, "--target", usage_error)
    warnings.warn(f"Forecasting {str(name)!r}, the table's only numeric column "
                  "(--target names the column to forecast).", stacklevel=2)
    return name

class UsageError(LstmcastError, ValueError):
    pass

class RankError(LstmcastError):
    """A rank other than 0 stops because rank 0 did (rank 0 says why)."""

def usage_error(message: str) -> UsageError:
    return UsageError(message)

def build_forecaster(settings: dict, args: argparse.Namespace, verbose: int = 1) -> Forecaster:
    from lstmcast.forecast.forecaster import Forecaster

    forecaster = Forecaster(**settings, verbose=0 if args.quiet else verbose)
    forecaster.check_params()
    return forecaster

def data_columns(data: dict) -> dict:
    target = data["target"]
    return {"target": target[0] if len(target) == 1 else target, "features": data.get("features"),
            "group": data.get("group"), "time": data.get("time"), "future": data.get("future"),
            "static": data.get("static")}

def fit_training_rows(forecaster: Forecaster, frame: pd.DataFrame, data: dict,
                      how: dict) -> None:
    """``forecaster.fit`` on ``test_plan``'s rows to fit on; when they are too few, the
    error says they are the file's rows less those held out for the test."""
    try:
        forecaster.fit(frame, **data_columns(data))
    except ShortSeriesError as err:
        if not how.get("holdout"):
            raise
        raise ShortSeriesError(
            f"{err} Those are the rows trained on: each series' rows before its last "
            f"{how['holdout']}, which are held out for the test (--holdout sets how "
            "many).") from None


def blend_line(forecaster: Forecaster) -> str:
    """What the forecast combines, and on what evidence."""
    from lstmcast.forecast.combination import describe

    line = f"The forecast: {describe(forecaster.blend_weights_, forecaster.ensemble_.parts)}"
    scores = forecaster.blend_scores_
    if not scores:
        return line + "."
    ranked = ", ".join(f"{name} {value:.3g}" for name, value in
                       sorted(scores.items(), key=lambda item: item[1]))
    units = "scaled units of the log" if forecaster.pipeline_.log else "scaled units"
    edge = getattr(forecaster, "networks_edge_", None)
    first = min(scores, key=scores.get)
    unclear = (first == "networks" and edge is not None
               and "networks" not in forecaster.blend_weights_)
    return (f"{line}, the two best on the validation rows weighted by the inverse of their "
            "mean squared errors, the networks only when clearly "
            f"best of all (RMSE in {units}: {ranked})"
            + (f"; the networks scored best by {edge:.2g} standard errors of the difference "
               "window by window, too little to tell from luck, and are left out"
               if unclear else "") + ".")

def show_scores(scores: pd.DataFrame, out: object = None) -> str:
    from lstmcast.forecast.intervals import split_score_columns

    table = scores.drop(columns=["target"]) if scores["target"].nunique() == 1 else scores
    point, interval = split_score_columns(table.columns)
    text = table[point].to_string(index=False, formatters=_digits(table[point]))
    if interval:
        labels = [c for c in ("target", "model") if c in table.columns]
        text += ("\n\nIntervals (pinball loss per quantile, CRPS, coverage and width of "
                 "each central interval):\n"
                 + table[labels + interval].to_string(
                     index=False, formatters=_digits(table[labels + interval])))
    for note in scores.attrs.get("notes", []):
        text += f"\nnote: {as_flags(note)}"
    return text

def _digits(table: pd.DataFrame) -> dict[str, Any]:
    """Three decimals per score column, or three significant digits where that shows nothing
    (a series of values near 1e-9 scored 0.000 for every model)."""
    import numpy as np
    import pandas as pd

    out = {}
    for name in table.columns:
        if not pd.api.types.is_float_dtype(table[name]):
            continue
        values = np.abs(table[name].to_numpy(dtype=np.float64))
        values = values[np.isfinite(values) & (values > 0)]
        small = values.size > 0 and values.max() < 0.01
        out[name] = (lambda v: f"{v:.3g}") if small else (lambda v: f"{v:.3f}")
    return out


def test_plan(source: Source, data: dict, model: dict, shards: bool = True
              ) -> tuple[pd.DataFrame | ShardedTable, pd.DataFrame, dict]:
    """(frame to fit on, frame to score, evaluate() arguments) for a source. A set of
    Parquet files gives its shards to fit on (``shards``; else its first file's rows)."""
    from lstmcast.tables import roles
    from lstmcast.tables.io import check_complete, check_ids
    from lstmcast.tables.splits import drop_tail, holdout_rows
    from lstmcast.tables.unusable import leave_out_unusable

    with warnings.catch_warnings():  # roles checked before training; fit warns once more
        warnings.simplefilter("ignore")
        table_roles = roles.resolve(
            source.frame, **data_columns(data), scale_by=model.get("scale_by", "global"),
            horizon=model.get("horizon", 1), autoregressive=model.get("autoregressive"),
            difference=model.get("difference", False), calendar=model.get("calendar", False))
    if model.get("missing", "error") == "error":  # the rows to test on too, before training
        r = table_roles
        check_complete(source.frame, [*r.target, *r.features, *r.future, *r.static],
                       data.get("group"), r.target, r.features)
    targets = table_roles.target
    if source.test is not None:
        return source.frame, source.test, kept_values(
            model, source.frame, source.test, targets, {"last_only": source.last_only})
    if source.parquet is not None and shards:
        return shard_plan(source, data, model)
    group = data.get("group")
    check_ids(source.frame, group)
    shortest = (int(source.frame.groupby(group, dropna=False, observed=True).size().min()) if group
                else len(source.frame))
    if shortest < 2:
        raise usage_error(f"{source.name!r} has a series of {shortest} row: training needs several "
                     "rows per series, and some after them to test on.")
    given = data.get("holdout") or source.holdout
    holdout = given or holdout_rows(source.frame, group, 0.2, least=forecast_rows(model))
    check_holdout(holdout, shortest, bool(given), model, group)
    fit_frame = drop_tail(source.frame, group, data.get("time"), int(holdout),
                          model.get("time_format"))
    fit_frame, test_frame = leave_out_unusable(fit_frame, source.frame, table_roles,
                                               model.get("missing"), int(holdout))
    return fit_frame, test_frame, kept_values(model, fit_frame, test_frame, targets,
                                              {"holdout": int(holdout)})


def kept_values(model: dict, fit: pd.DataFrame, test: pd.DataFrame, targets: list[str],
                how: dict) -> dict:
    """``how``, and where the scale is left to the fit (``log`` not given) and the rows to
    fit on are all above 0 but those to test on are not, ``log`` set to False with a note
    saying why: the fit's rows alone could choose the log, and the test's windows could
    not be read so."""
    if model.get("log") is None and _all_above_zero(fit, targets) and \
            not _all_above_zero(test, targets):
        model["log"] = False
        how["note"] = ("the targets are read as they are, not as their log: the rows held "
                       "out for the test hold a value at or below 0")
    return how


def _all_above_zero(frame: pd.DataFrame, targets: list[str]) -> bool:
    """Whether every target value of ``frame`` is above 0 (blank values are not read)."""
    import numpy as np
    import pandas as pd

    values = frame[targets].apply(pd.to_numeric, errors="coerce").to_numpy(dtype=np.float64)
    return bool((values[np.isfinite(values)] > 0).all())


def forecast_rows(model: dict) -> int:
    """The rows one forecast's targets span (steps + horizon - 1, at least 1): the fewest
    the test holds out, so that a window can be scored."""
    return max(1, model.get("steps", 1) + max(model.get("horizon", 1), 1) - 1)


def check_holdout(holdout: int, shortest: int, given: bool, model: dict,
                  group: str | None) -> None:
    """Refuse a test that leaves the shortest series nothing to train on, saying whether
    ``--holdout`` or the forecast's span set it."""
    if holdout < shortest:
        return
    if given:
        raise usage_error(f"--holdout {holdout} is not less than the {shortest} rows of the "
                          "shortest series: nothing would be left to train on.")
    raise usage_error(
        f"{'The shortest series has' if group else 'The table has'} {shortest} rows: the "
        f"test holds out the last {holdout} of each series, the rows one forecast of "
        f"{forecast_rows(model)} steps spans, which leaves none to train on. "
        + ("Leave out the shortest series, or forecast" if group else "Forecast")
        + " fewer steps (--steps).")


def shard_plan(source: Source, data: dict, model: dict
               ) -> tuple[ShardedTable, pd.DataFrame, dict]:
    """``test_plan`` of a set of Parquet files, read shard by shard: the model trains on
    every series without its last rows, and is scored on the first shard's series."""
    from lstmcast.tables.splits import drop_tail
    from lstmcast.tables.streaming import SHARD_ROWS, ShardedTable

    group, time_col = data.get("group"), data.get("time")
    shards = ShardedTable(source.name, model.get("shard_rows") or SHARD_ROWS).joined(
        group, time_col)
    shortest = shards.shortest(group)
    holdout = data.get("holdout") or max(1, forecast_rows(model), shortest // 5)
    check_holdout(holdout, shortest, bool(data.get("holdout")), model, group)
    shards.select = lambda frame: drop_tail(frame, group, time_col, int(holdout),
                                            model.get("time_format"))
    test = shards.read(0, select=False)
    return shards, test, {"holdout": int(holdout),
                          "note": f"scored on the first of {len(shards)} shards "
                                  f"({len(shards.shards[0].files)} of "
                                  f"{source.parquet['files']} files)"}

def config_sections(source: Source, data: dict, model: dict) -> dict:
    data_section = {"source": source.name, **{k: v for k, v in data.items() if v is not None}}
    model_section = {k: (list(v) if isinstance(v, tuple) else v) for k, v in model.items()
                     if k in params.SECTIONS["model"] and v is not None}
    return {"data": data_section, "model": model_section}

class RunFiles(Protocol):
    """Where a run's files go: a ``RunFolder``, or tune's staging folder."""

    def file(self, name: str) -> Path: ...


def write_run(folder: RunFiles, forecaster: Forecaster, scores: pd.DataFrame,
              predictions: pd.DataFrame, seconds: float, last_only: bool, data: dict,
              explanation: Explanation, name: str) -> None:
    import pandas as pd

    from lstmcast import plots
    from lstmcast.cli.report import write_report
    from lstmcast.forecast import forecasting
    from lstmcast.forecast.combination import finite

    forecaster.save(folder.file("forecaster.lstmcast"))
    metrics = {"scores": json.loads(scores.to_json(orient="records")),
               "notes": scores.attrs.get("notes", []),
               "n_windows": forecaster.n_windows_, "batch_size": forecaster.batch_size_,
               "train_seconds": round(seconds, 2),
               "epochs_run": len(forecaster.history_["loss"]),
               "blend_weight": forecaster.blend_weight_,
               "blend_weights": forecaster.blend_weights_,
               "blend_scores": forecaster.blend_scores_,
               "networks_edge": finite(getattr(forecaster, "networks_edge_", None)),
               "window": forecaster.window_,
               "season": forecaster.season_, "log": log_record(forecaster),
               "scale_by": {"value": forecaster.pipeline_.scale_by,
                            "why": getattr(forecaster, "scaling_choice_", (None, None))[1]}}
    folder.file("metrics.json").write_text(json.dumps(metrics, indent=2) + "\n")
    history = pd.DataFrame(forecaster.history_)
    history.insert(0, "epoch", range(1, len(history) + 1))
    history.to_csv(folder.file("history.csv"), index=False)
    forecasting.as_written(forecaster.pipeline_, predictions).to_csv(
        folder.file("predictions.csv"), index=False)
    figures = [(plots.loss_curve(forecaster.history_, folder.file("loss.png")),
                "Training and validation loss per epoch")]
    group, time_col = data.get("group"), data.get("time")
    if last_only and group:
        figures.append((plots.rul_per_engine(predictions, folder.file("rul.png"), group),
                        "Predicted against true remaining useful life, per test engine"))
    else:
        figures.append((plots.forecasts(predictions, folder.file("forecast.png"), group,
                                        time_col),
                        "One-step forecasts against the actual values, with the baselines"
                        + (" and the model's interval" if forecaster.intervals_ else "")))
        if forecaster.intervals_ is not None and forecaster.steps > 1:
            figures.append((plots.fan_chart(predictions, folder.file("fan.png"), group,
                                            time_col),
                            "The last forecast, every step, with its intervals (fan chart)"))
    explained = plots.explanation_figures(explanation, folder.file("explain"),
                                          time_col or "row")
    captions = {"attribution.png": "Integrated gradients: which time steps and features drove "
                "the forecast", "gate_means.png": "Mean gate values over the window, per layer"}
    write_report(folder.file("report.html"), f"lstmcast run: {name}", scores, figures,
                 explanation.summary(),
                 [(p, captions.get(p.name, f"Gates of layer {p.stem[len('gates_'):]}"))
                  for p in explained],
                 folder.file("config.toml").read_text())

def default_out(name: str) -> Path:
    from lstmcast.runs.outputs import free_name

    slug = "".join(c if c.isalnum() else "-" for c in Path(name).stem if c).strip("-").lower()
    return free_name(Path("runs") / f"{slug or 'run'}-{time.strftime('%Y%m%d-%H%M%S')}")

def log_record(forecaster: Forecaster) -> dict:
    """The targets read as their log, and why (the folds' squared errors, plain and log,
    when they were compared)."""
    choice = getattr(forecaster, "log_choice_", None)
    return {"targets": list(forecaster.pipeline_.log),
            "why": None if choice is None else choice.why,
            "fold_errors": None if choice is None else [list(e) for e in choice.errors]}

def output_guard(args: argparse.Namespace) -> OutputGuard:
    """The output guard of a command, from what the command declares it reads and writes."""
    from lstmcast.runs.outputs import OutputGuard

    return OutputGuard.for_command(args, args.access)

def add_model_options(p: argparse.ArgumentParser) -> None:
    """The data roles and the Forecaster's settings, from ``lstmcast.forecast.params``."""
    for title, section in (("data columns", params.DATA),
                           ("model and training (defaults: the tutorial's)", params.MODEL)):
        group = p.add_argument_group(title)
        for param in section:
            if not param.cli:
                continue
            default = "" if param.default in (None, "") or title == "data columns" else (
                f" ({','.join(map(str, param.default))})" if isinstance(param.default, tuple)
                else f" ({str(param.default).lower()})" if isinstance(param.default, bool)
                else f" ({param.default})")
            if param.kind == "bool":
                group.add_argument(param.flag, dest=param.name, default=None,
                                   action=argparse.BooleanOptionalAction,
                                   help=param.help + default)
            else:
                group.add_argument(param.flag, dest=param.name, metavar=metavar(param),
                                   help=param.help + default)
    p.add_argument("--preset", choices=sorted(params.PRESETS),
                   help="a named bundle of settings (flags and --config override it): "
                   "long-horizon = segment recurrence, instance normalization, channel "
                   "independence, absolute error, blend with the linear map "
                   "(docs/longhorizon.md)")
    p.add_argument("--config", help="a run's config.toml to start from (flags override it)")

TABLE_OPTIONS = ("missing", "time_format")  # how any command reads a table

def metavar(param: params.Param) -> str:
    """How an option's value shows in the help: its choices, or its name."""
    return "|".join(param.choices) if param.choices else param.name.upper().replace("_", "-")

def add_table_options(p: argparse.ArgumentParser) -> None:
    """How the table is read, for the commands that read one with a trained model (the same
    options, from the same registry, as train's)."""
    group = p.add_argument_group("reading the table (default: as the model was trained)")
    for name in TABLE_OPTIONS:
        param = params.BY_NAME[name]
        group.add_argument(param.flag, dest=name, metavar=metavar(param), help=param.help)

def load_run(args: argparse.Namespace, device: str | None = None) -> Forecaster:
    """The run's Forecaster, reading tables with the command's --missing / --time-format."""
    from lstmcast.forecast.forecaster import Forecaster
    from lstmcast.runs.folders import run_file

    forecaster = Forecaster.load(run_file(args.run, "forecaster.lstmcast"), device=device)
    reading = {name: params.BY_NAME[name].parse(getattr(args, name)) for name in TABLE_OPTIONS
               if getattr(args, name, None) is not None}
    return forecaster.set_params(**reading)

def add_force(p: argparse.ArgumentParser) -> None:
    p.add_argument("--force", action="store_true",
                   help="replace an existing --out (never the data read, nor a run's files)")
