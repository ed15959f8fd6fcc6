"""lstmcast's own exceptions: one base class, subclasses of the builtin kinds.

Every error a user can cause is raised as one of these, so that
``except lstmcast.LstmcastError`` catches them all while ``except ValueError``
and ``except TypeError`` keep working as they would with any Python library.
"""

from __future__ import annotations


class LstmcastError(Exception):
    """Base class of every error lstmcast raises on purpose."""


class InvalidArgumentError(LstmcastError, ValueError):
    """An argument has a value lstmcast cannot use (out of range, wrong shape...)."""


class InvalidTypeError(LstmcastError, TypeError):
    """An argument has a type lstmcast cannot use."""


class NotFittedError(LstmcastError, ValueError, AttributeError):
    """A model was asked to predict, evaluate or save before it was built or fitted."""


class ArtifactError(LstmcastError, ValueError):
    """A saved model on disk is missing, truncated, corrupted or not lstmcast's."""


class TrainingError(LstmcastError, RuntimeError):
    """Training cannot go on (the loss became NaN or infinite); the last good weights are kept."""
