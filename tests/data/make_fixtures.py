"""Write the saved-artifact fixtures of tests/test_artifact_fixtures.py with an OLD lstmcast.

Each fixture is a small model trained and saved by an earlier commit, beside what that
commit predicted with it. Today's lstmcast must load the file and predict the same, so the
fixture has to be written by the old code, not by today's. Run this script against an old
checkout, with the project's virtual environment but the old sources first on the path::

    sha=b7ab4df                                   # the commit that writes the fixture
    mkdir -p /tmp/old-$sha && git archive $sha | tar -x -C /tmp/old-$sha
    PYTHONPATH=/tmp/old-$sha/src .venv/bin/python -c "import lstmcast; print(lstmcast.__file__)"
    PYTHONPATH=/tmp/old-$sha/src .venv/bin/python tests/data/make_fixtures.py \\
        forecaster_v4 --commit $sha

(``git worktree add /tmp/old-$sha $sha`` works as well.) The script refuses to run with the
lstmcast of this checkout unless ``--allow-current`` is given, and each fixture names the
commits it was written for (``FIXTURES``); ``--any-commit`` skips that check when you add
one. A new fixture: write a function below that trains a tiny model with only the API of
its commit (units 4 or 8, 2 epochs, window ~6), saves it and returns its prediction, add it
to ``FIXTURES``, run it as above, add its test case to tests/test_artifact_fixtures.py
(``CASES``) and its entry to tests/data/README.md. Files written, for a fixture NAME:

- ``NAME.lstmcast``: the saved model;
- ``NAME_predict.csv`` (a Forecaster: ``predict`` on its data table) or ``NAME_predict.npy``
  (a ``Sequential``: ``model.predict`` on ``NAME_inputs.npy``): what the old code predicted;
- ``NAME.json``: the commit, the lstmcast and library versions, the config version in the
  file, the settings and the command that wrote it.

The data tables (``fixtures_panel.csv``: three stores, ``fixtures_series.csv``: one series
with a weekly season; text dates in ``day``) are generated deterministically with NumPy
and written (again, identically) by every run.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent


# --- data -------------------------------------------------------------------------------

def panel_table() -> pd.DataFrame:
    """Three stores x 120 days: sales with a trend, a weekly season and noise, a temperature,
    the store's size (constant per store)."""
    rng = np.random.default_rng(20261204)
    days = pd.date_range("2024-01-01", periods=120, freq="D")
    frames = []
    for k, (store, size) in enumerate([("north", 1.0), ("south", 2.5), ("west", 4.0)]):
        t = np.arange(len(days))
        temp = 10 + 8 * np.sin(2 * np.pi * (t + 20 * k) / 60) + rng.normal(0, 1, len(t))
        sales = (20 * size + 0.05 * t + 3 * np.sin(2 * np.pi * t / 7) + 0.4 * temp
                 + rng.normal(0, 1, len(t)))
        frames.append(pd.DataFrame({"day": days.strftime("%Y-%m-%d"), "store": store,
                                    "size": size, "temp": temp.round(3),
                                    "sales": sales.round(3)}))
    return pd.concat(frames, ignore_index=True)


def series_table() -> pd.DataFrame:
    """One series of 300 days with a strong weekly season, so the seasonal forecasts win."""
    rng = np.random.default_rng(7)
    days = pd.date_range("2023-03-01", periods=300, freq="D")
    t = np.arange(len(days))
    weekly = np.array([0.0, 1.5, 2.0, 1.0, 3.0, 6.0, 4.0])[t % 7]
    demand = 50 + 0.02 * t + 4 * weekly + rng.normal(0, 1.5, len(t))
    return pd.DataFrame({"day": days.strftime("%Y-%m-%d"), "demand": demand.round(3)})


TABLES = {"fixtures_panel.csv": panel_table, "fixtures_series.csv": series_table}


OUT = HERE  # where the tables are written and read (--out)


def read(name: str) -> pd.DataFrame:
    """A data table as the fixtures read it: from its CSV, so ``day`` is text."""
    return pd.read_csv(OUT / name)


CUTS = (0, 15, 30)
"""A Forecaster's prediction is written for the table and for the table less the last 15 and
30 rows of each series (the ``cut`` column): three forecast origins per series."""


def history(table: pd.DataFrame, cut: int, group: str | None) -> pd.DataFrame:
    """``table`` less the last ``cut`` rows of each series (rows in time order already)."""
    if group is None:
        return table.iloc[:len(table) - cut]
    rows = table.groupby(group, sort=False)
    keep = rows.cumcount() < rows[group].transform("size") - cut
    return table[keep.to_numpy()]


