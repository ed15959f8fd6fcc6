"""What a launcher (torchrun) told this process, read from its environment without torch:
a command that trains alone checks its arguments and its table before torch loads."""

from __future__ import annotations

import os


def launched() -> bool:
    """Whether this process was started by torchrun (or another launcher) with several ranks."""
    return int(os.environ.get("WORLD_SIZE", "1")) > 1
