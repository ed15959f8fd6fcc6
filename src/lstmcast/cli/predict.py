"""``lstmcast predict``: forecasts past the end of each series (or a model on .npy windows)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lstmcast.cli.common import (
    add_force,
    add_table_options,
    load_run,
    output_guard,
)
from lstmcast.cli.flags import as_flags
from lstmcast.errors import InvalidArgumentError, LstmcastError
from lstmcast.forecast import params

if TYPE_CHECKING:
    from lstmcast.runs.outputs import OutputGuard


def add_parser(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """The predict command: options and handler."""
    raw = argparse.RawDescriptionHelpFormatter
    p = sub.add_parser("predict", parents=[common], formatter_class=raw,
                       help="forecast past the end of each series",
                       epilog="example:\n  lstmcast predict runs/air airline --n-ahead 12 "
                       "--out forecast.csv")
    p.add_argument("run", help="run folder (or a saved model file, then DATA is a .npy "
                   "array of windows)")
    p.add_argument("data", help="CSV, Parquet or JSON path, or a built-in dataset name "
                   "(the history)")
    p.add_argument("--n-ahead", dest="n_ahead", help="rows to forecast (steps)")
    p.add_argument("--future", help="CSV, Parquet or JSON of the inputs known in advance for "
                   "the rows to forecast (series id, time and the future columns)")
    p.add_argument("--out", help="write the forecast here (a new file): .csv, .parquet or "
                   ".json (records), as its extension says")
    add_table_options(p)
    add_force(p)
    p.set_defaults(handler=cmd_predict)


def cmd_predict(args: argparse.Namespace) -> int:
    from lstmcast.runs.folders import check_order, forecaster_file, resolve
    from lstmcast.runs.outputs import TABLE_FORMATS, check_format, table_bytes
    from lstmcast.tables.io import read_table
    from lstmcast.tables.parquet import is_parquet_set

    check_order("predict", args.run, args.data)
    guard = output_guard(args)
    guard.check_outputs(args)
    if args.out:
        check_format(args.out, (".npy", ".csv") if Path(args.run).is_file() else TABLE_FORMATS)
    if Path(args.run).is_file():
        return _predict_arrays(args, guard)
    forecaster_file(args.run)  # its bytes checked, before torch
    n_ahead = None if args.n_ahead is None else params.Param(
        "n_ahead", None, "int", "").parse(args.n_ahead)
    if is_parquet_set(args.data):  # read shard by shard (the model's shard_rows), not whole
        frame = args.data
    else:
        source = resolve(args.data)
        frame = source.test if source.test is not None else source.frame
    future = None if args.future is None else read_table(args.future)
    forecaster = load_run(args)  # torch: after the cheap checks
    from lstmcast.forecast import forecasting
    from lstmcast.tables import joined_columns

    blank = None
    if not isinstance(frame, str):
        roles = forecaster.pipeline_.roles  # "store,item", "year,month": one column, as trained
        frame = joined_columns.join(frame, roles.group, roles.time)
        future = (None if future is None
                  else joined_columns.join(future, roles.group, roles.time))
        frame, future, blank = _rows_to_forecast(args, forecaster, frame, future)
    forecast = forecasting.as_written(  # quarters as the table wrote them
        forecaster.pipeline_, _predict(args, forecaster, frame, n_ahead, future, blank))
    if args.out:
        guard.write_file(args.out, table_bytes(forecast, args.out))
        if not args.quiet:
            print(f"Wrote {len(forecast)} forecast rows to {args.out}")
    elif not args.quiet:
        print(forecast.to_string(index=False))
    return 0


def _predict(args: argparse.Namespace, forecaster: Any, frame: Any, n_ahead: int | None,
             future: Any, blank: int | None) -> Any:
    """The forecast: of the rows left blank (``blank``: the most in a series) where no
    --n-ahead is given, or of the model's steps where it cannot forecast that many."""
    if blank is None or n_ahead is not None or blank == forecaster.steps:
        return forecaster.predict(frame, n_ahead=n_ahead, future=future)
    try:
        return forecaster.predict(frame, n_ahead=blank, future=future)
    except InvalidArgumentError as exc:  # more rows than it forecasts, and no recursion
        if not args.quiet:
            print(f"note: {blank} rows left blank, but {as_flags(str(exc)).split(';')[0]}: "
                  f"forecasting its {forecaster.steps}.", file=sys.stderr)
        return forecaster.predict(frame, future=future)


def _rows_to_forecast(args: argparse.Namespace, forecaster: Any, frame: Any, future: Any
                      ) -> tuple[Any, Any, int | None]:
    """A table that holds its rows to forecast as a spreadsheet does (the targets blank at
    the end of each series): the history is the rows before them, and they give the
    inputs known in advance where the model reads some and no --future was given; the
    most blank rows in a series, the rows to forecast."""
    import numpy as np
    import pandas as pd

    from lstmcast.tables.io import blank_tail

    roles = forecaster.pipeline_.roles
    tail = blank_tail(frame, roles.target, roles.group)
    if tail is None:
        return frame, future, None
    known = future is None and bool(roles.future)
    if not args.quiet:
        where = (f"the last rows of each series ({int(tail.sum())} in all)" if roles.group
                 else f"the last {int(tail.sum())} rows")
        print(f"note: {where} hold no {', '.join(roles.target)}: forecasting after the rows "
              "before them"
              + (f", with {', '.join(roles.future)} read from those rows" if known else "")
              + ".", file=sys.stderr)
    keys = frame[roles.group] if roles.group else np.zeros(len(frame))
    most = int(pd.Series(tail).groupby(np.asarray(keys), dropna=False).sum().max())
    return frame[~tail], (frame[tail] if known else future), most


def _predict_arrays(args: argparse.Namespace, guard: OutputGuard) -> int:
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
