"""What ``fit`` would train on, without training (``Forecaster.inspect``, ``lstmcast inspect``).

The table is prepared exactly as ``fit`` prepares it (``lstmcast.forecast.fitting``):
the roles, the time column, the season and the window chosen, the windows of
each part, the first training window's rows, and the memory the windows and
the network would take.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from lstmcast.forecast import fitting
from lstmcast.layers import memory_estimate
from lstmcast.tables.windows import target_rows

if TYPE_CHECKING:
    from collections.abc import Sequence

    from lstmcast.forecast.forecaster import Forecaster


def inspect(fc: Forecaster, data: Any, target: str | Sequence[str],
            features: Sequence[str] | None = None, group: str | None = None,
            time: str | None = None, future: Sequence[str] | None = None,
            static: Sequence[str] | None = None) -> dict[str, Any]:
    """``Forecaster.inspect``: what ``fit`` would train on, without training."""
    prep = fitting.prepare(fc, data, target, features, group, time, future, static)
    pipeline, table = prep.pipeline, prep.table
    frame, r = table.frame, pipeline.roles
    n_in, length = len(pipeline.inputs), pipeline.input_length
    first = int(prep.train_starts[0])
    rows = np.arange(first, first + pipeline.window)
    targets = target_rows(prep.train_starts[:1], pipeline.window, fc.horizon,
                          fc.steps)[0]
    sid = table.ids[first]

    def when(k: np.ndarray) -> list[Any]:
        return frame[r.time].iloc[k].astype(str).tolist() if r.time else k.tolist()

    role_of = {**{c: "past feature" for c in r.features},
               **({t: "target's past" for t in r.target} if r.autoregressive else {}),
               **{c: "known in advance" for c in r.future},
               **{c: "calendar (known in advance)" for c in r.calendar_columns},
               **{c: "static" for c in r.static}}
    return {
        "inputs": list(pipeline.inputs), "target": list(pipeline.targets),
        "roles": {c: role_of[c] for c in pipeline.inputs},
        "series": len(table.segments), "rows": len(frame),
        "time": dict(pipeline.time_), "notes": list(table.notes),
        "season": fc.season_choice(pipeline),
        "window": (pipeline.window, fc.window_choice_),
        "log": (fc.log_choice_.log, fc.log_choice_.why),
        "log_possible": fc.log_choice_.possible,
        "scaling": (pipeline.scale_by, fc.scaling_choice_[1]),
        "blend": fitting.blends(fc, pipeline),
        "shapes": {"train": (len(prep.train_starts), length, n_in),
                   "validation": (len(prep.val_starts), length, n_in)},
        "first_window": {"series": sid.item() if hasattr(sid, "item") else sid,
                         "times": [when(rows)[0], when(rows)[-1]],
                         "target_times": when(targets),
                         "target_values": frame[pipeline.targets].iloc[targets]
                         .to_numpy().ravel().tolist()},
        "memory_bytes": {"windows_zero_copy": int(table.x.nbytes),
                         "windows_as_copies": int((len(prep.train_starts)
                                                   + len(prep.val_starts))
                                                  * length * n_in * 4)},
        "network": memory_estimate(fitting.layers_for(fc, pipeline,
                                                      fitting.new_intervals(fc, pipeline)),
                                   (length, n_in),
                                   fitting.batch_size_for(fc, len(prep.train_starts))),
    }

