"""lstmcast.checks: each argument check accepts what it promises and refuses the rest with
Keras's one-line message (the argument in backticks, what was expected, what came)."""

import subprocess
import sys

import numpy as np
import pytest

from lstmcast.checks import check_bool, check_choice, check_float, check_int, invalid
from lstmcast.errors import InvalidArgumentError, InvalidTypeError, LstmcastError


def test_invalid_builds_the_keras_message():
    error = invalid("units", "a positive integer", 0)
    assert isinstance(error, InvalidArgumentError) and isinstance(error, ValueError)
    assert str(error) == ("Received an invalid value for argument `units`, expected a "
                          "positive integer, got 0.")
    assert str(invalid("name", "text", "x")).endswith("got 'x'.")  # the value's repr


@pytest.mark.parametrize(("value", "minimum", "expected"), [
    (1, 1, 1), (7, 1, 7), (0, 0, 0), (np.int64(5), 1, 5), (np.int32(3), 3, 3), (-2, -2, -2),
])
def test_check_int_returns_a_plain_int(value, minimum, expected):
    got = check_int("units", value, minimum=minimum)
    assert got == expected and type(got) is int


@pytest.mark.parametrize(("value", "minimum", "message"), [
    (0, 1, "Received an invalid value for argument `units`, expected a positive integer, "
           "got 0."),
    (-1, 0, "Received an invalid value for argument `units`, expected an integer >= 0, "
            "got -1."),
    (2.0, 1, "Received an invalid value for argument `units`, expected a positive integer, "
             "got 2.0."),
    (None, 1, "Received an invalid value for argument `units`, expected a positive integer, "
              "got None."),
    (True, 1, "Received an invalid value for argument `units`, expected a positive integer, "
              "got True."),
])
def test_check_int_refuses_values(value, minimum, message):
    with pytest.raises(InvalidArgumentError) as info:
        check_int("units", value, minimum=minimum)
    assert str(info.value) == message


def test_check_int_refuses_other_types_with_a_type_error():
    with pytest.raises(InvalidTypeError) as info:
        check_int("units", "8")
    assert isinstance(info.value, TypeError) and isinstance(info.value, LstmcastError)
    assert str(info.value) == "Argument `units` must be a positive integer, got str '8'."
    with pytest.raises(InvalidTypeError, match=r"must be an integer >= 2, got list \[3\]\."):
        check_int("window", [3], minimum=2)


def test_check_float_bounds_open_and_closed():
    assert check_float("dropout", 0, low=0, high=1) == 0.0
    assert check_float("dropout", 1, low=0, high=1) == 1.0
    assert type(check_float("dropout", np.float32(0.5), low=0, high=1)) is float
    with pytest.raises(InvalidArgumentError) as info:
        check_float("dropout", 1, low=0, high=1, high_inclusive=False)
    assert str(info.value) == ("Received an invalid value for argument `dropout`, expected a "
                               "number in [0, 1), got 1.")
    with pytest.raises(InvalidArgumentError, match=r"expected a number in \(0, inf\], got 0\."):
        check_float("learning_rate", 0, low=0, low_inclusive=False)
    with pytest.raises(InvalidArgumentError, match=r"in \[0, 1\], got 1\.5\."):
        check_float("dropout", 1.5, low=0, high=1)
    with pytest.raises(InvalidArgumentError, match=r"in \[0, 1\], got -0\.1\."):
        check_float("dropout", -0.1, low=0, high=1)


@pytest.mark.parametrize("value", [float("nan"), True, "0.5", None])
def test_check_float_refuses_nan_bools_and_text(value):
    with pytest.raises(InvalidArgumentError, match=r"argument `dropout`, expected a number in "
                                                   r"\[0, 1\], got "):
        check_float("dropout", value, low=0, high=1)


def test_check_choice_takes_the_exact_spelling_only():
    assert check_choice("cell", "lstm", ["lstm", "gru"]) == "lstm"
    with pytest.raises(InvalidArgumentError) as info:
        check_choice("cell", "rnn", ["lstm", "gru"])
    assert str(info.value) == ("Received an invalid value for argument `cell`, expected one "
                               "of 'lstm', 'gru', got 'rnn'.")
    with pytest.raises(InvalidArgumentError) as info:
        check_choice("cell", "LSTM", ("lstm", "gru"))
    assert str(info.value).endswith("got 'LSTM'. Write it 'lstm' (the exact spelling).")
    with pytest.raises(InvalidArgumentError, match="got 3.$"):
        check_choice("cell", 3, iter(["lstm"]))  # any iterable of choices


def test_check_bool():
    assert check_bool("shuffle", True) is True and check_bool("shuffle", False) is False
    for value in (1, 0, "yes", None, np.bool_(True)):
        with pytest.raises(InvalidArgumentError, match="argument `shuffle`, expected True or "
                                                       "False, got "):
            check_bool("shuffle", value)


def test_checks_load_no_torch():
    code = "import sys, lstmcast.checks; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"
