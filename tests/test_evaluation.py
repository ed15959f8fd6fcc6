"""lstmcast.forecast.evaluation: the model scored beside naive baselines on the same windows
(``Forecaster.evaluate``), and the helpers behind it.

References, written here on the same rows of the table, never read from the module:

- each baseline's forecast from the series itself: naive = the value before the window's
  first target row, window mean = the mean of the window's ``window`` values, seasonal
  naive = the value a whole number of seasons back (the fewest that reach a known row),
  train mean = the mean of the series' own training rows' targets (of all series' for a
  series not trained on);
- the scores with NumPy: MAE, RMSE, MAPE, sMAPE; MASE = MAE / the mean absolute seasonal
  difference of the training rows of each series; skill = 1 - RMSE / the best baseline's.
  Tolerance rtol 1e-9 (float64 sums in another order);
- the model's own forecasts against ``Forecaster.predict`` on the history before each
  window's targets (rtol 1e-5: the same float32 networks, other batches).

One Forecaster is fitted for the module: 2 series of 120 rows with a season of 4, units 4,
window 6, steps 2, one epoch, no validation rows (so every fitted row is a training row).
Its forecasts are poor on purpose: only the arithmetic is checked, not the learning.
"""

import warnings

import numpy as np
import pandas as pd
import pytest

from lstmcast import Forecaster
from lstmcast.errors import InvalidArgumentError
from lstmcast.forecast import evaluation
from lstmcast.forecast.evaluation import (
    LagCopyWarning,
    TrainingRowsWarning,
    describe_scored,
    late_lower,
)
from lstmcast.tables.io import DataError
from lstmcast.tables.scaling import UnknownKeyError

pytestmark = pytest.mark.filterwarnings("ignore::lstmcast.forecast.evaluation.LagCopyWarning")

N, H, WINDOW, STEPS, SEASON = 120, 8, 6, 2, 4
RTOL = 1e-9


def sales(n=N):
    rng = np.random.default_rng(0)
    frames = []
    for k, sid in enumerate("ab"):
        t = np.arange(n)
        y = 10 + 5 * k + 3 * np.sin(2 * np.pi * t / SEASON + k) + 0.3 * rng.normal(size=n)
        frames.append(pd.DataFrame({"sid": sid, "t": t, "y": y}))
    return pd.concat(frames, ignore_index=True)


@pytest.fixture(scope="module")
def fitted():
    table = sales()
    history = table.groupby("sid").head(N - H)
    fc = Forecaster(units=(4,), window=WINDOW, steps=STEPS, season=SEASON, epochs=1,
                    dropout=0.0, blend=None, validation=0.0, early_stopping=False, seed=0)
    fc.fit(history, "y", group="sid", time="t")
    result, pred = fc.evaluate(table, holdout=H, return_predictions=True)
    return fc, table, history, result, pred


def series(table, sid):
    return table.loc[table["sid"] == sid, "y"].to_numpy()


def test_the_holdout_windows_are_the_ones_whose_targets_lie_in_the_last_rows(fitted):
    _, table, _, result, pred = fitted
    per_series = H - STEPS + 1  # first target rows N-H .. N-STEPS
    assert result.attrs["n_windows"] == 2 * per_series
    assert result.attrs["scored"] == f"the last {H} rows of each series"
    assert len(pred) == 2 * per_series * STEPS
    for sid in "ab":
        part = pred[pred["sid"] == sid]
        firsts = part.loc[part["step"] == 1, "t"].to_numpy()
        np.testing.assert_array_equal(firsts, np.arange(N - H, N - STEPS + 1))
        np.testing.assert_array_equal(part["t"].to_numpy(),
                                      np.repeat(firsts, STEPS) + np.tile([0, 1], per_series))
        np.testing.assert_array_equal(part["actual"], series(table, sid)[part["t"]])


def test_each_baseline_is_what_it_says_on_the_series_rows(fitted):
    _, table, history, _, pred = fitted
    for sid in "ab":
        train_mean = history.loc[history["sid"] == sid, "y"].mean()  # its own, not both's
        y = series(table, sid)
        part = pred[pred["sid"] == sid]
        first = (part["t"] - part["step"] + 1).to_numpy()  # each window's first target row
        known = first - 1  # the window's last row
        np.testing.assert_allclose(part["naive"], y[known], rtol=RTOL)
        np.testing.assert_allclose(part["window_mean"],
                                   [y[r - WINDOW + 1 : r + 1].mean() for r in known], rtol=RTOL)
        seasonal = []
        for t, last in zip(part["t"], known):
            back = t - SEASON
            while back > last:
                back -= SEASON
            seasonal.append(y[back])
        np.testing.assert_allclose(part["seasonal_naive"], seasonal, rtol=RTOL)
        np.testing.assert_allclose(part["train_mean"], train_mean, rtol=RTOL)


