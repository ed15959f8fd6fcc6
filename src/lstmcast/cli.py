"""The ``lstmcast`` command line: a thin layer over the Forecaster.

Every command exits non-zero with one clear line on bad input (``--debug``
shows the traceback instead) and has ``--help`` with examples.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from lstmcast import __version__
from lstmcast.errors import LstmcastError

EXAMPLES = """examples:
  lstmcast demo                                   the full workflow on C-MAPSS FD001
  lstmcast inspect cmapss:FD001                   shapes, first window, memory; trains nothing
  lstmcast train airline --epochs 50 --out runs/air
  lstmcast train sales.csv --target sales --group store --time date --window 28
  lstmcast evaluate runs/air airline
  lstmcast predict runs/air airline --n-ahead 24 --out forecast.csv
  lstmcast backtest sunspots --folds 3 --epochs 30
  lstmcast explain runs/air airline --at 1958-06
data: a CSV or Parquet file, or a built-in dataset: cmapss:FD001..FD004, airline, sunspots
"""


def _boolean(value: Any) -> bool:
    """True/False from a flag or a config file (``true``/``false``), nothing else."""
    if isinstance(value, bool):
        return value
    if str(value).lower() in ("true", "false"):
        return str(value).lower() == "true"
    raise ValueError(value)


# CLI option -> (Forecaster argument, parser)
MODEL_OPTIONS: dict[str, tuple[str, Any]] = {
    "window": ("window", int), "horizon": ("horizon", int), "steps": ("steps", int),
    "units": ("units", lambda v: [int(u) for u in (v if isinstance(v, list) else
                                                   str(v).split(","))]),
    "dropout": ("dropout", float), "cell": ("cell", str), "epochs": ("epochs", int),
    "batch_size": ("batch_size", int), "learning_rate": ("learning_rate", float),
    "loss": ("loss", str), "optimizer": ("optimizer", str), "patience": ("patience", int),
    "lr_patience": ("lr_patience", int),
    "validation": ("validation", float), "validation_by": ("validation_by", str),
    "scaler": ("scaler", str), "scale_by": ("scale_by", str), "season": ("season", int),
    "seed": ("seed", int), "max_seconds": ("max_seconds", float),
    "clipnorm": ("clipnorm", float), "missing": ("missing", str),
    "ensemble": ("ensemble", int), "precision": ("precision", str),
    "difference": ("difference", _boolean),
}
DATA_OPTIONS = ("target", "features", "group", "time", "holdout")


def _list(value: Any) -> list[str] | None:
    if value is None:
        return None
    return [v.strip() for v in value.split(",") if v.strip()] if isinstance(value, str) else list(
        value)


def _settings(args: argparse.Namespace, source: Any) -> tuple[dict, dict]:
    """Resolve data and model settings: dataset defaults < --config file < flags."""
    from lstmcast.runs import read_toml

    data: dict[str, Any] = {k: v for k, v in source.defaults.items() if k in DATA_OPTIONS}
    model: dict[str, Any] = {k: v for k, v in source.defaults.items() if k in MODEL_OPTIONS}
    if getattr(args, "config", None):
        config = read_toml(args.config)
        data.update(config.get("data", {}))
        model.update(config.get("model", {}))
    for key in DATA_OPTIONS:
        value = getattr(args, key, None)
        if value is not None:
            data[key] = value
    for key in MODEL_OPTIONS:
        value = getattr(args, key, None)
        if value is not None:
            model[key] = value
    for key in ("target", "features"):
        data[key] = _list(data.get(key))
    if not data.get("target"):
        raise _usage("--target is required for this data (the column to forecast).")
    params = {}
    for key, value in model.items():
        if key not in MODEL_OPTIONS:  # a typo in a config file must not pass silently
            raise _usage(f"Unknown model setting {key!r} in the config file.")
        name, convert = MODEL_OPTIONS[key]
        try:
            params[name] = convert(value)
        except (TypeError, ValueError):
            raise _usage(f"Invalid value for {key}: {value!r}.") from None
    return data, params


class _UsageError(LstmcastError, ValueError):
    pass


def _usage(message: str) -> _UsageError:
    return _UsageError(message)


def _forecaster(params: dict, args: argparse.Namespace, verbose: int = 1):
    from lstmcast.forecaster import Forecaster

    return Forecaster(**params, verbose=0 if args.quiet else verbose)


def _columns(data: dict) -> dict:
    target = data["target"]
    return {"target": target[0] if len(target) == 1 else target, "features": data["features"],
            "group": data.get("group"), "time": data.get("time")}


def _show_scores(scores: Any, out: Any = None) -> str:
    table = scores.drop(columns=["target"]) if scores["target"].nunique() == 1 else scores
    text = table.to_string(index=False, float_format=lambda v: f"{v:.3f}")
    for note in scores.attrs.get("notes", []):
        text += f"\nnote: {note}"
    return text


def _test_plan(source: Any, data: dict) -> tuple[Any, Any, dict]:
    """(frame to fit on, frame to score, evaluate() arguments) for a source."""
    from lstmcast.runs import drop_tail, holdout_rows

    if source.test is not None:
        return source.frame, source.test, {"last_only": source.last_only}
    holdout = data.get("holdout") or source.holdout or holdout_rows(
        source.frame, data.get("group"), 0.2)
    fit_frame = drop_tail(source.frame, data.get("group"), data.get("time"), int(holdout))
    return fit_frame, source.frame, {"holdout": int(holdout)}


def _config_sections(source: Any, data: dict, params: dict) -> dict:
    data_section = {"source": source.name, **{k: v for k, v in data.items() if v is not None}}
    model_section = {k: (list(v) if isinstance(v, tuple) else v) for k, v in params.items()
                     if k in MODEL_OPTIONS}
    return {"data": data_section, "model": model_section}


def _write_run(folder: Any, forecaster: Any, scores: Any, predictions: Any, seconds: float,
               last_only: bool, data: dict, explanation: Any, name: str) -> None:
    import pandas as pd

    from lstmcast import plots
    from lstmcast.report import write_report

    forecaster.save(folder.file("forecaster.lstmcast"))
    metrics = {"scores": json.loads(scores.to_json(orient="records")),
               "notes": scores.attrs.get("notes", []),
               "n_windows": forecaster.n_windows_, "batch_size": forecaster.batch_size_,
               "train_seconds": round(seconds, 2),
               "epochs_run": len(forecaster.history_["loss"])}
    folder.file("metrics.json").write_text(json.dumps(metrics, indent=2) + "\n")
    history = pd.DataFrame(forecaster.history_)
    history.insert(0, "epoch", range(1, len(history) + 1))
    history.to_csv(folder.file("history.csv"), index=False)
    predictions.to_csv(folder.file("predictions.csv"), index=False)
    figures = [(plots.loss_curve(forecaster.history_, folder.file("loss.png")),
                "Training and validation loss per epoch")]
    group, time_col = data.get("group"), data.get("time")
    if last_only and group:
        figures.append((plots.rul_per_engine(predictions, folder.file("rul.png"), group),
                        "Predicted against true remaining useful life, per test engine"))
    else:
        figures.append((plots.forecasts(predictions, folder.file("forecast.png"), group,
                                        time_col),
                        "One-step forecasts against the actual values, with the baselines"))
    explained = plots.explanation_figures(explanation, folder.file("explain"),
                                          time_col or "row")
    captions = {"attribution.png": "Integrated gradients: which time steps and features drove "
                "the forecast", "gate_means.png": "Mean gate values over the window, per layer"}
    write_report(folder.file("report.html"), f"lstmcast run: {name}", scores, figures,
                 explanation.summary(),
                 [(p, captions.get(p.name, f"Gates of layer {p.stem[len('gates_'):]}"))
                  for p in explained],
                 folder.file("config.toml").read_text())


def _default_out(name: str) -> Path:
    from lstmcast.outputs import free_name

    slug = "".join(c if c.isalnum() else "-" for c in Path(name).stem if c).strip("-").lower()
    return free_name(Path("runs") / f"{slug or 'run'}-{time.strftime('%Y%m%d-%H%M%S')}")


def cmd_train(args: argparse.Namespace) -> int:
    from lstmcast.runs import CHECKPOINT, RunFolder, read_toml, resolve, to_toml

    if args.resume:
        folder = RunFolder(args.resume, resume=True)
        args.config = str(folder.path / "config.toml")
        args.data = args.data or read_toml(args.config).get("data", {}).get("source")
    elif args.data is None:
        raise _usage("give the DATA to train on, or --resume RUN to continue a run.")
    source = resolve(args.data)
    data, params = _settings(args, source)
    if getattr(args, "budget", None):
        params.setdefault("max_seconds", args.budget)
    if not args.resume:
        folder = RunFolder(args.out or _default_out(args.data))
    with folder:
        if not args.resume:
            folder.file("config.toml").write_text(to_toml(_config_sections(source, data, params)))
        params["checkpoint"] = str(folder.file(CHECKPOINT))
        fit_frame, test_frame, how = _test_plan(source, data)
        forecaster = _forecaster(params, args, verbose=1 if sys.stdout.isatty() else 2)
        started = time.perf_counter()
        forecaster.fit(fit_frame, **_columns(data))
        seconds = time.perf_counter() - started
        if not args.quiet:
            forecaster.model_.summary()
        scores, predictions = forecaster.evaluate(test_frame, return_predictions=True, **how)
        explanation = forecaster.explain(test_frame)
        _write_run(folder, forecaster, scores, predictions, seconds, source.last_only, data,
                   explanation, source.name)
    if not args.quiet:
        where = ("the last window of each test series" if how.get("last_only")
                 else f"the last {how.get('holdout')} rows of each series")
        print(f"\nTest scores on {where} ({scores.attrs['n_windows']} windows):")
        print(_show_scores(scores))
        print("\n" + explanation.summary())
        print(f"\nTrained {len(forecaster.history_['loss'])} epochs in {seconds:.0f} s. "
              f"Run folder: {folder.target} (open report.html in a browser)")
    return 0


def _guard(args: argparse.Namespace):
    """The output guard of a command: protects the data it reads and the run folder."""
    from lstmcast.outputs import OutputGuard

    protected = [getattr(args, "run", None)]
    data = getattr(args, "data", None)
    if data is not None and Path(data).exists():
        protected.append(data)
    return OutputGuard(force=getattr(args, "force", False), protected=protected)


def cmd_evaluate(args: argparse.Namespace) -> int:
    from lstmcast.forecaster import Forecaster
    from lstmcast.runs import resolve, run_file

    guard = _guard(args)
    if args.out:
        guard.check_file(args.out)
    forecaster = Forecaster.load(run_file(args.run, "forecaster.lstmcast"))
    source = resolve(args.data)
    if source.test is not None:
        scores = forecaster.evaluate(source.test, last_only=source.last_only)
    else:
        holdout = args.holdout or source.holdout
        scores = forecaster.evaluate(source.frame, last_only=args.last_only, holdout=holdout)
    text = _show_scores(scores)
    if args.out:
        guard.write_file(args.out, (scores.to_json(orient="records", indent=2) + "\n").encode())
    if not args.quiet:
        print(text)
    return 0


def cmd_predict(args: argparse.Namespace) -> int:
    from lstmcast.forecaster import Forecaster
    from lstmcast.runs import resolve, run_file

    guard = _guard(args)
    if args.out:
        guard.check_file(args.out)
    forecaster = Forecaster.load(run_file(args.run, "forecaster.lstmcast"))
    source = resolve(args.data)
    frame = source.test if source.test is not None else source.frame
    forecast = forecaster.predict(frame, n_ahead=args.n_ahead)
    if args.out:
        guard.write_file(args.out, forecast.to_csv(index=False).encode())
        if not args.quiet:
            print(f"Wrote {len(forecast)} forecast rows to {args.out}")
    elif not args.quiet:
        print(forecast.to_string(index=False))
    return 0


def cmd_explain(args: argparse.Namespace) -> int:
    from lstmcast import plots
    from lstmcast.forecaster import Forecaster
    from lstmcast.outputs import free_name, publish_folder
    from lstmcast.runs import resolve, run_file

    if args.at is not None and args.window is not None:
        raise _usage("give --at or --window, not both.")
    guard = _guard(args)
    if args.out:
        guard.check_folder(args.out)
    forecaster = Forecaster.load(run_file(args.run, "forecaster.lstmcast"))
    source = resolve(args.data)
    frame = source.test if source.test is not None else source.frame
    explanation = forecaster.explain(frame, series=args.series, at=args.at, window=args.window,
                                     baseline=args.baseline)
    where = "-".join(str(v) for v in list(explanation.context.values())[:2])
    where = "".join(c if c.isalnum() or c in "-_." else "-" for c in where)
    out = guard.check_folder(args.out) if args.out else free_name(
        Path(args.run) / f"explain-{where}")
    built = free_name(out.parent / f".{out.name}.partial")
    try:
        paths = plots.explanation_figures(explanation, built, forecaster.spec_.time or "row")
        publish_folder(built, out)
    finally:
        shutil.rmtree(built, ignore_errors=True)
    paths = [out / p.name for p in paths]
    if not args.quiet:
        print(explanation.summary())
        print(f"\nWrote {len(paths)} pictures and summary.txt to {out}")
    return 0


def cmd_backtest(args: argparse.Namespace) -> int:
    from lstmcast.runs import resolve

    guard = _guard(args)
    if args.out:
        guard.check_file(args.out)
    source = resolve(args.data)
    data, params = _settings(args, source)
    forecaster = _forecaster(params, args, verbose=0)
    result = forecaster.backtest(source.frame, **_columns(data), folds=args.folds,
                                 test_size=args.test_size, progress=not args.quiet)
    if args.out:
        guard.write_file(args.out, result.to_csv(index=False).encode())
    if not args.quiet:
        print(result.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
        model = result[result["model"] == "lstmcast"]
        print(f"\nlstmcast over {args.folds} folds: RMSE {model['rmse'].mean():.3f} "
              f"(min {model['rmse'].min():.3f}, max {model['rmse'].max():.3f}), "
              f"mean skill {model['skill'].mean():+.3f}")
    return 0


def cmd_inspect(args: argparse.Namespace) -> int:
    from lstmcast.runs import resolve

    source = resolve(args.data)
    data, params = _settings(args, source)
    fit_frame, test_frame, how = _test_plan(source, data)
    forecaster = _forecaster(params, args, verbose=0)
    facts = forecaster.inspect(fit_frame, **_columns(data))
    window, n_in = forecaster.window, len(facts["inputs"])
    lines = [f"data: {source.name}, {facts['rows']} rows in {facts['series']} series",
             f"target: {', '.join(facts['target'])}; inputs ({n_in}): "
             f"{', '.join(facts['inputs'])}",
             "network input (samples, time_steps, features):"]
    for split, shape in facts["shapes"].items():
        lines.append(f"  {split:<11s}{shape}")
    if how.get("last_only"):
        n_test = test_frame[data["group"]].nunique() if data.get("group") else 1
        lines.append(f"  {'test':<11s}{(n_test, window, n_in)}  (last window of each series)")
    else:
        lines.append(f"  {'test':<11s}targets in the last {how['holdout']} rows of each series")
    first = facts["first_window"]
    which = f"series {first['series']!r}" if data.get("group") else "the series"
    lines.append(f"first training window: {which}, "
                 f"{data.get('time') or 'rows'} {first['times'][0]} .. {first['times'][1]}; "
                 f"target at {first['target_times']} = {first['target_values']}")
    mem = facts["memory_bytes"]
    lines.append(f"memory for windows: {_size(mem['windows_zero_copy'])} (a zero-copy view of "
                 f"the rows); as copied windows they would take {_size(mem['windows_as_copies'])}")
    print("\n".join(lines))
    return 0


def _size(n: int) -> str:
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GiB"


def cmd_demo(args: argparse.Namespace) -> int:
    args.data = "cmapss:FD001"
    args.out = args.out or _default_out("demo")
    if not args.quiet:
        print("lstmcast demo: the tutorial's model (LSTM 100 -> Dropout 0.2 -> LSTM 50 -> "
              "Dropout 0.2 -> Dense 1) on NASA C-MAPSS FD001, remaining useful life capped at "
              "125 cycles, windows of 30 cycles per engine, 20% of the training engines held "
              "out for early stopping, scaled on the others only.\n")
    return cmd_train(args)


def _add_model_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("data columns")
    g.add_argument("--target", help="column(s) to forecast, comma-separated")
    g.add_argument("--features", help="input columns, comma-separated (default: all other "
                   "numeric columns)")
    g.add_argument("--group", help="series-id column (many series, one model)")
    g.add_argument("--time", help="time column (rows are sorted by it in each series)")
    g.add_argument("--holdout", type=int, help="rows at the end of each series kept for the "
                   "test (default: the dataset's, else 20%% of the shortest series)")
    m = p.add_argument_group("model and training (defaults: the tutorial's)")
    m.add_argument("--window", type=int, help="rows per input window (30)")
    m.add_argument("--horizon", type=int, help="rows from a window's end to its target (1)")
    m.add_argument("--steps", type=int, help="target rows forecast at once (1)")
    m.add_argument("--units", help="units per recurrent layer, e.g. 100,50")
    m.add_argument("--dropout", type=float, help="dropout after each layer (0.2)")
    m.add_argument("--cell", choices=["lstm", "gru"], help="recurrent cell (lstm)")
    m.add_argument("--epochs", type=int, help="most epochs (100)")
    m.add_argument("--batch-size", dest="batch_size", type=int,
                   help="batch size (200, lowered on small data to give 10 steps per epoch)")
    m.add_argument("--learning-rate", dest="learning_rate", type=float, help="(0.001)")
    m.add_argument("--loss", help="mse, mae or huber (mse)")
    m.add_argument("--optimizer", help="adam, adamw, sgd or rmsprop (adam)")
    m.add_argument("--patience", type=int, help="early-stopping patience in epochs (10)")
    m.add_argument("--lr-patience", dest="lr_patience", type=int,
                   help="halve the learning rate after N epochs without a better validation "
                   "loss (off)")
    m.add_argument("--validation", type=float, help="fraction held out for early stopping")
    m.add_argument("--validation-by", dest="validation_by", choices=["time", "series"])
    m.add_argument("--scaler", choices=["minmax", "standard"])
    m.add_argument("--scale-by", dest="scale_by", help="global, series, or a key column")
    m.add_argument("--season", type=int, help="season length for seasonal naive and MASE")
    m.add_argument("--seed", type=int, help="random seed (0)")
    m.add_argument("--max-seconds", dest="max_seconds", type=float, help="training time budget")
    m.add_argument("--clipnorm", type=float, help="clip gradients to this global L2 norm")
    m.add_argument("--ensemble", type=int, help="train N networks (seeds seed..seed+N-1) and "
                   "forecast their mean (1)")
    m.add_argument("--precision", choices=["float32", "bfloat16"],
                   help="float32 (default) or bfloat16 mixed precision: faster on CPUs with "
                   "AVX512-BF16/AMX and recent GPUs, slightly less accurate")
    m.add_argument("--difference", action="store_true", default=None,
                   help="model changes instead of levels, for series that trend beyond "
                   "their training range")
    m.add_argument("--missing", choices=["error", "drop", "ffill", "interpolate"],
                   help="what to do with NaN/inf values (error)")
    m.add_argument("--config", help="a run's config.toml to start from (flags override it)")


def _add_force(p: argparse.ArgumentParser) -> None:
    p.add_argument("--force", action="store_true",
                   help="replace an existing --out (never the data read, nor a run's files)")


def build_parser() -> argparse.ArgumentParser:
    raw = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(prog="lstmcast", description="LSTM time-series "
                                     "forecasting, the tutorial's model made real.",
                                     epilog=EXAMPLES, formatter_class=raw)
    parser.add_argument("--version", action="version", version=f"lstmcast {__version__}")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--quiet", action="store_true", help="print nothing but errors")
    common.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("train", parents=[common], formatter_class=raw,
                       help="train on a table and write a run folder",
                       description="Train a Forecaster, score it against baselines on held-out "
                       "data, and write a run folder (model, config.toml, metrics.json, "
                       "history.csv, predictions.csv, plots).",
                       epilog="examples:\n  lstmcast train cmapss:FD001 --out runs/fd001\n"
                       "  lstmcast train data.csv --target y --time t --window 48 --epochs 50")
    p.add_argument("data", nargs="?", help="CSV/Parquet path or built-in dataset name")
    _add_model_options(p)
    p.add_argument("--out", help="run folder to create (default runs/NAME-TIMESTAMP)")
    p.add_argument("--resume", metavar="RUN", help="continue an interrupted run from its last "
                   "finished epoch (same settings; ends as if it had never stopped)")
    p.set_defaults(handler=cmd_train)

    p = sub.add_parser("evaluate", parents=[common], formatter_class=raw,
                       help="score a trained run on data, beside baselines",
                       epilog="example:\n  lstmcast evaluate runs/fd001 cmapss:FD001")
    p.add_argument("run", help="run folder")
    p.add_argument("data", help="CSV/Parquet path or built-in dataset name")
    p.add_argument("--holdout", type=int, help="score only the last N rows of each series")
    p.add_argument("--last-only", action="store_true",
                   help="score only the last window of each series")
    p.add_argument("--out", help="write the scores as JSON here (a new file)")
    _add_force(p)
    p.set_defaults(handler=cmd_evaluate)

    p = sub.add_parser("predict", parents=[common], formatter_class=raw,
                       help="forecast past the end of each series",
                       epilog="example:\n  lstmcast predict runs/air airline --n-ahead 12 "
                       "--out forecast.csv")
    p.add_argument("run", help="run folder")
    p.add_argument("data", help="CSV/Parquet path or built-in dataset name (the history)")
    p.add_argument("--n-ahead", dest="n_ahead", type=int, help="rows to forecast (steps)")
    p.add_argument("--out", help="write the forecast as CSV here (a new file)")
    _add_force(p)
    p.set_defaults(handler=cmd_predict)

    p = sub.add_parser("explain", parents=[common], formatter_class=raw,
                       help="gates and attributions for one forecast of a trained run",
                       description="Explain one forecast of a trained run: heatmaps of every "
                       "gate of every recurrent layer (from the tutorial's equations run on the "
                       "model's weights), integrated-gradients attribution over time steps and "
                       "features, and a short summary.",
                       epilog="examples:\n  lstmcast explain runs/fd001 cmapss:FD001 --series 3"
                       "\n  lstmcast explain runs/air airline --at 1958-06 --out why")
    p.add_argument("run", help="run folder")
    p.add_argument("data", help="CSV/Parquet path or built-in dataset name (the history)")
    p.add_argument("--series", help="series id (default: the first)")
    p.add_argument("--at", help="time of the window's last row (default: the last)")
    p.add_argument("--window", type=int, help="or: the K-th window of the series (-1 = last)")
    p.add_argument("--baseline", default="mean", choices=["mean", "zeros"],
                   help="reference window for attributions (default: the window's mean)")
    p.add_argument("--out", help="folder for the pictures (default: a new "
                   "RUN/explain-SERIES-TIME)")
    _add_force(p)
    p.set_defaults(handler=cmd_explain)

    p = sub.add_parser("backtest", parents=[common], formatter_class=raw,
                       help="rolling-origin evaluation, refitting per fold",
                       epilog="example:\n  lstmcast backtest airline --folds 3 --epochs 50")
    p.add_argument("data", help="CSV/Parquet path or built-in dataset name")
    _add_model_options(p)
    p.add_argument("--folds", type=int, default=3, help="number of origins (3)")
    p.add_argument("--test-size", dest="test_size", type=int, help="rows per fold and series")
    p.add_argument("--out", help="write the per-fold scores as CSV here (a new file)")
    _add_force(p)
    p.set_defaults(handler=cmd_backtest)

    p = sub.add_parser("inspect", parents=[common], formatter_class=raw,
                       help="dry run: shapes per split, the first window, memory",
                       epilog="example:\n  lstmcast inspect cmapss:FD001 --window 40")
    p.add_argument("data", help="CSV/Parquet path or built-in dataset name")
    _add_model_options(p)
    p.set_defaults(handler=cmd_inspect)

    p = sub.add_parser("demo", parents=[common], formatter_class=raw,
                       help="the full workflow on C-MAPSS FD001 (a few minutes)",
                       epilog="example:\n  lstmcast demo --epochs 5")
    _add_model_options(p)
    p.add_argument("--out", help="run folder to create (default runs/demo-TIMESTAMP)")
    p.set_defaults(handler=cmd_demo, budget=240.0, resume=None)
    return parser


def _one_line_warning(message, category, filename, lineno, file=None, line=None) -> str:
    return f"warning: {message}\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return 2
    warnings.formatwarning = _one_line_warning
    try:
        return handler(args)
    except (LstmcastError, OSError) as exc:
        if args.debug:
            raise
        print(f"lstmcast {args.command}: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("lstmcast: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
