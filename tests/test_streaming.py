"""Training on a set of Parquet files read shard by shard (``lstmcast.tables.streaming``).

References: the scalers and statistics of one fit on the whole table in memory (the
same numbers, up to float64 rounding: rtol 1e-12), NumPy's own min, max, mean and std,
and the windows an in-memory fit makes (the same count, each trained once an epoch).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from helpers import one_line_error, run_cli

from lstmcast import Forecaster
from lstmcast.engine.callbacks import Callback
from lstmcast.tables import streaming
from lstmcast.tables.io import DataError
from lstmcast.tables.scaling import KeyedScaler, Scaler


def series_table(count: int = 10, seed: int = 0) -> pd.DataFrame:
    """``count`` hourly series of 120 to 210 rows, text dates, a condition column."""
    rng = np.random.default_rng(seed)
    frames = []
    for k in range(count):
        n = 120 + 10 * k
        t = pd.date_range("2024-01-01", periods=n, freq="h")
        frames.append(pd.DataFrame({
            "date": t.strftime("%Y-%m-%d %H:%M:%S"), "store": k,
            "load": np.sin(np.arange(n) / 6 + k) * (1 + k / 4) + rng.normal(0, 0.1, n) + k,
            "temp": rng.normal(size=n) * (k + 1), "mode": rng.integers(0, 3, n)}))
    return pd.concat(frames, ignore_index=True)


def write_set(frame: pd.DataFrame, folder, by: str = "store"):
    """One file per value of ``by``, hive-partitioned (store=K/part-0.parquet)."""
    for key, part in frame.groupby(by):
        (folder / f"{by}={key}").mkdir(parents=True)
        part.drop(columns=by).to_parquet(folder / f"{by}={key}" / "part-0.parquet")
    return folder


SETTINGS = dict(window=24, steps=4, units=(8,), dropout=0.0, epochs=3, batch_size=32,
                seed=2, blend=None)  # epochs read every shard once; the map its own pass


@pytest.mark.parametrize("kind", ["minmax", "standard"])
def test_partial_fit_gives_the_scaler_of_one_fit_on_all_rows(kind):
    rng = np.random.default_rng(0)
    values = rng.normal(5.0, 3.0, size=(1000, 3)) * [1, 1e3, 1e-3]
    keys = rng.integers(0, 4, 1000)
    cuts = [0, 1, 250, 251, 700, 1000]
    whole, parts = KeyedScaler(kind).fit(values, keys), KeyedScaler(kind)
    for a, b in zip(cuts[:-1], cuts[1:]):
        parts.partial_fit(values[a:b], keys[a:b])
    want_offset = values.min(0) if kind == "minmax" else values.mean(0)
    want_scale = np.ptp(values, 0) if kind == "minmax" else values.std(0)
    np.testing.assert_allclose(parts.global_.offset_, want_offset, rtol=1e-12)
    np.testing.assert_allclose(parts.global_.scale_, want_scale, rtol=1e-12)
    for key in whole.by_key_:
        np.testing.assert_allclose(parts.by_key_[key].offset_, whole.by_key_[key].offset_,
                                   rtol=1e-12)
        np.testing.assert_allclose(parts.by_key_[key].scale_, whole.by_key_[key].scale_,
                                   rtol=1e-12)
    np.testing.assert_allclose(parts.transform(values, keys), whole.transform(values, keys),
                               rtol=1e-10, atol=1e-12)
    constant = Scaler(kind).partial_fit(np.ones((3, 1))).partial_fit(np.ones((2, 1)))
    assert constant.scale_.tolist() == [1.0]  # never divides by zero


def test_a_set_of_one_shard_trains_exactly_as_in_memory(tmp_path):
    frame = series_table(6)
    folder = write_set(frame, tmp_path / "set")
    kw = dict(target="load", group="store", time="date")
    memory = Forecaster(**SETTINGS, scale_by="series").fit(frame, **kw)
    shards = Forecaster(**SETTINGS, scale_by="series").fit(folder, **kw)
    assert shards.streamed_["shards"] == 1
    assert shards.history_ == memory.history_  # the same windows, scalers and batches
    np.testing.assert_allclose(shards.predict(frame)["load"], memory.predict(frame)["load"],
                               rtol=1e-6)


@pytest.mark.parametrize("scale_by", ["global", "series", "mode"])
def test_shards_give_the_in_memory_scalers_statistics_and_windows(tmp_path, scale_by):
    frame = series_table(10)
    folder = write_set(frame, tmp_path / "set")
    kw = dict(target="load", group="store", time="date")
    settings = {**SETTINGS, "epochs": 2, "scale_by": scale_by, "season": 24,
                "scaler": "standard"}
    memory = Forecaster(**settings).fit(frame, **kw)
    trained = []

    class Parts(Callback):
        def on_epoch_begin(self, epoch, logs=None):
            trained.append([])

    original = streaming.ShardWindows.arrays

    def arrays(self, part):
        x, y = original(self, part)
        trained[-1].append((self._train_parts[part], len(x)))
        return x, y

    streaming.ShardWindows.arrays = arrays
    try:
        shards = Forecaster(**settings, shard_rows=400, callbacks=[Parts()]).fit(folder, **kw)
    finally:
        streaming.ShardWindows.arrays = original
    info = shards.streamed_
    assert info["shards"] == 5 and info["files"] == 10 and info["rows"] == len(frame)
    assert info["most_rows"] <= 400  # never more than a shard in memory
    for name in ("x_scaler_", "y_scaler_"):
        got, want = getattr(shards, name), getattr(memory, name)
        np.testing.assert_allclose(got.global_.offset_, want.global_.offset_, rtol=1e-12)
        np.testing.assert_allclose(got.global_.scale_, want.global_.scale_, rtol=1e-12)
        assert got.by_key_.keys() == want.by_key_.keys()
        for key in want.by_key_:
            np.testing.assert_allclose(got.by_key_[key].scale_, want.by_key_[key].scale_,
                                       rtol=1e-12)
    np.testing.assert_allclose(shards.stats_.train_mean, memory.stats_.train_mean, rtol=1e-12)
    np.testing.assert_allclose(shards.stats_.naive_scale, memory.stats_.naive_scale,
                               rtol=1e-12)
    assert shards.n_windows_ == memory.n_windows_
    assert shards.seen_.series_ == memory.seen_.series_
    for epoch in trained:  # every shard once an epoch, its windows all there
        assert sorted(k for k, _ in epoch) == list(range(5))
        assert sum(n for _, n in epoch) == memory.n_windows_["train"]
    assert [k for k, _ in trained[0]] != [k for k, _ in trained[1]]  # reshuffled
    assert shards.history_["val_loss"][-1] < shards.history_["val_loss"][0]
    with pytest.warns(UserWarning, match="in the model's training data"):
        scores = shards.evaluate(frame)
    assert set(scores["model"]) >= {"lstmcast", "naive"}


def test_a_streamed_model_saves_loads_and_forecasts(tmp_path):
    frame = series_table(4)
    folder = write_set(frame, tmp_path / "set")
    f = Forecaster(**SETTINGS, quantiles=(0.1, 0.5, 0.9), shard_rows=300).fit(
        folder, target="load", group="store", time="date")
    assert f.streamed_["shards"] == 2 and f.stats_.residual_quantiles is not None
    f.save(tmp_path / "m.lstmcast")
    loaded = Forecaster.load(tmp_path / "m.lstmcast")
    in_memory = f.predict(frame)
    pd.testing.assert_frame_equal(loaded.predict(frame), in_memory)
    assert loaded.streamed_ == f.streamed_ and loaded.fingerprint_ == f.fingerprint_
    # predict on the folder: shard by shard, never more than shard_rows rows at once
    reads = []
    original = streaming.ShardedTable.read

    def read(self, k, columns=None, select=True):
        frame = original(self, k, columns, select)
        reads.append(len(frame))
        return frame

    streaming.ShardedTable.read = read
    try:
        shards = loaded.predict(folder)
    finally:
        streaming.ShardedTable.read = original
    assert len(reads) == 2 and max(reads) <= 300 and sum(reads) == len(frame)

    def ordered(out):
        out = out.assign(store=out["store"].astype(str)).sort_values(["store", "step"])
        return out.reset_index(drop=True)

    pd.testing.assert_frame_equal(ordered(shards), ordered(in_memory), check_dtype=False)


def test_a_series_over_two_shards_is_refused_naming_it_and_the_files(tmp_path):
    frame = series_table(3)
    frame["day"] = frame["date"].str[:10]
    folder = write_set(frame, tmp_path / "byday", by="day")  # every store in each file
    # each day's file (3 stores x 24 rows) is a shard: both files are named
    with pytest.raises(DataError, match=r"Series '0' has rows in two shards: '[^']*day="
                                        r"2024-01-01/part-0.parquet' and '[^']*day=2024-01-02/"
                                        r"part-0.parquet'.*partitioned by 'store'"):
        Forecaster(**SETTINGS, shard_rows=100).fit(folder, target="load", group="store",
                                                   time="date")
    with pytest.raises(DataError, match=r"'[^']*day=2024-01-01/part-0.parquet' and '[^']*day="
                                        r"2024-01-03/part-0.parquet'"):  # 2 days a shard
        Forecaster(**SETTINGS, shard_rows=150).fit(folder, target="load", group="store",
                                                   time="date")
    memory = Forecaster(**{**SETTINGS, "epochs": 1}, shard_rows=100).fit(
        frame.drop(columns="day"), target="load", group="store", time="date")
    with pytest.raises(DataError, match=r"Series '0' has rows in two shards: '[^']*day="
                                        r"2024-01-01/part-0.parquet' and '[^']*day=2024-01-02"):
        memory.predict(folder)  # predicting reads whole series shard by shard too
    one = write_set(frame[frame["store"] == 0].drop(columns="day"), tmp_path / "one",
                    by="store")
    (one / "store=0" / "part-0.parquet").rename(one / "store=0" / "part-1.parquet")
    part = pd.read_parquet(one / "store=0" / "part-1.parquet")
    part.iloc[:60].to_parquet(one / "store=0" / "part-0.parquet")
    part.iloc[60:].to_parquet(one / "store=0" / "part-1.parquet")
    with pytest.raises(DataError, match="holds one series .* in 2 shards.*`group`"):
        Forecaster(**SETTINGS, shard_rows=100).fit(one, target="load", time="date")


def test_a_file_that_disappears_mid_training_is_named(tmp_path):
    folder = write_set(series_table(4), tmp_path / "set")
    victim = folder / "store=3" / "part-0.parquet"

    class Remove(Callback):
        def on_epoch_end(self, epoch, logs=None):
            victim.unlink(missing_ok=True)

    f = Forecaster(**{**SETTINGS, "epochs": 3}, shard_rows=150, callbacks=[Remove()])
    with pytest.raises(DataError, match=r"store=3.*is gone .* the files changed while they "
                                        r"were read"):
        f.fit(folder, target="load", group="store", time="date")


def test_the_cli_trains_on_a_parquet_folder_in_shards(tmp_path):
    folder = write_set(series_table(6), tmp_path / "set")
    result = run_cli("train", folder, "--target", "load", "--group", "store", "--time", "date",
                     "--window", "24", "--units", "8", "--epochs", "2", "--shard-rows", "300",
                     "--out", tmp_path / "run", cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "note: scored on the first of 4 shards (2 of 6 files)" in result.stdout
    assert (tmp_path / "run" / "forecaster.lstmcast").is_file()
    done = run_cli("predict", tmp_path / "run", folder, "--out", tmp_path / "f.csv",
                   cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    forecast = pd.read_csv(tmp_path / "f.csv")
    assert sorted(forecast["store"].unique()) == list(range(6)) and len(forecast) == 6
    bad = run_cli("train", folder, "--target", "load", "--time", "date", "--window", "24",
                  "--shard-rows", "300", "--out", tmp_path / "run2", cwd=tmp_path)
    one_line_error(bad, "one series (no group column)", "--group")


@pytest.mark.benchmark
def test_the_streaming_benchmark_runs_on_tiny_sizes(tmp_path):
    import json
    import subprocess
    import sys
    from pathlib import Path

    script = Path(__file__).resolve().parents[1] / "benchmarks" / "streaming.py"
    out = subprocess.run([sys.executable, str(script), "--quick", "--work", str(tmp_path / "w"),
                          "--out", str(tmp_path)], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    report = json.loads((tmp_path / "streaming.json").read_text())
    small, big = report["memory"]
    assert big["set"]["rows"] > 3 * small["set"]["rows"]
    assert big["streamed"]["most_rows"] <= report["shard_rows"]
    assert report["throughput"]["shards"]["streamed"]["shards"] > 1
    assert "| memory |" in (tmp_path / "streaming.md").read_text()


def test_predict_on_a_folder_with_inputs_known_in_advance(tmp_path):
    frame = series_table(4)
    folder = write_set(frame, tmp_path / "set")
    f = Forecaster(**{**SETTINGS, "epochs": 1}, shard_rows=300).fit(
        frame, target="load", group="store", time="date", future=["temp"])
    ends = frame.groupby("store")["date"].max()
    future = pd.concat([pd.DataFrame({
        "store": store, "temp": np.arange(4.0),
        "date": (pd.date_range(end, periods=5, freq="h")[1:]).strftime("%Y-%m-%d %H:%M:%S")})
        for store, end in ends.items()], ignore_index=True)
    future.to_csv(tmp_path / "future.csv", index=False)
    want = f.predict(frame, future=future)
    got = f.predict(folder, future=tmp_path / "future.csv")
    got = got.assign(store=got["store"].astype(int)).sort_values(["store", "step"])
    pd.testing.assert_frame_equal(got.reset_index(drop=True), want, check_dtype=False)
