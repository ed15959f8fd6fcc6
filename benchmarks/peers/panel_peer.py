"""Peers of the development panel (benchmarks/panel.py): AutoETS and NeuralForecast's LSTM
and AutoLSTM.

Run by panel.py with the peers' own python (they are not in lstmcast's environment):

    python3 -m venv /tmp/peers-venv
    /tmp/peers-venv/bin/pip install torch==2.13.0            # the CPU build first
    /tmp/peers-venv/bin/pip install torch==2.13.0 statsforecast==2.1.1 neuralforecast==3.3.0
    /tmp/peers-venv/bin/python benchmarks/peers/panel_peer.py --model ets --input in.json \
        --output out.json

Self-contained (numpy, pandas and the peer's package). The input holds, per series, its
values in time order; ``holdout`` rows at the end of every series are held out, and a
forecast of ``steps`` rows is made from every origin whose targets are all held-out rows
(the last known row from n - holdout - 1 to n - steps - 1): the windows lstmcast's
``train`` scores. Each peer is fitted once per series (AutoETS) or once per table
(the LSTM, all series together) on the rows before the holdout, then forecasts every
origin with its parameters fixed, seeing the true values up to the origin:

- ets: statsforecast's AutoETS(season_length=season), its defaults (model chosen by AICc;
  statsforecast's ETS has no seasonal component for seasons over 24); forecasts from each
  origin by AutoETS.forward on the series up to it.
- nf_lstm: NeuralForecast's LSTM(h=steps) with every other setting its default (input
  size 3 x steps, 1,000 training steps, MAE loss, robust scaler, seed 1); the target only;
  NeuralForecast.cross_validation(n_windows, step_size=1, refit=False).
- nf_autolstm: NeuralForecast's AutoLSTM(h=steps, backend="optuna"), its default search
  space sized for one CPU core (inputs of at most 4 x h rows, at most 200 training
  steps: at its defaults a trial on a10 or ukgas ran past 25 minutes, longer than the
  whole budget) and its TPE sampler, searching for 70% of ``budget`` seconds (``time_budget``; as
  ``lstmcast tune`` searches for 70% of its budget) and then refitting the best settings;
  validated on the rows ``lstmcast tune``'s three folds score (``val_size``: 3 x
  max(steps, a tenth of the shortest series' training rows)); the target only; the same
  cross-validation as nf_lstm; windows longer than the rows before them are padded
  (``start_padding_enabled``, as NeuralForecast advises for short series).

The output: per series a list of forecasts (windows x steps), and the seconds taken.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import time
import warnings

for _var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ.setdefault(_var, "2")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

MAX_STEPS_CPU = 200  # nf_autolstm's training steps per trial (its space: 500 or 1,000)


def origins(n: int, holdout: int, steps: int) -> range:
    return range(n - holdout - 1, n - steps)


def run_ets(series: dict[str, np.ndarray], holdout: int, steps: int, season: int) -> dict:
    from statsforecast.models import AutoETS

    out, chosen = {}, {}
    for name, y in series.items():
        fit_rows = y[: len(y) - holdout]
        model = AutoETS(season_length=max(1, season)).fit(fit_rows)
        chosen[name] = str(model.model_.get("method", ""))
        preds = [model.forward(y[: o + 1], h=steps)["mean"] for o in origins(len(y), holdout,
                                                                             steps)]
        out[name] = np.asarray(preds, dtype=np.float64).tolist()
    return {"forecasts": out, "models": chosen}


def run_nf_lstm(series: dict[str, np.ndarray], holdout: int, steps: int, season: int,
                budget: float | None = None) -> dict:
    import torch
    from neuralforecast import NeuralForecast
    from neuralforecast.models import LSTM

    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "2")))
    logging.getLogger("pytorch_lightning").setLevel(logging.ERROR)
    logging.getLogger("lightning").setLevel(logging.ERROR)
    logging.getLogger("lightning.pytorch").setLevel(logging.ERROR)
    frames = [pd.DataFrame({"unique_id": name, "ds": np.arange(len(y)), "y": y})
              for name, y in series.items()]
    df = pd.concat(frames, ignore_index=True)
    windows = holdout - steps + 1
    if budget is None:
        model = LSTM(h=steps, enable_progress_bar=False, enable_model_summary=False,
                     logger=False, enable_checkpointing=False, accelerator="cpu")
        val_size = 0
    else:  # AutoLSTM: the search on the rows lstmcast tune's folds score
        from neuralforecast.auto import AutoLSTM

        config = AutoLSTM.get_default_config(h=steps, backend="optuna")

        def quiet(trial):
            cfg = config(trial)
            cfg.update(enable_progress_bar=False, enable_model_summary=False, logger=False,
                       enable_checkpointing=False, accelerator="cpu",
                       start_padding_enabled=True)  # its own advice on short series
            # sized for one CPU core: at its defaults (inputs up to 64 x h rows, 4 layers
            # of 128, 1,000 steps) one trial outlasts a 10-minute budget
            if isinstance(cfg["input_size"], int):  # (NeuralForecast's mock trial: lists)
                cfg["input_size"] = min(cfg["input_size"], 4 * steps)
                cfg["max_steps"] = min(cfg["max_steps"], MAX_STEPS_CPU)
            return cfg

        shortest = min(len(y) for y in series.values()) - holdout
        val_size = 3 * max(steps, shortest // 10)
        model = AutoLSTM(h=steps, backend="optuna", config=quiet, num_samples=10_000,
                         time_budget=0.7 * budget)
        logging.getLogger("optuna").setLevel(logging.WARNING)
    nf = NeuralForecast(models=[model], freq=1)
    cv = nf.cross_validation(df, n_windows=windows, step_size=1, refit=False,
                             val_size=val_size)
    column = "AutoLSTM" if budget is not None else "LSTM"
    out = {}
    for name, y in series.items():
        part = cv[cv["unique_id"] == name].sort_values(["cutoff", "ds"])
        preds = []
        for o in origins(len(y), holdout, steps):
            rows = part[part["cutoff"] == o]
            if len(rows) != steps:
                raise SystemExit(f"nf_lstm: {name}: {len(rows)} forecasts from origin {o}")
            preds.append(rows[column].to_numpy(dtype=np.float64))
        out[name] = np.asarray(preds).tolist()
    result = {"forecasts": out}
    if budget is not None:
        study = nf.models[0].results  # the fitted copy's Optuna study
        result["trials"] = len(study.trials)
        result["best"] = {k: v for k, v in study.best_trial.user_attrs["ALL_PARAMS"].items()
                          if isinstance(v, (int, float, str))}
    return result


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", choices=["ets", "nf_lstm", "nf_autolstm"], required=True)
    p.add_argument("--input", required=True)
    p.add_argument("--output", required=True)
    args = p.parse_args()
    spec = json.load(open(args.input))
    series = {k: np.asarray(v, dtype=np.float64) for k, v in spec["series"].items()}
    warnings.filterwarnings("ignore")
    start = time.perf_counter()
    holdout, steps, season = int(spec["holdout"]), int(spec["steps"]), int(spec.get("season") or 1)
    if args.model == "ets":
        result = run_ets(series, holdout, steps, season)
    elif args.model == "nf_lstm":
        result = run_nf_lstm(series, holdout, steps, season)
    else:
        result = run_nf_lstm(series, holdout, steps, season, budget=float(spec["budget"]))
    result["seconds"] = time.perf_counter() - start
    from importlib import metadata

    package = "statsforecast" if args.model == "ets" else "neuralforecast"
    result["version"] = f"{package} {metadata.version(package)}"
    with open(args.output, "w") as f:
        json.dump(result, f)


if __name__ == "__main__":
    main()
