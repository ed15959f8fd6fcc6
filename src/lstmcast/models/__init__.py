"""The tutorial's model (``from lstmcast.models import Sequential``), saved models, and Keras
files read in.

- ``sequential``: ``Sequential`` (compile, fit, evaluate, predict, save); ``inputs``: what it
  checks of its arrays; ``saving`` and ``loading``: the file, and ``load_model``;
- ``keras_import``: ``load_keras``, a Keras ``.keras`` or ``.h5`` file as a ``Sequential``.
"""

from lstmcast.models.keras_import import load_keras
from lstmcast.models.loading import load_model
from lstmcast.models.sequential import Sequential

__all__ = ["Sequential", "load_keras", "load_model"]
