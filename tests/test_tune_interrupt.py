"""Ctrl-C during a search waits for a write to the study's database to end.

Each case runs in a fresh process: it sends SIGINT to itself, and a pytest worker
must not receive one."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap

from lstmcast.forecast.tune.interrupt import in_storage, outside_storage

# a Ctrl-C landing while SQLAlchemy's pool resets a connection it takes back: the pool's
# "reset" event runs inside that reset, and the listener sends SIGINT once from there
SCRIPT = textwrap.dedent("""
    import os, signal, sys, time
    from contextlib import nullcontext

    import sqlalchemy as sa
    from sqlalchemy import event

    from lstmcast.forecast.tune.interrupt import outside_storage

    engine = sa.create_engine("sqlite:///" + sys.argv[2])
    sent = []

    @event.listens_for(engine, "reset")
    def on_reset(dbapi_connection, record, reset_state):
        if not sent:
            sent.append(1)
            os.kill(os.getpid(), signal.SIGINT)
            end = time.time() + 0.2
            while time.time() < end:  # time for the signal to land here
                pass

    where = "in the write"
    try:
        with outside_storage() if sys.argv[1] == "guard" else nullcontext():
            with engine.connect() as connection:
                connection.execute(sa.text("select 1"))
            where = "after the write"
            time.sleep(5)
            where = "never"
    except KeyboardInterrupt:
        print("interrupted", where)
    engine.dispose()
""")


def interrupted(tmp_path, mode):
    script = tmp_path / "reset.py"
    script.write_text(SCRIPT)
    return subprocess.run([sys.executable, str(script), mode, str(tmp_path / f"{mode}.db")],
                          capture_output=True, text=True, timeout=60)


def test_ctrl_c_in_a_database_write_is_raised_once_the_write_has_ended(tmp_path):
    result = interrupted(tmp_path, "guard")
    assert result.stdout.strip() == "interrupted after the write", result
    assert result.stderr == "", result.stderr


def test_without_it_the_pool_prints_a_traceback(tmp_path):
    # what the guard prevents, seen here so that the case above keeps testing something
    result = interrupted(tmp_path, "plain")
    assert result.stdout.strip() == "interrupted in the write", result
    assert "Exception during reset or similar" in result.stderr
    assert "Traceback" in result.stderr


def test_ctrl_c_elsewhere_is_raised_at_once_and_the_handler_is_restored(tmp_path):
    script = tmp_path / "elsewhere.py"
    script.write_text(textwrap.dedent("""
        import os, signal, time
        from lstmcast.forecast.tune.interrupt import outside_storage

        before = signal.getsignal(signal.SIGINT)
        where = "before"
        try:
            with outside_storage():
                end = time.time() + 2
                os.kill(os.getpid(), signal.SIGINT)
                while time.time() < end:
                    pass
                where = "late"
        except KeyboardInterrupt:
            print("interrupted", where, time.time() < end)
        print("restored", signal.getsignal(signal.SIGINT) is before)
    """))
    result = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                            timeout=60)
    assert result.stdout.split("\n")[:2] == ["interrupted before True", "restored True"], result


def code_in(filename, body):
    namespace: dict = {}
    exec(compile(textwrap.dedent(body), filename, "exec"), namespace)
    return namespace


def test_in_storage_looks_at_the_frame_and_those_that_called_it():
    here = code_in("/x/app/job.py", """
        import sys
        def frame(call=None):
            return call() if call else sys._getframe()
    """)["frame"]
    pool = code_in("/x/site-packages/sqlalchemy/pool/base.py", """
        def checkin(call):
            return call()
    """)["checkin"]
    storage = code_in("/x/site-packages/optuna/storages/_rdb/storage.py", """
        import sys
        def write():
            return sys._getframe()
    """)["write"]
    assert not in_storage(here())
    assert in_storage(pool(here))  # the listener's frame, called by the pool
    assert in_storage(storage())
    assert not in_storage(None)


def test_a_no_op_where_sigint_is_ignored():
    before = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        with outside_storage():
            assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
    finally:
        signal.signal(signal.SIGINT, before)
