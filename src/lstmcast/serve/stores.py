"""The state ``--state`` names: a PostgreSQL database (``postgres_state``) or a folder
holding an SQLite file (``state``); both offer append, version, tail, count, close."""

from __future__ import annotations

import hashlib
from pathlib import Path

from lstmcast.serve.postgres_state import PostgresStore, is_url
from lstmcast.serve.state import Store


def digest(path: str | Path) -> str:
    """The model file's SHA-256: what a state folder belongs to."""
    sha = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            sha.update(block)
    return sha.hexdigest()


def open_store(state: str | Path, model: str) -> Store | PostgresStore:
    """The state for ``--state``; ``model`` is the model file's digest it belongs to."""
    if is_url(str(state)):
        return PostgresStore(str(state), model)
    return Store(state, model)
