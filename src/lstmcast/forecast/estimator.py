"""The scikit-learn contract, for any class whose constructor only stores its settings.

``__init__`` stores each argument under its own name (``store``), ``get_params`` and
``set_params`` read and change them, ``__repr__`` shows those that differ from the
defaults, and ``__sklearn_tags__`` tells scikit-learn's tools what kind of estimator
it is. The names come from the constructor's signature, the one list of them.
"""

from __future__ import annotations

import inspect
from typing import TYPE_CHECKING, Any

from lstmcast.errors import InvalidArgumentError
from lstmcast.forecast import params

if TYPE_CHECKING:  # scikit-learn is optional: its tools read the tags
    from sklearn.utils import Tags


class Estimator:
    """A base class: settings in, the scikit-learn contract out."""

    @classmethod
    def _param_names(cls) -> list[str]:
        return [n for n in inspect.signature(cls.__init__).parameters if n != "self"]

    def _store(self, arguments: dict[str, Any]) -> None:
        """``__init__``'s arguments (its ``locals()``), each stored under its name."""
        for name in self._param_names():
            setattr(self, name, arguments[name])

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """The constructor's arguments (scikit-learn's get_params).

        ``deep`` changes nothing: no argument is itself an estimator (layers,
        optimizers and callbacks are lstmcast objects, copied as values).
        """
        return {name: getattr(self, name) for name in self._param_names()}

    def set_params(self, **values: Any) -> Estimator:
        """Change constructor arguments (scikit-learn's set_params) and return self; refit
        afterwards. An unknown name is an error listing the valid ones."""
        names = self._param_names()
        for name in values:
            if name not in names:
                error = params.unknown(f"{type(self).__name__} argument", name, names)
                raise InvalidArgumentError(f"{error} Valid: {', '.join(names)}.")
        for name, value in values.items():
            setattr(self, name, value)
        return self

    def __repr__(self) -> str:
        """``Forecaster(window=96, steps=96)``: the arguments that differ from the defaults."""
        defaults = {n: p.default for n, p in inspect.signature(type(self).__init__)
                    .parameters.items() if n != "self"}
        changed = [f"{n}={v!r}" for n, v in self.get_params().items()
                   if not _same_value(v, defaults[n])]
        return f"{type(self).__name__}({', '.join(changed)})"

    def __sklearn_tags__(self) -> Tags:
        """scikit-learn's tags (read by its tools only): a regressor fitted on a table,
        whose target is named in ``fit`` rather than given as ``y``."""
        from sklearn.utils import InputTags, RegressorTags, Tags, TargetTags

        return Tags(estimator_type="regressor", target_tags=TargetTags(required=False),
                    regressor_tags=RegressorTags(),
                    input_tags=InputTags(two_d_array=True, categorical=True, string=True,
                                         allow_nan=True))


def _same_value(a: Any, b: Any) -> bool:
    """Equal, for a repr: (100, 50) and [100, 50] alike; objects by identity."""
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return list(a) == list(b)
    if isinstance(a, (str, int, float, bool, type(None))):
        return type(a) is type(b) and a == b
    return a is b
