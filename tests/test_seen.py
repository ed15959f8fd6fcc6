"""lstmcast.tables.seen: the rows a model was trained on, matched series by series."""

import json

import numpy as np
import pandas as pd

from lstmcast.tables.seen import SeenRows
from lstmcast.tables.windows import segments

COLUMNS = ["store", "day", "sales"]


def panel(lengths, shift=None):
    """Stores with ``lengths`` rows each; ``shift``: {store: (row, delta)} changes a value."""
    parts = []
    for store, n in lengths.items():
        part = pd.DataFrame({"store": store, "day": np.arange(n),
                             "sales": 10.0 + np.arange(n) * 0.37 + ord(store)})
        if shift and store in shift:
            row, delta = shift[store]
            part.loc[row, "sales"] += delta
        parts.append(part)
    return pd.concat(parts, ignore_index=True)


def fitted(frame):
    ids = frame["store"].to_numpy()
    return SeenRows(COLUMNS).fit(frame, ids, segments(ids, len(ids)))


def first_new(seen, frame):
    ids = frame["store"].to_numpy()
    return seen.first_new_rows(frame, ids, segments(ids, len(ids)))


def test_extended_seen_new_and_changed_series():
    seen = fitted(panel({"a": 10, "b": 8, "d": 6}))
    frame = panel({"a": 13, "b": 8, "c": 5, "d": 6}, shift={"d": (2, 1.0)})
    first, counts = first_new(seen, frame)
    assert counts == {"extended": 1, "seen": 1, "new": 2}
    # a: rows 0-12, its 10 training rows known: new from row 10
    # b: rows 13-20, all trained on: first new row is past its end (21)
    # c: rows 21-25, never seen: new from its first row; d: rows 26-31, a value differs
    expected = [10] * 13 + [21] * 8 + [21] * 5 + [26] * 6
    assert first.tolist() == expected and first.dtype == np.int64


def test_a_series_shorter_than_its_training_rows_is_new():
    seen = fitted(panel({"a": 10}))
    first, counts = first_new(seen, panel({"a": 7}))
    assert counts == {"extended": 0, "seen": 0, "new": 1}
    assert first.tolist() == [0] * 7


def test_floats_match_at_float32_precision():
    seen = fitted(panel({"a": 10}))
    _, counts = first_new(seen, panel({"a": 10}, shift={"a": (4, 1e-12)}))  # a CSV round trip
    assert counts["seen"] == 1
    _, counts = first_new(seen, panel({"a": 10}, shift={"a": (4, 1e-3)}))  # another value
    assert counts["new"] == 1


def test_a_table_without_a_recorded_column_is_all_new():
    seen = fitted(panel({"a": 10}))
    frame = panel({"a": 12}).drop(columns="day")
    first, counts = first_new(seen, frame)
    assert counts == {"extended": 0, "seen": 0, "new": 1}
    assert first.tolist() == [0] * 12


def test_series_ids_match_however_they_were_stored():
    frame = pd.DataFrame({"store": [7] * 4, "day": range(4), "sales": [1.0, 2, 3, 4]})
    seen = SeenRows(COLUMNS).fit(frame, frame["store"].to_numpy(), [(0, 4)])
    longer = pd.DataFrame({"store": [7] * 5, "day": range(5), "sales": [1.0, 2, 3, 4, 5]})
    first, counts = seen.first_new_rows(longer, np.array(["7"] * 5, dtype=object), [(0, 5)])
    assert counts["extended"] == 1 and first.tolist() == [4] * 5
    first, counts = seen.first_new_rows(longer, np.full(5, 7.0), [(0, 5)])  # 7.0 is 7
    assert counts["extended"] == 1 and first.tolist() == [4] * 5


def test_update_adds_shards_and_returns_their_digest():
    whole = panel({"a": 10, "b": 8})
    ids = whole["store"].to_numpy()
    seen = SeenRows(COLUMNS).fit(whole.iloc[:0], ids[:0], [])
    part_a, part_b = whole.iloc[:10], whole.iloc[10:].reset_index(drop=True)
    digest_a = seen.update(part_a, ids[:10], [(0, 10)])
    digest_b = seen.update(part_b, ids[10:], [(0, 8)])
    assert digest_a != digest_b and len(digest_a) == 16
    assert seen.update(part_a, ids[:10], [(0, 10)]) == digest_a  # the same rows, the same
    _, counts = first_new(seen, panel({"a": 11, "b": 8}))
    assert counts == {"extended": 1, "seen": 1, "new": 0}  # as if fitted on the whole table


def test_refit_forgets_the_earlier_series():
    seen = fitted(panel({"a": 10}))
    seen.fit(panel({"b": 5}), np.array(["b"] * 5), [(0, 5)])
    _, counts = first_new(seen, panel({"a": 10}))
    assert counts["new"] == 1


def test_config_survives_json():
    seen = fitted(panel({"a": 10, "b": 8}))
    again = SeenRows.from_config(json.loads(json.dumps(seen.get_config())))
    frame = panel({"a": 12, "b": 8, "c": 3})
    np.testing.assert_array_equal(first_new(again, frame)[0], first_new(seen, frame)[0])
    assert first_new(again, frame)[1] == {"extended": 1, "seen": 1, "new": 1}
