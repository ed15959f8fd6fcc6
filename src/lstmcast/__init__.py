"""lstmcast: LSTM time-series forecasting, the classic Keras tutorial made into real software.

Two faces on one engine: ``lstmcast.models.Sequential`` with ``lstmcast.layers``
(the tutorial's code, with only its imports changed), and, for tables,
the forecasting workflow on top of it.
"""

from lstmcast.errors import (
    ArtifactError,
    InvalidArgumentError,
    InvalidTypeError,
    LstmcastError,
    NotFittedError,
)
from lstmcast.seeding import set_seed
from lstmcast.windows import make_windows

__version__ = "0.1.0"

__all__ = [
    "ArtifactError",
    "InvalidArgumentError",
    "InvalidTypeError",
    "LstmcastError",
    "NotFittedError",
    "__version__",
    "make_windows",
    "set_seed",
]
