"""The benchmark scripts show published results only beside the table they were published for."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from lstmcast.datasets import data_path

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"
PUBLISHED_NAMES = ("SegRNN", "iTransformer", "PatchTST", "DLinear", "(published)")


@pytest.fixture(scope="module")
def longhorizon():
    sys.path.insert(0, str(BENCHMARKS))
    import longhorizon

    return longhorizon


def _tiny_table(path: Path, n: int = 400) -> Path:
    rng = np.random.default_rng(0)
    t = np.arange(n)
    pd.DataFrame({"date": pd.date_range("2020-01-01", periods=n, freq="h")
                  .strftime("%Y-%m-%d %H:%M:%S"),
                  "load": np.sin(2 * np.pi * t / 24) + 0.2 * rng.normal(size=n),
                  "OT": np.cos(2 * np.pi * t / 24) + 0.2 * rng.normal(size=n)}
                 ).to_csv(path, index=False)
    return path


def test_the_published_long_horizon_results_belong_to_etth2_by_content_and_split(
        longhorizon, tmp_path):
    shipped = data_path("ett", "ETTh2.csv")
    sha = longhorizon.file_sha256(shipped)
    assert longhorizon.published_for(sha, "12/4/4") == "ETTh2"
    assert longhorizon.published_for(sha, "0.7,0.1,0.2") is None  # another split
    # a copy under another name is still ETTh2; one changed byte under its name is not
    copy = tmp_path / "mine.csv"
    copy.write_bytes(shipped.read_bytes())
    assert longhorizon.published_for(longhorizon.file_sha256(copy), "12/4/4") == "ETTh2"
    edited = tmp_path / "ETTh2.csv"
    raw = bytearray(shipped.read_bytes())
    raw[-2] = ord("0") if raw[-2] != ord("0") else ord("1")
    edited.write_bytes(bytes(raw))
    assert longhorizon.published_for(longhorizon.file_sha256(edited), "12/4/4") is None
    # the document: published rows for ETTh2's run, none (and a note) for another table's
    runs = [{"mode": "M", "horizon": 96, "model": "naive", "seed": 0, "mse": 1.0, "mae": 1.0}]
    base = {"data": "ETTh2.csv", "split": "12/4/4", "borders": [8640, 11520, 14400],
            "machine": "test", "runs": runs}
    etth2 = longhorizon.document({**base, "data_sha256": sha, "published": "ETTh2"}, None)
    assert all(name in etth2 for name in PUBLISHED_NAMES)
    assert "# Long-horizon accuracy: ETTh2 " in etth2
    other = longhorizon.document({**base, "data_sha256": "0" * 64, "published": None}, None)
    assert not [name for name in PUBLISHED_NAMES if name in other]
    assert "0.278" not in other and "No published results here" in other


@pytest.mark.benchmark
def test_the_long_horizon_benchmark_on_another_table_prints_no_published_result(tmp_path):
    # named like the shipped table, but another table: the name is not enough
    table = _tiny_table(tmp_path / "ETTh2.csv")
    script = BENCHMARKS / "longhorizon.py"
    out = subprocess.run([sys.executable, str(script), "--data", str(table), "--split",
                          "0.7,0.1,0.2", "--horizons", "24",
                          "--modes", "M,S", "--models", "naive,linear",
                          "--out", str(tmp_path / "lh.md")],
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    doc = (tmp_path / "lh.md").read_text()
    for text in (doc, out.stdout, (tmp_path / "lh.json").read_text()):
        assert not [name for name in PUBLISHED_NAMES if name in text], text
    assert "| last value repeated |" in doc  # the run itself is reported
    assert json.loads((tmp_path / "lh.json").read_text())["published"] is None
    # --keep refuses rows on another table rather than print them beside this one's
    other = _tiny_table(tmp_path / "other.csv", n=500)
    again = subprocess.run([sys.executable, str(script), "--data", str(other), "--split",
                            "0.7,0.1,0.2", "--horizons", "24", "--modes", "M",
                            "--models", "naive", "--keep", "--out", str(tmp_path / "lh.md")],
                           capture_output=True, text=True, timeout=300)
    assert again.returncode == 1 and "holds runs on 'ETTh2.csv'" in again.stderr


@pytest.mark.benchmark
def test_the_panel_runs_the_defaults_on_a_table_and_scores_them(tmp_path):
    """benchmarks/panel.py on one small table of the panel (a yearly series of 100 rows),
    without peers, through lstmcast's command line as a user runs it: the defaults, and
    a search of a few seconds (--tune) scored on the same held-out windows."""
    out = tmp_path / "panel.md"
    done = subprocess.run([sys.executable, str(BENCHMARKS / "panel.py"), "--tables", "nile",
                           "--max-seconds", "10", "--tune", "15", "--peers", "",
                           "--no-season-flag", "--runs", str(tmp_path / "runs"), "--out",
                           str(out)], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert "### defaults" in out.read_text() and "### tuned" in out.read_text()
    table = json.loads(out.with_suffix(".json").read_text())["tables"][0]
    best = min(b["rmse"] for b in table["baselines"].values())
    for name in ("defaults", "tuned"):
        run = table["runs"][name]
        assert run["rmse"] == pytest.approx(run["own_rmse"], rel=1e-6)  # the run's metrics
        assert run["ratio"] == pytest.approx(run["rmse"] / best)
    assert table["runs"]["defaults"]["window"] == 13  # a sixth of the 80 training rows
    assert table["runs"]["tuned"]["command"].startswith("lstmcast tune nile_yearly.csv")


@pytest.mark.benchmark
def test_the_choice_experiment_records_what_train_chose_and_judges_rules(tmp_path):
    """benchmarks/panel_choice.py on nile: the recorded choice is the product's rule (the
    two lowest validation errors weighed by their inverse MSEs, the networks only when
    clearly lowest of all), and judge
    scores rules on the recorded forecasts."""
    import pickle

    from lstmcast.forecast.combination import EDGE, networks_edge

    script = [sys.executable, str(BENCHMARKS / "panel_choice.py")]
    store = ["--store", str(tmp_path)]
    done = subprocess.run([*script, "record", "--tables", "nile", "--max-seconds", "5", *store],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    run = pickle.loads((tmp_path / "nile-seed0.pkl").read_bytes())
    errors = run["val_rmse"]
    assert {"networks", "linear_map", "train_mean", "drift"} <= set(errors)
    order = sorted(errors, key=errors.get)
    edge = networks_edge(run["val_window_sse"], 6)  # nile: 6 steps
    if order[0] != "networks" or edge < EDGE:  # the networks only when clearly best of all
        order = [name for name in order if name != "networks"]
    assert set(run["chosen"]) == set(order[:2])
    first, second = order[:2]  # weighed by the inverse of their validation MSEs
    assert run["chosen"][first] / run["chosen"][second] == pytest.approx(
        (errors[second] / errors[first]) ** 2, rel=1e-4)
    assert all(f.shape == run["truth"].shape for f in run["test"].values())
    done = subprocess.run([*script, "judge", *store], capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "top2+new" in done.stdout and "nile/0" in done.stdout


@pytest.mark.benchmark
def test_judge_sets_scores_the_product_pair_as_train_chose_it(tmp_path):
    """panel_choice.py judge-sets and judge-bounds on nile: their rows for today's rule are
    the held-out ratio of the pair ``train`` chose (recorded as its weights), every other
    rule is scored, and the bounds in hindsight are at or below today's."""
    import pickle

    sys.path.insert(0, str(BENCHMARKS))
    import panel_choice

    script = [sys.executable, str(BENCHMARKS / "panel_choice.py")]
    store = ["--store", str(tmp_path)]
    done = subprocess.run([*script, "record", "--window-set", "--windows", "default",
                           "--tables", "nile", *store], capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    (path,) = tmp_path.glob("nile-seed0-w*.pkl")
    run = pickle.loads(path.read_bytes())
    chosen = sum(w * run["test"][m] for m, w in run["chosen"].items())
    _, _, names, best = panel_choice.window_records(tmp_path, 0)
    want = panel_choice.rmse(chosen, run["truth"]) / best["nile"][1]
    done = subprocess.run([*script, "judge-sets", *store], capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    rows = {line[:42].strip(): line[42:].split() for line in done.stdout.splitlines()[2:]}
    assert float(rows["today (the best pair)"][1]) == pytest.approx(want, abs=1e-3)
    assert len(rows) == 23 and all(float(v[1]) > 0 for v in rows.values())
    done = subprocess.run([*script, "judge-bounds", *store], capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    today, pair, windows, single = map(float, done.stdout.splitlines()[0].split()[1:])
    assert today == pytest.approx(want, abs=1e-3)  # hindsight bounds: at or below it
    assert windows <= pair <= today  # one window recorded: the pair's bounds are alike
    assert windows == pair
    alone = min(panel_choice.rmse(f, run["truth"]) for m, f in run["test"].items()
                if m not in panel_choice.VARIANTS + panel_choice.LEVEL_MAPS)
    assert single == pytest.approx(alone / best["nile"][1], abs=1e-3)
    # the same records at a forced scale bound over both: at or below the bounds of one
    other = tmp_path / "no-log"
    done = subprocess.run([*script, "record", "--window-set", "--windows", "default",
                           "--scale", "none", "--tables", "nile", "--store", str(other)],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    done = subprocess.run([*script, "judge-bounds", *store, "--more", str(other)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    both = list(map(float, done.stdout.splitlines()[0].split()[1:]))
    assert both[0] == today and both[1] == pair  # today's and the default window's pair
    assert both[2] <= windows and both[3] <= single


@pytest.mark.benchmark
def test_the_residual_experiment_trains_the_networks_on_what_the_map_leaves():
    """panel_choice.residual_networks: the networks are trained on the targets less the
    linear map's forecast (ridge by GCV, fitted on the same windows), without instance
    normalization, and the choice scores the map plus the networks as the networks."""
    from types import SimpleNamespace

    sys.path.insert(0, str(BENCHMARKS))
    import panel_choice

    from lstmcast.forecast.linear_map import GCV, WindowLinearMap

    rng = np.random.default_rng(0)
    y = np.cumsum(rng.normal(size=400))
    window, steps = 6, 2
    starts = np.arange(len(y) - window - steps + 1)
    x = np.stack([y[s:s + window] for s in starts])[:, :, None].astype(np.float32)
    target = np.stack([y[s + window:s + window + steps] for s in starts]).astype(np.float32)
    seen = {}

    class Networks:
        members = ["one"]

        def predict(self, windows):
            return np.full((len(windows), steps), 0.25)

    def train(fc, pipeline, intervals, x_train, y_train, validation, *rest):
        seen.update(y=y_train, validation=validation[1], normalize=fc.normalize)
        fc.ensemble_ = Networks()

    def blended(fc, ensemble, *rest):
        seen["blended"] = ensemble
        return ensemble

    fitting = SimpleNamespace(train=train, blended=blended, blends=lambda fc, p: True)
    real = panel_choice.residual_networks(fitting)
    assert real is train
    fc = SimpleNamespace(steps=steps, normalize="last")
    pipeline = SimpleNamespace(window=window, target_columns=lambda: [0])
    fitting.train(fc, pipeline, None, x[:300], target[:300], (x[300:], target[300:]), 300, "t")
    reference = WindowLinearMap(window, steps, [0], ridge=GCV).fit([(x[:300], target[:300])])
    np.testing.assert_allclose(seen["y"], target[:300] - reference.predict(x[:300]), atol=1e-5)
    np.testing.assert_allclose(seen["validation"], target[300:] - reference.predict(x[300:]),
                               atol=1e-5)
    assert seen["normalize"] is None  # the normalization would add the last value back
    np.testing.assert_allclose(seen["blended"].predict(x[300:]),
                               reference.predict(x[300:]) + 0.25, atol=1e-5)


@pytest.mark.benchmark
@pytest.mark.parametrize("criterion", ["loo", "bic", "aic"])
def test_the_level_map_recovers_an_ar2_process(criterion):
    """panel_choice.LevelMap (an experiment's candidate) on windows of a simulated AR(2)
    series y_t = 0.5 + 1.2 y_t-1 - 0.5 y_t-2 + noise: its forecasts three rows ahead
    against the process's own, and with BIC the order and weights it was made with."""
    sys.path.insert(0, str(BENCHMARKS))
    import panel_choice

    rng = np.random.default_rng(0)
    y = np.zeros(6000)
    for t in range(2, len(y)):
        y[t] = 0.5 + 1.2 * y[t - 1] - 0.5 * y[t - 2] + rng.normal(0, 0.3)
    y = y[100:]
    window, steps = 8, 3
    starts = np.arange(len(y) - window - steps + 1)
    x = np.stack([y[s:s + window] for s in starts])[:, :, None]
    target = np.stack([y[s + window:s + window + steps] for s in starts])
    level = panel_choice.LevelMap(window, steps, [0], criterion).fit([(x, target)])
    if criterion == "bic":  # BIC finds the order (the others may add lags of little weight)
        assert level.lags == 2
        np.testing.assert_allclose(level.weights[:, 0], [0.5, -0.5, 1.2], atol=0.05)
    # the process's own forecast (its mean, by recursion) from the last 500 windows' ends
    path = [x[-500:, -2, 0], x[-500:, -1, 0]]
    for _ in range(steps):
        path.append(0.5 + 1.2 * path[-1] - 0.5 * path[-2])
    own = np.stack(path[2:], axis=1)
    assert np.abs(level.predict(x[-500:]) - own).mean() < 0.03  # the noise's spread: 0.3


@pytest.mark.benchmark
def test_the_serving_benchmark_runs_bounded_and_writes_its_figures(tmp_path):
    """benchmarks/serve.py on 4 series, 1 and 4 clients, 30 requests: the service under
    load beside in-process predict and onnxruntime, batching off and on, and beside a busy
    process."""
    out, scratch = tmp_path / "serve.md", tmp_path / "scratch"
    scratch.mkdir()
    done = subprocess.run([sys.executable, str(BENCHMARKS / "serve.py"), "--series", "4",
                           "--rows", "60", "--clients", "1,4", "--requests", "30",
                           "--seconds", "5", "--repeats", "10", "--out", str(out)],
                          capture_output=True, text=True, timeout=300,
                          env={**os.environ, "TMPDIR": str(scratch)})
    assert done.returncode == 0, done.stderr[-3000:]
    assert not list(scratch.glob("lstmcast-*"))  # its model and run folders are removed
    result = json.loads(out.with_suffix(".json").read_text())
    served = result["served"]
    assert [(r["batching"], r["clients"]) for r in served] == [
        (False, 1), (False, 4), (True, 1), (True, 4)]
    assert all(r["errors"] == 0 and 0 < r["requests"] <= 30 for r in served)
    assert result["in_process"]["window_ratio"] > 0
    assert result["busy"]["loaded"]["requests"] > 0
    text = out.read_text()
    assert "load average" in text and "| on | 4 | 30 | 0 |" in text


@pytest.mark.benchmark
def test_the_predict_latency_benchmark_sets_predict_beside_onnxruntime(tmp_path):
    """benchmarks/predict_latency.py on two models, 5 calls each: Forecaster.predict (the
    short way), the full table path, predict_window, onnxruntime and the floor of a table in
    and a table out, with their ratios."""
    out, scratch = tmp_path / "latency.md", tmp_path / "scratch"
    scratch.mkdir()
    done = subprocess.run([sys.executable, str(BENCHMARKS / "predict_latency.py"),
                           "--repeats", "5", "--series", "3", "--models", "0,3",
                           "--out", str(out)], capture_output=True, text=True, timeout=300,
                          env={**os.environ, "TMPDIR": str(scratch)})
    assert done.returncode == 0, done.stderr[-3000:]
    assert not list(scratch.glob("lstmcast-*"))  # its saved models are removed
    rows = json.loads(out.with_suffix(".json").read_text())["models"]
    assert len(rows) == 2 and all(r["short_way"] for r in rows)
    assert all(r["predict_ratio"] == pytest.approx(r["predict_ms"] / r["onnxruntime_ms"])
               for r in rows)
    assert all(0 < r["floor_ms"] and r["floor_ratio"] == pytest.approx(
        r["floor_ms"] / r["onnxruntime_ms"]) for r in rows)
    text = out.read_text()
    assert "load average" in text and text.startswith("# ") and "| floor (ms) |" in text


def test_the_short_series_benchmark_cuts_the_first_series_to_its_last_rows(tmp_path):
    """benchmarks/short_series.py: the first series keeps its last 40% of rows, the others
    stay whole, and the test rows are 20% of a full series (the same for every version)."""
    sys.path.insert(0, str(BENCHMARKS))
    import panel
    import short_series

    table = next(t for t in panel.load_panel(panel.PANEL / "panel.toml")
                 if t["name"] == "arrivals")
    path, holdout, rows = short_series.cut_table(table, 0.4, tmp_path)
    whole = pd.read_csv(panel.PANEL / table["file"], dtype={"quarter": str})
    cut = pd.read_csv(path, dtype={"quarter": str})
    first = whole["origin"].iloc[0]
    sizes = whole.groupby("origin").size()
    assert (rows, holdout) == (int(0.4 * sizes[first]), int(0.2 * sizes.max()))
    pd.testing.assert_frame_equal(cut[cut["origin"] == first].reset_index(drop=True),
                                  whole[whole["origin"] == first].tail(rows)
                                  .reset_index(drop=True))
    assert cut.groupby("origin").size().drop(first).equals(sizes.drop(first))


def test_the_check_tables_are_a_panel_of_their_own_read_from_their_folder():
    """benchmarks/check/panel.toml: a second panel for panel.py --panel, its files read
    from its own folder, none of them a table of the development panel, every one a
    series with text dates at the frequency and length its entry says."""
    sys.path.insert(0, str(BENCHMARKS))
    import panel

    check = panel.load_panel(BENCHMARKS / "check" / "panel.toml")
    development = panel.load_panel(panel.PANEL / "panel.toml")
    assert len(check) == 15
    assert not {t["name"] for t in check} & {t["name"] for t in development}
    for table in check:
        assert Path(table["path"]) == BENCHMARKS / "check" / table["file"]
        series = panel.load_series(table)
        assert list(series) and all(len(y) > 3 * table["steps"] for y in series.values())
        dates = pd.read_csv(table["path"], dtype=str)["date"]
        pattern = r"\d{4}-\d\d" if table["freq"] == "monthly" else r"\d{4} Q[1-4]"
        assert dates.str.fullmatch(pattern).all(), table["name"]
    # a run's command names a table's file, not where it lies on this machine
    command = ["lstmcast", "train", check[0]["path"], "--out", "/tmp/x"]
    assert panel.short(command) == f"lstmcast train {check[0]['file']} --out RUN"
