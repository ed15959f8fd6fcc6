"""Crashes lose nothing; runs repeat exactly; bad input gets one clear answer (issue 6)."""

import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from safetensors.numpy import load_file

import lstmcast
from lstmcast import LstmcastError
from lstmcast.engine.callbacks import BackupAndRestore, Callback, EarlyStopping
from lstmcast.errors import TrainingError
from lstmcast.forecast import scores
from lstmcast.forecast.forecaster import Forecaster
from lstmcast.layers import LSTM, Dense, Dropout
from lstmcast.models import Sequential
from lstmcast.tables.io import DataError, read_table
from lstmcast.tables.splits import split_rows, split_windows
from lstmcast.tables.windows import segments

FAST = {"units": (8,), "dropout": 0.1, "epochs": 4, "batch_size": 32, "window": 5,
        "patience": 50}


def series_frame(n_series=3, length=60, seed=0):
    rng = np.random.default_rng(seed)
    parts = []
    for k in range(n_series):
        t = np.arange(length)
        x = np.sin(t / 4 + k) + 0.1 * rng.normal(size=length)
        parts.append(pd.DataFrame({"g": k, "t": t, "x": x, "y": np.roll(x, 1) * 3 + k}))
    return pd.concat(parts, ignore_index=True)


class CrashAt(Callback):
    """Simulates a crash mid-epoch."""

    def __init__(self, epoch, batch):
        super().__init__()
        self.epoch, self.batch, self.current = epoch, batch, 0

    def on_epoch_begin(self, epoch, logs=None):
        self.current = epoch

    def on_train_batch_end(self, batch, logs=None):
        if self.current == self.epoch and batch == self.batch:
            raise KeyboardInterrupt


def weights(forecaster):
    return {k: v.clone() for k, v in forecaster.model_.network_.state_dict().items()}


def test_library_resume_ends_exactly_like_an_uninterrupted_run(tmp_path):
    df = series_frame()
    reference = Forecaster(**FAST).fit(df, target="y", group="g", time="t")
    ckpt = tmp_path / "ckpt.lstmcast"
    with pytest.raises(KeyboardInterrupt):
        Forecaster(**FAST, checkpoint=str(ckpt), callbacks=[CrashAt(2, 1)]).fit(
            df, target="y", group="g", time="t")
    assert ckpt.exists()
    resumed = Forecaster(**FAST, checkpoint=str(ckpt)).fit(df, target="y", group="g", time="t")
    assert resumed.history_ == reference.history_
    for name, value in weights(reference).items():
        assert torch.equal(value, weights(resumed)[name]), name
    assert not ckpt.exists()  # deleted once training ended normally


class CountEpochs(Callback):
    def __init__(self):
        super().__init__()
        self.epochs = 0

    def on_epoch_begin(self, epoch, logs=None):
        self.epochs += 1


def test_an_ensemble_resumes_where_it_stopped_not_from_its_first_network(tmp_path):
    df = series_frame()
    settings = {**FAST, "ensemble": 2, "early_stopping": False}
    reference = Forecaster(**settings).fit(df, target="y", group="g", time="t")
    ckpt = tmp_path / "ckpt.lstmcast"
    crash = CrashAt(1, 0)  # its second epoch: the first network's, then the second's
    crash.seen = 0

    class SecondNetwork(Callback):  # crash only once the first network is done
        def on_train_begin(self, logs=None):
            crash.seen += 1
            crash.epoch = 1 if crash.seen == 2 else -1

    with pytest.raises(KeyboardInterrupt):
        Forecaster(**settings, checkpoint=str(ckpt), callbacks=[SecondNetwork(), crash]).fit(
            df, target="y", group="g", time="t")
    assert ckpt.exists() and Path(f"{ckpt}.member1").exists()
    count = CountEpochs()
    resumed = Forecaster(**settings, checkpoint=str(ckpt), callbacks=[count]).fit(
        df, target="y", group="g", time="t")
    assert count.epochs == FAST["epochs"] - 1  # the first network was not trained again
    for a, b in zip(reference.members_, resumed.members_):
        for name, value in a.network_.state_dict().items():
            assert torch.equal(value, b.network_.state_dict()[name]), name
    assert not ckpt.exists() and not Path(f"{ckpt}.member1").exists()


