"""A season found in the rows (``lstmcast.tables.seasonality``): checked against the
period each series was made with, against series made without one, and against the
development panel's calendar seasons with the times removed."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import tomllib

from lstmcast import Forecaster
from lstmcast.tables.seasonality import FoundSeason, autocorrelation, find_season

PANEL = Path(__file__).resolve().parents[1] / "benchmarks" / "panel"


def seasonal(n, period, rng, noise=0.3, walk=0.2):
    """A fixed pattern of ``period`` rows (a wave with a random shape) repeated, on a
    random walk, with noise."""
    pattern = np.sin(2 * np.pi * np.arange(period) / period) + 0.5 * rng.normal(size=period)
    return (np.resize(pattern * 2, n) + np.cumsum(rng.normal(0, walk, n))
            + rng.normal(0, noise, n))


@pytest.mark.parametrize(("n", "period"), [(40, 4), (120, 12), (90, 7), (600, 24),
                                           (1500, 48), (400, 52)])
def test_the_period_a_series_was_made_with_is_found(n, period):
    rng = np.random.default_rng(period)
    found = [find_season([seasonal(n, period, rng)]) for _ in range(10)]
    assert [f.period if f else None for f in found] == [period] * 10


def test_a_day_is_found_before_the_week_that_repeats_it():
    rng = np.random.default_rng(1)
    hours = np.arange(24 * 7 * 8)
    y = (3 * np.sin(2 * np.pi * hours / 24) + 1.5 * (hours % 168 >= 120)
         + rng.normal(0, 0.3, len(hours)))
    assert find_season([y]).period == 24


def test_short_series_pool_their_evidence():
    rng = np.random.default_rng(2)
    series = [seasonal(int(rng.integers(24, 40)), 4, rng, noise=0.8) for _ in range(8)]
    assert find_season(series[:1]) is None or find_season(series[:1]).period == 4
    assert find_season(series).period == 4


@pytest.mark.parametrize("make", [
    lambda n, rng: np.cumsum(rng.normal(size=n)),                      # a random walk
    lambda n, rng: np.cumsum(rng.normal(0.3, 1, size=n)),              # with drift
    lambda n, rng: rng.normal(size=n),                                 # white noise
    lambda n, rng: 0.05 * np.arange(n) + rng.normal(size=n),           # a trend
    lambda n, rng: np.cumsum(rng.standard_t(3, size=n)),               # heavy tails
    lambda n, rng: pd.Series(rng.normal(size=n)).ewm(alpha=0.2).mean().to_numpy(),  # AR(1)
], ids=["walk", "drift", "noise", "trend", "heavy", "smooth"])
def test_series_without_a_cycle_get_none(make):
    rng = np.random.default_rng(3)
    found = [find_season([make(n, rng)]) for n in (30, 60, 120, 400) for _ in range(50)]
    assert sum(f is not None for f in found) <= 2  # at most 1% of 200 (measured: 0-0.7%)


def test_nothing_to_read_gives_none():
    assert find_season([np.ones(200)]) is None                   # constant
    assert find_season([np.arange(200.0)]) is None               # a straight line
    assert find_season([np.array([1.0, 2.0, 1.0, 2.0, 1.0])]) is None  # too short
    assert find_season([]) is None


def test_autocorrelation_matches_its_definition():
    rng = np.random.default_rng(4)
    a, b = rng.normal(size=50).cumsum(), rng.normal(size=80).cumsum()
    r, n = autocorrelation([a, b], 10)

    def by_hand(y, k):  # the sample autocorrelation of the changes
        d = np.diff(y) - np.diff(y).mean()
        return np.sum(d[k:] * d[: len(d) - k]) / np.sum(d * d)

    for k in range(11):
        expected = ((49 * by_hand(a, k) if k <= 16 else 0) + 79 * by_hand(b, k)) / (
            (49 if k <= 16 else 0) + 79)
        assert r[k] == pytest.approx(expected, abs=1e-12)
    assert n[0] == 128 and n[10] == 128


def test_the_panel_without_its_times():
    """Each panel table's target, its times removed, against its calendar season
    (panel.toml): found where its changes show it, none for the tables without one."""
    tables = tomllib.loads((PANEL / "panel.toml").read_text())["table"]
    found = {}
    for table in tables:
        group = table.get("group")
        frame = pd.read_csv(PANEL / table["file"], dtype={group: str} if group else None)
        parts = ([frame[table["target"]]] if not group else
                 [part[table["target"]] for _, part in frame.groupby(group, sort=False)])
        series = [p.to_numpy(np.float64)[: int(len(p) * 0.64)] for p in parts]
        season = find_season(series)
        found[table["name"]] = season.period if season else 1
    expected = {t["name"]: t["season"] for t in tables}
    # two seasonal tables whose changes show no cycle: frozen juice prices (a monthly
    # index) and quarterly US macro data; both are rated by the calendar season
    expected.update(frozenjuice=1, usmacro=1)
    assert found == expected


def test_fit_uses_the_season_it_finds_and_keeps_it(tmp_path):
    rng = np.random.default_rng(5)
    frame = pd.DataFrame({"y": seasonal(400, 12, rng)})
    model = Forecaster(units=(4,), epochs=1, verbose=0).fit(frame, target="y")
    assert model.season_ == 12
    assert model.pipeline_.window == 30  # 30 rows already see two seasons of 12
    season, why = model.season_choice(model.pipeline_)
    assert season == 12 and why.startswith("found in the rows: their changes repeat every "
                                           "12 rows") and why.endswith("no time column "
                                                                       "was given")
    assert "seasonal_naive" in set(model.validation_scores_["model"])
    model.save(tmp_path / "m.lstmcast")
    loaded = Forecaster.load(tmp_path / "m.lstmcast")
    assert loaded.season_ == 12 and loaded.season_choice(loaded.pipeline_) == (season, why)


def test_a_season_given_or_from_the_calendar_is_not_searched():
    rng = np.random.default_rng(6)
    y = seasonal(240, 12, rng)
    months = pd.DataFrame({"t": pd.date_range("2000-01-01", periods=240, freq="MS"), "y": y})
    monthly = Forecaster(units=(4,), epochs=1, verbose=0).fit(months, target="y", time="t")
    assert monthly.season_ == 12 and "found_season" not in monthly.pipeline_.time_
    given = Forecaster(units=(4,), epochs=1, season=6, verbose=0).fit(months[["y"]], "y")
    assert given.season_ == 6 and "found_season" not in given.pipeline_.time_
    numbered = months.assign(t=np.arange(240))  # a time column of numbers has no calendar
    found = Forecaster(units=(4,), epochs=1, verbose=0).fit(numbered, target="y", time="t")
    assert found.season_ == 12 and FoundSeason.from_config(
        found.pipeline_.time_["found_season"]).period == 12
    off = Forecaster(units=(4,), epochs=1, season=1, verbose=0).fit(months[["y"]], "y")
    assert off.season_ is None and off.season_choice(off.pipeline_) == (None,
                                                                        "given as 1: none")


def test_a_smooth_cycle_under_noise_gives_its_period_not_two_rows():
    """Noise makes the changes' first lag negative, so a smooth daily cycle's changes
    peak at lag 2 without repeating there: the season is the day."""
    rng = np.random.default_rng(7)
    t = np.arange(2600)
    y = (30 + 5 * np.sin(2 * np.pi * t / 48) + 2 * np.sin(2 * np.pi * t / 336)
         + rng.normal(0, 0.5, len(t)))
    r, _ = autocorrelation([y], 3)
    assert r[1] < 0 < r[2]  # the shape that read as a season of 2
    assert find_season([y]).period == 48
