"""``report.html``: one self-contained page per run, readable with no server and no network.

It holds the scores beside the baselines, every picture of the run (embedded as
data URIs), the explanation and the config. Nothing is fetched: no scripts,
fonts or styles from elsewhere.
"""

from __future__ import annotations

import base64
import html
import os
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from lstmcast.cli.flags import as_flags
from lstmcast.forecast.intervals import split_score_columns

STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 1100px; color: #222; }
h1 { font-size: 1.5rem; } h2 { font-size: 1.15rem; margin-top: 2rem; }
table { border-collapse: collapse; font-size: 0.9rem; }
th, td { border: 1px solid #ccc; padding: 0.25rem 0.6rem; text-align: right; }
th { background: #f3f3f3; } td:first-child, th:first-child { text-align: left; }
tr.model td { font-weight: 600; background: #fff4f0; }
tr.baseline td { color: #555; font-style: italic; }
figure { margin: 1rem 0; } img { max-width: 100%; border: 1px solid #eee; }
figcaption { font-size: 0.85rem; color: #555; }
pre { background: #f7f7f7; padding: 0.8rem; overflow-x: auto; font-size: 0.85rem; }
"""


def _image(path: Path, caption: str) -> str:
    data = base64.b64encode(path.read_bytes()).decode()
    return (f'<figure><img alt="{html.escape(caption)}" src="data:image/png;base64,{data}">'
            f"<figcaption>{html.escape(caption)}</figcaption></figure>")


def _scores_table(scores: pd.DataFrame, columns: list[str] | None = None) -> str:
    columns = [c for c in (columns or scores.columns)
               if c != "target" or scores["target"].nunique() > 1]
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in columns)
    rows = []
    for _, row in scores.iterrows():
        cells = "".join(
            f"<td>{row[c]:.3f}</td>" if isinstance(row[c], float) else
            f"<td>{html.escape(str(row[c]))}</td>" for c in columns)
        css = ' class="model"' if row["model"] == "lstmcast" else ""
        rows.append(f"<tr{css}>{cells}</tr>")
    return f"<table><tr>{head}</tr>{''.join(rows)}</table>"


def write_report(path: str | os.PathLike, title: str, scores: pd.DataFrame,
                 figures: Sequence[tuple[Path, str]], explanation_text: str | None,
                 explanation_figures: Sequence[tuple[Path, str]], config_text: str) -> Path:
    """Write the report; ``figures`` are (png path, caption) pairs."""
    notes = "".join(f"<li>{html.escape(as_flags(n))}</li>" for n in scores.attrs.get("notes", []))
    point, interval = split_score_columns(scores.columns)
    parts = [
        "<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{html.escape(title)}</title><style>{STYLE}</style></head><body>",
        f"<h1>{html.escape(title)}</h1>",
        "<h2>Scores on held-out data, beside the baselines</h2>", _scores_table(scores, point),
        "<p>skill = 1 - RMSE / RMSE of the best baseline (above 0 beats it).</p>",
        *(["<h2>Intervals: coverage and width</h2>",
           _scores_table(scores, ["target", "model", *interval]),
           "<p>coverage_N: the fraction of true values inside the central N% interval "
           "(N / 100 is right); width_N: its mean width; pinball_q: the quantile loss of "
           "level q; crps: twice their mean (lower is better). The baselines' intervals "
           "are their forecasts plus the quantiles of their errors on the training rows."
           "</p>"] if interval else []),
        f"<ul>{notes}</ul>" if notes else "",
        "<h2>Pictures</h2>", *(_image(p, c) for p, c in figures),
    ]
    if explanation_text is not None:
        parts += ["<h2>Inside the model: one forecast explained</h2>",
                  f"<pre>{html.escape(explanation_text)}</pre>",
                  *(_image(p, c) for p, c in explanation_figures)]
    parts += ["<h2>Config</h2>", f"<pre>{html.escape(config_text)}</pre>", "</body></html>"]
    target = Path(path)
    target.write_text("\n".join(parts), encoding="utf-8")
    return target


def leaderboard_html(board: pd.DataFrame, rows: int = 40) -> str:
    """The search's leaderboard (``lstmcast.forecast.tune.leaderboard``) as a table: the first
    ``rows`` rows, the best trial marked, the baselines in italics; empty columns left out."""
    shown = board.head(rows)
    columns = [c for c in shown.columns if shown[c].notna().any()
               and not (shown[c].astype(str) == "").all()]
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in columns)
    body = []
    for k, (_, row) in enumerate(shown.iterrows()):
        cells = "".join(
            "<td></td>" if pd.isna(row[c]) else
            f"<td>{row[c]:.4g}</td>" if isinstance(row[c], float) else
            f"<td>{html.escape(str(row[c]))}</td>" for c in columns)
        css = (' class="model"' if k == 0 and row["state"] == "complete"
               and row["kind"] != "baseline" else
               ' class="baseline"' if row["kind"] == "baseline" else "")
        body.append(f"<tr{css}>{cells}</tr>")
    more = (f"<p>{len(board) - rows} more rows in leaderboard.csv.</p>"
            if len(board) > rows else "")
    return f"<table><tr>{head}</tr>{''.join(body)}</table>{more}"


def add_section(path: str | os.PathLike, title: str, body_html: str, note: str = "",
                before: str = "Config") -> Path:
    """Add a section (a title, ``body_html`` and a ``note`` paragraph) to a written report,
    before its section titled ``before`` (at the end when there is none)."""
    target = Path(path)
    text = target.read_text(encoding="utf-8")
    section = (f"<h2>{html.escape(title)}</h2>\n{body_html}"
               + (f"\n<p>{html.escape(note)}</p>" if note else "") + "\n")
    marker = f"<h2>{html.escape(before)}</h2>"
    at = text.find(marker)
    if at < 0:
        at = text.rfind("</body>")
    target.write_text(text[:at] + section + text[at:], encoding="utf-8")
    return target
