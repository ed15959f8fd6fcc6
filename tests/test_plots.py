"""The run folder's pictures: drawn without warnings, whatever the losses and the target."""

import numpy as np
import pandas as pd
import pytest

from lstmcast import plots


@pytest.fixture
def scales(monkeypatch):
    """The y scale of every figure saved, in order."""
    seen = []
    save = plots.save_figure

    def spy(fig, path):
        seen.append(fig.axes[0].get_yscale())
        return save(fig, path)

    monkeypatch.setattr(plots, "save_figure", spy)
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


def _month_of_hours(steps: int = 1) -> pd.DataFrame:
    times = pd.date_range("2016-11-01", periods=30 * 24, freq="h")
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"date": np.repeat(times, steps), "step": np.tile(np.arange(1, steps + 1),
                                                                          len(times)),
                          "target": "OT", "actual": rng.normal(size=len(times) * steps)})
    for column in ("lstmcast", "naive", "lstmcast_q0.1", "lstmcast_q0.9"):
        frame[column] = frame["actual"] + rng.normal(size=len(frame))
    return frame


@pytest.mark.parametrize("draw", ["forecasts", "fan_chart"])
def test_a_month_of_hourly_rows_has_concise_date_ticks_that_do_not_overlap(draw, tmp_path,
                                                                          monkeypatch):
    figures = []
    save = plots.save_figure

    def keep(fig, path):
        fig.canvas.draw()
        axis = fig.axes[0].xaxis
        boxes = [t.get_window_extent() for t in axis.get_ticklabels() if t.get_text()]
        figures.append((type(axis.get_major_formatter()).__name__,
                        [t.get_text() for t in axis.get_ticklabels()], boxes))
        return save(fig, path)

    monkeypatch.setattr(plots, "save_figure", keep)
    getattr(plots, draw)(_month_of_hours(steps=24 if draw == "fan_chart" else 1),
                         tmp_path / "x.png", None, "date")
    formatter, labels, boxes = figures[0]
    assert formatter == "ConciseDateFormatter"
    assert 3 <= len(boxes) <= 10, labels
    assert all(len(text) <= 6 for text in labels), labels  # "Nov", "08", "12:00", not full dates
    boxes = sorted(boxes, key=lambda box: box.x0)
    for left, right in zip(boxes, boxes[1:]):
        assert left.x1 < right.x0, labels


def test_numbers_on_the_time_axis_keep_their_ticks(tmp_path, monkeypatch):
    frame = _month_of_hours().assign(date=np.arange(30 * 24))
    formatters = []
    save = plots.save_figure
    monkeypatch.setattr(plots, "save_figure", lambda fig, path: (formatters.append(
        type(fig.axes[0].xaxis.get_major_formatter()).__name__), save(fig, path))[1])
    plots.forecasts(frame, tmp_path / "x.png", None, "date")
    assert formatters == ["ScalarFormatter"]


def test_show_gives_the_png_back_at_its_own_size(tmp_path):
    path = plots.loss_curve({"loss": [0.5, 0.2, 0.1]}, tmp_path / "loss.png")
    height, width = plots.plt.imread(path).shape[:2]
    fig = plots.show(path)
    assert tuple(round(v) for v in fig.get_size_inches() * fig.dpi) == (width, height)
    plots.plt.close(fig)


def test_the_window_labels_of_an_explanation_do_not_overlap():
    """The labels lean at 30 degrees: two neighbours do not overlap when the distance
    between their parallel baselines is more than a line of text."""
    fig, ax = plots.plt.subplots(figsize=(6, 3))
    ax.imshow(np.zeros((2, 24)), aspect="auto")
    months = [f"{1959 + m // 12}-{m % 12 + 1:02d}-01 00:00:00" for m in range(24)]
    plots.time_ticks(ax, months)
    fig.tight_layout()
    fig.canvas.draw()
    labels = ax.get_xticklabels()
    assert len(labels) == 10 and labels[0].get_text() == "1959-01-01"
    assert {label.get_rotation() for label in labels} == {30.0}
    anchors = sorted(ax.transData.transform((p, 0))[0] for p in ax.get_xticks())
    line = labels[0].get_fontsize() * fig.dpi / 72 * 1.2
    assert min(np.diff(anchors)) * np.sin(np.radians(30)) > line
    plots.plt.close(fig)
