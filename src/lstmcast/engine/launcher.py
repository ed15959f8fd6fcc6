"""What a launcher (torchrun) told this process, read from its environment without torch:
a command that trains alone checks its arguments and its table before torch loads."""

from __future__ import annotations

import logging
import os
import sys


def launched() -> bool:
    """Whether this process was started by torchrun (or another launcher) with several ranks."""
    return int(os.environ.get("WORLD_SIZE", "1")) > 1


def end(code: int) -> None:
    """A process of a launched job that has loaded torch ends here with ``code``, once its
    output is flushed, without the interpreter's teardown: Gloo's threads, released while
    C++'s static objects are destroyed, can abort a process that finished its work
    (SIGABRT, "terminate called without an active exception"), and torchrun then fails
    the whole job. Anywhere else (one process, or torch never loaded) it returns."""
    if not launched() or "torch" not in sys.modules:
        return
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # closed, or its reader left
            pass
    os._exit(code)