def test_the_training_mean_of_a_series_not_trained_on_is_all_series_mean(fitted):
    """Series 'a' and 'b' differ in level by 5: each baseline is its own series' mean;
    a series the model never saw has none of its own, and gets the mean of all."""
    _, table, history, _, _ = fitted
    assert history.groupby("sid")["y"].mean().diff().iloc[-1] > 4
    fc = Forecaster(units=(4,), window=WINDOW, steps=STEPS, season=SEASON, epochs=1,
                    blend=None, validation=0.0, scale_by="global", seed=0)
    fc.fit(history, "y", group="sid", time="t")  # one scaler: a new series can be read
    other = table[table["sid"] == "a"].assign(sid="c", y=lambda f: f["y"] + 100)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _, pred = fc.evaluate(other, holdout=H, return_predictions=True)
    np.testing.assert_allclose(pred["train_mean"], history["y"].mean(), rtol=RTOL)


def test_mase_left_empty_where_the_training_rows_hold_no_season_says_why():
    """Weekly sales, 40 rows per series, a season of 52: the seasonal naive has no error on
    the training rows, MASE has no scale; the column is empty, and a note says why."""
    table = sales(60)
    fc = Forecaster(units=(4,), window=WINDOW, steps=STEPS, season=52, epochs=1,
                    blend=None, validation=0.0, seed=0)
    fc.fit(table.groupby("sid").head(40), "y", group="sid", time="t")
    result = fc.evaluate(table, holdout=H)
    assert result["mase"].isna().all()
    assert ("MASE of 'y' is left empty: each series trained on a season (52 rows) or fewer, "
            "so the seasonal naive made no error on the training rows to scale by."
            ) in result.attrs["notes"]


def test_the_models_column_is_what_predict_forecasts_from_the_same_history(fitted):
    fc, table, _, _, pred = fitted
    for sid, first in (("a", N - H), ("b", N - 3)):
        history = table[(table["sid"] == sid) & (table["t"] < first)]
        want = fc.predict(history)["y"].to_numpy()
        got = pred[(pred["sid"] == sid) & (pred["t"] - pred["step"] + 1 == first)]
        np.testing.assert_allclose(got["lstmcast"].to_numpy(), want, rtol=1e-5)


def test_the_scores_are_numpys_on_the_forecasts(fitted):
    _, _, history, result, pred = fitted
    t = pred["actual"].to_numpy()
    scale = np.mean(np.concatenate([np.abs(s[SEASON:] - s[:-SEASON]) for s in
                                    (series(history, "a"), series(history, "b"))]))
    rows = result.set_index("model")
    assert set(rows.index) == {"lstmcast", "train_mean", "naive", "window_mean",
                               "seasonal_naive"}
    rmses = {}
    for model, row in rows.iterrows():
        p = pred[model].to_numpy()
        e = p - t
        rmses[model] = np.sqrt(np.mean(e ** 2))
        assert row["mae"] == pytest.approx(np.mean(np.abs(e)), rel=RTOL)
        assert row["rmse"] == pytest.approx(rmses[model], rel=RTOL)
        assert row["mape"] == pytest.approx(100 * np.mean(np.abs(e) / np.abs(t)), rel=RTOL)
        assert row["smape"] == pytest.approx(
            100 * np.mean(2 * np.abs(e) / (np.abs(t) + np.abs(p))), rel=RTOL)
        assert row["mase"] == pytest.approx(np.mean(np.abs(e)) / scale, rel=RTOL)
    best = min(v for m, v in rmses.items() if m != "lstmcast")
    for model, row in rows.iterrows():
        assert row["skill"] == pytest.approx(1 - rmses[model] / best, rel=RTOL)
    assert rows.loc["seasonal_naive", "skill"] == pytest.approx(0.0, abs=1e-12)  # the best here
    worse = [n for n in result.attrs["notes"] if "worse than the seasonal_naive" in n]
    assert len(worse) == (rows.loc["lstmcast", "skill"] < -evaluation.SAME_RMSE)


