"""The ``lstmcast`` command line: a thin layer over the Forecaster.

Every command exits non-zero with one clear line on bad input (``--debug``
shows the traceback instead) and has ``--help`` with examples.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import sys
import time
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from lstmcast import __version__
from lstmcast.cli import tune
from lstmcast.cli.common import (
    ACCESS,
    RankError,
    add_force,
    add_model_options,
    add_table_options,
    blend_line,
    build_forecaster,
    config_sections,
    data_columns,
    default_out,
    load_run,
    output_guard,
    read_settings,
    show_scores,
    test_plan,
    usage_error,
    write_run,
)
from lstmcast.errors import LstmcastError, size_text
from lstmcast.forecast import params

EXAMPLES = """examples:
  lstmcast demo                                   the full workflow on C-MAPSS FD001
  lstmcast inspect cmapss:FD001                   shapes, first window, memory; trains nothing
  lstmcast train airline --epochs 50 --out runs/air
  lstmcast train sales.csv --target sales --group store --time date --window 28
  lstmcast evaluate runs/air airline
  lstmcast predict runs/air airline --n-ahead 24 --out forecast.csv
  lstmcast backtest sunspots --folds 3 --epochs 30
  lstmcast explain runs/air airline --at 1958-06
  lstmcast export runs/air --out air.onnx          ONNX + a JSON sidecar, for serving
  lstmcast serve runs/air --port 8000             live forecasts over HTTP (docs/serve.md)
  lstmcast import-keras model.keras --out model.lstmcast
data: a CSV or Parquet file, or a built-in dataset: cmapss:FD001..FD004, airline, sunspots,
  etth2 (the shipped ETTh2.csv)
