"""Ctrl-C during a search, held back while the study's storage is writing.

Python raises KeyboardInterrupt between any two bytecodes. Landing inside
SQLAlchemy while it hands a connection back to its pool, it makes the pool log
``Exception during reset or similar`` with a traceback on stderr, and leaves that
write half done. ``outside_storage`` installs a SIGINT handler that raises at
once where the process is anywhere else (training, scoring) and, where it is
inside the storage's code, looks again every ``retry`` seconds until it has left.
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

# the code a KeyboardInterrupt must not land in: the database layer and Optuna's storages
STORAGE_CODE = (f"{os.sep}sqlalchemy{os.sep}", f"{os.sep}optuna{os.sep}storages{os.sep}")


def in_storage(frame: FrameType | None) -> bool:
    """Whether ``frame`` or a frame that called it runs the storage's code."""
    while frame is not None:
        if any(part in frame.f_code.co_filename for part in STORAGE_CODE):
            return True
        frame = frame.f_back
    return False


@contextmanager
def outside_storage(retry: float = 0.02) -> Iterator[None]:
    """Within the block, Ctrl-C (SIGINT) raises KeyboardInterrupt only outside the
    storage's code. Only in the main thread (where Python runs signal handlers); a
    no-op elsewhere, and where SIGINT is ignored. The handler before is restored on
    leaving."""
    if (threading.current_thread() is not threading.main_thread()
            or signal.getsignal(signal.SIGINT) is signal.SIG_IGN):
        yield
        return

    def handler(signum: int, frame: FrameType | None) -> None:
        if in_storage(frame):  # the same signal again once the write has had time to end
            threading.Timer(retry, os.kill, (os.getpid(), signal.SIGINT)).start()
            return
        raise KeyboardInterrupt

    before = signal.signal(signal.SIGINT, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, before)
