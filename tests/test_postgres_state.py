"""lstmcast.serve.postgres_state: the service's state in PostgreSQL, as in SQLite.

A throw-away PostgreSQL server is started for this module (initdb and pg_ctl from
the machine's PostgreSQL, on a free loopback port, run as the ``postgres`` user when
the tests run as root). Where there is no server to start or no psycopg, the module
is skipped with the reason.
"""

import glob
import multiprocessing
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pandas as pd
import pytest

from lstmcast.serve.schema import RequestError
from lstmcast.serve.state import StateError
from lstmcast.serve.stores import open_store

psycopg = pytest.importorskip("psycopg")
from lstmcast.serve.postgres_state import PostgresStore, is_url, shown  # noqa: E402


def _binaries() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    which = shutil.which("initdb")
    path = found[-1] if found else which
    return Path(path).parent if path else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server():
    """A PostgreSQL server on a free loopback port; its URL (database ``postgres``)."""
    bindir = _binaries()
    if bindir is None:
        pytest.skip("no PostgreSQL server binaries (initdb) on this machine")
    home = Path(tempfile.mkdtemp(prefix="lstmcast-pg-"))
    as_user: list[str] = []
    if os.geteuid() == 0:  # PostgreSQL refuses to run as root
        if shutil.which("runuser") is None:
            pytest.skip("running as root without runuser to start PostgreSQL as postgres")
        try:
            import pwd

            entry = pwd.getpwnam("postgres")
        except KeyError:
            pytest.skip("running as root and there is no postgres user")
        os.chown(home, entry.pw_uid, entry.pw_gid)
        as_user = ["runuser", "-u", "postgres", "--"]
    port, data = _free_port(), home / "data"
    init = subprocess.run([*as_user, str(bindir / "initdb"), "-D", str(data), "-A", "trust",
                           "-U", "lstmcast", "--no-sync"], capture_output=True, text=True)
    if init.returncode != 0:
        shutil.rmtree(home, ignore_errors=True)
        pytest.skip(f"initdb failed: {init.stderr.strip()[-300:]}")
    options = f"-p {port} -k {home} -c listen_addresses=127.0.0.1 -c fsync=off"
    start = subprocess.run([*as_user, str(bindir / "pg_ctl"), "-D", str(data), "-o", options,
                            "-l", str(home / "log"), "-w", "-t", "60", "start"],
                           capture_output=True, text=True)
    if start.returncode != 0:
        shutil.rmtree(home, ignore_errors=True)
        pytest.skip(f"PostgreSQL did not start: {start.stderr.strip()[-300:]}")
    try:
        yield f"postgresql://lstmcast@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run([*as_user, str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate",
                        "stop"], capture_output=True)
        shutil.rmtree(home, ignore_errors=True)


_databases = iter(range(10_000))


@pytest.fixture()
def url(server):
    """A fresh database for each test."""
    name = f"t{next(_databases)}_{os.getpid()}"
    with psycopg.connect(server, autocommit=True) as db:
        db.execute(f"CREATE DATABASE {name}")
    return server.rsplit("/", 1)[0] + "/" + name


def accept(key, count, last, records):
    pass


def test_urls_are_told_from_folders_and_passwords_are_not_shown():
    assert is_url("postgresql://u@h/db") and is_url("postgres://u:p@h:5432/db")
    assert not is_url("runs/state") and not is_url("/tmp/postgresql")
    assert shown("postgresql://me:secret@db.example:5432/x") == "postgresql://me:***@db.example:5432/x"
    assert shown("postgresql://me@h/x") == "postgresql://me@h/x"


def test_append_tail_version_count_as_in_sqlite(url):
    store = open_store(url, "digest-a")
    assert isinstance(store, PostgresStore)
    assert store.version("s1") is None and store.count() == 0
    rows = [{"t": k, "y": float(k)} for k in range(5)]
    assert store.append({"s1": rows[:3], "s2": [{"t": 0, "y": 9.0}]}, accept) == {"s1": 3,
                                                                                 "s2": 1}
    assert store.append({"s1": rows[3:]}, accept) == {"s1": 5}
    assert store.version("s1") == 5 and store.count() == 2
    assert store.tail("s1", 2) == (5, rows[3:])
    assert store.tail("s1", 100) == (5, rows)
    with pytest.raises(RequestError) as info:
        store.tail("nobody", 3)
    assert info.value.status == 404
    store.close()


