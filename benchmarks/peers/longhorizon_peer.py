"""One peer's LSTM on the standard long-horizon protocol (ETT and other CSV tables).

Run with the peer's own environment (benchmarks/peers/setup.sh neuralforecast darts):

    benchmarks/peers/.venv-neuralforecast/bin/python benchmarks/peers/longhorizon_peer.py \
        --peer neuralforecast --data ETTh2.csv --horizon 96 --mode M --seed 0 \
        --lookback 96 --split 12/4/4 --out result.json

Self-contained: numpy, pandas and the peer's package only (it does not import lstmcast).

Protocol (the one of Informer, Autoformer, DLinear, PatchTST, ...):
- split by rows: "A/B/C" means months of 30 days (12/4/4 on ETT hourly: train [0, 8640),
  validation [8640, 11520), test [11520, 14400); the rows per day come from the date
  column, 24 when there is none); "a,b,c" means fractions (0.7,0.1,0.2: train the first
  int(0.7 n) rows, test the last int(0.2 n), validation the rows between, as the Informer
  code does for tables other than ETT);
- every column z-scored with the mean and standard deviation (ddof=0) of the train rows;
- mode M: all numeric columns in and out; mode S: the last column (OT) only;
- test windows: inputs [s, s+L), targets [s+L, s+L+H), every s with s+L >= test start and
  s+L+H <= test end, stride 1 (inputs may reach back into the validation rows), i.e.
  test_rows - H + 1 windows; MSE and MAE over all windows, steps and columns of the
  z-scored values.

Each peer is built with its defaults, except the look-back and the horizon (and its seed).
Neither peer validates or stops early by default, so both are trained on the train rows
only and the validation rows serve only as input to the first test windows.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import tempfile
import time
import warnings
from importlib import metadata

# one thread everywhere, set before numpy and torch load their thread pools
for _var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "NUMEXPR_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402  (after the thread settings above)
import pandas as pd  # noqa: E402

# --------------------------------------------------------------------------- data


def load_table(path: str) -> tuple[pd.DataFrame, float]:
    """Numeric columns of the CSV, and the rows per day (from the date column; 24 if none)."""
    raw = pd.read_csv(path)
    rows_per_day = 24.0
    for col in raw.columns:
        if raw[col].dtype == object:
            try:
                times = pd.to_datetime(raw[col])
            except (ValueError, TypeError):
                continue
            step = pd.Series(times).diff().dropna().median()
            if pd.notna(step) and step.total_seconds() > 0:
                rows_per_day = 86400.0 / step.total_seconds()
            break
    numeric = raw.select_dtypes(include=[np.number])
    if numeric.shape[1] == 0:
        raise SystemExit(f"{path}: no numeric columns")
    return numeric, rows_per_day


def split_borders(n: int, split: str, rows_per_day: float) -> tuple[int, int, int]:
    """(train_end, val_end, test_end) row borders."""
    if "/" in split:
        months = [float(x) for x in split.split("/")]
        if len(months) != 3:
            raise SystemExit(f"--split {split!r}: expected A/B/C months")
        month = int(round(30 * rows_per_day))
        train_end = int(months[0] * month)
        val_end = train_end + int(months[1] * month)
        test_end = val_end + int(months[2] * month)
    else:
        fr = [float(x) for x in split.split(",")]
        if len(fr) != 3 or abs(sum(fr) - 1) > 1e-6:
            raise SystemExit(f"--split {split!r}: expected three fractions adding to 1")
        train_end = int(n * fr[0])
        n_test = int(n * fr[2])
        val_end = n - n_test
        test_end = n
    if not 0 < train_end < val_end < test_end <= n:
        raise SystemExit(
            f"--split {split!r} gives borders {train_end}/{val_end}/{test_end} for {n} rows"
        )
    return train_end, val_end, test_end


def expected_windows(val_end: int, test_end: int, lookback: int, horizon: int) -> np.ndarray:
    """First target rows t of every test window: t >= val_end, t + H <= test_end, t - L >= 0."""
    first = max(val_end, lookback)
    return np.arange(first, test_end - horizon + 1)


def to_jsonable(value):
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, (bool, int, float, str)) or value is None:
        return value
    if isinstance(value, np.generic):
        return value.item()
    return repr(value)


# --------------------------------------------------------------------------- peers


def quiet_lightning() -> None:
    for name in (
        "lightning",
        "lightning.pytorch",
        "pytorch_lightning",
        "lightning_fabric",
        "neuralforecast",
        "darts",
    ):
        logging.getLogger(name).setLevel(logging.ERROR)
    warnings.filterwarnings("ignore")


def run_neuralforecast(z, cols, borders, args) -> dict:
    import torch

    torch.set_num_threads(1)
    quiet_lightning()
    from neuralforecast import NeuralForecast
    from neuralforecast.models import LSTM

    train_end, val_end, test_end = borders
    L, H = args.lookback, args.horizon
    n_series = z.shape[1]

    def long_frame(rows: int) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "unique_id": np.repeat(np.array(cols, dtype=object), rows),
                "ds": np.tile(np.arange(rows, dtype=np.int64), n_series),
                "y": z[:rows].T.reshape(-1).astype(np.float64),
            }
        )

    kwargs = dict(h=H, input_size=L, random_seed=args.seed)
    # trainer settings that change no hyperparameter: no bar, no logs, no checkpoints
    trainer = dict(
        enable_progress_bar=False,
        enable_model_summary=False,
        logger=False,
        enable_checkpointing=False,
        accelerator="cpu",
        devices=1,
    )
    if args.max_steps is not None:
        kwargs["max_steps"] = args.max_steps
    model = LSTM(**kwargs, **trainer)
    nf = NeuralForecast(models=[model], freq=1)

    t0 = time.perf_counter()
    nf.fit(df=long_frame(train_end), val_size=0)
    train_seconds = time.perf_counter() - t0

    fitted = nf.models[0]
    hp = dict(fitted.hparams)
    try:
        steps_done = int(fitted.trainer.global_step)
    except Exception:  # the trainer is not kept: it ran max_steps (no early stopping)
        steps_done = int(hp.get("max_steps"))

    starts = expected_windows(val_end, test_end, L, H)
    n_windows = len(starts)
    t0 = time.perf_counter()
    cv = nf.cross_validation(
        df=long_frame(test_end),
        n_windows=n_windows,
        step_size=1,
        val_size=0,
        use_fitted=True,
        refit=False,
    )
    predict_seconds = time.perf_counter() - t0

    cv = cv.sort_values(["unique_id", "cutoff", "ds"])
    cutoffs = np.sort(cv["cutoff"].unique().astype(np.int64))
    if not np.array_equal(cutoffs + 1, starts):
        raise SystemExit(
            f"neuralforecast windows: first targets {cutoffs[:3] + 1}..{cutoffs[-1] + 1} "
            f"({len(cutoffs)}), expected {starts[0]}..{starts[-1]} ({n_windows})"
        )
    pred = np.empty((n_windows, H, n_series))
    for j, name in enumerate(cols):
        part = cv[cv["unique_id"] == name]
        ds = part["ds"].to_numpy(np.int64).reshape(n_windows, H)
        if not np.array_equal(ds, starts[:, None] + np.arange(H)[None, :]):
            raise SystemExit(f"neuralforecast windows of {name}: target rows do not match")
        pred[:, :, j] = part["LSTM"].to_numpy().reshape(n_windows, H)
        if "y" in part:  # the truth neuralforecast joined must be ours
            y = part["y"].to_numpy().reshape(n_windows, H)
            assert np.allclose(y, z[ds, j], atol=1e-6), "neuralforecast truth differs"

    windows_per_step = min(hp.get("windows_batch_size") or 0, 10**9)
    notes = [
        "NeuralForecast LSTM with its defaults except h, input_size and random_seed=seed "
        "(its default seed is 1); each column is a separate series (channel-independent, "
        "one shared model) in mode M.",
        f"scaler: its default scaler_type={hp.get('scaler_type')!r} (per window, per series, "
        "on the input window), applied on top of the train z-scoring; predictions are "
        "inverse-scaled by the model, so scores are on the z-scored values.",
        f"training: max_steps={hp.get('max_steps')} steps (its default 1000 unless --max-steps), "
        f"each step takes up to batch_size={hp.get('batch_size')} series (all {n_series} here) and "
        f"samples windows_batch_size={hp.get('windows_batch_size')} windows among all their "
        f"train windows; loss {hp.get('loss')}, Adam lr {hp.get('learning_rate')}; "
        f"early_stop_patience_steps={hp.get('early_stop_patience_steps')} (no early stopping), so "
        "fit(val_size=0): no validation rows used in training.",
        "windows: NeuralForecast.cross_validation(df=rows [0, test_end), n_windows, step_size=1, "
        "refit=False, use_fitted=True) on the fitted model (no retraining); cutoffs checked to be "
        "exactly test_start-1 .. test_end-H-1.",
    ]
    return dict(
        pred=pred,
        n_windows=n_windows,
        starts=starts,
        train_seconds=train_seconds,
        predict_seconds=predict_seconds,
        train_steps=steps_done,
        train_samples=steps_done * windows_per_step if windows_per_step else None,
        sample_unit="one window of one series (univariate) per sample",
        hyperparameters=to_jsonable(hp),
        notes=notes,
    )


def run_darts(z, cols, borders, args) -> dict:
    import torch

    torch.set_num_threads(1)
    quiet_lightning()
    from darts import TimeSeries
    from darts.models import BlockRNNModel

    train_end, val_end, test_end = borders
    L, H = args.lookback, args.horizon
    n_comp = z.shape[1]

    def series(rows: int) -> TimeSeries:
        return TimeSeries.from_times_and_values(
            pd.RangeIndex(0, rows), z[:rows].astype(np.float32), columns=list(cols)
        )

    trainer = dict(
        enable_progress_bar=False,
        enable_model_summary=False,
        logger=False,
        accelerator="cpu",
        devices=1,
    )
    if args.max_steps is not None:
        trainer["max_steps"] = args.max_steps
    workdir = tempfile.mkdtemp(prefix="darts-peer-")
    model = BlockRNNModel(
        input_chunk_length=L,
        output_chunk_length=H,
        model="LSTM",
        random_state=args.seed,
        pl_trainer_kwargs=trainer,
        work_dir=workdir,
    )

    train_series = series(train_end)
    t0 = time.perf_counter()
    model.fit(train_series, verbose=False)
    train_seconds = time.perf_counter() - t0

    steps_done = epochs_done = None
    tr = getattr(model, "trainer", None)
    if tr is not None:
        steps_done, epochs_done = int(tr.global_step), int(tr.current_epoch)
    n_train_windows = train_end - L - H + 1

    starts = expected_windows(val_end, test_end, L, H)
    n_windows = len(starts)
    t0 = time.perf_counter()
    fc = model.historical_forecasts(
        series(test_end),
        start=int(starts[0]),
        start_format="position",
        forecast_horizon=H,
        stride=1,
        retrain=False,
        last_points_only=False,
        overlap_end=False,
        verbose=False,
        show_warnings=False,
    )
    predict_seconds = time.perf_counter() - t0

    import shutil

    shutil.rmtree(workdir, ignore_errors=True)
    if len(fc) != n_windows:
        raise SystemExit(f"darts windows: {len(fc)}, expected {n_windows}")
    pred = np.empty((n_windows, H, n_comp))
    for i, f in enumerate(fc):
        idx = np.asarray(f.time_index)
        if idx[0] != starts[i] or len(idx) != H or idx[-1] != starts[i] + H - 1:
            raise SystemExit(
                f"darts window {i}: targets {idx[0]}..{idx[-1]}, expected "
                f"{starts[i]}..{starts[i] + H - 1}"
            )
        pred[i] = f.values(copy=False)

    params = dict(model.model_params)
    # the training defaults that model_params leaves out, read back from the model
    params["n_epochs"] = model.n_epochs
    params["batch_size"] = model.batch_size
    params["trainer_params"] = dict(model.trainer_params)
    pl = model.model
    for attr in (
        "optimizer_cls",
        "optimizer_kwargs",
        "lr_scheduler_cls",
        "lr_scheduler_kwargs",
        "use_reversible_instance_norm",
        "likelihood",
        "input_size",
        "target_size",
    ):
        if hasattr(pl, attr):
            value = getattr(pl, attr)
            params[attr] = value.__name__ if isinstance(value, type) else value
    params["loss_fn"] = repr(getattr(pl, "criterion", None))
    params["learning_rate"] = tr.optimizers[0].param_groups[0]["lr"] if tr is not None else None
    params["upsampler"] = repr(getattr(pl, "up_sampler", None))
    params["module"] = repr(pl.rnn) + " -> " + repr(pl.fc).replace("\n", " ")
    notes = [
        "Darts BlockRNNModel(model='LSTM') with its defaults except input_chunk_length, "
        "output_chunk_length and random_state=seed (its default is None); the components "
        "are modelled jointly (one multivariate series) in mode M.",
        "scaler: none of its own by default (use_reversible_instance_norm=False); it sees the "
        "train z-scored values.",
        f"training: n_epochs={params.get('n_epochs', 100)} (its default 100) over all "
        f"{n_train_windows} train windows per epoch, batch_size={params.get('batch_size', 32)}, "
        "shuffled; fit(series) without val_series, so no validation and no early stopping "
        "(its defaults); trainer steps done: "
        f"{steps_done}, epochs: {epochs_done}"
        + (f"; capped by --max-steps {args.max_steps}" if args.max_steps is not None else ""),
        "architecture (darts 0.48): the LSTM runs over the input window and its last H outputs "
        "(or, when H > L, a linear map from the L outputs to H positions: the 'upsampler') go "
        "through the fc layer, one output step per position.",
        "windows: historical_forecasts(series=rows [0, test_end), start=test_start "
        "(position), forecast_horizon=H, stride=1, retrain=False, last_points_only=False, "
        "overlap_end=False); each forecast's target rows checked.",
    ]
    samples = None
    if steps_done is not None:
        bs = params.get("batch_size", 32)
        per_epoch = -(-n_train_windows // bs)
        samples = (steps_done // per_epoch) * n_train_windows + (steps_done % per_epoch) * bs
    return dict(
        pred=pred,
        n_windows=n_windows,
        starts=starts,
        train_seconds=train_seconds,
        predict_seconds=predict_seconds,
        train_steps=steps_done,
        train_epochs=epochs_done,
        train_samples=samples,
        sample_unit="one window of all components (joint) per sample",
        hyperparameters=to_jsonable(params),
        notes=notes,
    )


PEERS = {"neuralforecast": ("neuralforecast", run_neuralforecast), "darts": ("darts", run_darts)}


# --------------------------------------------------------------------------- main


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--peer", required=True, choices=sorted(PEERS))
    ap.add_argument("--data", required=True)
    ap.add_argument("--horizon", type=int, required=True)
    ap.add_argument("--mode", choices=["M", "S"], default="M")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--lookback", type=int, default=96)
    ap.add_argument(
        "--split",
        default="12/4/4",
        help="A/B/C months of 30 days (ETT) or a,b,c fractions (e.g. 0.7,0.1,0.2)",
    )
    ap.add_argument(
        "--max-steps",
        type=int,
        default=None,
        help="cap on optimizer steps (default: the peer's own default training length)",
    )
    ap.add_argument("--out", required=True)
    args = ap.parse_args(argv)

    np.random.seed(args.seed)
    table, rows_per_day = load_table(args.data)
    cols = list(table.columns) if args.mode == "M" else [table.columns[-1]]
    values = table[cols].to_numpy(np.float64)
    borders = split_borders(len(values), args.split, rows_per_day)
    train_end, val_end, test_end = borders
    mean = values[:train_end].mean(axis=0)
    std = values[:train_end].std(axis=0)
    std[std == 0] = 1.0
    z = (values - mean) / std

    package, run = PEERS[args.peer]
    t_all = time.perf_counter()
    res = run(z, cols, borders, args)
    wall = time.perf_counter() - t_all

    starts = res.pop("starts")
    pred = res.pop("pred")
    truth = z[starts[:, None] + np.arange(args.horizon)[None, :]]  # (windows, H, columns)
    assert pred.shape == truth.shape, (pred.shape, truth.shape)
    if not np.isfinite(pred).all():
        raise SystemExit("non-finite predictions")
    err = pred - truth
    expected = (test_end - val_end) - args.horizon + 1 if val_end >= args.lookback else None
    assert expected is None or res["n_windows"] == expected, (res["n_windows"], expected)

    out = {
        "peer": args.peer,
        "version": metadata.version(package),
        "torch_version": metadata.version("torch"),
        "data": os.path.basename(args.data),
        "split": args.split,
        "borders": {
            "train": [0, train_end],
            "val": [train_end, val_end],
            "test": [val_end, test_end],
        },
        "lookback": args.lookback,
        "horizon": args.horizon,
        "mode": args.mode,
        "columns": cols,
        "seed": args.seed,
        "mse": float(np.mean(err**2)),
        "mae": float(np.mean(np.abs(err))),
        "mse_per_column": {c: float(np.mean(err[:, :, j] ** 2)) for j, c in enumerate(cols)},
        "mse_per_step": [round(float(x), 5) for x in np.mean(err**2, axis=(0, 2))],
        "n_windows": int(res.pop("n_windows")),
        "expected_windows": expected,
        "train_seconds": round(res.pop("train_seconds"), 3),
        "predict_seconds": round(res.pop("predict_seconds"), 3),
        "wall_seconds": round(wall, 3),
        "max_steps_override": args.max_steps,
        "torch_threads": __import__("torch").get_num_threads(),
    }
    samples = res.get("train_samples")
    out["train_samples_per_s"] = (
        round(samples / out["train_seconds"], 1) if samples and out["train_seconds"] > 0 else None
    )
    out.update(res)
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w") as fh:
        json.dump(out, fh, indent=2)
    print(
        f"{args.peer} {out['version']} {args.mode} h={args.horizon}: mse {out['mse']:.4f} "
        f"mae {out['mae']:.4f} windows {out['n_windows']} train {out['train_seconds']:.1f}s "
        f"predict {out['predict_seconds']:.1f}s",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
