"""The tutorial's model (``from lstmcast.models import Sequential``), saved models, and Keras
files read in.

- ``sequential``: ``Sequential`` (compile, fit, evaluate, predict, save) and ``load_model``;
- ``keras_import``: ``load_keras``, a Keras ``.keras`` or ``.h5`` file as a ``Sequential``.
"""

from lstmcast.models.keras_import import load_keras
from lstmcast.models.sequential import Sequential, load_model

__all__ = ["Sequential", "load_keras", "load_model"]
