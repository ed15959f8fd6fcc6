import os

# Keras (used only in tests, to prove parity) runs on its torch backend: no TensorFlow needed.
os.environ.setdefault("KERAS_BACKEND", "torch")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

if os.environ.get("PYTEST_XDIST_WORKER"):
    # `make test` runs one worker per core: each, and every process it starts (the CLI,
    # torchrun's ranks, the service), computes on one thread, so that no two spin on a core.
    os.environ["OMP_NUM_THREADS"] = "1"
    torch.set_num_threads(1)
else:
    torch.set_num_threads(min(2, os.cpu_count() or 1))


@pytest.fixture
def rng():
    return np.random.default_rng(0)


@pytest.fixture(scope="session")
def table(tmp_path_factory):
    """A small CSV of two stores' daily sales, with a promotion flag and a temperature."""
    import pandas as pd

    folder = tmp_path_factory.mktemp("data")
    rng = np.random.default_rng(0)
    rows = []
    for store in ("a", "b"):
        t = np.arange(60)
        sales = 50 + 10 * np.sin(t / 4) + rng.normal(size=60)
        rows.append(pd.DataFrame({"store": store, "day": t, "promo": t % 7 == 0,
                                  "temp": 20 + rng.normal(size=60), "sales": sales}))
    path = folder / "sales.csv"
    pd.concat(rows).astype({"promo": int}).to_csv(path, index=False)
    return path


@pytest.fixture(scope="session")
def trained(table, tmp_path_factory):
    """A run folder trained on ``table`` through the command line (tiny settings)."""
    from helpers import FAST, run_cli

    out = tmp_path_factory.mktemp("runs") / "sales-run"
    result = run_cli("train", table, "--target", "sales", "--group", "store", "--time", "day",
                     *FAST, "--out", out, process=True)  # the real entry point, once
    assert result.returncode == 0, result.stderr
    return out, result
