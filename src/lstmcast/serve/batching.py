"""Micro-batching: the windows of requests that arrive together go through one network call.

Requests queue up while the network is busy; when it is free, the batcher takes
every request waiting (up to ``max_requests``), prepares each (a stored series'
window kept in memory), runs all their windows through ``predict_window`` at
once, and hands each request its own forecasts. Nothing waits for a batch to
fill: a request alone goes at once, and a batch is whatever arrived during the
call before (measured on 2 cores: 7-11 requests per call at 16 clients, 30-32 at
64; docs/serve-figures.md). With batching off, each request gets its own
network call, in turn. The calls run on one thread beside the event loop
(torch's threads are set by the command: workers x threads at most the cores).

A job that reads a table or writes rows (``submit(job, quick=False)``: POST
/forecast, POST /observe; milliseconds of pandas and a disk commit) runs first
in a thread of its own, and only its windows join the queue: the stored series'
forecasts of other requests do not wait behind it.

Each call's requests and windows are counted in the metrics.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

import numpy as np

from lstmcast.forecast.window_predict import Prepared, finish_records, predict_window
from lstmcast.serve.metrics import Metrics

if TYPE_CHECKING:
    from lstmcast.forecast.forecaster import Forecaster

# a job: prepares one request's windows (in the batcher's thread); may raise
Job = Callable[[], list[Prepared]]
Records = list[dict[str, Any]]  # a request's forecast rows (``finish_records``)


class MicroBatcher:
    """Runs jobs' windows through the network, together when they arrive together.

    Args:
        forecaster: the fitted Forecaster.
        metrics: where batch sizes are counted.
        enabled: batch requests that wait together (False: one call per request).
        max_requests: the most requests in one call.
    """

    def __init__(self, forecaster: Forecaster, metrics: Metrics, enabled: bool = True,
                 max_requests: int = 64) -> None:
        self.forecaster = forecaster
        self.metrics = metrics
        self.enabled = enabled
        self.max_requests = max_requests if enabled else 1
        self.executor = ThreadPoolExecutor(1, thread_name_prefix="lstmcast-batch")
        self.preparer = ThreadPoolExecutor(1, thread_name_prefix="lstmcast-prepare")
        self.queue: asyncio.Queue | None = None
        self.task: asyncio.Task | None = None

    async def submit(self, job: Job, quick: bool = True) -> list[dict[str, Any]]:
        """The forecast records of a job's windows (its exception, if it raised one).

        ``quick``: the job takes microseconds (a window kept in memory) and runs in the
        batcher's thread just before the network call; otherwise it runs first in the
        preparing thread, and its windows then join the queue.
        """
        loop = asyncio.get_running_loop()
        if not quick:
            prepared = await loop.run_in_executor(self.preparer, job)
            job = lambda: prepared  # noqa: E731
        if self.task is None or self.task.done():
            self.queue = asyncio.Queue()
            self.task = loop.create_task(self._run())
        future = loop.create_future()
        self.queue.put_nowait((job, future))
        return await future

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            jobs = [await self.queue.get()]
            while len(jobs) < self.max_requests and not self.queue.empty():
                jobs.append(self.queue.get_nowait())
            try:
                results = await loop.run_in_executor(self.executor, self.compute,
                                                     [job for job, _ in jobs])
            except BaseException as exc:  # noqa: BLE001  (each waiting request hears it)
                results = [exc] * len(jobs)
            for (_, future), result in zip(jobs, results):
                if future.done():
                    continue
                if isinstance(result, BaseException):
                    future.set_exception(result)
                else:
                    future.set_result(result)

    def compute(self, jobs: list[Job]) -> list[Records | Exception | None]:
        """Each job's forecast records (or exception), through one network call."""
        results: list[Records | Exception | None] = [None] * len(jobs)
        ready: list[tuple[int, list[Prepared]]] = []
        for k, job in enumerate(jobs):
            try:
                ready.append((k, job()))
            except Exception as exc:  # the request's own error, answered to it alone
                results[k] = exc
        if not ready:
            return results
        windows = np.concatenate([p.windows for _, parts in ready for p in parts])
        outputs = predict_window(self.forecaster, windows)
        self.metrics.batch(len(ready), len(windows))
        offset = 0
        for k, parts in ready:
            rows: list[dict[str, Any]] = []
            for p in parts:
                mine = outputs[offset:offset + len(p.windows)]
                offset += len(p.windows)
                try:
                    rows += finish_records(self.forecaster, p, mine)
                except Exception as exc:
                    results[k] = exc
            if results[k] is None:
                results[k] = rows
        return results

    def close(self) -> None:
        if self.task is not None:
            self.task.cancel()
        self.executor.shutdown(wait=False)
        self.preparer.shutdown(wait=False)