def test_by_default_only_rows_after_the_training_data_are_scored(fitted):
    fc, table, history, _, _ = fitted
    result, pred = fc.evaluate(table, return_predictions=True)
    assert result.attrs["scored"] == "the rows after the training data (2 series)"
    assert pred["t"].min() == N - H  # no target row the model was trained on
    assert result.attrs["n_windows"] == 2 * (H - STEPS + 1)
    with pytest.warns(TrainingRowsWarning, match="Every row of this table was in the model's "
                                                 "training data"):
        again = fc.evaluate(history)
    assert again.attrs["scored"] == "every window (all of them were in the training data)"
    assert again.attrs["n_windows"] == 2 * (N - H - WINDOW - STEPS + 1)


def test_a_series_the_model_never_saw_is_scored_on_every_window(fitted):
    _, table, history, _, _ = fitted  # a model scaled globally: unseen series are in units
    fc = Forecaster(units=(4,), window=WINDOW, steps=STEPS, season=SEASON, epochs=1,
                    dropout=0.0, blend=None, validation=0.0, early_stopping=False, seed=0,
                    scale_by="global").fit(history, "y", group="sid", time="t")
    fresh = table[table["t"] < 12].assign(sid=lambda d: d["sid"] + "_new")
    result, pred = fc.evaluate(fresh, return_predictions=True)
    assert result.attrs["n_windows"] == 2 * (12 - WINDOW - STEPS + 1)
    assert result.attrs["scored"] == "every window of 2 series not in the training data"
    assert pred["t"].min() == WINDOW  # from the first window on
    assert not pred["seasonal_naive"].isna().any()  # window 6 > season 4: always known


def test_a_model_scaled_per_series_names_a_series_it_never_saw(fitted):
    fc, table, _, _, _ = fitted  # the default: each series scaled by its own rows
    assert fc.pipeline_.scale_by == "series"
    fresh = table[table["t"] < 12].assign(sid=lambda d: d["sid"] + "_new")
    with pytest.raises(UnknownKeyError, match=r"^2 series had no rows in the training data "
                                              r"\('a_new', 'b_new'\); .*scale_by='global'"):
        fc.evaluate(fresh)


def test_holdout_and_last_only_errors_are_named(fitted):
    fc, table, _, _, _ = fitted
    with pytest.raises(DataError, match=r"`holdout=120` is not less than the 120 rows of "
                                        r"series 'a'"):
        fc.evaluate(table, holdout=N)
    with pytest.raises(InvalidArgumentError, match=r"`last_only=True`.*needs horizon=0 and "
                                                   r"steps=1"):
        fc.evaluate(table, last_only=True)
    # only the rows to score (as a test split is kept apart from its history): the rows
    # before them are asked for; too few rows past those left out: a holdout as long as
    # a forecast is asked for (before: "No window of 6 rows plus its targets fits ...")
    with pytest.raises(DataError, match=r"No window of 6 rows plus its \d+ target rows? fits "
                       r".*the longest series has 6 rows, and scoring needs \d+\. Give the 6 "
                       r"rows before those to score too"):
        fc.evaluate(table.groupby("sid").head(6))
    with pytest.raises(DataError, match=r"at most 1 row of a series is left to score, and "
                       rf"each forecast scores {fc.steps}\. Give a holdout of {fc.steps} rows"):
        fc.evaluate(table, holdout=1)
    with pytest.raises(ValueError, match="`holdout`"):
        fc.evaluate(table, holdout=0)


def test_backtest_refuses_series_too_short_for_its_folds_before_training():
    short = sales(n=20)
    with pytest.raises(DataError, match=r"The shortest series \(20 rows\) is too short for 3 "
                                        r"folds of 5 rows after a first window of 8"):
        Forecaster(units=(4,), window=WINDOW, steps=STEPS).backtest(
            short, "y", group="sid", time="t", folds=3, test_size=5)


def test_backtest_leaves_out_a_series_its_missing_value_policy_cannot_fill():
    """A series whose input is blank in every row under missing="ffill" cannot be filled:
    each fold leaves it out of training and of the test with a warning naming it, as
    ``lstmcast train`` does, and the rows trained on count the series kept (it was left
    out silently, its rows counted)."""
    table = sales(n=60)
    table["x"] = np.where(table["sid"] == "b", np.nan, np.cos(table["t"] / 3.0))
    fc = Forecaster(units=(4,), window=WINDOW, steps=STEPS, epochs=1, missing="ffill")
    with pytest.warns(UserWarning, match=r"1 series has no 'x' value in the rows trained on "
                                         r".*left out of training and of the test \('b'\)"):
        scores = fc.backtest(table, "y", features=["x"], group="sid", time="t", folds=2,
                             test_size=5)
    assert scores.groupby("fold")["train_rows"].first().tolist() == [50, 55]  # 'a' alone


