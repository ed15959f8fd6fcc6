"""lstmcast's own exceptions: one base class, subclasses of the builtin kinds.

Every error a user can cause is raised as one of these, so that
``except lstmcast.LstmcastError`` catches them all while ``except ValueError``
and ``except TypeError`` keep working as they would with any Python library.
"""

from __future__ import annotations


def shown(value: object) -> str:
    """A value in a message as the user wrote it: 'a' (text in quotes), 7, 2024-01-31 or
    2024-01-31 06:00:00; not np.int64(7) nor Timestamp('2024-01-31 00:00:00')."""
    import datetime

    import numpy as np
    import pandas as pd

    if isinstance(value, np.datetime64):
        value = pd.Timestamp(value)
    elif isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, (datetime.datetime, datetime.date)):
        text = str(value)
        return text[:-9] if text.endswith(" 00:00:00") else text
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return repr(value) if isinstance(value, str) else str(value)


def size_text(n: float) -> str:
    """Bytes in words: 512 bytes, 3.0 KiB, 1.5 GiB, 160.0 TiB."""
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB"):
        if n < 1024 or unit == "TiB":
            return f"{n:.0f} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} TiB"


class LstmcastError(Exception):
    """Base class of every error lstmcast raises on purpose."""


class InvalidArgumentError(LstmcastError, ValueError):
    """An argument has a value lstmcast cannot use (out of range, wrong shape...)."""


class InvalidTypeError(LstmcastError, TypeError):
    """An argument has a type lstmcast cannot use."""


class NotFittedError(LstmcastError, ValueError, AttributeError):
    """A model was asked to predict, evaluate or save before it was built or fitted."""


class ArtifactError(LstmcastError, ValueError):
    """A saved model on disk is missing, truncated, corrupted or not lstmcast's."""


class TrainingError(LstmcastError, RuntimeError):
    """Training cannot go on (the loss became NaN or infinite); the last good weights are kept."""


class DataError(InvalidArgumentError):
    """A table lstmcast cannot use: missing or unreadable file, bad columns or values."""


class TimeError(InvalidArgumentError):
    """A time column that cannot be used: unparseable, ambiguous, mixed zones, gaps."""


class ShortSeriesError(DataError):
    """The rows given to train on are too few: a row, or no series as long as a window.
    The command line says which rows those were (the file's less those held out)."""
