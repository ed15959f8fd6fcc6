"""What the benchmark scripts share: timing a call, a competing busy process, and how loaded
the machine was.

Each script runs as ``python benchmarks/NAME.py``, so this folder is on ``sys.path`` and
``from timing import median_ms, uptime`` finds this module.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any


def median_ms(repeats: int, call: Callable[..., Any], *args: Any) -> float:
    """The median wall time of ``call(*args)`` over ``repeats`` calls, in milliseconds,
    after one call to warm up."""
    call(*args)
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        call(*args)
        times.append(time.perf_counter() - started)
    return 1000 * statistics.median(times)


def uptime() -> str:
    """``uptime``'s line (the load averages), written beside the figures."""
    try:
        return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    except OSError:
        return "(uptime unavailable)"


def busy(seconds: float) -> subprocess.Popen:
    """A competing process: one core spinning for at most ``seconds`` (killed sooner)."""
    code = f"import time\nend = time.time() + {seconds}\nwhile time.time() < end: pass\n"
    return subprocess.Popen([sys.executable, "-c", code])
