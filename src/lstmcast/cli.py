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

from lstmcast import __version__, params, tune
from lstmcast.errors import LstmcastError, size_text
from lstmcast.outputs import Access

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


def _settings(args: argparse.Namespace, source: Any) -> tuple[dict, dict]:
    """Data roles and Forecaster settings: dataset defaults < --config file < flags.

    Every value is parsed and checked here (``lstmcast.params``), before any
    data is fitted: an unknown key or a bad value is one line naming it.
    """
    from lstmcast.runs import read_toml

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
    if not data.get("target"):
        raise _usage("--target is required for this data (the column to forecast).")
    return data, model


class _UsageError(LstmcastError, ValueError):
    pass


class _RankError(LstmcastError):
    """A rank other than 0 stops because rank 0 did (rank 0 says why)."""


def _usage(message: str) -> _UsageError:
    return _UsageError(message)


def _forecaster(settings: dict, args: argparse.Namespace, verbose: int = 1):
    from lstmcast.forecaster import Forecaster

    forecaster = Forecaster(**settings, verbose=0 if args.quiet else verbose)
    forecaster.check_params()
    return forecaster


def _columns(data: dict) -> dict:
    target = data["target"]
    return {"target": target[0] if len(target) == 1 else target, "features": data.get("features"),
            "group": data.get("group"), "time": data.get("time"), "future": data.get("future"),
            "static": data.get("static")}


def _blend_line(forecaster: Any) -> str:
    """What the forecast combines, and on what evidence."""
    from lstmcast.combination import describe

    line = f"The forecast: {describe(forecaster.blend_weights_)}"
    scores = forecaster.blend_scores_
    if not scores:
        return line + "."
    ranked = ", ".join(f"{name} {value:.3g}" for name, value in
                       sorted(scores.items(), key=lambda item: item[1]))
    return (f"{line}, the two best on the validation rows (RMSE in scaled units: "
            f"{ranked}).")


def _show_scores(scores: Any, out: Any = None) -> str:
    from lstmcast.intervals import split_score_columns

    table = scores.drop(columns=["target"]) if scores["target"].nunique() == 1 else scores
    point, interval = split_score_columns(table.columns)
    text = table[point].to_string(index=False, float_format=lambda v: f"{v:.3f}")
    if interval:
        labels = [c for c in ("target", "model") if c in table.columns]
        text += ("\n\nIntervals (pinball loss per quantile, CRPS, coverage and width of "
                 "each central interval):\n"
                 + table[labels + interval].to_string(index=False,
                                                      float_format=lambda v: f"{v:.3f}"))
    for note in scores.attrs.get("notes", []):
        text += f"\nnote: {note}"
    return text


def _test_plan(source: Any, data: dict, model: dict, shards: bool = True
               ) -> tuple[Any, Any, dict]:
    """(frame to fit on, frame to score, evaluate() arguments) for a source. A set of
    Parquet files gives its shards to fit on (``shards``; else its first file's rows)."""
    from lstmcast import roles
    from lstmcast.io import check_ids
    from lstmcast.runs import drop_tail, holdout_rows

    with warnings.catch_warnings():  # roles checked before training; fit warns once more
        warnings.simplefilter("ignore")
        roles.resolve(source.frame, **_columns(data), scale_by=model.get("scale_by", "global"),
                      horizon=model.get("horizon", 1),
                      autoregressive=model.get("autoregressive"),
                      difference=model.get("difference", False),
                      calendar=model.get("calendar", False))
    if source.test is not None:
        return source.frame, source.test, {"last_only": source.last_only}
    if source.parquet is not None and shards:
        return _shard_plan(source, data, model)
    group = data.get("group")
    check_ids(source.frame, group)
    shortest = (int(source.frame.groupby(group, dropna=False, observed=True).size().min()) if group
                else len(source.frame))
    if shortest < 2:
        raise _usage(f"{source.name!r} has a series of {shortest} row: training needs several "
                     "rows per series, and some after them to test on.")
    holdout = data.get("holdout") or source.holdout or holdout_rows(source.frame, group, 0.2)
    if holdout >= shortest:
        raise _usage(f"--holdout {holdout} is not less than the {shortest} rows of the "
                     f"shortest series: nothing would be left to train on.")
    fit_frame = drop_tail(source.frame, group, data.get("time"), int(holdout),
                          model.get("time_format"))
    return fit_frame, source.frame, {"holdout": int(holdout)}


