"""Datasets shipped inside the package: nothing is downloaded, ever.

- NASA C-MAPSS turbofan degradation, FD001-FD004 (the tutorial's example rows)
- airline passengers, monthly 1949-1960 (Box & Jenkins series G)
- yearly sunspot numbers, 1700-2008
- ETTh2: hourly loads and oil temperature of an electricity transformer, 2016-2018
  (the long-horizon benchmark table; a CSV with text dates, as most tables are)

Each folder under ``lstmcast/data`` has a SOURCE.md with origin, licence and checksums.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from lstmcast.checks import check_choice, check_int
from lstmcast.tables.scaling import kmeans, nearest_centre

CMAPSS_SUBSETS = ("FD001", "FD002", "FD003", "FD004")
CMAPSS_COLUMNS = (["unit", "cycle", "setting_1", "setting_2", "setting_3"]
                  + [f"s_{i}" for i in range(1, 22)])


def data_path(*parts: str) -> Path:
    """Path of a file shipped in ``lstmcast/data``."""
    return Path(str(resources.files("lstmcast").joinpath("data", *parts)))


def _cmapss_file(name: str) -> Path:
    folder = data_path("cmapss")
    plain = folder / f"{name}.txt"
    return plain if plain.exists() else folder / f"{name}.txt.gz"


@dataclass(frozen=True)
class CMAPSS:
    """One C-MAPSS subset.

    Attributes:
        train: one row per engine and cycle; columns ``unit``, ``cycle``,
            ``setting_1..3``, ``s_1..s_21`` and ``rul``, the remaining useful
            life, clipped at ``rul_cap`` (piecewise-linear target).
        test: the same columns; test engines stop before failure, and ``rul``
            is their true remaining useful life, not clipped.
        test_rul: true RUL after each test engine's last cycle (RUL_FD00x.txt),
            indexed by unit.
        subset: "FD001" ... "FD004".
        rul_cap: the cap applied to ``train["rul"]``.

    Both frames also have ``condition``: the operating condition of each row,
    found by clustering the three operational settings of the training rows
    (6 conditions in FD002 and FD004, 1 in FD001 and FD003); test rows get the
    nearest training condition. Use it as ``scale_by="condition"``.
    """

    train: pd.DataFrame
    test: pd.DataFrame
    test_rul: pd.Series
    subset: str
    rul_cap: int | None

    @property
    def features(self) -> list[str]:
        """The inputs that carry information: the sensors that vary within an
        operating condition of the training engines, and, for the one-condition
        subsets (FD001, FD003), the settings that vary at all.

        A column with one value per condition (e.g. ``s_1`` in FD002) is dropped:
        scaled per condition it is a constant, and the condition itself is not
        wear. In FD002 and FD004 the settings only say which condition a row is in.
        """
        inputs = ("s_", "setting_") if self.train["condition"].nunique() == 1 else ("s_",)
        candidates = [c for c in self.train.columns if c.startswith(inputs)]
        varies = self.train.groupby("condition")[candidates].nunique().max() > 1
        return [c for c in candidates if varies[c]]

    @property
    def scale_by(self) -> str:
        """``"condition"`` (a scaler per operating condition) for the six-condition
        subsets FD002 and FD004, ``"global"`` for FD001 and FD003: the Forecaster's
        ``scale_by`` for this data."""
        return "condition" if self.train["condition"].nunique() > 1 else "global"


def load_cmapss(subset: str = "FD001", rul_cap: int | None = 125) -> CMAPSS:
    """Load a C-MAPSS subset with remaining-useful-life targets.

    Args:
        subset: "FD001", "FD002", "FD003" or "FD004".
        rul_cap: clip the training target at this many cycles (the usual
            piecewise-linear RUL: an engine far from failure looks healthy, so
            its exact distance to failure cannot be learned); None for no cap.

    Returns:
        A ``CMAPSS`` with train and test frames and the test engines' true RUL.

    Example:
        >>> data = load_cmapss("FD001")
        >>> data.train.loc[0, ["unit", "cycle", "rul"]].tolist()
        [1, 1, 125]
    """
    subset = check_choice("subset", subset.upper() if isinstance(subset, str) else subset,
                          CMAPSS_SUBSETS)  # "fd001" or "FD001": the files' own names
    if rul_cap is not None:
        rul_cap = check_int("rul_cap", rul_cap)
    train = _read_cmapss(_cmapss_file(f"train_{subset}"))
    test = _read_cmapss(_cmapss_file(f"test_{subset}"))
    rul_values = np.loadtxt(data_path("cmapss", f"RUL_{subset}.txt"), dtype=np.int64)
    units = np.sort(test["unit"].unique())
    test_rul = pd.Series(rul_values, index=pd.Index(units, name="unit"), name="rul")

    settings = ["setting_1", "setting_2", "setting_3"]
    k = 6 if subset in ("FD002", "FD004") else 1
    labels, centres = kmeans(train[settings].to_numpy(), k)
    train["condition"] = labels
    test["condition"] = nearest_centre(test[settings].to_numpy(), centres,
                                       train[settings].to_numpy())

    last = train.groupby("unit")["cycle"].transform("max")
    train["rul"] = last - train["cycle"]
    if rul_cap is not None:
        train["rul"] = train["rul"].clip(upper=rul_cap)
    test_last = test.groupby("unit")["cycle"].transform("max")
    test["rul"] = test["unit"].map(test_rul) + test_last - test["cycle"]
    return CMAPSS(train, test, test_rul, subset, rul_cap)


def _read_cmapss(path: Path) -> pd.DataFrame:
    frame = pd.read_csv(path, sep=r"\s+", header=None, names=CMAPSS_COLUMNS)
    return frame.astype({"unit": np.int64, "cycle": np.int64})


def load_airline() -> pd.DataFrame:
    """Monthly international airline passengers (thousands), 1949-01 to 1960-12.

    Returns:
        A frame with ``month`` (datetime, month start) and ``passengers``; 144 rows.
    """
    frame = pd.read_csv(data_path("airline", "airline_passengers.csv"))
    return pd.DataFrame({"month": pd.to_datetime(frame["Date"], format="%Y-%m"),
                         "passengers": frame["Passengers"].astype(np.float64)})


def load_sunspots() -> pd.DataFrame:
    """Yearly mean sunspot numbers, 1700 to 2008.

    Returns:
        A frame with ``year`` (int) and ``sunspots`` (float); 309 rows.
    """
    frame = pd.read_csv(data_path("sunspots", "sunspots_yearly.csv"))
    return pd.DataFrame({"year": frame["YEAR"].astype(np.int64),
                         "sunspots": frame["SUNACTIVITY"].astype(np.float64)})


def load_etth2() -> pd.DataFrame:
    """ETTh2, hourly electricity transformer loads and oil temperature, as its CSV reads.

    Returns:
        A frame with ``date`` (text, "2016-07-01 00:00:00": as in the file; lstmcast
        parses it when it is the time column), the six loads ``HUFL``, ``HULL``,
        ``MUFL``, ``MULL``, ``LUFL``, ``LULL`` and the oil temperature ``OT``; 17,420
        rows. Licence CC BY-ND 4.0 (see ``lstmcast/data/ett/SOURCE.md``).
    """
    return pd.read_csv(data_path("ett", "ETTh2.csv"))
