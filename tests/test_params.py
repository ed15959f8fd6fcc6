"""One list of settings: the Forecaster's signature, the checks, the CLI and config files."""

import inspect

import pytest

from lstmcast.cli.main import command_parsers, option_flags
from lstmcast.forecast import params
from lstmcast.forecast.forecaster import Forecaster


def test_every_forecaster_argument_is_described_once():
    names = [n for n in inspect.signature(Forecaster.__init__).parameters if n != "self"]
    described = [p.name for p in params.MODEL]
    assert [n for n in names if n not in ("layers", "callbacks")] == described
    defaults = {n: p.default for n, p in inspect.signature(Forecaster.__init__).parameters.items()}
    for p in params.MODEL:
        assert p.default == defaults[p.name], p.name


def test_every_cli_setting_is_an_option_of_train_and_backtest():
    commands = command_parsers()
    for command in ("train", "backtest", "inspect"):
        flags = option_flags(commands[command])
        for p in (*params.MODEL, *params.DATA):
            assert (p.flag in flags) == p.cli, (command, p.name)


@pytest.mark.parametrize(("name", "text", "value"), [
    ("window", "48", 48), ("units", "64,32", (64, 32)), ("dropout", "0.1", 0.1),
    ("difference", "true", True), ("scaler", "none", None), ("batch_size", "none", None),
    ("features", "a, b", ["a", "b"]), ("features", "", []), ("time_format", "%d/%m/%Y",
                                                             "%d/%m/%Y"),
])
def test_text_values_parse(name, text, value):
    assert params.BY_NAME[name].parse(text) == value


@pytest.mark.parametrize(("name", "text", "message"), [
    ("window", "0", "--window expects a positive integer, got '0'"),
    ("dropout", "1", "--dropout expects a number of at least 0 and below 1, got '1'"),
    ("max_seconds", "0", "--max-seconds expects a number above 0, got '0'"),
    ("cell", "rnn", "--cell expects one of lstm, gru, got 'rnn'"),
    ("difference", "yes", "--difference expects true or false, got 'yes'"),
    ("units", "100,x", "--units expects positive integers"),
])
def test_bad_values_name_the_option(name, text, message):
    with pytest.raises(ValueError, match=message):
        params.BY_NAME[name].parse(text)


def test_config_sections_and_keys_are_checked_with_suggestions():
    data, model = params.read_config({"data": {"target": "y", "source": "x.csv"},
                                      "model": {"window": 5, "units": [8, 4]}}, "c.toml")
    assert data == {"target": ["y"]} and model == {"window": 5, "units": (8, 4)}
    with pytest.raises(ValueError, match="Unknown \\[data\\] setting in c.toml 'tim'. Did you "
                                         "mean 'time'"):
        params.read_config({"data": {"tim": "t"}}, "c.toml")
    with pytest.raises(ValueError, match="Unknown section \\[modle\\].*Did you mean 'model'"):
        params.read_config({"modle": {}}, "c.toml")


@pytest.mark.parametrize(("name", "good", "other_spellings"), [
    (p.name, p.choices[-1], (p.choices[-1].upper(), p.choices[-1].capitalize(),
                             f" {p.choices[-1]}"))
    for p in params.MODEL if p.kind == "choice"])
def test_every_choice_is_used_as_spelled_or_refused(name, good, other_spellings, tmp_path):
    # Python: the exact spelling is kept as given; any other is refused with the one to use
    needs = {"pinball": {"quantiles": (0.1, 0.9)}}.get(good, {})  # what the choice needs
    model = Forecaster(**{name: good}, **needs)
    model.check_params()
    assert getattr(model, name) == good
    for spelling in other_spellings:
        with pytest.raises(ValueError, match=f"`{name}`.*got {spelling!r}"):
            Forecaster(**{name: spelling}, **needs).check_params()
    # config files and the command line go through the same check
    assert params.read_config({"model": {name: good}}, "c.toml")[1] == {name: good}
    flag = params.BY_NAME[name].flag
    for spelling in other_spellings[:2]:
        with pytest.raises(ValueError, match=f"{flag} expects one of"):
            params.read_config({"model": {name: spelling}}, "c.toml")
        with pytest.raises(ValueError, match=f"{flag} expects one of"):
            params.BY_NAME[name].parse(spelling)


def test_a_wrong_case_on_the_command_line_is_one_line(tmp_path):
    from helpers import one_line_error, run_cli

    (tmp_path / "d.csv").write_text("t,y\n" + "".join(f"{i},{i % 7}\n" for i in range(40)))
    one_line_error(run_cli("train", tmp_path / "d.csv", "--target", "y", "--cell", "LSTM",
                           "--out", tmp_path / "run"), "--cell expects one of lstm, gru, "
                   "got 'LSTM'")
    assert not (tmp_path / "run").exists()