def forecasts(fc: Any, table: pd.DataFrame, group: str | None) -> pd.DataFrame:
    """``fc.predict`` from each of the CUTS origins, one frame with a ``cut`` column first."""
    return pd.concat([fc.predict(history(table, cut, group)).assign(cut=cut)[
        ["cut", *fc.predict(table).columns]] for cut in CUTS], ignore_index=True)


# --- fixtures ---------------------------------------------------------------------------

def forecaster_v2() -> dict[str, Any]:
    """Config version 2 (the table pipeline, no blend): before blends existed (c8fecd1^).
    Three stores, a static column, calendar inputs, 3 steps at once, per-series scaling."""
    from lstmcast import Forecaster, set_seed

    set_seed(0)
    table = read("fixtures_panel.csv")
    settings = dict(units=(8, 4), window=6, steps=3, epochs=2, scale_by="series",
                    calendar=True, seed=0, device="cpu")
    fc = Forecaster(**settings).fit(table, "sales", group="store", time="day",
                                    static=["size"])
    return {"model": fc, "data": "fixtures_panel.csv",
            "prediction": forecasts(fc, table, "store"),
            "settings": {**settings, "fit": dict(target="sales", group="store", time="day",
                                                 static=["size"])}}


def forecaster_v2_quantiles() -> dict[str, Any]:
    """Config version 2 with quantiles and conformal calibration (intervals), one series."""
    from lstmcast import Forecaster, set_seed

    set_seed(0)
    table = read("fixtures_series.csv")
    settings = dict(units=(8,), window=6, steps=2, epochs=2, quantiles=(0.1, 0.5, 0.9),
                    calibrate=True, season=7, seed=0, device="cpu")
    fc = Forecaster(**settings).fit(table, "demand", time="day")
    return {"model": fc, "data": "fixtures_series.csv",
            "prediction": forecasts(fc, table, None),
            "settings": {**settings, "fit": dict(target="demand", time="day")}}


def forecaster_v3() -> dict[str, Any]:
    """Config version 3: the networks blended with the linear map (blend="auto", the default
    then; b7ab4df^). Three stores, two networks (ensemble=2), 2 steps at once."""
    from lstmcast import Forecaster, set_seed

    set_seed(0)
    table = read("fixtures_panel.csv")
    settings = dict(units=(4,), window=6, steps=2, epochs=2, blend="auto", ensemble=2,
                    scale_by="series", seed=0, device="cpu")
    fc = Forecaster(**settings).fit(table, "sales", group="store", time="day",
                                    features=["temp"])
    return {"model": fc, "data": "fixtures_panel.csv",
            "prediction": forecasts(fc, table, "store"),
            "settings": {**settings, "fit": dict(target="sales", group="store", time="day",
                                                 features=["temp"])}}


def forecaster_v4() -> dict[str, Any]:
    """Config version 4: the combination chosen on the validation windows (blend="select",
    b7ab4df), on a weekly series where maps or baselines are chosen; conformal intervals
    around it (a point loss, calibrate=True)."""
    from lstmcast import Forecaster, set_seed

    set_seed(0)
    table = read("fixtures_series.csv")
    settings = dict(units=(8,), window=8, steps=2, epochs=2, blend="select", season=7,
                    loss="mae", quantiles=(0.1, 0.9), calibrate=True, seed=0, device="cpu")
    fc = Forecaster(**settings).fit(table, "demand", time="day")
    parts = list(getattr(fc.ensemble_, "parts", {}) or {})
    if not parts:
        raise SystemExit("the selection chose the networks alone: no map or baseline to keep")
    return {"model": fc, "data": "fixtures_series.csv",
            "prediction": forecasts(fc, table, None),
            "settings": {**settings, "fit": dict(target="demand", time="day")},
            "chosen": {"weights": fc.ensemble_.weights, "scores": fc.blend_scores_}}