def test_a_checkpoint_of_another_run_is_refused(tmp_path):
    df = series_frame()
    ckpt = tmp_path / "ckpt.lstmcast"
    with pytest.raises(KeyboardInterrupt):
        Forecaster(**FAST, checkpoint=str(ckpt), callbacks=[CrashAt(1, 0)]).fit(
            df, target="y", group="g", time="t")
    with pytest.raises(LstmcastError, match="belongs to another run"):
        Forecaster(**{**FAST, "window": 6}, checkpoint=str(ckpt)).fit(
            df, target="y", group="g", time="t")


def test_sequential_backup_restores_early_stopping_state(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 6, 2)).astype("float32")
    y = x[:, -1, 0] * 2

    def model():
        lstmcast.set_seed(5)
        m = Sequential([LSTM(6, input_shape=(6, 2)), Dropout(0.2), Dense(1)], device="cpu")
        m.compile(loss="mse", optimizer="adam")
        return m

    def callbacks(extra=()):
        return [EarlyStopping(patience=1, restore_best_weights=True), *extra,
                BackupAndRestore(tmp_path / "b.lstmcast")]

    ref = model()
    ref_history = ref.fit(x, y, epochs=8, validation_split=0.25, verbose=0,
                          callbacks=callbacks()).history
    crashed = model()
    with pytest.raises(KeyboardInterrupt):
        crashed.fit(x, y, epochs=8, validation_split=0.25, verbose=0,
                    callbacks=callbacks([CrashAt(3, 2)]))
    again = model()
    history = again.fit(x, y, epochs=8, validation_split=0.25, verbose=0,
                        callbacks=callbacks()).history
    assert history == ref_history
    for a, b in zip(again.get_weights(), ref.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_cli_resume_after_sigkill_mid_epoch(tmp_path):
    rng = np.random.default_rng(1)
    rows = [pd.DataFrame({"g": k, "t": np.arange(900), "x": rng.normal(size=900).cumsum()})
            for k in range(4)]
    df = pd.concat(rows)
    df["y"] = df.groupby("g")["x"].shift(1).fillna(0.0)
    csv = tmp_path / "walk.csv"
    df.to_csv(csv, index=False)
    args = [sys.executable, "-m", "lstmcast", "train", str(csv), "--target", "y", "--group",
            "g", "--time", "t", "--window", "30", "--units", "48,24", "--epochs", "5",
            "--patience", "50", "--quiet"]
    ref = subprocess.run([*args, "--out", str(tmp_path / "ref")], capture_output=True,
                         text=True, timeout=300)
    assert ref.returncode == 0, ref.stderr

    proc = subprocess.Popen([*args, "--out", str(tmp_path / "run")], stderr=subprocess.PIPE)
    checkpoint = tmp_path / ".run.partial" / "checkpoint.lstmcast"
    deadline = time.time() + 240
    while not checkpoint.exists() and proc.poll() is None and time.time() < deadline:
        time.sleep(0.02)
    time.sleep(0.3)  # into the next epoch
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    assert checkpoint.exists() and not (tmp_path / "run").exists()

    res = subprocess.run([sys.executable, "-m", "lstmcast", "train", "--resume",
                          str(tmp_path / "run"), "--quiet"], capture_output=True, text=True,
                         timeout=300)
    assert res.returncode == 0, res.stderr
    a = load_file(tmp_path / "ref" / "forecaster.lstmcast")
    b = load_file(tmp_path / "run" / "forecaster.lstmcast")
    assert a.keys() == b.keys()
    for name in a:
        np.testing.assert_array_equal(a[name], b[name])
    assert (tmp_path / "ref" / "history.csv").read_text() == (
        tmp_path / "run" / "history.csv").read_text()
    assert not (tmp_path / ".run.partial").exists()


def test_cli_run_stopped_while_scoring_resumes_without_training_again(tmp_path, monkeypatch):
    from lstmcast import cli
    from lstmcast.engine import training

    csv = tmp_path / "s.csv"
    series_frame().to_csv(csv, index=False)
    args = ["train", str(csv), "--target", "y", "--group", "g", "--time", "t", "--window", "5",
            "--units", "8", "--epochs", "3", "--quiet"]
    assert cli.main([*args, "--out", str(tmp_path / "ref")]) == 0

    def stopped(*a, **k):
        raise KeyboardInterrupt

    monkeypatch.setattr(Forecaster, "evaluate", stopped)  # training done, then stopped
    assert cli.main([*args, "--out", str(tmp_path / "run")]) == 130
    partial = tmp_path / ".run.partial"
    assert (partial / "checkpoint.lstmcast").is_file() and not (tmp_path / "run").exists()
    monkeypatch.undo()
    epochs = []
    real_epoch = training.run_epoch
    monkeypatch.setattr(training, "run_epoch", lambda *a, **k: epochs.append(1) or real_epoch(*a,
                                                                                          **k))
    assert cli.main(["train", "--resume", str(tmp_path / "run"), "--quiet"]) == 0
    assert epochs == []  # the finished training was restored, not run again
    assert (tmp_path / "ref" / "history.csv").read_text() == (
        tmp_path / "run" / "history.csv").read_text()
    assert not partial.exists() and not list((tmp_path / "run").glob("checkpoint*"))
    saved = Forecaster.load(tmp_path / "run" / "forecaster.lstmcast")
    assert saved.checkpoint is None and saved.keep_checkpoint is False


def test_nan_loss_stops_and_keeps_the_last_good_weights():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 5, 2)).astype("float32")
    model = Sequential([LSTM(4, input_shape=(5, 2)), Dense(1)], device="cpu")
    model.compile(loss="mse", optimizer="adam")
    model.fit(x, x[:, -1, 0], epochs=1, verbose=0)
    good = model.get_weights()
    calls = {"n": 0}

    def explodes(y_true, y_pred):
        calls["n"] += 1
        scale = np.inf if calls["n"] == 2 else 1.0
        return ((y_true - y_pred) ** 2).mean() * scale

    model.compile(loss=explodes, optimizer="adam")
    with pytest.raises(TrainingError, match="loss became inf in epoch 1, batch 2.*kept"):
        model.fit(x, x[:, -1, 0], epochs=3, batch_size=32, verbose=0)
    for a, b in zip(model.get_weights(), good):
        np.testing.assert_array_equal(a, b)