def _shard_plan(source: Any, data: dict, model: dict) -> tuple[Any, Any, dict]:
    """``_test_plan`` of a set of Parquet files, read shard by shard: the model trains on
    every series without its last rows, and is scored on the first shard's series."""
    from lstmcast.runs import drop_tail
    from lstmcast.streaming import SHARD_ROWS, ShardedTable

    group, time_col = data.get("group"), data.get("time")
    shards = ShardedTable(source.name, model.get("shard_rows") or SHARD_ROWS)
    shortest = shards.shortest(group)
    holdout = data.get("holdout") or max(1, shortest // 5)
    if holdout >= shortest:
        raise _usage(f"--holdout {holdout} is not less than the {shortest} rows of the "
                     f"shortest series: nothing would be left to train on.")
    shards.select = lambda frame: drop_tail(frame, group, time_col, int(holdout),
                                            model.get("time_format"))
    test = shards.read(0, select=False)
    return shards, test, {"holdout": int(holdout),
                          "note": f"scored on the first of {len(shards)} shards "
                                  f"({len(shards.shards[0].files)} of "
                                  f"{source.parquet['files']} files)"}


def _config_sections(source: Any, data: dict, model: dict) -> dict:
    data_section = {"source": source.name, **{k: v for k, v in data.items() if v is not None}}
    model_section = {k: (list(v) if isinstance(v, tuple) else v) for k, v in model.items()
                     if k in params.SECTIONS["model"] and v is not None}
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
               "epochs_run": len(forecaster.history_["loss"]),
               "blend_weight": forecaster.blend_weight_,
               "blend_weights": forecaster.blend_weights_,
               "blend_scores": forecaster.blend_scores_, "window": forecaster.window_,
               "season": forecaster.season_}
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


def _default_out(name: str) -> Path:
    from lstmcast.outputs import free_name

    slug = "".join(c if c.isalnum() else "-" for c in Path(name).stem if c).strip("-").lower()
    return free_name(Path("runs") / f"{slug or 'run'}-{time.strftime('%Y%m%d-%H%M%S')}")


def cmd_train(args: argparse.Namespace) -> int:
    from lstmcast import distributed

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
    from lstmcast import distributed

    result, error = None, None
    if distributed.is_main():
        try:
            result = make()
        except LstmcastError as exc:
            distributed.broadcast_object((None, str(exc)))
            raise
    shared, error = distributed.broadcast_object((result if share else None, None))
    if error is not None:
        raise _RankError(f"rank {distributed.rank()}: rank 0 stopped: {error}")
    return result if distributed.is_main() else shared


