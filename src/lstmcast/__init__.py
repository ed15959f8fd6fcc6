"""lstmcast: LSTM time-series forecasting, the classic Keras tutorial made into real software.

Two faces on one engine: ``lstmcast.models.Sequential`` with ``lstmcast.layers``
(the tutorial's code, with only its imports changed), and, for tables,
the forecasting workflow on top of it.
"""

__version__ = "0.1.0"

from lstmcast.errors import (  # noqa: E402
    ArtifactError,
    InvalidArgumentError,
    InvalidTypeError,
    LstmcastError,
    NotFittedError,
)
from lstmcast.forecaster import Forecaster  # noqa: E402
from lstmcast.seeding import set_seed  # noqa: E402
from lstmcast.windows import make_windows  # noqa: E402

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