def test_clipnorm_bounds_the_gradient_step():
    df = series_frame(n_series=1)
    class Start(Callback):  # the weights before the first step
        def on_train_begin(self, logs=None):
            self.weights = {k: v.clone() for k, v in self.model.network_.state_dict().items()}

    start = Start()
    f = Forecaster(**{**FAST, "epochs": 1}, clipnorm=1e-6, learning_rate=1.0, optimizer="sgd",
                   callbacks=[start])
    f.fit(df, target="y", time="t")
    assert f.model_.clipnorm_ == 1e-6
    moved = sum(float((weights(f)[k] - v).abs().sum()) for k, v in start.weights.items())
    assert moved < 1e-3  # lr 1 on raw gradients would move weights by far more


def test_same_seed_bit_identical_weights_and_predictions():
    df = series_frame()
    a = Forecaster(**FAST, seed=11).fit(df, target="y", group="g", time="t")
    b = Forecaster(**FAST, seed=11).fit(df, target="y", group="g", time="t")
    for name, value in weights(a).items():
        assert torch.equal(value, weights(b)[name])
    pd.testing.assert_frame_equal(a.predict(df), b.predict(df))


@pytest.mark.parametrize("policy", ["drop", "ffill", "interpolate", "zero"])
def test_missing_value_policies(policy):
    df = series_frame(n_series=2)
    df.loc[[3, 4, 70], "x"] = np.nan
    df.loc[10, "y"] = np.inf
    with pytest.raises(DataError, match="'x' holds 3 NaN or infinite values.*rows 3, 4, 70"):
        Forecaster(**FAST).fit(df, target="y", group="g", time="t")
    f = Forecaster(**FAST, missing=policy).fit(df, target="y", group="g", time="t")
    table = f.pipeline_.table(df, need_target=True)
    info = table.frame.attrs["missing"]
    assert info["policy"] == policy and info["values"] == 4
    assert info["rows_dropped"] == (4 if policy == "drop" else 0)
    assert np.isfinite(table.frame[["x", "y"]].to_numpy()).all()
    if policy == "interpolate":
        assert table.frame.loc[3, "x"] == pytest.approx(
            df.loc[2, "x"] + (df.loc[5, "x"] - df.loc[2, "x"]) / 3)
    if policy == "zero":  # the target counts: a blank is 0; an input is carried forward
        assert table.frame.loc[10, "y"] == 0.0
        assert table.frame.loc[[3, 4, 70], "x"].tolist() == [df.loc[2, "x"]] * 2 + [
            df.loc[69, "x"]]
        kept = ~df.index.isin([3, 4, 70])
        np.testing.assert_array_equal(table.frame.loc[kept, "x"], df.loc[kept, "x"])


