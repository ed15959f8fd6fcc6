"""lstmcast.forecast.tune.clock: the budget's deadlines and the one-line refusal of a budget
too small for one trial."""

import time

import pytest

from lstmcast.errors import InvalidArgumentError
from lstmcast.forecast.tune.clock import Clock, check_budget, final_seconds, minimum_budget


def test_the_deadlines_are_shares_of_the_budget():
    clock = Clock(start=1000.0, budget=600.0)
    assert clock.search_end == pytest.approx(1000 + 0.7 * 600)
    assert clock.fit_end == pytest.approx(1000 + 0.9 * 600)
    assert clock.trial_seconds == pytest.approx(600 * 0.7 / 6)


@pytest.mark.parametrize(("folds", "least"), [(1, 2.0), (3, 5.0), (7, 10.0)])
def test_minimum_budget_gives_each_fold_a_second(folds, least):
    # one trial has a sixth of the search's 70%: folds * 1 s <= budget * 0.7 / 6 * 6
    assert minimum_budget(folds) == least
    assert folds * 1.0 <= least * 0.7  # enough
    assert folds * 1.0 > (least - 1) * 0.7  # and the least whole number of seconds


def test_check_budget_returns_seconds():
    assert check_budget("60", 3) == 60.0
    assert check_budget(5, 3) == 5.0


@pytest.mark.parametrize(("budget", "message"), [
    ("soon", "--budget expects seconds (a number > 0), got 'soon'."),
    (None, "--budget expects seconds (a number > 0), got None."),
    (0, "--budget must be more than 0 seconds, got 0."),
    (-5, "--budget must be more than 0 seconds, got -5."),
    (float("nan"), "--budget must be more than 0 seconds, got nan."),
    (float("inf"), "--budget must be more than 0 seconds, got inf."),
    (4, "--budget 4 s is less than one trial could use: 3 folds of at least 1 s within the "
        "search's 70% of the budget; give at least 5 s."),
])
def test_check_budget_refuses_in_one_line(budget, message):
    with pytest.raises(InvalidArgumentError) as info:
        check_budget(budget, 3)
    assert str(info.value) == message


def test_check_budget_names_the_option_it_was_given_as():
    with pytest.raises(InvalidArgumentError, match="^budget must be more than 0"):
        check_budget(0, 3, option="budget")


@pytest.mark.parametrize(("budget", "fit_end"), [
    (600.0, 540.0),  # 90%: the last 60 s for the run folder
    (40.0, 36.0),  # 90% leaves exactly the 4 s floor
    (20.0, 16.0),  # 90% would leave 2 s: the floor keeps 4
    (8.0, 6.0),  # the floor is at most a quarter of the budget
])
def test_the_final_fit_leaves_seconds_for_the_run_folder(budget, fit_end):
    clock = Clock(start=0.0, budget=budget)
    assert clock.fit_end == pytest.approx(fit_end)
    assert clock.fit_end > clock.search_end  # the final fit still starts after the search


def test_final_seconds_run_to_the_fit_deadline_within_max_seconds():
    now = time.time()
    clock = Clock(start=now, budget=1000.0)  # fit_end 900 s from now
    assert final_seconds(clock, {}) == pytest.approx(900, abs=5)
    assert final_seconds(clock, {"max_seconds": 60}) == 60
    assert final_seconds(clock, {"max_seconds": None}) == pytest.approx(900, abs=5)
    late = Clock(start=now - 2000, budget=1000.0)  # past its deadline: a second still
    assert final_seconds(late, {}) == 1.0
    assert final_seconds(late, {"max_seconds": 60}) == 1.0


def test_the_search_end_follows_the_longest_fold_of_the_finished_trials():
    clock = Clock(start=1000.0, budget=600.0)
    assert clock.search_end == pytest.approx(1000 + 0.7 * 600)  # no trial finished yet
    clock.saw_fold(5.0)  # folds of seconds: the search goes on to 90% less two folds
    assert clock.search_end == pytest.approx(1000 + 0.9 * 600 - 10)
    clock.saw_fold(2.0)  # the longest fold counts
    assert clock.longest_fold == 5.0 and clock.search_end == pytest.approx(1530)
    clock.saw_fold(0.1)
    assert clock.search_end == pytest.approx(1530)
    short = Clock(start=0.0, budget=60.0)
    short.saw_fold(0.1)  # at least a second kept for the final fit
    assert short.search_end == pytest.approx(0.9 * 60 - 1)
    long = Clock(start=0.0, budget=600.0)
    long.saw_fold(200.0)  # never before 70%
    assert long.search_end == pytest.approx(0.7 * 600)
    assert long.fit_end == pytest.approx(0.9 * 600)  # the final fit's end does not move
