"""A Keras-style progress bar for training epochs.

On a terminal it redraws one line in place, at most ten times a second::

    Epoch 3/100
     45/89 [==============>...............] - ETA: 1s - loss: 0.0213 - mae: 0.1102

Elsewhere (a log file, a pipe) it writes only the finished line of each epoch.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO

REFRESH_SECONDS = 0.1
CLEAR_TO_END = "\x1b[K"  # erase what a longer earlier line left behind


def format_logs(logs: dict[str, float]) -> str:
    return "".join(f" - {k}: {v:.4g}" for k, v in logs.items())


def format_seconds(seconds: float) -> str:
    seconds = int(round(seconds))
    if seconds >= 3600:
        return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"
    if seconds >= 60:
        return f"{seconds // 60}:{seconds % 60:02d}"
    return f"{seconds}s"


class ProgressBar:
    """Progress over ``total`` batches of one epoch.

    Args:
        total: number of batches in the epoch.
        stream: where to write (default: standard output).
        width: characters in the bar.
    """

    def __init__(self, total: int, stream: TextIO | None = None, width: int = 30) -> None:
        self.total = total
        self.stream = stream if stream is not None else sys.stdout
        self.width = width
        self.interactive = bool(getattr(self.stream, "isatty", lambda: False)())
        self.start = time.perf_counter()
        self.last_draw = 0.0

    def due(self) -> bool:
        """True when a redraw is worth its cost (terminal only, 10 per second at most)."""
        return self.interactive and time.perf_counter() - self.last_draw >= REFRESH_SECONDS

    def update(self, done: int, logs: dict[str, float]) -> None:
        """Redraw the line after ``done`` batches, with running ``logs``."""
        self.last_draw = time.perf_counter()
        elapsed = self.last_draw - self.start
        filled = int(self.width * done / max(self.total, 1))
        arrow = ">" if 0 < filled < self.width else ""
        bar = "=" * max(filled - len(arrow), 0) + arrow + "." * (self.width - filled)
        eta = elapsed / done * (self.total - done) if done else 0.0
        digits = len(str(self.total))
        line = f"\r{done:{digits}d}/{self.total} [{bar}] - ETA: {format_seconds(eta)}"
        self.stream.write(line + format_logs(logs) + CLEAR_TO_END)
        self.stream.flush()

    def finish(self, logs: dict[str, float]) -> None:
        """Write the epoch's final line: time taken, time per step and all logs."""
        elapsed = time.perf_counter() - self.start
        per_step = elapsed / max(self.total, 1) * 1000
        digits = len(str(self.total))
        line = (f"{self.total:{digits}d}/{self.total} [{'=' * self.width}] - "
                f"{format_seconds(elapsed)} {per_step:.0f}ms/step")
        if self.interactive:
            line = "\r" + line
        self.stream.write(line + format_logs(logs) + (CLEAR_TO_END if self.interactive else "")
                          + "\n")
        self.stream.flush()