def test_a_refused_request_writes_nothing(url):
    store = PostgresStore(url, "m")
    store.append({"a": [{"t": 1}], "b": [{"t": 1}]}, accept)

    def check(key, count, last, records):
        if records[0]["t"] <= last["t"]:
            raise RequestError(409, f"series {key!r}: time {records[0]['t']} is not after "
                                    f"{last['t']}")

    with pytest.raises(RequestError, match="series 'b'"):
        store.append({"a": [{"t": 2}], "b": [{"t": 1}]}, check)
    assert store.version("a") == 1 and store.tail("a", 5) == (1, [{"t": 1}])


def test_the_database_belongs_to_one_model_and_survives_reconnecting(url):
    first = PostgresStore(url, "0123456789abcdef-first")
    first.append({"s": [{"y": 1.5}]}, accept)
    first.close()
    again = PostgresStore(url, "0123456789abcdef-first")
    assert again.tail("s", 1) == (1, [{"y": 1.5}])
    again.close()
    with pytest.raises(StateError, match="holds the history of another model"):
        PostgresStore(url, "fedcba9876543210-other")


def test_an_unreachable_database_is_one_line():
    port = _free_port()  # nothing listens there
    with pytest.raises(StateError, match=r"cannot reach the state database "
                                         r"'postgresql://me:\*\*\*@127.0.0.1"):
        PostgresStore(f"postgresql://me:secret@127.0.0.1:{port}/db?connect_timeout=3", "m")


def _writer(url: str, tag: str, batches: int, out) -> None:
    store = PostgresStore(url, "m")
    for b in range(batches):
        store.append({"s": [{"tag": tag, "batch": b, "k": k} for k in range(4)]}, accept)
    store.close()
    out.put(tag)


def test_replicas_appending_to_one_series_never_interleave(url):
    PostgresStore(url, "m").close()
    ctx = multiprocessing.get_context("spawn")
    out = ctx.Queue()
    workers = [ctx.Process(target=_writer, args=(url, tag, 15, out)) for tag in "xyz"]
    started = time.perf_counter()
    for w in workers:
        w.start()
    for w in workers:
        w.join(120)
    assert sorted(out.get(timeout=5) for _ in workers) == ["x", "y", "z"]
    assert time.perf_counter() - started < 120
    count, rows = PostgresStore(url, "m").tail("s", 10_000)
    assert count == len(rows) == 3 * 15 * 4
    for start in range(0, len(rows), 4):  # every request's rows together, in order
        block = rows[start:start + 4]
        assert len({(r["tag"], r["batch"]) for r in block}) == 1
        assert [r["k"] for r in block] == [0, 1, 2, 3]


def test_the_service_on_postgres_answers_as_on_sqlite(url, tmp_path):
    from fastapi.testclient import TestClient
    from test_serve import _records, _sales, _train

    from lstmcast.serve.app import build

    run = _train(tmp_path / "run", _sales(), target="sales", group="store", time="day",
                 settings={"window": 6})
    history = pd.read_csv(tmp_path / "run.csv")
    answers = []
    for state in (url, str(tmp_path / "state")):
        with TestClient(build(str(run), state)) as client:
            first = client.post("/observe", json={"rows": _records(history.iloc[:60])})
            assert first.status_code == 200, first.text
            second = client.post("/observe", json={"rows": _records(history.iloc[60:])})
            assert second.status_code == 200, second.text
            stored = client.get("/forecast/b")
            assert stored.status_code == 200, stored.text
            answers.append((second.json(), stored.json()))
    assert answers[0] == answers[1]


def test_the_command_says_in_one_line_when_the_database_cannot_be_reached(tmp_path):
    from helpers import one_line_error, run_cli
    from test_serve import _sales, _train

    run = _train(tmp_path / "run", _sales(), target="sales", group="store", time="day",
                 settings={"window": 6})
    url = f"postgresql://me:secret@127.0.0.1:{_free_port()}/db?connect_timeout=3"
    done = run_cli("serve", run, "--state", url)
    one_line_error(done, "--state: cannot reach the state database 'postgresql://me:***@127")
    assert "secret" not in done.stderr + done.stdout
