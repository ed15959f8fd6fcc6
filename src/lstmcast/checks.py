"""Argument checks that speak to the user (STYLE.md point 5).

Each check names the argument in backticks, shows the value received and says
what was expected, in Keras's idiom:
"Received an invalid value for argument `units`, expected a positive integer, got 0."
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable

from lstmcast.errors import InvalidArgumentError, InvalidTypeError


def invalid(name: str, expected: str, value: object) -> InvalidArgumentError:
    """Build the standard error for an argument with a bad value."""
    return InvalidArgumentError(
        f"Received an invalid value for argument `{name}`, expected {expected}, got {value!r}."
    )


def check_int(name: str, value: object, *, minimum: int = 1) -> int:
    """Return ``value`` as an int if it is an integer >= ``minimum``, else raise."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        if minimum == 1:
            expected = "a positive integer"
        else:
            expected = f"an integer >= {minimum}"
        if isinstance(value, numbers.Number) or value is None:
            raise invalid(name, expected, value)
        raise InvalidTypeError(
            f"Argument `{name}` must be {expected}, got {type(value).__name__} {value!r}."
        )
    if value < minimum:
        expected = "a positive integer" if minimum == 1 else f"an integer >= {minimum}"
        raise invalid(name, expected, value)
    return int(value)


def check_float(
    name: str,
    value: object,
    *,
    low: float,
    high: float = float("inf"),
    low_inclusive: bool = True,
    high_inclusive: bool = True,
) -> float:
    """Return ``value`` as a float inside the given interval, else raise."""
    left = "[" if low_inclusive else "("
    right = "]" if high_inclusive else ")"
    expected = f"a number in {left}{low}, {high}{right}"
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise invalid(name, expected, value)
    v = float(value)
    too_low = v < low if low_inclusive else v <= low
    too_high = v > high if high_inclusive else v >= high
    if too_low or too_high or v != v:
        raise invalid(name, expected, value)
    return v


def check_choice(name: str, value: object, choices: Iterable[str]) -> str:
    """Return ``value`` if it is one of ``choices`` (strings, exact spelling), else raise.

    Another case ("LSTM" for "lstm") is refused with the spelling to use, as Keras
    refuses it: a value accepted here is the value used.
    """
    options = list(choices)
    if isinstance(value, str) and value in options:
        return value
    listed = ", ".join(repr(c) for c in options)
    error = invalid(name, f"one of {listed}", value)
    if isinstance(value, str):
        same = [c for c in options if c.lower() == value.lower()]
        if same:
            error = InvalidArgumentError(f"{error} Write it {same[0]!r} (the exact spelling).")
    raise error


def check_bool(name: str, value: object) -> bool:
    """Return ``value`` if it is a bool, else raise."""
    if not isinstance(value, bool):
        raise invalid(name, "True or False", value)
    return value
