"""Library messages in the command line's words (lstmcast.cli.flags)."""

from lstmcast.cli.flags import as_flags


def test_command_line_hints_use_flags():
    assert as_flags("choose missing='drop', or set autoregressive=True") == (
        "choose --missing drop, or set --autoregressive")
    assert as_flags("`horizon=0` labels") == "--horizon 0 labels"
    assert as_flags("keep x=1 and layers=None") == "keep x=1 and layers=None"
    # a value a shell would split is quoted, as it must be typed
    assert as_flags("(give time='Unnamed: 0')") == "(give --time 'Unnamed: 0')"


def test_notes_errors_and_warnings_share_the_translation():
    import importlib

    for name in ("common", "inspect", "main", "report"):
        assert importlib.import_module(f"lstmcast.cli.{name}").as_flags is as_flags
    assert as_flags("(missing='ffill' adds the days)") == "(--missing ffill adds the days)"
