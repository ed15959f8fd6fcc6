"""lstmcast.errors: one base class over builtin kinds, values shown as the user wrote them,
sizes in words."""

import datetime

import numpy as np
import pandas as pd
import pytest

from lstmcast.errors import (
    ArtifactError,
    DataError,
    InvalidArgumentError,
    InvalidTypeError,
    LstmcastError,
    NotFittedError,
    TrainingError,
    shown,
    size_text,
)


@pytest.mark.parametrize(("cls", "builtins"), [
    (InvalidArgumentError, (ValueError,)),
    (InvalidTypeError, (TypeError,)),
    (NotFittedError, (ValueError, AttributeError)),
    (ArtifactError, (ValueError,)),
    (TrainingError, (RuntimeError,)),
    (DataError, (InvalidArgumentError, ValueError)),
])
def test_each_error_is_caught_by_the_base_and_by_its_builtin_kinds(cls, builtins):
    for kind in (LstmcastError, *builtins):
        with pytest.raises(kind, match="^the message$"):
            raise cls("the message")
    assert not issubclass(LstmcastError, (ValueError, TypeError, RuntimeError))


@pytest.mark.parametrize(("value", "text"), [
    ("a", "'a'"),
    (7, "7"),
    (np.int64(7), "7"),
    (7.0, "7"),
    (np.float64(2.5), "2.5"),
    (2.5, "2.5"),
    (pd.Timestamp("2024-01-31"), "2024-01-31"),
    (pd.Timestamp("2024-01-31 06:00"), "2024-01-31 06:00:00"),
    (np.datetime64("2024-01-31"), "2024-01-31"),
    (datetime.date(2024, 1, 31), "2024-01-31"),
    (datetime.datetime(2024, 1, 31, 0, 0), "2024-01-31"),
    (np.str_("b"), "'b'"),
    (None, "None"),
])
def test_shown_writes_values_as_the_user_wrote_them(value, text):
    assert shown(value) == text


@pytest.mark.parametrize(("n", "text"), [
    (0, "0 bytes"),
    (512, "512 bytes"),
    (1023, "1023 bytes"),
    (1024, "1.0 KiB"),
    (3 * 1024, "3.0 KiB"),
    (1.5 * 1024**3, "1.5 GiB"),
    (160 * 1024**4, "160.0 TiB"),
    (5 * 1024**5, "5120.0 TiB"),  # nothing past TiB
])
def test_size_text(n, text):
    assert size_text(n) == text