def test_constant_feature_does_not_divide_by_zero():
    df = series_frame()
    df["flat"] = 7.0
    f = Forecaster(**FAST).fit(df, target="y", group="g", time="t")
    assert np.isfinite(f.predict(df)["y"]).all()


def test_predict_with_other_columns_order_and_extras_uses_names():
    df = series_frame()
    f = Forecaster(**FAST).fit(df, target="y", features=["x"], group="g", time="t")
    shuffled = df[["y", "x", "t", "g"]].assign(extra=1.0)
    pd.testing.assert_frame_equal(f.predict(shuffled), f.predict(df))
    with pytest.raises(DataError, match="Feature column 'x' is not in the table"):
        f.predict(df.drop(columns=["x"]))


class _Payload:
    """Unpickling this would create ``path``: the proof that a loader ran code."""

    def __init__(self, path):
        self.path = str(path)

    def __reduce__(self):
        return (open, (self.path, "w"))


@pytest.mark.parametrize("loader", ["model", "forecaster", "cli"])
def test_loaded_artifacts_never_run_code_and_paths_stay_in_the_run(loader, tmp_path):
    from lstmcast.models import load_model
    from lstmcast.runs.folders import RunFolder

    folder = RunFolder(tmp_path / "run")
    with pytest.raises(LstmcastError, match="not a file name inside the run folder"):
        folder.file("../../etc/passwd")
    # a pickle (what torch.save writes) whose loading would run code: refused, never run
    marker = tmp_path / "code-ran"
    artifact = tmp_path / "run" / "forecaster.lstmcast"
    artifact.parent.mkdir(exist_ok=True)
    torch.save({"model": _Payload(marker)}, artifact)
    before = artifact.read_bytes()
    if loader == "model":
        with pytest.raises(LstmcastError, match="not a readable lstmcast artifact"):
            load_model(artifact)
    elif loader == "forecaster":
        with pytest.raises(LstmcastError, match="not a readable lstmcast artifact"):
            Forecaster.load(artifact)
    else:
        (tmp_path / "d.csv").write_text("t,y\n" + "".join(f"{i},{i}\n" for i in range(30)))
        result = subprocess.run([sys.executable, "-m", "lstmcast", "predict", artifact.parent,
                                 tmp_path / "d.csv"], capture_output=True, text=True)
        assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
        assert "not a readable lstmcast artifact" in result.stderr
    assert not marker.exists()
    assert artifact.read_bytes() == before


# -- property and fuzz tests ------------------------------------------------------------
@settings(max_examples=60, deadline=None)
@given(lengths=st.lists(st.integers(12, 30), min_size=1, max_size=4),
       validation=st.floats(0.1, 0.5), by_series=st.booleans(), steps=st.integers(1, 3))
def test_splits_keep_time_order_and_no_window_straddles_the_cut(lengths, validation,
                                                               by_series, steps):
    if by_series and len(lengths) < 2:
        by_series = False
    ids = np.concatenate([np.full(n, k) for k, n in enumerate(lengths)])
    segs = segments(ids, len(ids))
    train_rows, held_out = split_rows(segs, ids, validation, "series" if by_series else "time",
                                      seed=0)
    for a, b in segs:
        rows = train_rows[a:b]
        if by_series:  # a series is wholly in or wholly out
            assert rows.all() or not rows.any()
            assert (not rows.any()) == (ids[a] in held_out)
        else:  # the last part of every series, as documented: floor(n (1 - fraction)) first
            assert rows.sum() == int(np.floor((b - a) * (1 - validation)))
            assert not np.any(rows[1:] & ~rows[:-1])  # training rows first, then validation
    train_starts, val_starts = split_windows(len(ids), ids, train_rows, held_out, 3, 1, steps)
    window_targets = lambda starts: starts[:, None] + 3 + np.arange(steps)  # noqa: E731
    assert train_rows[window_targets(train_starts)].all()  # targets on their own side
    assert not train_rows[window_targets(val_starts)].any()
    assert not set(train_starts) & set(val_starts)
    if not by_series:  # time order: in each series, validation targets come after training's
        for sid in np.unique(ids[val_starts]):
            mine = ids[train_starts] == sid
            if mine.any():
                assert val_starts[ids[val_starts] == sid].min() > train_starts[mine].max()


