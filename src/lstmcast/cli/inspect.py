"""``lstmcast inspect``: what ``train`` would train on, without training."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from lstmcast.cli.common import (
    add_model_options,
    build_forecaster,
    data_columns,
    read_settings,
    test_plan,
)
from lstmcast.cli.flags import as_flags
from lstmcast.errors import size_text

if TYPE_CHECKING:
    import pandas as pd

    from lstmcast.runs.folders import Source


def add_parser(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """The inspect command: options and handler."""
    raw = argparse.RawDescriptionHelpFormatter
    p = sub.add_parser("inspect", parents=[common], formatter_class=raw,
                       help="dry run: shapes per split, the first window, memory",
                       epilog="example:\n  lstmcast inspect cmapss:FD001 --window 40")
    p.add_argument("data", help="CSV, Parquet or JSON path, or a built-in dataset name")
    add_model_options(p)
    p.set_defaults(handler=cmd_inspect)


def cmd_inspect(args: argparse.Namespace) -> int:
    from lstmcast.runs.folders import resolve

    source = resolve(args.data, peek=True)
    data, model = read_settings(args, source)
    fit_frame, test_frame, how = test_plan(source, data, model, shards=False)
    forecaster = build_forecaster(model, args, verbose=0)
    facts = forecaster.inspect(fit_frame, **data_columns(data))
    lines = _parquet_lines(source, forecaster.shard_rows) if source.parquet else []
    lines += _table_lines(source, data, facts, how.get("holdout"))
    lines += _model_lines(model, facts)
    lines += _window_lines(data, facts, test_frame, how)
    lines += _memory_lines(facts)
    print("\n".join(lines))
    return 0


def _parquet_lines(source: Source, most: int) -> list[str]:
    """A set of Parquet files: what its metadata says, before the first file's facts."""
    from lstmcast.tables.streaming import plan

    info = source.parquet
    shards = plan(source.name, most)
    return [f"Parquet files: {info['files']} files, {info['rows']:,} rows, "
            f"{size_text(info['bytes'])} (from their metadata; the rows were not read)",
            "columns: " + ", ".join(f"{c} ({t})" for c, t in info["columns"].items()),
            f"training reads them in {len(shards)} shards of at most {most:,} rows "
            f"(--shard-rows; the largest has {max(s.rows for s in shards):,}), one in "
            "memory at a time",
            f"below: the first file only, {info['first_file']}"]


def _table_lines(source: Source, data: dict, facts: dict, holdout: int | None = None
                 ) -> list[str]:
    """The rows (the file's, and those fitted on where ``holdout`` rows of each series are
    held out to test), the target, each input's role, the time column and the season."""
    from lstmcast.tables import numbered_times
    from lstmcast.tables.frequency import describe

    rows = f"{facts['rows']} rows in {facts['series']} series"
    if holdout and source.parquet is None:
        rows = (f"{len(source.frame)} rows; {rows} to fit on, the last {holdout} of each "
                "series held out to test")
    lines = [f"data: {source.name}, {rows}",
             f"target: {', '.join(facts['target'])}", f"inputs ({len(facts['inputs'])}):"]
    by_role: dict[str, list[str]] = {}
    for column, role in facts["roles"].items():
        by_role.setdefault(role, []).append(column)
    lines += [f"  {role}: {', '.join(columns)}" for role, columns in by_role.items()]
    time_col, info = data.get("time"), facts["time"]
    if time_col:
        kind = {"datetime": "dates", "number": "numbers"}.get(info["kind"], info["kind"])
        zone = f", zone {info['tz']}" if info.get("tz") else ""
        read = f", read as {info['format']}" if info.get("format") else ""
        if info.get("format") in numbered_times.COUNTED:
            read += f" ({numbered_times.COUNTED[info['format']]})"
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
    else:
        found, why = facts["season"]
        lines.append(f"season: {found} ({why}): the seasonal naive baseline is scored beside "
                     "the model; rows are taken in file order" if found else
                     f"season: none ({why}: rows are taken in file order; give --time, or "
                     "--season N for a seasonal naive baseline)")
    return lines + [f"note: {as_flags(note)}" for note in facts["notes"]]


def _model_lines(model: dict, facts: dict) -> list[str]:
    """The window chosen and what the forecast combines."""
    window, why = facts["window"]
    lines = [f"window: {window} rows" + ("" if why == "given" else f" (chosen: {why})")]
    log, why = facts["log"]
    lines.append(f"scale: {'the targets as their log' if log else 'the targets as they are'}"
                 + ("" if why == "given" else f" (chosen: {why})"))
    from lstmcast.forecast.defaults import UNSAID_SCALING

    scale_by, why = facts["scaling"]
    if why not in UNSAID_SCALING:
        lines.append(f"scaling: {'per series' if scale_by == 'series' else 'global'} "
                     f"(chosen: {why})")
    blend = model.get("blend", "select")
    if not facts["blend"]:
        lines.append("forecast: the networks alone" + (
            " (no blend: the linear maps and naive forecasts need the target's past as an "
            "input, point forecasts and no inputs known in advance)"
            if blend in ("auto", "select") else ""))
    elif blend == "select":
        lines.append("forecast: the two that score best on the validation rows, each "
                     "weighted by the inverse of its mean squared error there, "
                     "among the networks (only when clearly best of all), two least-squares linear "
                     "maps of the window, Holt-Winters smoothing over it and the naive, "
                     "seasonal naive, window-mean, training-mean, drift and seasonal-drift "
                     "forecasts "
                     "(chosen after training; --blend linear: the "
                     "networks and the linear map; --blend none: the networks alone)")
    else:
        lines.append("forecast: the mean of the networks' and a least-squares linear map of "
                     "the window (--blend none: the networks alone)")
    return lines


def _window_lines(data: dict, facts: dict, test_frame: pd.DataFrame, how: dict) -> list[str]:
    """The windows of each part, and the first training window's rows and target."""
    n_in, length = len(facts["inputs"]), facts["shapes"]["train"][1]
    lines = ["network input (samples, time_steps, features):"]
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
                 f"{data.get('time') or 'rows'} {first['times'][0]} .. {first['times'][1]}; "
                 f"target at {when} = [{', '.join(values)}]")
    return lines


def _memory_lines(facts: dict) -> list[str]:
    """The windows' and the network's memory, and a warning when it cannot fit."""
    from lstmcast.layers import physical_memory

    mem, net = facts["memory_bytes"], facts["network"]
    lines = [f"memory for windows: {size_text(mem['windows_zero_copy'])} (a zero-copy view "
             "of the rows); as copied windows they would take "
             f"{size_text(mem['windows_as_copies'])}",
             f"network: about {net['params']:,} weights; training takes about "
             f"{size_text(net['bytes'])} for them, their gradients, the optimizer's state and "
             "a batch"]
    total = physical_memory()
    if total is not None and net["bytes"] > total:
        lines.append(f"warning: that is more than this machine's {size_text(total)} of memory: "
                     "training will be refused; lower --units")
    return lines
