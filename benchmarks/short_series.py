"""One short series among long ones: the panel's tables of several series, with one series
cut to its last share of rows (a store opened later, a stock listed later), trained as a
user trains them.

    .venv/bin/python benchmarks/short_series.py [--keep 0.4] [--seed 0] \
        [--lstmcast-src SNAPSHOT/src] [--out /tmp/lstmcast-short]

For each table of benchmarks/panel/panel.toml with a group column, the first series keeps
its last ``--keep`` of rows (ausaccommodation, 74 rows a series: half, so that the cut
series still holds a window after the test), and ``lstmcast train FILE --target T --time C
--group G --steps S --holdout H`` runs with H = 20% of a full series, so that every
version scores the same rows (by default train holds out 20% of the shortest series). The
ratio is the model's RMSE over the best of the baselines train scores beside it (naive,
seasonal naive, window mean, training mean) on those rows. ``--lstmcast-src`` runs another
version's source (a snapshot: ``git archive REV src | tar -x -C SNAPSHOT``) for the side
by side.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
import panel  # noqa: E402  (benchmarks/panel.py: the tables)

KEEP = {"ausaccommodation": 0.5}  # the share kept where --keep leaves the cut series no window
BASELINES = ("naive", "seasonal_naive", "window_mean", "train_mean")


def cut_table(table: dict, keep: float, folder: Path) -> tuple[Path, int, int]:
    """The table with its first series cut to its last ``keep`` of rows, written as CSV;
    with the holdout (20% of a full series) and the cut series' rows."""
    time = table["time"]
    frame = pd.read_csv(table["path"], dtype={time: str})
    group = table["group"]
    first = frame[group].iloc[0]
    mine = frame[frame[group] == first]
    share = KEEP.get(table["name"], keep)
    short = mine.tail(int(share * len(mine)))
    path = folder / f"{table['name']}.csv"
    pd.concat([short, frame[frame[group] != first]]).to_csv(path, index=False)
    full = int(frame.groupby(group).size().max())
    return path, int(0.2 * full), len(short)


def ratio(run: Path) -> tuple[float, int]:
    metrics = json.loads((run / "metrics.json").read_text())
    rmse = {row["model"]: row["rmse"] for row in metrics["scores"]}
    best = min(v for k, v in rmse.items() if k in BASELINES)
    return rmse["lstmcast"] / best, int(metrics["window"])


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--keep", type=float, default=0.4)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--max-seconds", type=float, default=60)
    p.add_argument("--lstmcast-src", default=None)
    p.add_argument("--out", default="/tmp/lstmcast-short")
    p.add_argument("--panel", type=Path, default=panel.PANEL / "panel.toml",
                   help="a panel file (default: the development panel); its tables of "
                   "several series are cut")
    args = p.parse_args()
    out = Path(args.out)
    (out / "tables").mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    if args.lstmcast_src:
        env["PYTHONPATH"] = str(Path(args.lstmcast_src).resolve())
    results = []
    for table in panel.load_panel(args.panel):
        if not table.get("group"):
            continue
        path, holdout, rows = cut_table(table, args.keep, out / "tables")
        run = out / f"{table['name']}-seed{args.seed}"
        command = [sys.executable, "-m", "lstmcast", "train", str(path), "--target",
                   table["target"], "--time", table["time"], "--group", table["group"],
                   "--steps", str(table["steps"]), "--holdout", str(holdout), "--seed",
                   str(args.seed), "--max-seconds", str(args.max_seconds), "--out", str(run),
                   "--quiet"]
        if table.get("time_format"):
            command += ["--time-format", table["time_format"]]
        done = subprocess.run(command, capture_output=True, text=True, env=env) if not (
            run / "metrics.json").is_file() else None  # a run of an earlier call: read again
        if done is not None and done.returncode:
            print(f"{table['name']}: failed: {done.stderr.strip()[-300:]}", flush=True)
            continue
        value, window = ratio(run)
        results.append({"table": table["name"], "cut_series_rows": rows, "holdout": holdout,
                        "window": window, "ratio": value})
        print(f"{table['name']:<18} cut series {rows:4d} rows, window {window:3d}: ratio to "
              f"the best baseline {value:.3f}", flush=True)
    (out / f"results-seed{args.seed}.json").write_text(json.dumps(results, indent=1) + "\n")


if __name__ == "__main__":
    main()
