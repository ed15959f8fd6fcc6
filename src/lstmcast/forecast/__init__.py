"""The Forecaster and everything it fits, forecasts and scores with.

``forecaster.Forecaster`` is the face (settings, the scikit-learn contract);
``fitting``, ``prediction``, ``inspection`` and ``evaluation`` do the work;
``combination``, ``linear_map`` and ``ensemble`` make the forecast; ``intervals``,
``baselines``, ``scores``, ``explain``, ``artifacts``, ``onnx_export``,
``window_predict`` and ``tune`` stand beside them. ``params`` is the registry of
settings.
"""
