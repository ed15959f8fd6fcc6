import subprocess
import sys

import numpy as np
import pytest

from lstmcast.callbacks import TimeLimit
from lstmcast.demo import run_demo
from lstmcast.layers import LSTM, Dense
from lstmcast.models import Sequential


def run_cli(*args):
    return subprocess.run([sys.executable, "-m", "lstmcast", *args], capture_output=True,
                          text=True, timeout=300)


def test_help_shows_examples():
    out = run_cli("--help")
    assert out.returncode == 0 and "examples:" in out.stdout and "demo" in out.stdout
    out = run_cli("demo", "--help")
    assert out.returncode == 0 and "example:" in out.stdout


def test_demo_command_runs_end_to_end():
    out = run_cli("demo", "--epochs", "1")
    assert out.returncode == 0, out.stderr
    assert "Network input (samples, time_steps, features)" in out.stdout
    assert "(None, 30, 100)" in out.stdout and "Total params" in out.stdout
    for word in ("RMSE", "MAE", "MAPE", "baseline"):
        assert word in out.stdout


def test_bad_argument_exits_non_zero_with_one_line():
    out = run_cli("demo", "--epochs", "-3")
    assert out.returncode == 1
    assert out.stderr.strip().count("\n") == 0
    assert "`epochs`" in out.stderr and "Traceback" not in out.stderr


def test_demo_learns_something_in_a_few_epochs():
    result = run_demo(epochs=3, verbose=0)
    assert result.epochs == 3
    assert result.rmse < result.baseline_rmse  # better than predicting the mean RUL
    assert np.isfinite([result.mae, result.mape]).all()


def test_time_limit_stops_training():
    model = Sequential([LSTM(4, input_shape=(5, 2)), Dense(1)], device="cpu")
    model.compile(loss="mse", optimizer="adam")
    x = np.zeros((20, 5, 2), dtype="float32")
    limit = TimeLimit(1e-9)
    history = model.fit(x, np.zeros(20), epochs=5, verbose=0, callbacks=[limit])
    assert len(history.epoch) == 1 and limit.stopped_epoch == 0
    with pytest.raises(ValueError, match="`seconds`"):
        TimeLimit(0)


def test_core_loop_benchmark_runs_on_tiny_sizes():
    from pathlib import Path

    script = Path(__file__).resolve().parents[1] / "benchmarks" / "core_loop.py"
    out = subprocess.run([sys.executable, str(script), "--samples", "200", "--epochs", "1",
                          "--rounds", "1", "--features", "4"],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "ratio lstmcast / hand-written:" in out.stdout
