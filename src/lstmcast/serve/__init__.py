"""``lstmcast serve``: live forecasts of a trained run over HTTP (docs/serve.md).

- ``command``: the command line (no torch, no FastAPI until the service starts);
- ``app``: the FastAPI routes, the token, the metrics' middleware, ``build``;
- ``service``: forecasts of a posted table, observed rows, forecasts from the state;
- ``state``: each series' rows in SQLite (WAL), written before answering;
  ``postgres_state``: the same in PostgreSQL, for replicas on several machines;
  ``stores``: which of the two ``--state`` names, and the model digest a state keeps;
- ``batching``: micro-batching of concurrent requests into one network call;
- ``schema``: the checks on a request's body; ``metrics``: the Prometheus text.

This package imports nothing heavy: ``lstmcast --help`` stays quick.
"""
