"""lstmcast.serve.state: each series' rows in SQLite, appended whole or not at all."""

import pytest

from lstmcast.serve.schema import RequestError
from lstmcast.serve.state import FILE, StateError, Store


def accept(key, count, last, records):
    pass


def test_append_then_tail_and_version(tmp_path):
    store = Store(tmp_path / "state", model="digest-a")
    assert (tmp_path / "state" / FILE).is_file()
    assert store.version("s1") is None and store.count() == 0
    rows = [{"t": k, "y": float(k)} for k in range(5)]
    assert store.append({"s1": rows[:3], "s2": [{"t": 0, "y": 9.0}]}, accept) == {"s1": 3,
                                                                                 "s2": 1}
    assert store.append({"s1": rows[3:]}, accept) == {"s1": 5}
    assert store.version("s1") == 5 and store.count() == 2
    assert store.tail("s1", 2) == (5, rows[3:])  # the last two, oldest first
    assert store.tail("s1", 100) == (5, rows)  # all there are
    store.close()


def test_check_sees_the_stored_state_and_a_refusal_writes_nothing(tmp_path):
    store = Store(tmp_path, model="m")
    store.append({"a": [{"t": 1}], "b": [{"t": 1}]}, accept)
    seen = []

    def check(key, count, last, records):
        seen.append((key, count, last, records))
        if key == "b" and records[0]["t"] <= last["t"]:
            raise RequestError(409, f"series {key!r}: time {records[0]['t']} is not after "
                                    f"{last['t']}")

    with pytest.raises(RequestError) as info:
        store.append({"a": [{"t": 2}], "b": [{"t": 1}]}, check)
    assert (info.value.status, info.value.message) == (409, "series 'b': time 1 is not after 1")
    assert seen == [("a", 1, {"t": 1}, [{"t": 2}]), ("b", 1, {"t": 1}, [{"t": 1}])]
    assert store.version("a") == 1  # a's rows, checked fine, were rolled back with b's
    assert store.tail("a", 5) == (1, [{"t": 1}])
    store.append({"new": [{"t": 0}]}, check)
    assert seen[-1] == ("new", 0, None, [{"t": 0}])


def test_an_unknown_series_is_a_404(tmp_path):
    store = Store(tmp_path, model="m")
    with pytest.raises(RequestError) as info:
        store.tail("nobody", 3)
    assert info.value.status == 404
    assert info.value.message == ("series 'nobody' has no rows in the service's state; POST "
                                  "them to /observe first")


def test_the_state_persists_and_belongs_to_one_model(tmp_path):
    first = Store(tmp_path, model="0123456789abcdef-first")
    first.append({"s": [{"y": 1.5}]}, accept)
    first.close()
    again = Store(tmp_path, model="0123456789abcdef-first")  # reopened: the rows are there
    assert again.tail("s", 1) == (1, [{"y": 1.5}])
    again.close()
    with pytest.raises(StateError) as info:
        Store(tmp_path, model="fedcba9876543210-other")
    assert str(info.value) == (f"the state folder {str(tmp_path)!r} holds the history of "
                               "another model (digest 0123456789ab, this one fedcba987654); "
                               "give this model its own --state folder")


def test_two_stores_on_one_file_see_each_other_s_commits(tmp_path):
    one, two = Store(tmp_path, model="m"), Store(tmp_path, model="m")  # two workers
    one.append({"s": [{"t": 1}]}, accept)
    assert two.append({"s": [{"t": 2}]}, accept) == {"s": 2}  # counted from one's commit
    assert one.tail("s", 5) == (2, [{"t": 1}, {"t": 2}])
