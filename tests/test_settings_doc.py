"""The Forecaster's settings are described once (lstmcast.forecast.settings_doc) and that
text is its docstring's "Args:" section; no training here."""

from __future__ import annotations

import inspect

from lstmcast import Forecaster
from lstmcast.forecast import params, settings_doc


def test_every_constructor_argument_has_exactly_one_description():
    arguments = [n for n in inspect.signature(Forecaster).parameters]
    described = [name for names, _ in settings_doc.ENTRIES for name in names]
    assert sorted(described) == sorted(arguments)
    assert len(described) == len(set(described))
    # every setting of the registry is a constructor argument, in the same order
    assert [p.name for p in params.MODEL] == [n for n in arguments if n in params.BY_NAME]


def test_the_docstring_lists_the_settings_before_the_fitted_attributes():
    doc = Forecaster.__doc__
    args, attributes = doc.index("    Args:\n"), doc.index("    Attributes:\n")
    assert args < attributes
    for names, text in settings_doc.ENTRIES:
        line = f"        {', '.join(names)}: {text.split()[0]}"
        assert line in doc[args:attributes], names
    assert doc.count("        blend: ") == 1  # once, in the Args section


def test_the_constructor_stores_each_argument_under_its_name():
    values = {"window": 12, "steps": 3, "blend": None, "units": (8,), "seed": 4}
    model = Forecaster(**values)
    assert {k: model.get_params()[k] for k in values} == values
    assert repr(model) == "Forecaster(units=(8,), window=12, steps=3, blend=None, seed=4)"


def test_the_constructor_defaults_are_the_registry_defaults():
    signature = inspect.signature(Forecaster).parameters
    for setting in params.MODEL:
        default = signature[setting.name].default
        assert default == setting.default or (
            isinstance(default, tuple) and list(default) == list(setting.default)), setting.name