"""


def cmd_train(args: argparse.Namespace) -> int:
    from lstmcast.engine import distributed

    if not distributed.launched():
        return _train(args)
    try:  # under torchrun: one process per rank, data-parallel
        args.device = distributed.init(getattr(args, "device", None))
        return _train(args)
    finally:
        distributed.close()


def _on_rank0(make: Any, share: bool = False) -> Any:
    """``make()`` on rank 0; the other ranks fail with its error if it fails, and get its
    result (None unless ``share``: a result that can travel between processes)."""
    from lstmcast.engine import distributed

    result, error = None, None
    if distributed.is_main():
        try:
            result = make()
        except LstmcastError as exc:
            distributed.broadcast_object((None, str(exc)))
            raise
    shared, error = distributed.broadcast_object((result if share else None, None))
    if error is not None:
        raise RankError(f"rank {distributed.rank()}: rank 0 stopped: {error}")
    return result if distributed.is_main() else shared


def _train(args: argparse.Namespace) -> int:
    import contextlib

    from lstmcast.engine import distributed
    from lstmcast.engine.runtime import describe_device
    from lstmcast.runs.folders import (
        CHECKPOINT,
        RunFolder,
        partial_path,
        read_toml,
        resolve,
        to_toml,
    )

    main_rank = distributed.is_main()
    folder, target = None, args.resume
    if args.resume:  # the partial folder first: it may belong to a run still training
        folder = _on_rank0(lambda: RunFolder(args.resume, resume=True,
                                             processes=distributed.world_size()))
        args.config = str(partial_path(args.resume) / "config.toml")
        args.data = args.data or read_toml(args.config).get("data", {}).get("source")
        if args.data is None:
            raise usage_error(f"{args.config} does not say which data the run trained on; give "
                         "the DATA again.")
    elif args.data is None:
        raise usage_error("give the DATA to train on, or --resume RUN to continue a run.")
    if args.out and not args.resume:  # before reading anything
        output_guard(args).check_outputs(args)
    source = resolve(args.data, peek=True)  # a set of Parquet files: the first file
    data, model = read_settings(args, source)
    if getattr(args, "budget", None):
        model.setdefault("max_seconds", args.budget)
    fit_frame, test_frame, how = test_plan(source, data, model)  # no torch needed yet
    forecaster = build_forecaster(model, args, verbose=1 if sys.stdout.isatty() else 2)
    if not args.resume:
        target = args.out or _on_rank0(lambda: str(default_out(args.data)), share=True)
        folder = _on_rank0(lambda: RunFolder(target, processes=distributed.world_size()))
    partial = partial_path(target)
    with folder if main_rank else contextlib.nullcontext():
        if main_rank and not args.resume:
            folder.file("config.toml").write_text(to_toml(config_sections(source, data, model)))
        # kept until the run folder is complete: a run stopped while scoring resumes there
        forecaster.set_params(checkpoint=str(partial / CHECKPOINT), keep_checkpoint=True)
        if main_rank and not args.quiet:
            print(f"Training on {describe_device(forecaster.device)}", flush=True)
        started = time.perf_counter()
        forecaster.fit(fit_frame, **data_columns(data))
        seconds = time.perf_counter() - started
        if not main_rank:  # rank 0 scores the model and writes the run folder
            return 0
        if not args.quiet:
            forecaster.model_.summary()
        note = how.pop("note", None)
        scores, predictions = forecaster.evaluate(test_frame, return_predictions=True, **how)
        if note:
            scores.attrs["notes"] = [*scores.attrs.get("notes", []), note]
        explanation = forecaster.explain(test_frame)
        forecaster.set_params(checkpoint=None, keep_checkpoint=False)  # not in the saved model
        write_run(folder, forecaster, scores, predictions, seconds, source.last_only, data,
                   explanation, source.name)
        for path in partial.glob(CHECKPOINT + "*"):  # the run is complete
            path.unlink()
    if not args.quiet:
        if forecaster.window is None:
            print(f"\nWindow: {forecaster.window_choice_}.")
        found, why = forecaster.season_choice(forecaster.pipeline_.step)
        print(f"\nSeason: {found} ({why}), for the seasonal naive baseline and MASE." if found
              else f"\nSeason: none ({why}); --season N adds a seasonal naive baseline.")
        print(f"\nTest scores on {scores.attrs['scored']} ({scores.attrs['n_windows']} "
              "windows):")
        print(show_scores(scores))
        print("\n" + explanation.summary())
        if forecaster.blend_weight_ is not None:
            print(f"\n{blend_line(forecaster)}")
        print(f"\nTrained {len(forecaster.history_['loss'])} epochs in {seconds:.0f} s. "
              f"Run folder: {folder.target} (open report.html in a browser)")
    return 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    from lstmcast.runs.folders import resolve, run_file
    from lstmcast.runs.outputs import check_format, table_bytes

    guard = output_guard(args)
    guard.check_outputs(args)
    if args.out:
        check_format(args.out, (".json", ".csv"))
    holdout = None if args.holdout is None else params.BY_NAME["holdout"].parse(args.holdout)
    run_file(args.run, "forecaster.lstmcast")
    source = resolve(args.data)
    forecaster = load_run(args)  # torch: after the cheap checks
    if source.test is not None:
        scores = forecaster.evaluate(source.test, last_only=source.last_only)
    else:
        holdout = holdout or (None if args.last_only else source.holdout)
        scores = forecaster.evaluate(source.frame, last_only=args.last_only, holdout=holdout)
    text = (f"Scored {scores.attrs['n_windows']} windows: {scores.attrs['scored']}.\n"
            + show_scores(scores))
    if args.out and args.out.lower().endswith(".csv"):
        guard.write_file(args.out, table_bytes(scores, args.out))
    elif args.out:
        records = json.loads(scores.to_json(orient="records"))
        report = {"scored": scores.attrs["scored"], "n_windows": scores.attrs["n_windows"],
                  "notes": scores.attrs.get("notes", []), "scores": records}
        guard.write_file(args.out, (json.dumps(report, indent=2) + "\n").encode())
    if not args.quiet:
        print(text)
    return 0


def cmd_predict(args: argparse.Namespace) -> int:
    from lstmcast.runs.folders import resolve, run_file
    from lstmcast.runs.outputs import TABLE_FORMATS, check_format, table_bytes
    from lstmcast.tables.parquet import is_parquet_set

    guard = output_guard(args)
    guard.check_outputs(args)
    if args.out:
        check_format(args.out, (".npy", ".csv") if Path(args.run).is_file() else TABLE_FORMATS)
    if Path(args.run).is_file():
        return _predict_arrays(args, guard)
    run_file(args.run, "forecaster.lstmcast")
    n_ahead = None if args.n_ahead is None else params.Param(
        "n_ahead", None, "int", "").parse(args.n_ahead)
    forecaster = load_run(args)  # torch: after the cheap checks
    if is_parquet_set(args.data):  # read shard by shard (the model's shard_rows), not whole
        frame = args.data
    else:
        source = resolve(args.data)
        frame = source.test if source.test is not None else source.frame
    forecast = forecaster.predict(frame, n_ahead=n_ahead, future=args.future)
    if args.out:
        guard.write_file(args.out, table_bytes(forecast, args.out))
        if not args.quiet:
            print(f"Wrote {len(forecast)} forecast rows to {args.out}")
    elif not args.quiet:
        print(forecast.to_string(index=False))
    return 0


def _predict_arrays(args: argparse.Namespace, guard: Any) -> int:
    """A saved Sequential (``import-keras``, ``model.save``) on windows in a .npy file."""
    import io

    import numpy as np

    if args.n_ahead is not None or args.future is not None:
        raise LstmcastError("--n-ahead and --future are for a run folder's Forecaster; a saved "
                            "model forecasts the windows it is given.")
    if not args.data.endswith(".npy"):
        raise LstmcastError(
            f"{args.run} is a saved model (not a run folder): give it windows as a .npy array "
            f"of shape (windows, time_steps, features), not {args.data!r}.")
    from lstmcast.models import load_model

    model = load_model(args.run, compile=False)
    try:
        x = np.load(args.data, allow_pickle=False)
    except ValueError as exc:
        raise LstmcastError(f"{args.data} is not a plain NumPy array: {exc}") from None
    pred = model.predict(x.astype(np.float32, copy=False))
    flat = pred.reshape(len(pred), -1)
    if args.out and args.out.endswith(".npy"):
        buffer = io.BytesIO()
        np.save(buffer, pred)
        guard.write_file(args.out, buffer.getvalue())
    elif args.out:
        header = ",".join(f"output_{k}" for k in range(flat.shape[1]))
        text = "\n".join([header, *(",".join(repr(float(v)) for v in row) for row in flat)])
        guard.write_file(args.out, (text + "\n").encode())
    elif not args.quiet:
        print(np.array2string(pred, threshold=40))
    if args.out and not args.quiet:
        print(f"Wrote {len(pred)} forecasts of shape {tuple(pred.shape[1:])} to {args.out}")
    return 0


def cmd_import_keras(args: argparse.Namespace) -> int:
    guard = output_guard(args)
    guard.check_outputs(args)
    out = Path(args.out)
    from lstmcast.models import load_keras  # torch and h5py: after the cheap checks

    model = load_keras(args.model, device="cpu")
    model.save(out)
    if not args.quiet:
        model.summary()
        print(f"Wrote {out}; forecast with: lstmcast predict {out} windows.npy "
              "(an array of shape (windows, time_steps, features))")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from lstmcast.forecast.onnx_export import sidecar_path
    from lstmcast.runs.folders import run_file

    guard = output_guard(args)
    model_file = Path(args.run).is_file()
    guard.check_outputs(args)
    if not model_file:
        guard.check_file(sidecar_path(args.out))
        run_file(args.run, "forecaster.lstmcast")
    # torch: after the cheap checks; the paths were checked above, the writes are atomic
    if model_file:
        from lstmcast.models import load_model

        load_model(args.run, compile=False, device="cpu").export_onnx(args.out)
        written = [args.out]
    else:
        from lstmcast.forecast.forecaster import Forecaster

        forecaster = Forecaster.load(run_file(args.run, "forecaster.lstmcast"), device="cpu")
        written = [args.out, forecaster.export_onnx(args.out)]
    if not args.quiet:
        print(f"Wrote {' and '.join(str(p) for p in written)}")
        if not model_file:
            print("The network reads scaled windows; the .json beside it says how a table "
                  "becomes them and how outputs become forecasts (its 'recipe').")
    return 0


def cmd_explain(args: argparse.Namespace) -> int:
    from lstmcast import plots
    from lstmcast.runs.folders import resolve, run_file
    from lstmcast.runs.outputs import free_name, publish_folder

    if args.at is not None and args.window is not None:
        raise usage_error("give --at or --window, not both.")
    guard = output_guard(args)
    guard.check_outputs(args)
    run_file(args.run, "forecaster.lstmcast")
    source = resolve(args.data)
    forecaster = load_run(args)  # torch: after the cheap checks
    frame = source.test if source.test is not None else source.frame
    explanation = forecaster.explain(frame, series=args.series, at=args.at, window=args.window,
                                     baseline=args.baseline)
    where = "-".join(str(v) for v in list(explanation.context.values())[:2])
    where = "".join(c if c.isalnum() or c in "-_." else "-" for c in where)
    out = guard.check_folder(args.out) if args.out else free_name(
        Path(args.run) / f"explain-{where}")
    built = free_name(out.parent / f".{out.name}.partial")
    try:
        paths = plots.explanation_figures(explanation, built,
                                          forecaster.pipeline_.roles.time or "row")
        publish_folder(built, out)
    finally:
        shutil.rmtree(built, ignore_errors=True)
    paths = [out / p.name for p in paths]
    if not args.quiet:
        print(explanation.summary())
        print(f"\nWrote {len(paths)} pictures and summary.txt to {out}")
    return 0


def cmd_backtest(args: argparse.Namespace) -> int:
    from lstmcast.runs.folders import resolve
    from lstmcast.runs.outputs import check_format, table_bytes

    guard = output_guard(args)
    guard.check_outputs(args)
    if args.out:
        check_format(args.out)
    source = resolve(args.data)
    data, model = read_settings(args, source)
    forecaster = build_forecaster(model, args, verbose=0)
    folds = params.Param("folds", 3, "int", "").parse(args.folds)
    test_size = (None if args.test_size is None
                 else params.Param("test_size", None, "int", "").parse(args.test_size))
    result = forecaster.backtest(source.frame, **data_columns(data), folds=folds,
                                 test_size=test_size, progress=not args.quiet)
    if args.out:
        guard.write_file(args.out, table_bytes(result, args.out))
    if not args.quiet:
        print(result.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
        model = result[result["model"] == "lstmcast"]
        print(f"\nlstmcast over {args.folds} folds: RMSE {model['rmse'].mean():.3f} "
              f"(min {model['rmse'].min():.3f}, max {model['rmse'].max():.3f}), "
              f"mean skill {model['skill'].mean():+.3f}")
    return 0


def cmd_inspect(args: argparse.Namespace) -> int:
    from lstmcast.runs.folders import resolve
    from lstmcast.tables.timeline import describe

    source = resolve(args.data, peek=True)
    data, model = read_settings(args, source)
    fit_frame, test_frame, how = test_plan(source, data, model, shards=False)
    forecaster = build_forecaster(model, args, verbose=0)
    facts = forecaster.inspect(fit_frame, **data_columns(data))
    n_in = len(facts["inputs"])
    length = facts["shapes"]["train"][1]
    lines = []
    if source.parquet:  # a set of Parquet files: the metadata, then the first file
        from lstmcast.tables.streaming import plan

        info, most = source.parquet, forecaster.shard_rows
        shards = plan(source.name, most)
        lines += [f"Parquet files: {info['files']} files, {info['rows']:,} rows, "
                  f"{size_text(info['bytes'])} (from their metadata; the rows were not read)",
                  "columns: " + ", ".join(f"{c} ({t})" for c, t in info["columns"].items()),
                  f"training reads them in {len(shards)} shards of at most {most:,} rows "
                  f"(--shard-rows; the largest has {max(s.rows for s in shards):,}), one in "
                  "memory at a time",
                  f"below: the first file only, {info['first_file']}"]
    lines += [f"data: {source.name}, {facts['rows']} rows in {facts['series']} series",
             f"target: {', '.join(facts['target'])}", f"inputs ({n_in}):"]
    by_role: dict[str, list[str]] = {}
    for column, role in facts["roles"].items():
        by_role.setdefault(role, []).append(column)
    lines += [f"  {role}: {', '.join(columns)}" for role, columns in by_role.items()]
    time_col, info = data.get("time"), facts["time"]
    if time_col:
        kind = {"datetime": "dates", "number": "numbers"}.get(info["kind"], info["kind"])
        zone = f", zone {info['tz']}" if info.get("tz") else ""
        read = f", read as {info['format']}" if info.get("format") else ""
        lines.append(f"time: {time_col!r} holds {kind}{read}{zone}; frequency "
                     f"{describe(info['step'])}")
        found, why = facts["season"]
        lines.append(f"season: {found} ({why}): the seasonal naive baseline is scored beside "
                     "the model" if found else f"season: none ({why}; give --season N for a "
                     "seasonal naive baseline)")
        if info.get("calendar_clock") and any(r.startswith("calendar")
                                              for r in facts["roles"].values()):
            lines.append(f"  calendar inputs read the time on: {info['calendar_clock']}")
        if info["step"] is None:
            lines.append("  the series are irregular (no common step): no time steps are "
                         "checked for gaps, and forecasts get no time")
        elif info.get("irregular"):
            lines.append(f"  irregular series (off that step): {', '.join(info['irregular'])}")
    for note in facts["notes"]:
        lines.append(f"note: {note}")
    window, why = facts["window"]
    lines.append(f"window: {window} rows" + ("" if why == "given" else f" (chosen: {why})"))
    blend = model.get("blend", "select")
    if not facts["blend"]:
        lines.append("forecast: the networks alone" + (
            " (no blend: the linear maps and naive forecasts need the target's past as an "
            "input, point forecasts and no inputs known in advance)"
            if blend in ("auto", "select") else ""))
    elif blend == "select":
        lines.append("forecast: the mean of the two that score best on the validation rows "
                     "among the networks, two least-squares linear maps of the window and "
                     "the naive forecasts (chosen after training; --blend linear: the "
                     "networks and the linear map; --blend none: the networks alone)")
    else:
        lines.append("forecast: the mean of the networks' and a least-squares linear map of "
                     "the window (--blend none: the networks alone)")
    lines.append("network input (samples, time_steps, features):")
    for split, shape in facts["shapes"].items():
        lines.append(f"  {split:<11s}{shape}")
    if how.get("last_only"):
        n_test = test_frame[data["group"]].nunique() if data.get("group") else 1
        lines.append(f"  {'test':<11s}{(n_test, length, n_in)}  (last window of each series)")
    elif how.get("holdout"):
        lines.append(f"  {'test':<11s}targets in the last {how['holdout']} rows of each series")
    first = facts["first_window"]
    which = f"series {first['series']!r}" if data.get("group") else "the series"
    when, values = first["target_times"], [f"{v:.4g}" for v in first["target_values"]]
    if len(when) > 3:
        when = f"{when[0]} .. {when[-1]} ({len(when)} rows)"
        values = values[:3] + ["..."]
    lines.append(f"first training window: {which}, "
                 f"{time_col or 'rows'} {first['times'][0]} .. {first['times'][1]}; "
                 f"target at {when} = [{', '.join(values)}]")
    mem = facts["memory_bytes"]
    lines.append(f"memory for windows: {size_text(mem['windows_zero_copy'])} (a zero-copy view "
                 "of the rows); as copied windows they would take "
                 f"{size_text(mem['windows_as_copies'])}")
    net = facts["network"]
    lines.append(f"network: about {net['params']:,} weights; training takes about "
                 f"{size_text(net['bytes'])} for them, their gradients, the optimizer's state and "
                 "a batch")
    from lstmcast.layers import physical_memory

    total = physical_memory()
    if total is not None and net["bytes"] > total:
        lines.append(f"warning: that is more than this machine's {size_text(total)} of memory: "
                     "training will be refused; lower --units")
    print("\n".join(lines))
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    args.data = "cmapss:FD001"
    args.out = args.out or default_out("demo")
    if not args.quiet:
        print("lstmcast demo: the tutorial's model (LSTM 100 -> Dropout 0.2 -> LSTM 50 -> "
              "Dropout 0.2 -> Dense 1) on NASA C-MAPSS FD001, remaining useful life capped at "
              "125 cycles, windows of 30 cycles per engine, 20% of the training engines held "
              "out for early stopping, scaled on the others only.\n")
    return cmd_train(args)


def build_parser() -> argparse.ArgumentParser:
    raw = argparse.RawDescriptionHelpFormatter
    parser = _Parser(prog="lstmcast", description="LSTM time-series "
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
    add_model_options(p)
    p.add_argument("--out", help="run folder to create (default runs/NAME-TIMESTAMP)")
    p.add_argument("--resume", metavar="RUN", help="continue an interrupted run from its last "
                   "finished epoch (same settings; ends as if it had never stopped)")
    p.set_defaults(handler=cmd_train)

    p = sub.add_parser("evaluate", parents=[common], formatter_class=raw,
                       help="score a trained run on data, beside baselines",
                       epilog="example:\n  lstmcast evaluate runs/fd001 cmapss:FD001")
    p.add_argument("run", help="run folder")
    p.add_argument("data", help="CSV/Parquet path or built-in dataset name")
    p.add_argument("--holdout", help="score only the last N rows of each series (default: the "
                   "rows after the model's training data)")
    p.add_argument("--last-only", action="store_true",
                   help="score only the last window of each series")
    p.add_argument("--out", help="write the scores here (a new file): .json (with what was "
                   "scored and the notes) or .csv")
    add_table_options(p)
    add_force(p)
    p.set_defaults(handler=cmd_evaluate)

    p = sub.add_parser("predict", parents=[common], formatter_class=raw,
                       help="forecast past the end of each series",
                       epilog="example:\n  lstmcast predict runs/air airline --n-ahead 12 "
                       "--out forecast.csv")
    p.add_argument("run", help="run folder (or a saved model file, then DATA is a .npy "
                   "array of windows)")
    p.add_argument("data", help="CSV/Parquet path or built-in dataset name (the history)")
    p.add_argument("--n-ahead", dest="n_ahead", help="rows to forecast (steps)")
    p.add_argument("--future", help="CSV/Parquet of the inputs known in advance for the rows "
                   "to forecast (series id, time and the future columns)")
    p.add_argument("--out", help="write the forecast here (a new file): .csv, .parquet or "
                   ".json (records), as its extension says")
    add_table_options(p)
    add_force(p)
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
    p.set_defaults(config=None)
    p.add_argument("--baseline", default="mean", choices=["mean", "zeros"],
                   help="reference window for attributions (default: the window's mean)")
    p.add_argument("--out", help="folder for the pictures (default: a new "
                   "RUN/explain-SERIES-TIME)")
    add_table_options(p)
    add_force(p)
    p.set_defaults(handler=cmd_explain)

    p = sub.add_parser("backtest", parents=[common], formatter_class=raw,
                       help="rolling-origin evaluation, refitting per fold",
                       epilog="example:\n  lstmcast backtest airline --folds 3 --epochs 50")
    p.add_argument("data", help="CSV/Parquet path or built-in dataset name")
    add_model_options(p)
    p.add_argument("--folds", default="3", help="number of origins (3)")
    p.add_argument("--test-size", dest="test_size", help="rows per fold and series")
    p.add_argument("--out", help="write the per-fold scores here (a new file): .csv, .parquet "
                   "or .json")
    add_force(p)
    p.set_defaults(handler=cmd_backtest)
    tune.add_parser(sub, common)

    p = sub.add_parser("inspect", parents=[common], formatter_class=raw,
                       help="dry run: shapes per split, the first window, memory",
                       epilog="example:\n  lstmcast inspect cmapss:FD001 --window 40")
    p.add_argument("data", help="CSV/Parquet path or built-in dataset name")
    add_model_options(p)
    p.set_defaults(handler=cmd_inspect)

    p = sub.add_parser("export", parents=[common], formatter_class=raw,
                       help="write a trained model as ONNX, for serving without Python",
                       description="Write a run's networks as one ONNX graph (input `windows` "
                       "(batch, window, inputs), output `forecast` (batch, steps * targets), "
                       "dynamic batch) and, beside it, a JSON sidecar holding the input "
                       "columns, the window and the scalers: what turns a table into the "
                       "network's input and its output back into forecasts.",
                       epilog="examples:\n  lstmcast export runs/air --out air.onnx   "
                       "(writes air.onnx and air.json)\n  lstmcast export model.lstmcast "
                       "--out model.onnx")
    p.add_argument("run", help="run folder (or a saved model file)")
    p.add_argument("--out", required=True, help="the .onnx file to write (a new file; the "
                   "sidecar takes the same name with .json)")
    add_force(p)
    p.set_defaults(handler=cmd_export)

    p = sub.add_parser("import-keras", parents=[common], formatter_class=raw,
                       help="bring over a Keras Sequential model (.keras or .h5)",
                       description="Read a Keras 3 Sequential (.keras) or legacy .h5 model "
                       "without Keras, build the same lstmcast model with its weights and save "
                       "it. It has no table pipeline (scalers, roles): it forecasts windows "
                       "given as a .npy array with `lstmcast predict MODEL windows.npy`.",
                       epilog="example:\n  lstmcast import-keras model.keras --out "
                       "model.lstmcast\n  lstmcast predict model.lstmcast windows.npy --out "
                       "forecast.npy")
    p.add_argument("model", help="the Keras file")
    p.add_argument("--out", required=True, help="the lstmcast model file to write (a new file)")
    add_force(p)
    p.set_defaults(handler=cmd_import_keras)

    p = sub.add_parser("demo", parents=[common], formatter_class=raw,
                       help="the full workflow on C-MAPSS FD001 (a few minutes)",
                       epilog="example:\n  lstmcast demo --epochs 5")
    add_model_options(p)
    p.add_argument("--out", help="run folder to create (default runs/demo-TIMESTAMP)")
    p.set_defaults(handler=cmd_demo, budget=240.0, resume=None)
    from lstmcast.serve.command import add_parser as add_serve  # no torch, no FastAPI

    add_serve(sub, common)
    return parser


class _Parser(argparse.ArgumentParser):
    """argparse, with its errors on one line (the usage is one ``--help`` away)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


