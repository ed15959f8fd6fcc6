"""The engine: network blocks, the training loop, runtime settings, callbacks, metrics,
optimizers, distributed training and the safetensors bundle.

It reads windows (``lstmcast.tables``) and knows nothing of tables' roles or of
forecasting; the Keras face (``lstmcast.layers``, ``lstmcast.models``) and the
Forecaster build on it.
"""
