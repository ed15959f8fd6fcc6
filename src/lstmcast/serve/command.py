"""``lstmcast serve RUN``: the command line of the service (no torch nor FastAPI here until
it starts)."""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
from typing import Any

from lstmcast.errors import InvalidArgumentError
from lstmcast.serve.postgres_state import is_url, shown

DESCRIPTION = (
    "Serve a trained run over HTTP (FastAPI on uvicorn): POST /forecast with a table's "
    "records gives what `lstmcast predict` writes for it; POST /observe appends each "
    "series' new rows to the history kept in the state folder (written to disk before the "
    "answer) and answers with their updated forecasts; GET /forecast/SERIES forecasts from "
    "the stored history (`_` without a series column). Also GET /health, /model, /metrics "
    "(Prometheus) and /docs (OpenAPI). Binds 127.0.0.1 unless --host says otherwise; put it "
    "behind a TLS reverse proxy to reach it from other machines (docs/serve.md).")
EPILOG = """examples:
  lstmcast serve runs/air                                    http://127.0.0.1:8000
  lstmcast serve runs/air --token-file token.txt --workers 2
  curl -s 127.0.0.1:8000/forecast/_
"""


def add_parser(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("serve", parents=[common], formatter_class=argparse.
                       RawDescriptionHelpFormatter, help="serve live forecasts over HTTP",
                       description=DESCRIPTION, epilog=EPILOG)
    p.add_argument("run", help="run folder")
    p.add_argument("--host", default="127.0.0.1", help="address to bind (127.0.0.1: this "
                   "machine only; 0.0.0.0: every interface, behind a proxy with TLS)")
    p.add_argument("--port", default="8000", help="port (8000)")
    p.add_argument("--state", metavar="DIR|URL", help="folder of the series' history "
                   "(created if missing; default RUN-state beside the run folder), or a "
                   "postgresql://user@host/db URL that replicas share")
    p.add_argument("--token-file", dest="token_file", metavar="FILE", help="a file holding "
                   "one token: every request but GET /health needs `Authorization: Bearer "
                   "TOKEN`")
    p.add_argument("--workers", default="1", metavar="N", help="processes sharing the port "
                   "and the state (1)")
    p.add_argument("--threads", default="1", metavar="N", help="torch threads per worker "
                   "(1; workers x threads at most the cores)")
    p.add_argument("--no-batching", dest="batching", action="store_false",
                   help="one network call per request (default: requests that arrive "
                   "together share one)")
    p.add_argument("--max-rows", dest="max_rows", default="20000", metavar="N",
                   help="most records in one request (20000)")
    p.set_defaults(handler=cmd_serve)


def _count(value: str, name: str, least: int = 1, most: int | None = None) -> int:
    try:
        number = int(value)
    except ValueError:
        number = None
    if number is None or number < least or (most is not None and number > most):
        bound = f"between {least} and {most}" if most else f"at least {least}"
        raise InvalidArgumentError(f"--{name} expects an integer {bound}, got {value!r}.")
    return number


def settings(args: argparse.Namespace) -> dict[str, Any]:
    """The service's settings from the command line, checked before anything starts."""
    from lstmcast.runs.folders import forecaster_file

    model = forecaster_file(args.run)  # its bytes checked, before torch
    if args.token_file is not None:
        read_token(args.token_file)  # a bad file is one line now, not in each worker
    if args.state and is_url(args.state):
        state = args.state
        _check_database(state, model)
    else:
        state = _state_folder(args)
    return {"run": str(Path(args.run).resolve()), "state": state,
            "token_file": None if args.token_file is None else str(Path(args.token_file)
                                                                    .resolve()),
            "batching": args.batching, "threads": _count(args.threads, "threads"),
            "limits": {"rows": _count(args.max_rows, "max-rows")}, "_model": str(model)}


def _state_folder(args: argparse.Namespace) -> str:
    """The state folder (default RUN-state), refused inside the run or over other files."""
    from lstmcast.runs.outputs import MODEL_FILE, OutputGuard
    from lstmcast.serve.state import FILE

    state = Path(args.state) if args.state else Path(f"{Path(args.run).resolve()}-state")
    folder = Path(args.run).resolve()
    if state.resolve() == folder or folder in state.resolve().parents:
        raise InvalidArgumentError(f"Refusing to write --state {str(state)!r}: it is inside the "
                                   f"run folder {args.run!r} (run folders are written whole "
                                   "by `lstmcast train`); give a folder beside it")
    ours = (state / FILE).exists()  # a state folder of ours: served again, as it is
    guard = OutputGuard(force=ours, reads=[(Path(args.run) / MODEL_FILE, "the model this "
                                            "command reads")])
    guard.check_folder(state, "--state", forceable=ours)
    return str(state.resolve())


def _check_database(url: str, model: Path) -> None:
    """The database is reachable and not another model's, before any worker starts."""
    from lstmcast.serve.postgres_state import PostgresStore
    from lstmcast.serve.state import StateError
    from lstmcast.serve.stores import digest

    try:
        PostgresStore(url, digest(model)).close()
    except StateError as exc:
        raise InvalidArgumentError(f"--state: {exc}") from None


def read_token(path: str | None) -> str | None:
    """The token in a file (its one line, spaces around it dropped), or None without a file."""
    if path is None:
        return None
    try:
        token = Path(path).read_text().strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidArgumentError(f"--token-file {path!r} cannot be read: {exc}") from None
    if "\n" in token or len(token) < 16:
        raise InvalidArgumentError(f"--token-file {path!r} must hold one token of at least "
                                   "16 characters on one line")
    return token


def cmd_serve(args: argparse.Namespace) -> int:
    try:
        import fastapi  # noqa: F401
        import uvicorn
    except ImportError as exc:
        raise InvalidArgumentError(f"lstmcast serve needs FastAPI and uvicorn ({exc.name} is "
                                   "not installed): pip install 'lstmcast[serve]'") from None
    chosen = settings(args)
    chosen.pop("_model")
    port = _count(args.port, "port", 1, 65535)
    workers = _count(args.workers, "workers")
    cores = os.cpu_count() or 1
    if workers * chosen["threads"] > cores:
        import warnings

        warnings.warn(f"--workers {workers} x --threads {chosen['threads']} is more than the "
                      f"{cores} cores: torch's threads spin when another holds a core",
                      stacklevel=1)
    os.environ["LSTMCAST_SERVE"] = json.dumps(chosen)
    if not args.quiet:
        plural = "s" if workers > 1 else ""
        print(f"lstmcast serve: {args.run} on http://{args.host}:{port} (state "
              f"{shown(chosen['state'])}, {workers} worker{plural})", flush=True)
    uvicorn.run("lstmcast.serve.app:from_environment", factory=True, host=args.host,
                port=port, workers=workers, log_level="warning" if args.quiet else "info",
                access_log=False)
    return 0
