"""lstmcast: LSTM time-series forecasting, the classic Keras tutorial made into real software.

Two faces on one engine: ``lstmcast.models.Sequential`` with ``lstmcast.layers``
(the tutorial's code, with only its imports changed), and, for tables,
the forecasting workflow on top of it.

``Forecaster``, ``set_seed`` and ``make_windows`` are imported on first use,
so that ``lstmcast --help`` and the command line's argument checks answer
without loading torch.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from typing import Any

try:  # one version number: pyproject.toml's, as installed
    __version__ = version("lstmcast")
except PackageNotFoundError:  # the source tree on sys.path without an install
    __version__ = "0+unknown"

from lstmcast.errors import (  # noqa: E402
    ArtifactError,
    InvalidArgumentError,
    InvalidTypeError,
    LstmcastError,
    NotFittedError,
)

_LAZY = {"Forecaster": "lstmcast.forecast.forecaster", "set_seed": "lstmcast.engine.seeding",
         "make_windows": "lstmcast.tables.windows"}

__all__ = [
    "ArtifactError",
    "Forecaster",
    "InvalidArgumentError",
    "InvalidTypeError",
    "LstmcastError",
    "NotFittedError",
    "__version__",
    "make_windows",
    "set_seed",
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'lstmcast' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
