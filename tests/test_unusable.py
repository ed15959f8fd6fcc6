"""lstmcast.tables.unusable: the series a missing-value policy would leave nothing to train
on, found before training, against tables whose blanks are written out by hand."""

import numpy as np
import pandas as pd
import pytest

from lstmcast.tables.roles import Roles
from lstmcast.tables.unusable import leave_out_unusable


def table():
    """Four series of 10 rows: 'a' complete; 'b' with its input blank in its first 8 rows;
    'c' with its target blank in its first 8; 'd' with a blank input in every other row."""
    rows = []
    for g in "abcd":
        t = np.arange(10)
        rows.append(pd.DataFrame({"g": g, "t": t, "x": t * 1.0, "y": 10.0 + t}))
    frame = pd.concat(rows, ignore_index=True)
    frame.loc[(frame.g == "b") & (frame.t < 8), "x"] = np.nan
    frame.loc[(frame.g == "c") & (frame.t < 8), "y"] = np.nan
    frame.loc[(frame.g == "d") & (frame.t % 2 == 1), "x"] = np.nan
    return frame


ROLES = Roles(target=["y"], features=["x"], group="g", time="t")


@pytest.mark.parametrize("policy", ["ffill", "interpolate"])
def test_a_column_blank_in_every_training_row_leaves_the_series_out(policy):
    frame = table()
    fit = frame[frame.t < 8]  # the last 2 rows of each series held out for the test
    with pytest.warns(UserWarning) as caught:
        kept_fit, kept_test = leave_out_unusable(fit, frame, ROLES, policy, 2)
    assert sorted(kept_fit.g.unique()) == sorted(kept_test.g.unique()) == ["a", "d"]
    said = sorted(str(w.message) for w in caught)
    assert said == [
        "1 series has no 'x' value in the rows trained on (every one blank before their last "
        "2 rows): left out of training and of the test ('b').",
        "1 series has no 'y' value in the rows trained on (every one blank before their last "
        "2 rows): left out of training and of the test ('c')."]


def test_under_drop_a_series_needs_complete_rows_for_the_test():
    """'d' has 5 complete rows of 10: enough for a test of 4 rows, not for one of 5."""
    frame = table()
    with pytest.warns(UserWarning):
        kept, _ = leave_out_unusable(frame[frame.t < 6], frame, ROLES, "drop", 4)
    assert sorted(kept.g.unique()) == ["a", "d"]
    with pytest.warns(UserWarning, match=r"1 series has 5 rows or fewer with every value "
                      r"given \(the test takes each series' last 5\).*\('d'\)"):
        kept, _ = leave_out_unusable(frame[frame.t < 5], frame, ROLES, "drop", 5)
    assert sorted(kept.g.unique()) == ["a"]


def test_other_policies_and_single_series_are_left_alone():
    frame = table()
    for policy, roles in (("error", ROLES), ("zero", ROLES),
                          ("ffill", Roles(target=["y"], features=["x"]))):
        fit, test = leave_out_unusable(frame, frame, roles, policy, 2)
        assert fit is frame and test is frame
