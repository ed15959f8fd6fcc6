"""``lstmcast train`` (and ``lstmcast demo``: train on C-MAPSS FD001): a table in, a run folder
out."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from lstmcast.cli.common import (
    RankError,
    add_model_options,
    blend_line,
    build_forecaster,
    config_sections,
    default_out,
    fit_training_rows,
    output_guard,
    read_settings,
    show_scores,
    test_plan,
    usage_error,
    write_run,
)
from lstmcast.errors import LstmcastError

if TYPE_CHECKING:
    from lstmcast.forecast.forecaster import Forecaster


def add_parser(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """The train, demo commands: options and handler."""
    raw = argparse.RawDescriptionHelpFormatter
    p = sub.add_parser("train", parents=[common], formatter_class=raw,
                       help="train on a table and write a run folder",
                       description="Train a Forecaster, score it against baselines on held-out "
                       "data, and write a run folder (model, config.toml, metrics.json, "
                       "history.csv, predictions.csv, plots).",
                       epilog="examples:\n  lstmcast train cmapss:FD001 --out runs/fd001\n"
                       "  lstmcast train data.csv --target y --time t --window 48 --epochs 50")
    p.add_argument("data", nargs="?", help="CSV, Parquet or JSON path, or a built-in dataset name")
    add_model_options(p)
    p.add_argument("--out", help="run folder to create (default runs/NAME-TIMESTAMP)")
    p.add_argument("--resume", metavar="RUN", help="continue an interrupted run from its last "
                   "finished epoch (same settings; ends as if it had never stopped)")
    p.set_defaults(handler=cmd_train)
    p = sub.add_parser("demo", parents=[common], formatter_class=raw,
                       help="the full workflow on C-MAPSS FD001 (a few minutes)",
                       epilog="example:\n  lstmcast demo --epochs 5")
    add_model_options(p)
    p.add_argument("--out", help="run folder to create (default runs/demo-TIMESTAMP)")
    p.set_defaults(handler=cmd_demo, budget=240.0, resume=None)


def cmd_train(args: argparse.Namespace) -> int:
    from lstmcast.engine.launcher import launched

    if not launched():  # one process: torch waits until the arguments and table are checked
        return _train(args)
    from lstmcast.engine import distributed

    try:  # under torchrun: one process per rank, data-parallel
        args.device = distributed.init(getattr(args, "device", None))
        return _train(args)
    finally:
        distributed.close()


class _Alone:
    """The ranks of a process that trains alone, known without torch."""

    @staticmethod
    def is_main() -> bool:
        return True

    @staticmethod
    def world_size() -> int:
        return 1


def _ranks():
    """``engine.distributed`` under a launcher; else ``_Alone`` (no torch imported)."""
    from lstmcast.engine.launcher import launched

    if not launched():
        return _Alone
    from lstmcast.engine import distributed

    return distributed


T = TypeVar("T")


def _on_rank0(make: Callable[[], T], share: bool = False) -> T | None:
    """``make()`` on rank 0; the other ranks fail with its error if it fails, and get its
    result (None unless ``share``: a result that can travel between processes)."""
    if _ranks() is _Alone:
        return make()
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

    from lstmcast.runs.folders import (
        CHECKPOINT,
        RunFolder,
        partial_path,
        read_toml,
        resolve,
        to_toml,
    )

    ranks = _ranks()
    main_rank = ranks.is_main()
    folder, target = None, args.resume
    if args.resume:  # the partial folder first: it may belong to a run still training
        folder = _on_rank0(lambda: RunFolder(args.resume, resume=True,
                                             processes=ranks.world_size()))
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
        folder = _on_rank0(lambda: RunFolder(target, processes=ranks.world_size()))
    partial = partial_path(target)
    with folder if main_rank else contextlib.nullcontext():
        if main_rank and not args.resume:
            folder.file("config.toml").write_text(to_toml(config_sections(source, data, model)))
        # kept until the run folder is complete: a run stopped while scoring resumes there
        forecaster.set_params(checkpoint=str(partial / CHECKPOINT), keep_checkpoint=True)
        if main_rank and not args.quiet:
            from lstmcast.engine.runtime import describe_device

            print(f"Training on {describe_device(forecaster.device)}", flush=True)
        started = time.perf_counter()
        fit_training_rows(forecaster, fit_frame, data, how)
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
        print_choices(forecaster)
        print(f"\nTest scores on {scores.attrs['scored']} ({scores.attrs['n_windows']} "
              "windows):")
        print(show_scores(scores))
        print("\n" + explanation.summary())
        if forecaster.blend_weight_ is not None:
            print(f"\n{blend_line(forecaster)}")
        print(f"\nTrained {len(forecaster.history_['loss'])} epochs in {seconds:.0f} s. "
              f"Run folder: {folder.target} (open report.html in a browser)")
    return 0


def print_choices(forecaster: Forecaster) -> None:
    """What was chosen from the data, and why: the window, the scale, the scaling of
    several series and the season."""
    from lstmcast.forecast.defaults import UNSAID_SCALING

    if forecaster.window is None:
        print(f"\nWindow: {forecaster.window_choice_}.")
    if forecaster.log is None:
        choice = forecaster.log_choice_
        print(f"\nScale: the targets' log ({choice.why}; --no-log keeps them as they are)."
              if choice.log else f"\nScale: the targets as they are ({choice.why}; --log "
              "models their log).")
    scale_by, why = getattr(forecaster, "scaling_choice_", (None, "given"))
    if why not in UNSAID_SCALING:
        print(f"\nScaling: {why} (" + ("--scale-by global scales them together" if
              scale_by == "series" else "--scale-by series scales each on its own") + ").")
    found, why = forecaster.season_choice(forecaster.pipeline_)
    print(f"\nSeason: {found} ({why}), for the seasonal naive baseline and MASE." if found
          else f"\nSeason: none ({why}); --season N adds a seasonal naive baseline.")


def cmd_demo(args: argparse.Namespace) -> int:
    args.data = "cmapss:FD001"
    args.out = args.out or default_out("demo")
    if not args.quiet:
        print("lstmcast demo: the tutorial's model (LSTM 100 -> Dropout 0.2 -> LSTM 50 -> "
              "Dropout 0.2 -> Dense 1) on NASA C-MAPSS FD001, remaining useful life capped at "
              "125 cycles, windows of 30 cycles per engine, 20% of the training engines held "
              "out for early stopping, scaled on the others only.\n")
    return cmd_train(args)
