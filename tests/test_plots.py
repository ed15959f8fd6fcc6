"""The run folder's pictures: drawn without warnings, whatever the losses and the target."""

import numpy as np
import pandas as pd
import pytest

from lstmcast import plots


@pytest.fixture
def scales(monkeypatch):
    """The y scale of every figure saved, in order."""
    seen = []
    save = plots._save

    def spy(fig, path):
        seen.append(fig.axes[0].get_yscale())
        return save(fig, path)

    monkeypatch.setattr(plots, "_save", spy)
    return seen


@pytest.mark.filterwarnings("error")
@pytest.mark.parametrize("history, scale", [
    ({"loss": [0.0, 0.0, 0.0], "val_loss": [0.0, 0.0, 0.0]}, "linear"),  # a constant target
    ({"loss": [0.5, 0.1, 0.0], "val_loss": [0.4, 0.2, 0.0]}, "linear"),  # reaches zero
    ({"loss": [0.5, 0.2, 0.1], "val_loss": [0.0, 0.0, 0.0]}, "linear"),  # validation only
    ({"loss": [0.0, 0.0]}, "linear"),  # no validation
    ({"loss": [0.5, 0.2, 0.1], "val_loss": [0.6, 0.3, np.nan]}, "log"),
    ({"loss": [0.5, 0.2, 0.1]}, "log"),
])
def test_the_loss_curve_is_drawn_without_a_warning_on_zero_losses(history, scale, scales,
                                                                   tmp_path, recwarn):
    path = plots.loss_curve(history, tmp_path / "loss.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert scales == [scale]
    assert not recwarn.list, [str(w.message) for w in recwarn.list]


@pytest.mark.filterwarnings("error")
def test_a_constant_target_draws_its_forecasts_without_a_warning(tmp_path, recwarn):
    rows = 30
    frame = pd.DataFrame({
        "day": np.tile(np.arange(rows), 2), "step": np.repeat([1, 2], rows), "target": "y",
        "actual": 5.0, "lstmcast": 5.0, "naive": 5.0, "train_mean": 5.0,
        "lstmcast_q0.1": 5.0, "lstmcast_q0.5": 5.0, "lstmcast_q0.9": 5.0})
    frame = frame.sort_values(["day", "step"]).reset_index(drop=True)
    for path in (plots.forecasts(frame, tmp_path / "forecast.png", None, "day"),
                 plots.fan_chart(frame, tmp_path / "fan.png", None, "day"),
                 plots.loss_curve({"loss": [0.0] * 4, "val_loss": [0.0] * 4},
                                  tmp_path / "loss.png")):
        assert path.stat().st_size > 0
    engines = pd.DataFrame({"engine": np.arange(5), "actual": 125.0, "lstmcast": 125.0,
                            "train_mean": 125.0, "lstmcast_q0.1": 125.0,
                            "lstmcast_q0.9": 125.0})
    assert plots.rul_per_engine(engines, tmp_path / "rul.png", "engine").stat().st_size > 0
    assert not recwarn.list, [str(w.message) for w in recwarn.list]
