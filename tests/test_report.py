"""report.html opens in a real headless browser with no server, no network and no errors."""

import shutil
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    folder = tmp_path_factory.mktemp("report")
    rng = np.random.default_rng(0)
    t = np.arange(80)
    pd.DataFrame({"t": t, "y": np.sin(t / 5) + 0.1 * rng.normal(size=80)}).to_csv(
        folder / "d.csv", index=False)
    result = subprocess.run([sys.executable, "-m", "lstmcast", "train", folder / "d.csv",
                             "--target", "y", "--time", "t", "--epochs", "2", "--units", "6",
                             "--window", "10", "--quiet", "--out", folder / "run"],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    return folder / "run" / "report.html"


def test_report_is_self_contained(report):
    text = report.read_text()
    assert "<script" not in text and "http://" not in text and "https://" not in text
    assert text.count('src="data:image/png;base64,') >= 5  # loss, forecast, 3 explanation
    for heading in ("Scores on held-out data", "Inside the model", "Config"):
        assert heading in text


@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (make test "
                    "installs it when it runs as root)")
def test_report_loads_in_headless_chromium_without_errors(report):
    sync_api = pytest.importorskip("playwright.sync_api")
    errors, requests = [], []
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_page()
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("request", lambda r: requests.append(r.url))
        page.goto(report.as_uri())
        page.wait_for_load_state("load")
        images = page.eval_on_selector_all(
            "img", "els => els.map(e => [e.complete, e.naturalWidth, e.naturalHeight])")
        title = page.title()
        browser.close()
    assert errors == []
    assert len(images) >= 5 and all(done and w > 100 and h > 100 for done, w, h in images)
    assert all(url.startswith(("file:", "data:")) for url in requests)
    assert title.startswith("lstmcast run")