def sequential() -> dict[str, Any]:
    """The tutorial's stack (LSTM -> Dropout -> LSTM -> Dropout -> Dense, tiny units),
    compiled with Adam and trained 2 epochs on fixed random windows, saved by ``model.save``."""
    from lstmcast import set_seed
    from lstmcast.layers import LSTM, Dense, Dropout
    from lstmcast.models import Sequential

    set_seed(0)
    rng = np.random.default_rng(3)
    x = rng.normal(size=(64, 6, 3)).astype("float32")
    y = (x[:, -1, :1] + 0.5 * x[:, -2, 1:2]).astype("float32")
    model = Sequential()
    model.add(LSTM(units=8, input_shape=(6, 3), return_sequences=True))
    model.add(Dropout(0.2))
    model.add(LSTM(units=4, return_sequences=False))
    model.add(Dropout(0.2))
    model.add(Dense(units=1))
    model.compile(loss="mse", optimizer="adam", metrics=["mae"])
    model.fit(x, y, epochs=2, batch_size=16, verbose=0)
    inputs = np.random.default_rng(4).normal(size=(10, 6, 3)).astype("float32")
    return {"model": model, "inputs": inputs, "prediction": model.predict(inputs),
            "settings": {"layers": "LSTM(8, input_shape=(6, 3), return_sequences=True), "
                                   "Dropout(0.2), LSTM(4), Dropout(0.2), Dense(1)",
                         "compile": dict(loss="mse", optimizer="adam", metrics=["mae"]),
                         "fit": "64 random windows (seed 3), epochs=2, batch_size=16",
                         "inputs": "NAME_inputs.npy: 10 windows, rng seed 4"}}


# name -> (function, the commits it is meant to be written by)
FIXTURES: dict[str, tuple[Callable[[], dict[str, Any]], tuple[str, ...]]] = {
    "forecaster_v2": (forecaster_v2, ("d677304",)),
    "forecaster_v2_quantiles": (forecaster_v2_quantiles, ("d677304",)),
    "forecaster_v3": (forecaster_v3, ("9078bd8",)),
    "forecaster_v4": (forecaster_v4, ("b7ab4df",)),
    "sequential_803b88b": (sequential, ("803b88b",)),
    "sequential_b7ab4df": (sequential, ("b7ab4df",)),
}


# --- writing ----------------------------------------------------------------------------

def saved_header(path: Path) -> tuple[dict[str, str], dict[str, Any]]:
    """A saved file's safetensors header entries and the JSON config among them."""
    from safetensors import safe_open

    with safe_open(str(path), "pt") as handle:
        metadata = handle.metadata() or {}
    return metadata, json.loads(metadata.get("config", "{}"))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("names", nargs="+", choices=sorted(FIXTURES))
    parser.add_argument("--commit", required=True, help="the commit of the lstmcast imported")
    parser.add_argument("--out", type=Path, default=HERE, help="folder (default: tests/data)")
    parser.add_argument("--allow-current", action="store_true",
                        help="run with this checkout's lstmcast (a fixture of HEAD)")
    parser.add_argument("--any-commit", action="store_true",
                        help="write a fixture with a commit other than the ones it names")
    args = parser.parse_args(argv)

    import torch

    import lstmcast

    source = Path(lstmcast.__file__).resolve()
    print(f"lstmcast {lstmcast.__version__} from {source}")
    if REPO in source.parents and not args.allow_current:
        parser.error("this is the lstmcast of this checkout, not an old one: put the old "
                     "sources first, PYTHONPATH=/tmp/old-<sha>/src (or --allow-current)")
    global OUT
    OUT = args.out
    args.out.mkdir(parents=True, exist_ok=True)
    for name, make in TABLES.items():
        make().to_csv(args.out / name, index=False)
    for name in args.names:
        make, commits = FIXTURES[name]
        if args.commit not in commits and not args.any_commit:
            parser.error(f"{name} is written by {', '.join(commits)}, not {args.commit} "
                         "(--any-commit to override)")
        made = make()
        path = args.out / f"{name}.lstmcast"
        made["model"].save(path)
        if "inputs" in made:
            np.save(args.out / f"{name}_inputs.npy", made["inputs"])
            np.save(args.out / f"{name}_predict.npy", np.asarray(made["prediction"]))
        else:
            made["prediction"].to_csv(args.out / f"{name}_predict.csv", index=False)
        metadata, header = saved_header(path)
        record = {
            "fixture": name,
            "commit": args.commit,
            "lstmcast": lstmcast.__version__,
            "file_kind": metadata.get("kind"),
            "format_version": metadata.get("format_version"),
            "config_version": header.get("config_version"),
            "saved_versions": header.get("versions"),
            "kind": type(made["model"]).__name__,
            "data": made.get("data"),
            "settings": made["settings"],
            "chosen": made.get("chosen"),
            "python": platform.python_version(),
            "torch": torch.__version__,
            "command": (f"PYTHONPATH=/tmp/old-{args.commit}/src .venv/bin/python "
                        f"tests/data/make_fixtures.py {name} --commit {args.commit}"),
        }
        (args.out / f"{name}.json").write_text(json.dumps(record, indent=2, default=str) + "\n")
        print(f"{name}: config version {record['config_version']}, "
              f"{path.stat().st_size} bytes")


if __name__ == "__main__":
    sys.exit(main())