_SETTING_NAME = re.compile(r"`([a-z_]+)`")  # a setting named alone: `shard_rows`
_PYTHON_SETTING = re.compile(r"`?\b([a-z_]+)=('([^']*)'|\"([^\"]*)\"|True|False|None|[0-9.]+)`?")


def as_flags(message: str) -> str:
    """A library message's Python settings (``missing='drop'``) as command-line flags."""
    def flag(match: re.Match) -> str:
        name, value = match.group(1), match.group(2)
        param = params.BY_NAME.get(name)
        if param is None or not param.cli:
            return match.group(0)
        if value in ("True", "False"):
            return param.flag if value == "True" else "--no-" + param.flag[2:]
        text = match.group(3) if match.group(3) is not None else match.group(4)
        return f"{param.flag} {text if text is not None else value}"

    def named(match: re.Match) -> str:
        param = params.BY_NAME.get(match.group(1))
        return param.flag if param is not None and param.cli else match.group(0)

    return _SETTING_NAME.sub(named, _PYTHON_SETTING.sub(flag, message))


def _one_line_warning(message, category, filename, lineno, file=None, line=None) -> str:
    return f"warning: {as_flags(str(message))}\n"


_NEGATIVE_VALUE = re.compile(r"-\d[\d.eE]*(,-?[\d.eE+-]+)*")


def _join_negative_values(argv: list[str]) -> list[str]:
    """``--quantiles -0.1,0.5`` as ``--quantiles=-0.1,0.5``: argparse takes a value that
    starts with a dash (and is not one plain number) for an option, and says "expected one
    argument" instead of what is wrong with the value."""
    out: list[str] = []
    for token in argv:
        if (out and out[-1].startswith("--") and "=" not in out[-1]
                and _NEGATIVE_VALUE.fullmatch(token)):
            out[-1] = f"{out[-1]}={token}"
        else:
            out.append(token)
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(_join_negative_values(list(sys.argv[1:] if argv is None
                                                         else argv)))
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return 2
    warnings.formatwarning = _one_line_warning
    args.access = ACCESS[args.command]
    try:
        return handler(args)
    except BrokenPipeError:  # `lstmcast predict ... | head`: the reader left; not an error
        import os

        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # Python flushes stdout once more at exit
        return 0
    except (LstmcastError, OSError) as exc:
        if args.debug:
            raise
        text = " ".join(str(exc).split())  # one line, whatever the message held
        print(f"lstmcast {args.command}: error: {as_flags(text)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("lstmcast: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
