"""``lstmcast explain``: the gates and attributions of one forecast, as pictures."""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

from lstmcast.cli.common import (
    add_force,
    add_table_options,
    load_run,
    output_guard,
    usage_error,
)


def add_parser(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """The explain command: options and handler."""
    raw = argparse.RawDescriptionHelpFormatter
    p = sub.add_parser("explain", parents=[common], formatter_class=raw,
                       help="gates and attributions for one forecast of a trained run",
                       description="Explain one forecast of a trained run: heatmaps of every "
                       "gate of every recurrent layer (from the tutorial's equations run on the "
                       "model's weights), integrated-gradients attribution over time steps and "
                       "features, and a short summary.",
                       epilog="examples:\n  lstmcast explain runs/fd001 cmapss:FD001 --series 3"
                       "\n  lstmcast explain runs/air airline --at 1958-06 --out why")
    p.add_argument("run", help="run folder")
    p.add_argument("data", help="CSV, Parquet or JSON path, or a built-in dataset name "
                   "(the history)")
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


def cmd_explain(args: argparse.Namespace) -> int:
    from lstmcast import plots
    from lstmcast.runs.folders import check_order, forecaster_file, resolve
    from lstmcast.runs.outputs import free_name, publish_folder

    if args.at is not None and args.window is not None:
        raise usage_error("give --at or --window, not both.")
    guard = output_guard(args)
    guard.check_outputs(args)
    check_order("explain", args.run, args.data)
    forecaster_file(args.run)  # its bytes checked, before torch
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