def _train(args: argparse.Namespace) -> int:
    import contextlib

    from lstmcast import distributed
    from lstmcast.runs import CHECKPOINT, RunFolder, partial_path, read_toml, resolve, to_toml
    from lstmcast.runtime import describe_device

    main_rank = distributed.is_main()
    folder, target = None, args.resume
    if args.resume:  # the partial folder first: it may belong to a run still training
        folder = _on_rank0(lambda: RunFolder(args.resume, resume=True,
                                             processes=distributed.world_size()))
        args.config = str(partial_path(args.resume) / "config.toml")
        args.data = args.data or read_toml(args.config).get("data", {}).get("source")
        if args.data is None:
            raise _usage(f"{args.config} does not say which data the run trained on; give "
                         "the DATA again.")
    elif args.data is None:
        raise _usage("give the DATA to train on, or --resume RUN to continue a run.")
    if args.out and not args.resume:  # before reading anything
        _guard(args).check_outputs(args)
    source = resolve(args.data, peek=True)  # a set of Parquet files: the first file
    data, model = _settings(args, source)
    if getattr(args, "budget", None):
        model.setdefault("max_seconds", args.budget)
    fit_frame, test_frame, how = _test_plan(source, data, model)  # no torch needed yet
    forecaster = _forecaster(model, args, verbose=1 if sys.stdout.isatty() else 2)
    if not args.resume:
        target = args.out or _on_rank0(lambda: str(_default_out(args.data)), share=True)
        folder = _on_rank0(lambda: RunFolder(target, processes=distributed.world_size()))
    partial = partial_path(target)
    with folder if main_rank else contextlib.nullcontext():
        if main_rank and not args.resume:
            folder.file("config.toml").write_text(to_toml(_config_sections(source, data, model)))
        # kept until the run folder is complete: a run stopped while scoring resumes there
        forecaster.set_params(checkpoint=str(partial / CHECKPOINT), keep_checkpoint=True)
        if main_rank and not args.quiet:
            print(f"Training on {describe_device(forecaster.device)}", flush=True)
        started = time.perf_counter()
        forecaster.fit(fit_frame, **_columns(data))
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
        _write_run(folder, forecaster, scores, predictions, seconds, source.last_only, data,
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
        print(_show_scores(scores))
        print("\n" + explanation.summary())
        if forecaster.blend_weight_ is not None:
            print(f"\n{_blend_line(forecaster)}")
        print(f"\nTrained {len(forecaster.history_['loss'])} epochs in {seconds:.0f} s. "
              f"Run folder: {folder.target} (open report.html in a browser)")
    return 0


def _guard(args: argparse.Namespace):
    """The output guard of a command, from what the command declares it reads and writes."""
    from lstmcast.outputs import OutputGuard

    return OutputGuard.for_command(args, args.access)


def cmd_evaluate(args: argparse.Namespace) -> int:
    from lstmcast.outputs import check_format, table_bytes
    from lstmcast.runs import resolve, run_file

    guard = _guard(args)
    guard.check_outputs(args)
    if args.out:
        check_format(args.out, (".json", ".csv"))
    holdout = None if args.holdout is None else params.BY_NAME["holdout"].parse(args.holdout)
    run_file(args.run, "forecaster.lstmcast")
    source = resolve(args.data)
    forecaster = _loaded(args)  # torch: after the cheap checks
    if source.test is not None:
        scores = forecaster.evaluate(source.test, last_only=source.last_only)
    else:
        holdout = holdout or (None if args.last_only else source.holdout)
        scores = forecaster.evaluate(source.frame, last_only=args.last_only, holdout=holdout)
    text = (f"Scored {scores.attrs['n_windows']} windows: {scores.attrs['scored']}.\n"
            + _show_scores(scores))
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
    from lstmcast.outputs import TABLE_FORMATS, check_format, table_bytes
    from lstmcast.parquet import is_parquet_set
    from lstmcast.runs import resolve, run_file

    guard = _guard(args)
    guard.check_outputs(args)
    if args.out:
        check_format(args.out, (".npy", ".csv") if Path(args.run).is_file() else TABLE_FORMATS)
    if Path(args.run).is_file():
        return _predict_arrays(args, guard)
    run_file(args.run, "forecaster.lstmcast")
    n_ahead = None if args.n_ahead is None else params.Param(
        "n_ahead", None, "int", "").parse(args.n_ahead)
    forecaster = _loaded(args)  # torch: after the cheap checks
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
    guard = _guard(args)
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
    from lstmcast.onnx_export import sidecar_path
    from lstmcast.runs import run_file

    guard = _guard(args)
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
        from lstmcast.forecaster import Forecaster

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
    from lstmcast.outputs import free_name, publish_folder
    from lstmcast.runs import resolve, run_file

    if args.at is not None and args.window is not None:
        raise _usage("give --at or --window, not both.")
    guard = _guard(args)
    guard.check_outputs(args)
    run_file(args.run, "forecaster.lstmcast")
    source = resolve(args.data)
    forecaster = _loaded(args)  # torch: after the cheap checks
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
    from lstmcast.outputs import check_format, table_bytes
    from lstmcast.runs import resolve

    guard = _guard(args)
    guard.check_outputs(args)
    if args.out:
        check_format(args.out)
    source = resolve(args.data)
    data, model = _settings(args, source)
    forecaster = _forecaster(model, args, verbose=0)
    folds = params.Param("folds", 3, "int", "").parse(args.folds)
    test_size = (None if args.test_size is None
                 else params.Param("test_size", None, "int", "").parse(args.test_size))
    result = forecaster.backtest(source.frame, **_columns(data), folds=folds,
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
    from lstmcast.runs import resolve
    from lstmcast.timeline import describe

    source = resolve(args.data, peek=True)
    data, model = _settings(args, source)
    fit_frame, test_frame, how = _test_plan(source, data, model, shards=False)
    forecaster = _forecaster(model, args, verbose=0)
    facts = forecaster.inspect(fit_frame, **_columns(data))
    n_in = len(facts["inputs"])
    length = facts["shapes"]["train"][1]
    lines = []
    if source.parquet:  # a set of Parquet files: the metadata, then the first file
        from lstmcast.streaming import plan

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
    args.out = args.out or _default_out("demo")
    if not args.quiet:
        print("lstmcast demo: the tutorial's model (LSTM 100 -> Dropout 0.2 -> LSTM 50 -> "
              "Dropout 0.2 -> Dense 1) on NASA C-MAPSS FD001, remaining useful life capped at "
              "125 cycles, windows of 30 cycles per engine, 20% of the training engines held "
              "out for early stopping, scaled on the others only.\n")
    return cmd_train(args)


def _add_model_options(p: argparse.ArgumentParser) -> None:
    """The data roles and the Forecaster's settings, from ``lstmcast.params``."""
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
                group.add_argument(param.flag, dest=param.name, metavar=_metavar(param),
                                   help=param.help + default)
    p.add_argument("--preset", choices=sorted(params.PRESETS),
                   help="a named bundle of settings (flags and --config override it): "
                   "long-horizon = segment recurrence, instance normalization, channel "
                   "independence, absolute error, blend with the linear map "
                   "(docs/longhorizon.md)")
    p.add_argument("--config", help="a run's config.toml to start from (flags override it)")


TABLE_OPTIONS = ("missing", "time_format")  # how any command reads a table


def _metavar(param: params.Param) -> str:
    """How an option's value shows in the help: its choices, or its name."""
    return "|".join(param.choices) if param.choices else param.name.upper().replace("_", "-")


def _add_table_options(p: argparse.ArgumentParser) -> None:
    """How the table is read, for the commands that read one with a trained model (the same
    options, from the same registry, as train's)."""
    group = p.add_argument_group("reading the table (default: as the model was trained)")
    for name in TABLE_OPTIONS:
        param = params.BY_NAME[name]
        group.add_argument(param.flag, dest=name, metavar=_metavar(param), help=param.help)


def _loaded(args: argparse.Namespace, device: str | None = None) -> Any:
    """The run's Forecaster, reading tables with the command's --missing / --time-format."""
    from lstmcast.forecaster import Forecaster
    from lstmcast.runs import run_file

    forecaster = Forecaster.load(run_file(args.run, "forecaster.lstmcast"), device=device)
    reading = {name: params.BY_NAME[name].parse(getattr(args, name)) for name in TABLE_OPTIONS
               if getattr(args, name, None) is not None}
    return forecaster.set_params(**reading)


def _add_force(p: argparse.ArgumentParser) -> None:
    p.add_argument("--force", action="store_true",
                   help="replace an existing --out (never the data read, nor a run's files)")


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
    p.add_argument("--holdout", help="score only the last N rows of each series (default: the "
                   "rows after the model's training data)")
    p.add_argument("--last-only", action="store_true",
                   help="score only the last window of each series")
    p.add_argument("--out", help="write the scores here (a new file): .json (with what was "
                   "scored and the notes) or .csv")
    _add_table_options(p)
    _add_force(p)
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
    _add_table_options(p)
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
    p.set_defaults(config=None)
    p.add_argument("--baseline", default="mean", choices=["mean", "zeros"],
                   help="reference window for attributions (default: the window's mean)")
    p.add_argument("--out", help="folder for the pictures (default: a new "
                   "RUN/explain-SERIES-TIME)")
    _add_table_options(p)
    _add_force(p)
    p.set_defaults(handler=cmd_explain)

    p = sub.add_parser("backtest", parents=[common], formatter_class=raw,
                       help="rolling-origin evaluation, refitting per fold",
                       epilog="example:\n  lstmcast backtest airline --folds 3 --epochs 50")
    p.add_argument("data", help="CSV/Parquet path or built-in dataset name")
    _add_model_options(p)
    p.add_argument("--folds", default="3", help="number of origins (3)")
    p.add_argument("--test-size", dest="test_size", help="rows per fold and series")
    p.add_argument("--out", help="write the per-fold scores here (a new file): .csv, .parquet "
                   "or .json")
    _add_force(p)
    p.set_defaults(handler=cmd_backtest)
    tune.add_parser(sub, common)

    p = sub.add_parser("inspect", parents=[common], formatter_class=raw,
                       help="dry run: shapes per split, the first window, memory",
                       epilog="example:\n  lstmcast inspect cmapss:FD001 --window 40")
    p.add_argument("data", help="CSV/Parquet path or built-in dataset name")
    _add_model_options(p)
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
    _add_force(p)
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
    _add_force(p)
    p.set_defaults(handler=cmd_import_keras)

    p = sub.add_parser("demo", parents=[common], formatter_class=raw,
                       help="the full workflow on C-MAPSS FD001 (a few minutes)",
                       epilog="example:\n  lstmcast demo --epochs 5")
    _add_model_options(p)
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
