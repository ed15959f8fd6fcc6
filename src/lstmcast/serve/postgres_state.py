"""The service's state in PostgreSQL: replicas on several machines share one database.

``lstmcast serve RUN --state postgresql://user@host/db`` keeps each series' rows
in three tables of that database (``lstmcast_meta``, ``lstmcast_series``,
``lstmcast_rows``), with the same guarantees as the SQLite state
(``lstmcast.serve.state``):

- a request's rows are written in one transaction, committed before the service
  answers (PostgreSQL's commit is durable: ``synchronous_commit`` on, its default);
- two requests for the same series never interleave: each transaction takes a
  transaction-level advisory lock per series it writes, in a fixed order (no
  deadlock between two requests that touch the same series), and checks the
  stored last time after taking it;
- a database written for another model is refused (``lstmcast_meta``).

One database (or one schema, chosen in the URL: ``?options=-csearch_path%3Dname``)
per model. Needs psycopg 3 (``pip install "psycopg[binary]"``).
"""

from __future__ import annotations

import json
import threading
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from lstmcast.serve.schema import RequestError
from lstmcast.serve.state import Check, StateError

SCHEMA = """
CREATE TABLE IF NOT EXISTS lstmcast_meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS lstmcast_series (id TEXT PRIMARY KEY, rows BIGINT NOT NULL,
                                            last TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS lstmcast_rows (id TEXT NOT NULL, position BIGINT NOT NULL,
                                          record TEXT NOT NULL, PRIMARY KEY (id, position));
"""


def is_url(state: str) -> bool:
    """Whether ``--state`` names a PostgreSQL database rather than a folder."""
    return str(state).startswith(("postgresql://", "postgres://"))


def shown(url: str) -> str:
    """The URL without its password, to print."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{parts.username}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


class PostgresStore:
    """Each series' rows in a PostgreSQL database; the interface of ``state.Store``.

    Args:
        url: ``postgresql://user:password@host:port/database``.
        model: what identifies the model (its file's digest): a database written for
            another model is refused.
    """

    def __init__(self, url: str, model: str) -> None:
        try:
            import psycopg
        except ImportError as exc:
            raise StateError('--state as a PostgreSQL URL needs psycopg 3: pip install '
                             '"psycopg[binary]"') from exc
        self._psycopg = psycopg
        self.url, self.folder = url, shown(url)
        self._local = threading.local()
        db = self._db()
        with db.transaction():
            db.execute("SELECT pg_advisory_xact_lock(0)")  # replicas starting together
            db.execute(SCHEMA)
            row = db.execute("SELECT value FROM lstmcast_meta WHERE name = 'model'").fetchone()
            if row is None:
                db.execute("INSERT INTO lstmcast_meta VALUES ('model', %s)", (model,))
            elif row[0] != model:
                raise StateError(f"the database {self.folder!r} holds the history of another "
                                 f"model (digest {row[0][:12]}, this one {model[:12]}); give "
                                 "this model its own database or schema")

    def _db(self) -> Any:
        """This thread's connection."""
        db = getattr(self._local, "db", None)
        if db is None or db.closed:
            try:
                db = self._psycopg.connect(self.url, autocommit=True)
            except self._psycopg.OperationalError as exc:
                first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc)
                raise StateError(f"cannot reach the state database {self.folder!r}: "
                                 f"{first}") from None
            self._local.db = db
        return db

    def append(self, batches: dict[str, list[dict[str, Any]]], check: Check
               ) -> dict[str, int]:
        """As ``state.Store.append``: one transaction; nothing written if ``check`` raises."""
        db = self._db()
        versions = {}
        with db.transaction():
            for key in sorted(batches):  # one order for every request: no deadlock
                db.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", (key,))
            for key, records in batches.items():
                found = db.execute("SELECT rows, last FROM lstmcast_series WHERE id = %s",
                                   (key,)).fetchone()
                count, last = (0, None) if found is None else (found[0], json.loads(found[1]))
                check(key, count, last, records)
                with db.cursor() as cursor:
                    cursor.executemany("INSERT INTO lstmcast_rows VALUES (%s, %s, %s)",
                                       [(key, count + k, json.dumps(r))
                                        for k, r in enumerate(records)])
                versions[key] = count + len(records)
                db.execute("INSERT INTO lstmcast_series VALUES (%s, %s, %s) ON CONFLICT (id) "
                           "DO UPDATE SET rows = excluded.rows, last = excluded.last",
                           (key, versions[key], json.dumps(records[-1])))
        return versions

    def version(self, key: str) -> int | None:
        """The series' row count (None: no rows stored)."""
        found = self._db().execute("SELECT rows FROM lstmcast_series WHERE id = %s",
                                   (key,)).fetchone()
        return None if found is None else found[0]

    def tail(self, key: str, count: int) -> tuple[int, list[dict[str, Any]]]:
        """The series' row count and its last ``count`` records, oldest first (one
        snapshot: the two agree)."""
        db = self._db()
        with db.transaction():
            db.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            found = db.execute("SELECT rows FROM lstmcast_series WHERE id = %s",
                               (key,)).fetchone()
            if found is None:
                raise RequestError(404, f"series {key!r} has no rows in the service's state; "
                                        "POST them to /observe first")
            rows = db.execute("SELECT record FROM lstmcast_rows WHERE id = %s AND position >= %s "
                              "ORDER BY position", (key, found[0] - count)).fetchall()
        return found[0], [json.loads(r[0]) for r in rows]

    def count(self) -> int:
        """Series with rows in the state."""
        return self._db().execute("SELECT count(*) FROM lstmcast_series").fetchone()[0]

    def close(self) -> None:
        db = getattr(self._local, "db", None)
        if db is not None:
            db.close()
            self._local.db = None