@pytest.mark.parametrize("validation_by", ["time", "series"])
def test_fit_scales_with_the_training_rows_only(validation_by):
    # the validation rows hold the extremes: a scaler that saw them would have another range
    parts = [pd.DataFrame({"g": k, "t": np.arange(40), "x": np.arange(40) * (k + 1.0)})
             for k in range(4)]
    df = pd.concat(parts, ignore_index=True)
    df["y"] = np.sin(df["x"])
    ids = df["g"].to_numpy()
    seed = next(s for s in range(50)  # a seed whose held-out series holds the largest x
                if validation_by == "time"
                or 3 in split_rows(segments(ids, len(ids)), ids, 0.25, "series", s)[1])
    fc = Forecaster(units=(2,), window=3, epochs=1, validation=0.25,
                    validation_by=validation_by, seed=seed)
    fc.fit(df, target="y", features=["x"], group="g", time="t")
    train_rows, _ = split_rows(segments(ids, len(ids)), ids, 0.25, validation_by, seed)
    scaler = fc.pipeline_.x_scaler_.global_
    x = df["x"].to_numpy()
    np.testing.assert_allclose(scaler.offset_[0], x[train_rows].min())
    np.testing.assert_allclose(scaler.scale_[0], np.ptp(x[train_rows]))
    assert np.ptp(x[train_rows]) < np.ptp(x)  # the check can fail: the held-out rows differ


# True values are 0 or at least 1e-300 in size: below that, 100 * |a - b| / |a| overflows
# to inf in the reference sum while the library's mean stays finite (a found case:
# a = 2.2e-308, b = 0.5 gives 1.7e308 against inf), and neither is wrong.
_TRUTH = st.floats(-1e3, 1e3, allow_subnormal=False).filter(lambda v: v == 0 or abs(v) >= 1e-300)


@settings(max_examples=80, deadline=None)
@given(values=st.lists(st.tuples(_TRUTH, st.floats(-1e3, 1e3, allow_subnormal=False)),
                       min_size=1, max_size=40))
def test_scores_match_direct_formulas(values):
    t = np.array([v[0] for v in values])
    p = np.array([v[1] for v in values])
    n = len(t)
    assert scores.mae(t, p) == pytest.approx(sum(abs(a - b) for a, b in zip(t, p)) / n)
    assert scores.rmse(t, p) == pytest.approx((sum((a - b) ** 2 for a, b in zip(t, p)) / n)
                                              ** 0.5)
    pairs = [(a, b) for a, b in zip(t, p) if a != 0]
    if pairs:
        want = 100 * sum(abs(a - b) / abs(a) for a, b in pairs) / len(pairs)
        assert scores.mape(t, p) == pytest.approx(want)
    want = 100 * sum(0.0 if a == b == 0 else 2 * abs(a - b) / (abs(a) + abs(b))
                     for a, b in zip(t, p)) / n
    assert scores.smape(t, p) == pytest.approx(want)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(content=st.one_of(
    st.binary(max_size=300),
    st.text(alphabet=st.sampled_from(list("ab,;\t|\n\"' 0123456789.-eEnaN")), max_size=300)))
def test_table_reader_fuzz_ends_in_a_table_or_a_clear_error(content, tmp_path_factory):
    path = tmp_path_factory.mktemp("fuzz") / "file.csv"
    if isinstance(content, str):
        path.write_text(content)
    else:
        path.write_bytes(content)
    try:
        frame = read_table(path)
    except LstmcastError:
        return
    assert isinstance(frame, pd.DataFrame) and len(frame) > 0 and frame.shape[1] > 0


