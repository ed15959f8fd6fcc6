"""``lstmcast backtest``: rolling-origin evaluation, refitting per fold."""

from __future__ import annotations

import argparse

from lstmcast.cli.common import (
    add_force,
    add_model_options,
    build_forecaster,
    data_columns,
    output_guard,
    read_settings,
)
from lstmcast.forecast import params


def add_parser(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """The backtest command: options and handler."""
    raw = argparse.RawDescriptionHelpFormatter
    p = sub.add_parser("backtest", parents=[common], formatter_class=raw,
                       help="rolling-origin evaluation, refitting per fold",
                       epilog="example:\n  lstmcast backtest airline --folds 3 --epochs 50")
    p.add_argument("data", help="CSV, Parquet or JSON path, or a built-in dataset name")
    add_model_options(p)
    p.add_argument("--folds", default="3", help="number of origins (3)")
    p.add_argument("--test-size", dest="test_size", help="rows per fold and series")
    p.add_argument("--out", help="write the per-fold scores here (a new file): .csv, .parquet "
                   "or .json")
    add_force(p)
    p.set_defaults(handler=cmd_backtest)


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
