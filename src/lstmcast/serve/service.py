"""What the service does, apart from HTTP: forecasts of a posted table, observed rows kept
in the state, forecasts from the stored history.

- ``forecast(body)``: ``{"rows": [...], "future": [...]}`` -> the records ``lstmcast
  predict`` writes for that table (``--out forecast.json``: times in ISO 8601).
- ``observe(body)``: checks each series' new rows against its stored last row
  (time order, each time once), reads them with the model's pipeline together
  with the stored tail (an unknown series, a gap, a bad value: refused, nothing
  written), writes every series of the request in one transaction, and answers
  with the forecasts of the series touched.
- ``forecast_series(key)``: the forecast from the stored history (``_`` for a
  model without a series column).

Each series' prepared last window is kept in memory with the row count it was
read at (``cache``); another worker's write changes the count, and the window
is read again; the window keeps the forecast's labels (series id, step, times:
``window_predict.finish_records``), so a stored series' forecast costs one
SQLite lookup of its row count, its share of a network call, and its
unscaling. A window read again is read in the batcher's preparing thread, so the
network calls of other requests go on meanwhile. The network calls go through
the micro-batcher.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd

from lstmcast import __version__
from lstmcast.errors import LstmcastError, shown
from lstmcast.forecast.window_predict import Prepared, prepare_table
from lstmcast.serve.batching import MicroBatcher
from lstmcast.serve.schema import Columns, Limits, RequestError, check_records
from lstmcast.serve.state import Check, Store
from lstmcast.tables import frequency, joined_columns, timeline

if TYPE_CHECKING:
    from lstmcast.forecast.forecaster import Forecaster

ONE_SERIES = "_"  # the series of a model without a series column
RETRIES = 5  # a request whose series another writer moved on reads it again, this often


class Service:
    """A trained Forecaster with its state and its batcher (see the module docstring).

    Args:
        forecaster: the fitted Forecaster.
        store: the state (``lstmcast.serve.state.Store``).
        batcher: the micro-batcher running the network calls.
        limits: bounds on one request.
    """

    def __init__(self, forecaster: Forecaster, store: Store, batcher: MicroBatcher,
                 limits: Limits | None = None) -> None:
        self.forecaster = forecaster
        self.store = store
        self.batcher = batcher
        self.limits = limits or Limits()
        self.pipeline = forecaster.pipeline_.reading(forecaster.missing,
                                                     forecaster.time_format)
        self.roles = self.pipeline.roles
        self.history = Columns.history(self.roles)
        self.future = Columns.future(self.roles)
        self.keep = self.pipeline.window + 1  # stored rows read for a forecast
        self.cache: dict[str, tuple[int, Prepared]] = {}

    # -- what the model is -----------------------------------------------------------
    def model_info(self) -> dict[str, Any]:
        roles, pipeline = self.roles, self.pipeline
        intervals = self.forecaster.intervals_
        return {"targets": list(roles.target), "window": pipeline.window,
                "horizon": pipeline.horizon, "steps": pipeline.steps,
                "inputs": {"features": list(roles.features), "future": list(roles.future),
                           "static": list(roles.static), "calendar": list(roles.calendar),
                           "target_past": bool(roles.autoregressive)},
                "group": roles.group, "time": roles.time,
                "frequency": frequency.describe(pipeline.step) if roles.time else None,
                "quantiles": [] if intervals is None else list(intervals.levels),
                "columns": {"rows": list(self.history.required),
                            "rows_optional": list(self.history.optional),
                            "future": list(self.future.required) if roles.future else []},
                "limits": {"rows": self.limits.rows, "body_bytes": self.limits.body_bytes},
                "version": __version__}

    # -- a posted table --------------------------------------------------------------
    async def forecast(self, body: dict[str, Any]) -> list[dict[str, Any]]:
        rows = pd.DataFrame.from_records(check_records(body["rows"], self.history,
                                                       self.limits))
        future = self._future(body)
        return await self.batcher.submit(lambda: [prepare_table(self.forecaster, rows, future)],
                                         quick=False)

    def _future(self, body: dict[str, Any]) -> pd.DataFrame | None:
        if body.get("future") is None:
            return None
        if not self.roles.future:
            raise RequestError(422, "`future` was given, but this model reads no inputs known "
                                    "in advance")
        return pd.DataFrame.from_records(check_records(body["future"], self.future,
                                                       self.limits))

    # -- observed rows -----------------------------------------------------------------
    async def observe(self, body: dict[str, Any]) -> list[dict[str, Any]]:
        rows = check_records(body["rows"], self.history, self.limits)
        future = self._future(body)
        if self.roles.future and future is None:
            raise RequestError(422, f"this model reads inputs known in advance "
                                    f"({', '.join(self.roles.future)}): send their values "
                                    "for the rows to forecast as `future` with the rows")
        batches: dict[str, list[dict[str, Any]]] = {}
        for record in rows:
            batches.setdefault(self.key(record), []).append(record)
        return await self.batcher.submit(lambda: self._append(batches, future), quick=False)

    def key(self, record: dict[str, Any]) -> str:
        """The series id of a record, as text (``_`` without a series column)."""
        return (ONE_SERIES if self.roles.group is None
                else joined_columns.record_id(record, self.roles.group))

    def _append(self, batches: dict[str, list], future: pd.DataFrame | None
                ) -> list[Prepared]:
        """Check, read and write a request's rows; the series' prepared windows."""
        for _ in range(RETRIES):
            seen, prepared = {}, {}
            for key, records in batches.items():
                version, tail = self._tail(key)
                self.check_order(key, tail[-1] if tail else None, records)
                prepared[key] = self._prepare(key, tail + records, future)
                seen[key] = version
            try:
                versions = self.store.append(batches, self._unchanged(seen))
            except _Moved:
                continue
            for key, version in versions.items():
                self.cache[key] = (version, prepared[key])
            return list(prepared.values())
        raise RequestError(409, "the series changed under this request "
                                f"{RETRIES} times (other writers); send it again")

    def _tail(self, key: str) -> tuple[int, list[dict[str, Any]]]:
        try:
            return self.store.tail(key, self.keep)
        except RequestError:  # a new series
            return 0, []

    @staticmethod
    def _unchanged(seen: dict[str, int]) -> Check:
        def check(key: str, count: int, last: dict | None, records: list) -> None:
            if count != seen[key]:
                raise _Moved()
        return check

    def _prepare(self, key: str, records: list[dict[str, Any]], future: pd.DataFrame | None
                 ) -> Prepared:
        frame = pd.DataFrame.from_records(records)
        try:
            return prepare_table(self.forecaster, frame, future)
        except LstmcastError as exc:
            raise RequestError(422, f"series {key!r}: {exc}") from None

    def check_order(self, key: str, last: dict[str, Any] | None,
                    records: list[dict[str, Any]]) -> None:
        """Each time after the one before (the stored last row's first); RequestError 409
        naming the series and the time otherwise."""
        time = self.roles.time
        if time is None:
            return
        rows = ([last] if last else []) + records
        values = (joined_columns.join(pd.DataFrame.from_records(rows), None, time)[time].tolist()
                  if joined_columns.parts(time) else [r[time] for r in rows])  # "year,month"
        fmt = self.pipeline.read_format or self.pipeline.time_["format"]
        try:
            parsed, _ = timeline.parse_time(pd.Series(values), time, fmt)
        except LstmcastError as exc:
            raise RequestError(422, f"series {key!r}: {exc}") from None
        if parsed.dtype.kind == "M" and parsed.dt.tz is not None:
            parsed = parsed.dt.tz_convert("UTC")
        stamps = parsed.to_numpy()
        for k in range(1, len(stamps)):
            if not stamps[k] > stamps[k - 1]:
                what = "again" if stamps[k] == stamps[k - 1] else "before"
                after = "the last stored row" if last and k == 1 else "the row before"
                raise RequestError(409, f"series {key!r}: time {shown(values[k])} comes "
                                        f"{what} {shown(values[k - 1])} ({after}); rows must "
                                        "arrive in time order, each time once")

    # -- forecasts from the state ------------------------------------------------------
    async def forecast_series(self, key: str) -> list[dict[str, Any]]:
        if self.roles.future:
            raise RequestError(422, f"this model reads inputs known in advance "
                                    f"({', '.join(self.roles.future)}): POST the rows with "
                                    "their `future` values to /observe or /forecast")
        cached = self.cache.get(key)
        if cached is not None and cached[0] == self.store.version(key):  # microseconds
            return await self.batcher.submit(lambda: [cached[1]])
        # read from the state (a first request, or rows another worker wrote): milliseconds
        # of pandas, in the preparing thread
        return await self.batcher.submit(lambda: [self.stored(key)], quick=False)

    def stored(self, key: str) -> Prepared:
        """The series' prepared last window, read again when its row count moved."""
        version = self.store.version(key)
        cached = self.cache.get(key)
        if cached is not None and cached[0] == version:
            return cached[1]
        if version is None:
            raise RequestError(404, f"series {key!r} has no rows in the service's state; "
                                    "POST them to /observe first")
        version, tail = self.store.tail(key, self.keep)
        prepared = self._prepare(key, tail, None)
        self.cache[key] = (version, prepared)
        return prepared


class _Moved(Exception):
    """Another writer appended to a series between its read and this request's write."""