# -- the catalogue through the command line ----------------------------------------------
def cli(*args):
    return subprocess.run([sys.executable, "-m", "lstmcast", *map(str, args)],
                          capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def csv_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("cat") / "data.csv"
    series_frame().to_csv(path, index=False)
    return path


@pytest.mark.parametrize(("flag", "value", "argument"), [
    ("--window", "0", "window"), ("--horizon", "-1", "horizon"), ("--steps", "0", "steps"),
    ("--units", "0", "units"), ("--dropout", "1.5", "dropout"), ("--epochs", "-2", "epochs"),
    ("--batch-size", "0", "batch_size"), ("--learning-rate", "0", "learning_rate"),
])
def test_out_of_range_settings_cli_and_library(csv_file, flag, value, argument):
    result = cli("inspect", csv_file, "--target", "y", "--group", "g", "--time", "t",
                 flag, value)
    assert result.returncode == 1, result.stdout
    assert f"{flag} expects" in result.stderr and result.stderr.count("\n") == 1
    kwargs = {argument: [int(value)] if argument == "units" else float(value)
              if "." in value or argument == "learning_rate" else int(value)}
    with pytest.raises(LstmcastError, match=f"`{argument}`"):
        Forecaster(**kwargs).fit(pd.read_csv(csv_file), target="y", group="g", time="t")


def test_non_numeric_nan_and_missing_policy_through_the_cli(tmp_path):
    df = series_frame()
    text = df.astype({"x": object})
    text.loc[4, "x"] = "n/a?"
    text.to_csv(tmp_path / "text.csv", index=False)
    result = cli("inspect", tmp_path / "text.csv", "--target", "y", "--features", "x",
                 "--group", "g", "--time", "t")
    assert result.returncode == 1 and "row 4 ('n/a?')" in result.stderr
    df.loc[[5, 6], "x"] = np.nan
    df.to_csv(tmp_path / "gaps.csv", index=False)
    result = cli("inspect", tmp_path / "gaps.csv", "--target", "y", "--group", "g", "--time",
                 "t")
    assert result.returncode == 1 and "holds 2 NaN or infinite values" in result.stderr
    result = cli("train", tmp_path / "gaps.csv", "--target", "y", "--group", "g", "--time", "t",
                 "--missing", "interpolate", "--epochs", "1", "--units", "4", "--window", "5",
                 "--quiet", "--out", tmp_path / "run")
    assert result.returncode == 0, result.stderr
    assert 'missing = "interpolate"' in (tmp_path / "run" / "config.toml").read_text()


def test_bad_artifacts_through_the_cli(csv_file, tmp_path):
    result = cli("train", csv_file, "--target", "y", "--group", "g", "--time", "t",
                 "--epochs", "1", "--units", "4", "--window", "5", "--quiet", "--out",
                 tmp_path / "run")
    assert result.returncode == 0, result.stderr
    artifact = tmp_path / "run" / "forecaster.lstmcast"
    data = artifact.read_bytes()
    for name, content, message in [
        ("truncated", data[: len(data) // 3], "not a readable lstmcast artifact"),
        ("flipped", data[:-3] + bytes([data[-3] ^ 0xFF]) + data[-2:], "corrupted"),
        ("newer", data.replace(b'"format_version":"1"', b'"format_version":"7"'), "newer"),
        ("foreign", b"just some text\n", "not a readable lstmcast artifact"),
    ]:
        artifact.write_bytes(content)
        result = cli("evaluate", tmp_path / "run", csv_file)
        assert result.returncode == 1, name
        assert message in result.stderr and result.stderr.count("\n") == 1, result.stderr


def test_a_process_killed_during_save_leaves_the_previous_file(tmp_path):
    path = tmp_path / "model.lstmcast"
    script = f"""
import os, signal, numpy as np
from lstmcast.models import Sequential
from lstmcast.layers import LSTM, Dense
m = Sequential([LSTM(3, input_shape=(4, 2)), Dense(1)], device="cpu")
m.compile(loss="mse", optimizer="adam")
m.save({str(path)!r})
m.fit(np.ones((8, 4, 2), "float32"), np.ones(8), epochs=1, verbose=0)
os.replace = lambda *a: os.kill(os.getpid(), signal.SIGKILL)  # die between write and rename
m.save({str(path)!r})
"""
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=120)
    assert result.returncode == -signal.SIGKILL
    from lstmcast.models import load_model

    before = load_model(path)  # the first save, whole and readable
    assert before.count_params() == 4 * 3 * (2 + 3 + 1) + 4


def test_deterministic_switch_trains_on_the_cpu():
    try:
        runs = []
        for _ in range(2):
            lstmcast.set_seed(4, deterministic=True)
            model = Sequential([LSTM(4, input_shape=(5, 2)), Dropout(0.2), Dense(1)],
                               device="cpu")
            model.compile(loss="mse", optimizer="adam")
            x = np.linspace(0, 1, 80, dtype="float32").reshape(8, 5, 2)
            model.fit(x, x[:, -1, 0], epochs=2, verbose=0)
            runs.append(model.get_weights())
        assert torch.are_deterministic_algorithms_enabled()
        for a, b in zip(*runs):
            np.testing.assert_array_equal(a, b)
    finally:
        torch.use_deterministic_algorithms(False)
