"""The service's counters, in Prometheus's text format (``GET /metrics``).

- ``lstmcast_requests_total{path, method, code}``: requests answered;
- ``lstmcast_request_seconds``: a latency histogram, per path;
- ``lstmcast_errors_total{code}``: answers of 4xx and 5xx, by code;
- ``lstmcast_batch_windows`` and ``lstmcast_batch_requests``: histograms of the
  windows and requests in each network call (micro-batching);
- ``lstmcast_series``: series with rows in the state (read from the state at
  each scrape, so every worker reports all of them).

Each worker process counts its own requests (Prometheus sums workers that it
scrapes apart; behind one port a scrape reaches one worker).
"""

from __future__ import annotations

import bisect
import threading
from collections import defaultdict

LATENCY_BUCKETS = (0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0)
BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256)
ROUTES = ("/health", "/model", "/forecast", "/forecast/{series}", "/observe", "/metrics")


class Histogram:
    """Counts of observations at or below each bucket's bound, their sum and count."""

    def __init__(self, bounds: tuple[float, ...]) -> None:
        self.bounds = bounds
        self.counts = [0] * (len(bounds) + 1)
        self.sum = 0.0
        self.count = 0

    def observe(self, value: float) -> None:
        self.counts[bisect.bisect_left(self.bounds, value)] += 1
        self.sum += value
        self.count += 1

    def lines(self, name: str, labels: str = "") -> list[str]:
        out, running = [], 0
        sep = "," if labels else ""
        for bound, count in zip((*self.bounds, float("inf")), self.counts):
            running += count
            le = "+Inf" if bound == float("inf") else f"{bound:g}"
            out.append(f'{name}_bucket{{{labels}{sep}le="{le}"}} {running}')
        tail = f"{{{labels}}}" if labels else ""
        out += [f"{name}_sum{tail} {self.sum:.6f}", f"{name}_count{tail} {self.count}"]
        return out


class Metrics:
    """What the service counts (see the module docstring); safe across threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.requests: dict[tuple[str, str, int], int] = defaultdict(int)
        self.errors: dict[int, int] = defaultdict(int)
        self.latency: dict[str, Histogram] = {}
        self.batch_windows = Histogram(BATCH_BUCKETS)
        self.batch_requests = Histogram(BATCH_BUCKETS)

    def request(self, path: str, method: str, code: int, seconds: float) -> None:
        route = path if path in ROUTES else ("/forecast/{series}" if path.startswith(
            "/forecast/") else "other")
        with self._lock:
            self.requests[(route, method, code)] += 1
            if code >= 400:
                self.errors[code] += 1
            if route not in self.latency:
                self.latency[route] = Histogram(LATENCY_BUCKETS)
            self.latency[route].observe(seconds)

    def batch(self, requests: int, windows: int) -> None:
        with self._lock:
            self.batch_requests.observe(requests)
            self.batch_windows.observe(windows)

    def text(self, series: int) -> str:
        """The Prometheus exposition (text format 0.0.4)."""
        with self._lock:
            lines = ["# HELP lstmcast_requests_total Requests answered.",
                     "# TYPE lstmcast_requests_total counter"]
            for (route, method, code), n in sorted(self.requests.items()):
                lines.append(f'lstmcast_requests_total{{path="{route}",method="{method}",'
                             f'code="{code}"}} {n}')
            lines += ["# HELP lstmcast_errors_total Answers with a 4xx or 5xx code.",
                      "# TYPE lstmcast_errors_total counter"]
            lines += [f'lstmcast_errors_total{{code="{c}"}} {n}'
                      for c, n in sorted(self.errors.items())]
            lines += ["# HELP lstmcast_request_seconds Time to answer a request.",
                      "# TYPE lstmcast_request_seconds histogram"]
            for route, hist in sorted(self.latency.items()):
                lines += hist.lines("lstmcast_request_seconds", f'path="{route}"')
            lines += ["# HELP lstmcast_batch_requests Requests in one network call.",
                      "# TYPE lstmcast_batch_requests histogram",
                      *self.batch_requests.lines("lstmcast_batch_requests"),
                      "# HELP lstmcast_batch_windows Windows in one network call.",
                      "# TYPE lstmcast_batch_windows histogram",
                      *self.batch_windows.lines("lstmcast_batch_windows")]
        lines += ["# HELP lstmcast_series Series with rows in the state.",
                  "# TYPE lstmcast_series gauge", f"lstmcast_series {series}"]
        return "\n".join(lines) + "\n"
