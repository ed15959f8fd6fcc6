"""``lstmcast evaluate``: a trained run scored on a table, beside the baselines."""

from __future__ import annotations

import argparse
import json

from lstmcast.cli.common import (
    add_force,
    add_table_options,
    load_run,
    output_guard,
    show_scores,
)
from lstmcast.forecast import params


def add_parser(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """The evaluate command: options and handler."""
    raw = argparse.RawDescriptionHelpFormatter
    p = sub.add_parser("evaluate", parents=[common], formatter_class=raw,
                       help="score a trained run on data, beside baselines",
                       epilog="example:\n  lstmcast evaluate runs/fd001 cmapss:FD001")
    p.add_argument("run", help="run folder")
    p.add_argument("data", help="CSV, Parquet or JSON path, or a built-in dataset name")
    p.add_argument("--holdout", help="score only the last N rows of each series (default: the "
                   "rows after the model's training data)")
    p.add_argument("--last-only", action="store_true",
                   help="score only the last window of each series")
    p.add_argument("--out", help="write the scores here (a new file): .json (with what was "
                   "scored and the notes) or .csv")
    add_table_options(p)
    add_force(p)
    p.set_defaults(handler=cmd_evaluate)


def cmd_evaluate(args: argparse.Namespace) -> int:
    from lstmcast.runs.folders import check_order, forecaster_file, resolve
    from lstmcast.runs.outputs import check_format, table_bytes

    guard = output_guard(args)
    guard.check_outputs(args)
    if args.out:
        check_format(args.out, (".json", ".csv"))
    holdout = None if args.holdout is None else params.BY_NAME["holdout"].parse(args.holdout)
    check_order("evaluate", args.run, args.data)
    forecaster_file(args.run)  # its bytes checked, before torch
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
