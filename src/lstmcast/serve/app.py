"""The HTTP face of the service: FastAPI routes over ``Service``, the token, the metrics.

Routes: ``GET /health``, ``GET /model``, ``POST /forecast``, ``POST /observe``,
``GET /forecast/{series}``, ``GET /metrics``; the OpenAPI schema at ``/docs``.
Every refusal is ``{"error": one line}`` with a 4xx code; an unexpected failure
is a 500 with the same shape (and the traceback in the log).

``Gate``, an ASGI middleware in front of everything, checks the bearer token
(``--token-file``; every path but /health; compared in constant time), refuses
bodies announced over the size limit before reading them, and times and
counts every answer for ``/metrics``.

``build`` makes the app from a run folder; ``from_environment`` is the factory
uvicorn's worker processes call (``--workers N``), reading the same settings
from ``LSTMCAST_SERVE``.
"""

from __future__ import annotations

import contextlib
import gc
import hmac
import json
import logging
import os
import time
from collections.abc import AsyncIterator
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Receive, Scope, Send

from lstmcast.errors import LstmcastError
from lstmcast.serve.batching import MicroBatcher
from lstmcast.serve.command import read_token
from lstmcast.serve.metrics import Metrics
from lstmcast.serve.schema import Limits, RequestError, parse_body
from lstmcast.serve.service import Service
from lstmcast.serve.stores import digest, open_store

ENVIRONMENT = "LSTMCAST_SERVE"  # the settings, as JSON, for uvicorn's worker processes
OPEN_PATHS = ("/health",)
log = logging.getLogger("lstmcast.serve")


try:  # orjson writes a forecast's records ~10x faster than json (the serve extra has it)
    import orjson

    def _dumps(content: Any) -> bytes:
        return orjson.dumps(content, option=orjson.OPT_SERIALIZE_NUMPY)
except ImportError:  # pragma: no cover  (the stdlib: slower; a NaN is written NaN, not null)
    def _dumps(content: Any) -> bytes:
        return json.dumps(content, separators=(",", ":"), ensure_ascii=False).encode()


