"""The service's state: each series' rows as they arrived, in SQLite (WAL mode).

One file, ``STATE/state.sqlite``. A request's rows are written in one
transaction begun with ``BEGIN IMMEDIATE`` (SQLite's write lock, held across
processes: ``--workers N`` share the file) and committed with
``synchronous=FULL`` before the service answers: a process killed at any
moment (kill -9) loses nothing it acknowledged, and keeps nothing it did not.
Two requests for the same series cannot interleave their rows: the second
waits for the first's commit, then checks its times against what is stored.

Tables: ``series`` (id, its row count = its version, its last time) and
``rows`` (id, position, the record as JSON). ``meta`` holds the model the state
belongs to: a state folder is not reused with another model.

Past one machine, replicas share a PostgreSQL database instead (``--state
postgresql://...``, ``lstmcast.serve.postgres_state``, the same interface);
``lstmcast.serve.stores.open_store`` picks one by what ``--state`` names.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from lstmcast.serve.schema import RequestError

FILE = "state.sqlite"
SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS series (id TEXT PRIMARY KEY, rows INTEGER NOT NULL,
                                   last TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS rows (id TEXT NOT NULL, position INTEGER NOT NULL,
                                 record TEXT NOT NULL, PRIMARY KEY (id, position))
                                 WITHOUT ROWID;
"""

# check(series id, its stored row count, its stored last record or None, the new records)
Check = Callable[[str, int, "dict | None", list], None]


class StateError(Exception):
    """The state folder cannot be used (another model's, unreadable)."""


class Store:
    """Each series' rows, appended in transactions (see the module docstring).

    Args:
        folder: the state folder (created if missing).
        model: what identifies the model (its file's digest): a state written for
            another model is refused.
    """

    def __init__(self, folder: str | Path, model: str) -> None:
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.path = self.folder / FILE
        self._local = threading.local()
        db = self._db()
        with db:
            db.executescript(SCHEMA)
        db.execute("BEGIN IMMEDIATE")
        try:
            row = db.execute("SELECT value FROM meta WHERE name = 'model'").fetchone()
            if row is None:
                db.execute("INSERT INTO meta VALUES ('model', ?)", (model,))
            elif row[0] != model:
                raise StateError(f"the state folder {str(self.folder)!r} holds the history of "
                                 f"another model (digest {row[0][:12]}, this one "
                                 f"{model[:12]}); give this model its own --state folder")
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

    def _db(self) -> sqlite3.Connection:
        """This thread's connection (SQLite connections are not shared across threads)."""
        db = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(self.path, timeout=60, isolation_level=None)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=FULL")  # the commit is on disk before we answer
            db.execute("PRAGMA busy_timeout=60000")
            self._local.db = db
        return db

    def append(self, batches: dict[str, list[dict[str, Any]]], check: Check
               ) -> dict[str, int]:
        """Append each series' new records in one transaction; their new row counts.

        ``check`` sees each series' row count, stored last record and new records inside the
        transaction (nothing can come between the check and the write); if it raises
        for any series, nothing of the request is written.
        """
        db = self._db()
        db.execute("BEGIN IMMEDIATE")
        try:
            versions = {}
            for key, records in batches.items():
                found = db.execute("SELECT rows, last FROM series WHERE id = ?",
                                   (key,)).fetchone()
                count, last = (0, None) if found is None else (found[0], json.loads(found[1]))
                check(key, count, last, records)
                db.executemany("INSERT INTO rows VALUES (?, ?, ?)",
                               [(key, count + k, json.dumps(r)) for k, r in enumerate(records)])
                versions[key] = count + len(records)
                db.execute("INSERT INTO series VALUES (?, ?, ?) ON CONFLICT(id) DO UPDATE SET "
                           "rows = excluded.rows, last = excluded.last",
                           (key, versions[key], json.dumps(records[-1])))
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        return versions

    def version(self, key: str) -> int | None:
        """The series' row count (None: no rows stored)."""
        found = self._db().execute("SELECT rows FROM series WHERE id = ?", (key,)).fetchone()
        return None if found is None else found[0]

    def tail(self, key: str, count: int) -> tuple[int, list[dict[str, Any]]]:
        """The series' row count and its last ``count`` records, oldest first (one read
        transaction: the two agree)."""
        db = self._db()
        db.execute("BEGIN")
        try:
            found = db.execute("SELECT rows FROM series WHERE id = ?", (key,)).fetchone()
            if found is None:
                raise RequestError(404, f"series {key!r} has no rows in the service's state; "
                                        "POST them to /observe first")
            rows = db.execute("SELECT record FROM rows WHERE id = ? AND position >= ? "
                              "ORDER BY position", (key, found[0] - count)).fetchall()
        finally:
            db.execute("COMMIT")
        return found[0], [json.loads(r[0]) for r in rows]

    def count(self) -> int:
        """Series with rows in the state."""
        return self._db().execute("SELECT count(*) FROM series").fetchone()[0]

    def close(self) -> None:
        db = getattr(self._local, "db", None)
        if db is not None:
            db.close()
            self._local.db = None
