"""What the service accepts: a JSON body of records, checked before any model work.

Every refusal is a ``RequestError``: an HTTP status (4xx) and one line naming the
field, column or value, which the service answers as ``{"error": line}``. The
checks, in order: the body's size (``Limits.body_bytes``), JSON (strict: NaN and
Infinity are not JSON numbers), an object with known keys, each of ``rows`` and
``future`` a list of at most ``Limits.rows`` records, each record an object with
the columns the model reads (none missing, none unknown), numbers where the
model reads numbers (finite; true/false count as 1/0, as a CSV's flags do), a
time and a series id that are text or numbers. No pandas, no torch here.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

from lstmcast.tables import joined_columns
from lstmcast.tables.roles import Roles


class RequestError(Exception):
    """A request the service refuses: ``status`` (4xx) and a one-line ``message``."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = " ".join(message.split())


@dataclass(frozen=True)
class Limits:
    """Bounds on one request.

    Attributes:
        body_bytes: the largest body read (413 beyond it).
        rows: the most records in ``rows`` (and in ``future``) of one request (413).
    """

    body_bytes: int = 8 * 1024 * 1024
    rows: int = 20_000


def _constant(name: str) -> Any:
    raise RequestError(400, f"malformed JSON: {name} is not a JSON number; send finite "
                            "numbers (a missing value is not accepted either)")


def parse_body(raw: bytes, keys: tuple[str, ...], limits: Limits) -> dict[str, Any]:
    """The JSON object of a body, with only ``keys`` (the first is required)."""
    if len(raw) > limits.body_bytes:
        raise RequestError(413, f"the body has {len(raw)} bytes, more than the limit of "
                                f"{limits.body_bytes}; send fewer rows per request")
    try:
        body = json.loads(raw, parse_constant=_constant)
    except UnicodeDecodeError:
        raise RequestError(400, "malformed JSON: the body is not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise RequestError(400, f"malformed JSON: {exc.msg} at line {exc.lineno} column "
                                f"{exc.colno}") from None
    if not isinstance(body, dict):
        raise RequestError(400, f"the body must be a JSON object like {{\"{keys[0]}\": "
                                f"[...]}}, got a {_kind(body)}")
    unknown = [k for k in body if k not in keys]
    if unknown:
        raise RequestError(400, f"unknown field {unknown[0]!r} in the body; expected "
                                f"{', '.join(map(repr, keys))}")
    if keys[0] not in body:
        raise RequestError(400, f"the body has no field {keys[0]!r} (a list of records)")
    return body


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    return {dict: "JSON object", list: "list", str: "text", int: "number",
            float: "number"}.get(type(value), type(value).__name__)


def _shown(value: Any) -> str:
    """``null``, ``true``, or the kind and the start of the value: ``text "abc"``."""
    if value is None or isinstance(value, bool):
        return json.dumps(value)
    return f"{_kind(value)} {json.dumps(value)[:40]}"


@dataclass(frozen=True)
class Columns:
    """The columns of one kind of record: the required, the optional, and which are numbers.

    Attributes:
        what: the field's name in messages ("rows", "future").
        required: columns every record must hold.
        optional: columns a record may hold besides (a target a forecast does not read).
        labels: columns holding a time or a series id (text or numbers).
    """

    what: str
    required: tuple[str, ...]
    optional: tuple[str, ...] = ()
    labels: tuple[str, ...] = ()

    @classmethod
    def history(cls, roles: Roles) -> Columns:
        """The history's records: every column the model reads; the targets optional where
        the model does not read them (horizon 0: the target is what it forecasts)."""
        labels = _labels(roles)
        columns = [*labels, *(c for c in roles.columns() if c not in (roles.group, roles.time))]
        optional = () if roles.autoregressive else tuple(roles.target)
        return cls("rows", tuple(c for c in columns if c not in optional), optional, labels)

    @classmethod
    def future(cls, roles: Roles) -> Columns:
        """The future table's records: the series id, the time and the future columns."""
        labels = _labels(roles)
        return cls("future", (*labels, *roles.future), (), labels)


def _labels(roles: Roles) -> tuple[str, ...]:
    """The series id's columns (several for ``group="store,item"``), then the time's."""
    return tuple([*joined_columns.columns(roles.group), *joined_columns.columns(roles.time)])


def check_records(records: Any, columns: Columns, limits: Limits) -> list[dict[str, Any]]:
    """``records`` as a list of checked records (the same objects), or a RequestError."""
    what = columns.what
    if not isinstance(records, list):
        raise RequestError(400, f"`{what}` must be a list of records (JSON objects), got a "
                                f"{_kind(records)}")
    if not records:
        raise RequestError(422, f"`{what}` is empty; send at least one record")
    if len(records) > limits.rows:
        raise RequestError(413, f"`{what}` has {len(records)} records, more than the limit "
                                f"of {limits.rows} per request; send them in parts")
    allowed = {*columns.required, *columns.optional}
    first_keys = None
    for k, record in enumerate(records):
        if not isinstance(record, dict):
            raise RequestError(400, f"{what}[{k}] must be a JSON object, got a {_kind(record)}")
        keys = record.keys()
        if keys != first_keys:  # most records have the same keys: checked once
            missing = [c for c in columns.required if c not in keys]
            if missing:
                raise RequestError(422, f"{what}[{k}] has no column {missing[0]!r}; each "
                                        f"record needs {', '.join(map(repr, columns.required))}")
            extra = [c for c in keys if c not in allowed]
            if extra:
                reads = ", ".join(map(repr, sorted(allowed)))
                raise RequestError(422, f"{what}[{k}] has column {extra[0]!r}, which the model "
                                        f"does not read; it reads {reads}")
            first_keys = keys
        for name, value in record.items():
            _check_value(value, name, name in columns.labels, f"{what}[{k}]")
    return records


def _check_value(value: Any, name: str, label: bool, where: str) -> None:
    if label:
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            raise RequestError(422, f"{where}.{name} must be text or a number, got "
                                    f"{_shown(value)}")
        return
    if isinstance(value, bool):
        return
    if isinstance(value, (int, float)):
        if isinstance(value, float) and not math.isfinite(value):
            raise RequestError(422, f"{where}.{name} is {value}; send finite numbers")
        return
    raise RequestError(422, f"{where}.{name} must be a number, got {_shown(value)}")