class Answer(Response):
    """A JSON answer written straight from Python values (no FastAPI encoding pass)."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return _dumps(content)


def _error(status: int, message: str, headers: dict | None = None) -> JSONResponse:
    return JSONResponse({"error": " ".join(str(message).split())}, status_code=status,
                        headers=headers)


class Gate:
    """ASGI middleware: the token, the announced body size, and the metrics."""

    def __init__(self, app: ASGIApp, metrics: Metrics, token: str | None, limits: Limits) -> None:
        self.app = app
        self.metrics = metrics
        self.token = None if token is None else token.encode()
        self.limits = limits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        started = time.perf_counter()
        status = {"code": 500}

        async def counted(message: dict) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        refusal = self.refusal(scope)
        try:
            if refusal is not None:
                await refusal(scope, receive, counted)
            else:
                await self.app(scope, receive, counted)
        finally:
            self.metrics.request(scope["path"], scope["method"], status["code"],
                                 time.perf_counter() - started)

    def refusal(self, scope: dict) -> JSONResponse | None:
        headers = dict(scope["headers"])
        if self.token is not None and scope["path"] not in OPEN_PATHS:
            given = headers.get(b"authorization", b"")
            scheme, _, value = given.partition(b" ")
            if scheme.lower() != b"bearer" or not hmac.compare_digest(value.strip(),
                                                                      self.token):
                return _error(401, "missing or wrong token: send the header "
                                   "`Authorization: Bearer <token>`",
                              {"WWW-Authenticate": "Bearer"})
        length = headers.get(b"content-length")
        if length is not None and length.isdigit() and int(length) > self.limits.body_bytes:
            return _error(413, f"the body has {int(length)} bytes, more than the limit of "
                               f"{self.limits.body_bytes}; send fewer rows per request")
        return None


async def _body(request: Request, limits: Limits) -> bytes:
    """The body, read no further than the size limit."""
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limits.body_bytes:
            raise RequestError(413, f"the body is more than the limit of {limits.body_bytes} "
                                    "bytes; send fewer rows per request")
        chunks.append(chunk)
    return b"".join(chunks)


ROWS_BODY = {"requestBody": {"required": True, "content": {"application/json": {"schema": {
    "type": "object", "required": ["rows"], "properties": {
        "rows": {"type": "array", "items": {"type": "object"},
                 "description": "records of the table (the columns GET /model lists)"},
        "future": {"type": "array", "items": {"type": "object"},
                   "description": "values of the inputs known in advance for the rows to "
                                  "forecast (series id, time and the future columns)"}}}}}}}


def create_app(service: Service, metrics: Metrics, token: str | None = None) -> FastAPI:
    """The FastAPI app of a ``Service`` (see the module docstring)."""
    limits = service.limits

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        service.batcher.close()

    app = FastAPI(title="lstmcast serve", version=service.model_info()["version"],
                  description="Live forecasts of a trained lstmcast run.", lifespan=lifespan)

    @app.exception_handler(RequestError)
    async def refused(request: Request, exc: RequestError) -> JSONResponse:
        return _error(exc.status, exc.message)

    @app.exception_handler(LstmcastError)
    async def unreadable(request: Request, exc: LstmcastError) -> JSONResponse:
        return _error(422, str(exc))  # the table, read as predict reads it, says what is wrong

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> JSONResponse:
        return _error(exc.status_code, f"{exc.detail}: {request.method} {request.url.path}")

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", ()))
        return _error(422, f"{where}: {first.get('msg', 'invalid request')}")

    @app.exception_handler(Exception)
    async def failed(request: Request, exc: Exception) -> JSONResponse:
        log.exception("%s %s failed", request.method, request.url.path)
        return _error(500, f"internal error ({type(exc).__name__}); the log has the details")

    @app.get("/health")
    async def health() -> dict:
        return {"status": "ok"}

    @app.get("/model")
    async def model() -> dict:
        return service.model_info()

    @app.post("/forecast", openapi_extra=ROWS_BODY, response_class=Answer)
    async def forecast(request: Request) -> Answer:
        body = parse_body(await _body(request, limits), ("rows", "future"), limits)
        return Answer({"forecast": await service.forecast(body)})

    @app.post("/observe", openapi_extra=ROWS_BODY, response_class=Answer)
    async def observe(request: Request) -> Answer:
        body = parse_body(await _body(request, limits), ("rows", "future"), limits)
        forecast = await service.observe(body)
        return Answer({"observed": len(body["rows"]), "forecast": forecast})

    @app.get("/forecast/{series}", response_class=Answer)
    async def forecast_series(series: str) -> Answer:
        return Answer({"forecast": await service.forecast_series(series)})

    @app.get("/metrics", response_class=PlainTextResponse)
    async def prometheus() -> PlainTextResponse:
        return PlainTextResponse(metrics.text(service.store.count()),
                                 media_type="text/plain; version=0.0.4")

    app.add_middleware(Gate, metrics=metrics, token=token, limits=limits)
    app.state.service = service
    return app


def build(run: str, state: str, token: str | None = None, batching: bool = True,
          threads: int = 1, limits: Limits | None = None) -> FastAPI:
    """The service's app for a run folder, its state in folder ``state`` (or the
    PostgreSQL database it names: ``postgresql://...``)."""
    import torch

    from lstmcast.forecast.forecaster import Forecaster
    from lstmcast.runs.folders import run_file

    torch.set_num_threads(threads)
    model_file = run_file(run, "forecaster.lstmcast")
    forecaster = Forecaster.load(model_file, device="cpu")
    metrics = Metrics()
    store = open_store(state, digest(model_file))
    batcher = MicroBatcher(forecaster, metrics, enabled=batching)
    service = Service(forecaster, store, batcher, limits)
    return create_app(service, metrics, token)


def from_environment() -> FastAPI:
    """uvicorn's factory in each worker process: ``build`` with ``LSTMCAST_SERVE``'s settings."""
    settings = json.loads(os.environ[ENVIRONMENT])
    limits = Limits(**settings.pop("limits", {}))
    token_file = settings.pop("token_file", None)
    app = build(**settings, token=read_token(token_file), limits=limits)
    # torch, pandas and the model are hundreds of thousands of objects that live as long
    # as the process: frozen out of the collector's sight, its full passes no longer stop
    # every request for ~130 ms (the p99 at 64 clients was that pause, measured)
    gc.collect()
    gc.freeze()
    return app

