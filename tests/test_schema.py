"""lstmcast.serve.schema: a request's JSON body and records, each refusal a status and one
line naming the field, column or value."""

import json

import pytest

from lstmcast.serve.schema import Columns, Limits, RequestError, check_records, parse_body
from lstmcast.tables.roles import Roles

KEYS = ("rows", "future")
ROLES = Roles(target=["sales"], features=["temp"], future=["promo"], static=["size"],
              group="store", time="day", autoregressive=True)


def refused(call, *args):
    with pytest.raises(RequestError) as info:
        call(*args)
    return info.value.status, info.value.message


def test_a_request_error_holds_one_line():
    error = RequestError(422, "first line\n   second   part ")
    assert (error.status, error.message) == (422, "first line second part")


def test_parse_body_takes_a_json_object_with_known_keys():
    body = parse_body(b'{"rows": [{"a": 1}]}', KEYS, Limits())
    assert body == {"rows": [{"a": 1}]}
    assert parse_body(b'{"rows": [], "future": []}', KEYS, Limits())["future"] == []


@pytest.mark.parametrize(("raw", "status", "message"), [
    (b"x" * 101, 413, "the body has 101 bytes, more than the limit of 100; send fewer rows "
                      "per request"),
    (b'{"rows": [1,', 400, "malformed JSON: Expecting value at line 1 column 13"),
    (b'{"rows": "\xff"}', 400, "malformed JSON: the body is not UTF-8 text"),
    (b'{"rows": [NaN]}', 400, "malformed JSON: NaN is not a JSON number; send finite numbers "
                              "(a missing value is not accepted either)"),
    (b'[{"a": 1}]', 400, 'the body must be a JSON object like {"rows": [...]}, got a list'),
    (b'"rows"', 400, 'the body must be a JSON object like {"rows": [...]}, got a text'),
    (b'{"rows": [], "extra": 1}', 400, "unknown field 'extra' in the body; expected 'rows', "
                                       "'future'"),
    (b'{"future": []}', 400, "the body has no field 'rows' (a list of records)"),
])
def test_parse_body_refusals(raw, status, message):
    assert refused(parse_body, raw, KEYS, Limits(body_bytes=100)) == (status, message)


def test_columns_of_the_history_and_the_future():
    history = Columns.history(ROLES)
    assert history == Columns("rows", ("store", "day", "sales", "temp", "promo", "size"), (),
                              ("store", "day"))
    direct = Roles(target=["rul"], features=["s1"], group="unit", time="cycle")  # horizon 0
    assert Columns.history(direct) == Columns("rows", ("unit", "cycle", "s1"), ("rul",),
                                              ("unit", "cycle"))
    assert Columns.future(ROLES) == Columns("future", ("store", "day", "promo"), (),
                                            ("store", "day"))


RECORD = {"store": "a", "day": "2024-01-01", "sales": 5, "temp": 20.5, "promo": True,
          "size": 3}


def test_check_records_returns_the_records_themselves():
    records = [dict(RECORD), dict(RECORD, day=20240102, store=7)]
    assert check_records(records, Columns.history(ROLES), Limits()) is records


@pytest.mark.parametrize(("records", "status", "message"), [
    ({"store": "a"}, 400, "`rows` must be a list of records (JSON objects), got a JSON object"),
    ([], 422, "`rows` is empty; send at least one record"),
    ([RECORD] * 4, 413, "`rows` has 4 records, more than the limit of 3 per request; send them "
                        "in parts"),
    ([RECORD, 5], 400, "rows[1] must be a JSON object, got a number"),
    ([RECORD, {k: v for k, v in RECORD.items() if k != "temp"}], 422,
     "rows[1] has no column 'temp'; each record needs 'store', 'day', 'sales', 'temp', "
     "'promo', 'size'"),
    ([dict(RECORD, price=1.0)], 422, "rows[0] has column 'price', which the model does not "
                                     "read; it reads 'day', 'promo', 'sales', 'size', 'store', "
                                     "'temp'"),
    ([RECORD, dict(RECORD, temp="warm")], 422, 'rows[1].temp must be a number, got text '
                                               '"warm"'),
    ([dict(RECORD, temp=None)], 422, "rows[0].temp must be a number, got null"),
    ([dict(RECORD, temp=float("inf"))], 422, "rows[0].temp is inf; send finite numbers"),
    ([dict(RECORD, store=None)], 422, "rows[0].store must be text or a number, got null"),
    ([dict(RECORD, day=True)], 422, "rows[0].day must be text or a number, got true"),
    ([dict(RECORD, day=[1, 2])], 422, "rows[0].day must be text or a number, got list "
                                      "[1, 2]"),
])
def test_check_records_refusals(records, status, message):
    assert refused(check_records, records, Columns.history(ROLES), Limits(rows=3)) == (status,
                                                                                      message)


def test_long_values_are_cut_in_the_message():
    status, message = refused(check_records, [dict(RECORD, temp="x" * 100)],
                              Columns.history(ROLES), Limits())
    assert status == 422 and message == f"rows[0].temp must be a number, got text " \
                                        f"{json.dumps('x' * 100)[:40]}"
    assert len(message) < 90


def test_the_future_s_records():
    future = Columns.future(ROLES)
    check_records([{"store": "a", "day": "2024-01-02", "promo": 0}], future, Limits())
    assert refused(check_records, [{"store": "a", "day": 1, "promo": 0, "sales": 3}], future,
                   Limits()) == (422, "future[0] has column 'sales', which the model does not "
                                      "read; it reads 'day', 'promo', 'store'")