def test_describe_scored_names_each_kind_of_series():
    assert describe_scored({"extended": 2, "new": 0, "seen": 0}) == (
        "the rows after the training data (2 series)")
    assert describe_scored({"extended": 1, "new": 3, "seen": 2}) == (
        "the rows after the training data (1 series); every window of 3 series not in the "
        "training data; nothing of 2 series that hold training rows only")
    assert describe_scored({"extended": 0, "new": 0, "seen": 4}) == ""


def test_late_lower_is_the_share_of_late_lower_bounds_and_their_phm08():
    truth = np.array([[10.0], [20.0], [30.0], [40.0]])
    levels = (0.1, 0.5, 0.9)
    lower = np.array([[12.0], [15.0], [31.0], [40.0]])
    band = np.stack([lower, truth, truth + 5], axis=2)  # (W, S, Q)
    out = late_lower(truth, band, levels)
    assert set(out) == {"late_lower_80", "phm08_lower_80"}
    assert out["late_lower_80"] == pytest.approx(2 / 4)  # 12 > 10 and 31 > 30
    d = (lower - truth).ravel()
    phm = np.sum(np.where(d < 0, np.exp(-d / 13) - 1, np.exp(d / 10) - 1))
    assert out["phm08_lower_80"] == pytest.approx(phm, rel=RTOL)


def test_a_model_that_copies_the_last_value_is_warned_about_in_evaluate(fitted):
    """This model (one epoch) forecasts about the last value: evaluate says so."""
    fc, table, _, result, pred = fitted
    judged = "networks" if "networks" in pred else "lstmcast"  # a combination: the networks
    copy_distance = np.mean(np.abs(pred[judged] - pred["naive"]))
    truth_distance = np.mean(np.abs(pred[judged] - pred["actual"]))
    rows = result.set_index("model")
    expected = (fc.ensemble_.weight > 0 and rows.loc[judged, "rmse"] >= rows.loc["naive", "rmse"]
                and copy_distance < 0.5 * truth_distance)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fc.evaluate(table, holdout=H)
    lag = [w for w in caught if issubclass(w.category, LagCopyWarning)]
    assert bool(lag) == expected
    if lag:
        assert "'y'" in str(lag[0].message) and f"{copy_distance:.3g}" in str(lag[0].message)


class _Chosen:
    """What ``_add_skill`` reads of an ensemble: the networks' share and every share."""

    def __init__(self, weights: dict[str, float]) -> None:
        self.weights = weights
        self.weight = weights.get("networks", 0.0)


@pytest.mark.parametrize("weights, says, not_says", [
    ({"networks": 1.0}, "train longer (epochs)", "several folds"),
    ({"networks": 0.5, "linear_map": 0.5}, "train longer (epochs)", "several folds"),
    ({"linear_map": 0.5, "holt_winters": 0.5},
     "its forecast (0.50 x the linear map + 0.50 x the Holt-Winters smoothing) scored best "
     "on the validation rows", "train longer"),
])
def test_a_model_that_loses_is_told_what_to_try_for_what_it_forecasts_with(weights, says,
                                                                            not_says):
    result = pd.DataFrame({"target": "y", "model": ["lstmcast", "naive", "seasonal_naive"],
                           "rmse": [1.2, 1.0, 1.5]})
    notes: list[str] = []
    evaluation._add_skill(result, notes, _Chosen(weights))
    assert result["skill"].tolist() == pytest.approx([-0.2, 0.0, -0.5])
    (note,) = notes
    assert note.startswith("the model forecasts 'y' worse than the naive baseline "
                           "(RMSE 1.2 against 1, skill -0.200): ")
    assert says in note and not_says not in note
    if "networks" not in weights:
        assert note.endswith("or the naive forecast itself.")


@pytest.mark.parametrize("ours, told", [(1.0 + 1e-9, False), (1.0009, False), (1.0011, True)])
def test_a_model_as_good_as_the_baseline_to_rounding_is_not_said_to_lose(ours, told):
    """A forecast that is a baseline's (the smoothing at alpha 1 is the naive forecast)
    scores its RMSE but for rounding: no note 'worse ... (RMSE 0.4775 against 0.4775)'.
    Worse by more than a thousandth of the baseline's RMSE is said."""
    result = pd.DataFrame({"target": "y", "model": ["lstmcast", "naive"], "rmse": [ours, 1.0]})
    notes: list[str] = []
    evaluation._add_skill(result, notes, _Chosen({"holt_winters": 0.5, "naive": 0.5}))
    assert bool(notes) == told
    assert evaluation.loses(ours, 1.0) == told
