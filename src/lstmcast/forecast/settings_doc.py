"""The Forecaster's settings in words: the API reference's text for each.

``params.MODEL`` holds the rest of each setting (its default, what a valid value is,
the command line's one-line help); ``compose`` writes these entries as the
Forecaster's "Args:" section, so the class states its settings once. A test checks
that every argument of the constructor has exactly one entry here.
"""

from __future__ import annotations

import textwrap

ENTRIES: tuple[tuple[tuple[str, ...], str], ...] = (
    (('layers',), (
        'hidden layer specs (LSTM, GRU, Dense, Dropout); the output Dense layer is added to '
        "fit ``steps`` x targets. Default: the tutorial's stack, from ``units``, ``dropout`` "
        'and ``cell``.')),
    (('units',), (
        'units per recurrent layer when ``layers`` is None (100, 50).')),
    (('dropout',), (
        'dropout after each recurrent layer when ``layers`` is None (0.2).')),
    (('cell',), (
        '"lstm" or "gru" when ``layers`` is None.')),
    (('window',), (
        'rows per input window. None (default): chosen from the data (``window_``, '
        "``defaults.choose_window``): the tutorial's 30, or two seasons where that is longer "
        '(96 for half-hourly rows), at most half the rows the shortest series trains on; '
        'on sub-daily rows (or rows without a calendar whose season is a day of such rows: '
        '24, 48, 96, 144 or 288) two weeks where they fit (336 hourly rows), of which the '
        'networks read the last two days (``network_rows_``) and the linear maps and '
        'naive forecasts all. At most 2016 rows are chosen, of which the networks read at '
        'most 576 (a day of minutes is 1440 rows); a window given is at most 8192.')),
    (('horizon',), (
        "rows from a window's last row to its first target (1 = next row; 0 = the window's "
        'own last row, e.g. remaining useful life).')),
    (('steps',), (
        'consecutive target rows forecast at once (direct multi-step).')),
    (('loss', 'optimizer', 'learning_rate'), (
        'training settings ("mse", "adam", 0.001). ``loss=None`` (default): "mse", or '
        '"pinball" with ``quantiles``. ``loss="mae"`` forecasts the median instead of the '
        'mean: for a capped target (remaining useful life clipped at 125) that is the cap '
        'itself for windows that look healthy (docs/accuracy.md, row b-mae). ``"huber"`` has '
        "Keras's delta of 1.0 on the scaled target, where errors are mostly below 1 with "
        'min-max scaling: there it acts as half the MSE. ``"pinball"`` trains one output per '
        'quantile level (``quantiles``).')),
    (('quantiles',), (
        'quantile levels to forecast besides the point forecast, e.g. (0.1, 0.5, 0.9) '
        '(sorted; each in (0, 1), none twice). With the pinball loss (the default with '
        'quantiles) the network has one output per level, per step and per target, and 0.5 is '
        'trained too: the point forecast is that median. Quantiles never cross: each '
        "forecast's values are sorted (rearrangement, which never raises the pinball loss). "
        "With an ensemble, the members' quantiles are averaged level by level. With a point "
        'loss ("mse", "mae", "huber"), ``calibrate`` makes the quantiles from the errors on '
        'the validation windows. ``predict`` adds a column per level (``OT_q0.1``) and '
        '``evaluate`` scores them (pinball loss, CRPS, coverage and width) beside the '
        "baselines' intervals, made from their own errors on the training rows.")),
    (('calibrate',), (
        'split conformal calibration on the validation windows, per step and target and per '
        "level (``lstmcast.forecast.intervals`` says how): if the validation windows' errors "
        "are like the future's, each central interval (tau, 1 - tau) covers at least 1 - 2 "
        'tau of the truths. A time series makes no such promise: the windows overlap, and a '
        'drift after the validation period breaks it; and early stopping picks the epoch on '
        'the same windows, a slight optimism. Needs quantiles and enough validation windows '
        '(9 for 0.1 and 0.9, 19 for 0.05 and 0.95).')),
    (('epochs',), (
        'most passes over the training windows (100).')),
    (('batch_size',), (
        "windows per step. None (default): the tutorial's 200, lowered on small data so that "
        'an epoch has at least 10 steps (never below 8); with 72 training windows, as in the '
        'airline series, a batch of 200 would give one gradient step per epoch and a model '
        'that barely trains. The batch used is in ``batch_size_``.')),
    (('early_stopping',), (
        'stop when the validation loss stops improving, and keep the best weights (on by '
        'default).')),
    (('patience',), (
        'epochs without improvement before stopping (10).')),
    (('lr_patience',), (
        'if set, halve the learning rate after this many epochs without a better validation '
        'loss (``ReduceLROnPlateau`` with factor 0.5 and a floor of 1e-5); None (default) '
        "keeps it fixed. With a higher starting rate it is lstmcast's best C-MAPSS "
        'configuration in docs/accuracy.md.')),
    (('lr_decay',), (
        'if set, the learning rate stays at ``learning_rate`` for 3 epochs, then is '
        "multiplied by this every epoch (the schedule of SegRNN's reference code, with 0.8); "
        'None (default): off.')),
    (('validation',), (
        'fraction held out for early stopping and ``lr_patience`` (0.2).')),
    (('validation_by',), (
        '"time" (the last part of every series) or "series" (whole series held out).')),
    (('scaler',), (
        '"minmax", "standard" or None.')),
    (('scale_by',), (
        '"auto" (default), "global", "series", or the name of a key column (e.g. an '
        'operating condition) whose values each get their own scaler. "auto" is "series" '
        "where the table has several series (``group``) whose own past the model reads and "
        'validation holds out the end of every series, else "global" '
        '(``scaling_choice_`` says which, and why). Scalers are fitted on training rows '
        'only. A model scaled per series cannot forecast a series it was not trained on.')),
    (('season',), (
        'season length for the seasonal naive baseline and MASE. None (default): from the '
        "time column's frequency (``season_``): a day of sub-daily rows (24 hourly, 48 "
        'half-hourly), a week of days (7; 5 business days), 52 weeks, 12 months, 4 quarters. '
        'Without a time column, or with numbers or years, a cycle the training rows repeat '
        '(their changes correlate at that lag and its multiples: half-hourly values written '
        'without their times give 48); else none. 1: no season (none is looked for).')),
    (('autoregressive',), (
        "feed the target's own past as an input. None (default): yes when forecasting ahead "
        '(horizon >= 1), where the table holds it; no with horizon 0 (such as remaining '
        'useful life, never observed at forecast time), where it would show the model the '
        'answer.')),
    (('difference',), (
        "model changes instead of levels (False). The target's past enters as its row-to-row "
        "change and the network forecasts the change from the window's last value, which is "
        'added back. Use it for series that trend beyond their training range (airline '
        'passengers: MASE 2.0 on raw levels -> 0.85; the default ``normalize`` gets 0.69 '
        "there, docs/accuracy.md); it needs the target's past as an input (autoregressive) "
        'and at least window + 1 rows of history.')),
    (('log',), (
        "model the targets' natural log (True): the scalers, the networks and every forecast "
        "of the blend read the log of each target (its past among the inputs too), and the "
        'forecasts (quantiles too) come back by exp, so a seasonal swing that grows with the '
        "level is a constant one to the model. Every target value must be above 0, in "
        'training and in what ``predict`` reads (an error names the first that is not). Not '
        'with ``difference``. None (default): chosen before training, on three '
        'time-ordered folds of the training rows, where every target value is above 0: the '
        'log when the forecasts that need no training (the linear maps, the smoothing, the '
        'naive forecasts) score clearly and repeatedly better on it '
        '(``lstmcast.forecast.log_choice``; ``log_choice_`` says what was found). False: '
        'never.')),
    (('normalize',), (
        'instance normalization (RevIN-style): "last" makes each window\'s targets relative to '
        'the window\'s last value, "mean" to its mean and standard deviation, and the forecast '
        'is mapped back; the network then learns shapes, not levels, and a level outside the '
        'training range is no surprise. "auto" (default): "last" whenever the target\'s own '
        'past is an input (forecasting ahead), without ``difference``; None: off. '
        'docs/longhorizon.md and docs/accuracy.md measure it.')),
    (('channels',), (
        'with several targets, "joint" (default: one network maps all targets to all targets) '
        'or "independent": each target column goes through one shared network as its own '
        'series, with a one-hot code of which it is (a learned per-channel embedding), and '
        "the other inputs shared. Fewer weights per channel, and every channel's windows "
        'train the same network.')),
    (('segment',), (
        "None (default: the tutorial's stack, point by point), or w: cut the window into "
        'segments of w rows, embed each, run one recurrent layer of ``units[0]`` units over '
        'the L / w segments, and decode every forecast step at once from its final state '
        "(``SegmentLSTM``, SegRNN's design). Much faster at long windows, and the most "
        'accurate configuration on long horizons in docs/longhorizon.md. The window must be a '
        'multiple of w.')),
    (('linear',), (
        'with ``segment``: add a linear map of the whole window to the forecast (starting at '
        'zero, trained with the rest), so the recurrence learns what a linear map leaves. At '
        'long horizons, where a linear map of the window is hard to beat, it helps '
        '(docs/longhorizon.md). False by default.')),
    (('blend',), (
        '"select" (default), "linear", "auto" or None. "select": after training, every '
        'candidate forecasts the validation windows (the networks, two ridge least-squares '
        'linear maps of the window, Holt-Winters smoothing over it, the naive, seasonal naive and '
        'window-mean forecasts, the training mean and the drifts: '
        '``lstmcast.forecast.combination``) and the forecast combines the two that score best '
        "there, each weighted by the inverse of its mean squared error, the networks only "
        "when clearly best of all (and alone then, where they "
        "read inputs known in advance, which no other candidate sees); where nothing is "
        "held out, "
        "or the target's past is not an input, "
        'as "auto". "linear": after training, fit a least-squares linear map of each target\'s '
        'window (relative to its last value, one map for all targets, in closed form on the '
        "training windows) and forecast the mean of the networks' and the map's forecasts. "
        'The two make different errors, so at long horizons, where the map is hard to beat, '
        'the mean beats both (docs/longhorizon.md); where the map is poor (a target that is '
        'not a smooth function of its own past, such as remaining useful life) leave it off. '
        "Needs the targets' own history among the inputs and point forecasts (not "
        '``difference``, not quantiles trained by the network); "auto" blends whenever it '
        'can, and not when the network reads inputs known in advance (the map sees only the '
        "targets' past): on the panel of public tables (docs/panel.md) it beats the best "
        'baseline on 9 of 16 tables where the network alone beats it on 6. None: the networks '
        'alone. On a table read in shards, the map takes one more pass over the shards.')),
    (('max_seconds',), (
        'wall-clock budget for training (None: no limit), counted from the start of '
        "``fit``: the table's preparation and the choice of the scale are in it (each "
        'network of an ensemble after the first has its own; a Parquet set read in shards '
        'counts from the training). The batch that ends past it ends the epoch and the '
        'training; scoring the candidates and the held-out rows comes after.')),
    (('clipnorm',), (
        'if set, gradients are rescaled to this global L2 norm at most.')),
    (('missing',), (
        'NaN or inf in the used columns, and missing time steps (gaps in a regular time '
        'column): "error" (default, naming the first), "drop" the rows (gaps are left as they '
        'are, with a warning), "ffill" within each series, "interpolate" within each '
        'series, or "zero" (targets that count, where a row is absent because nothing '
        'happened: the targets 0, the inputs carried forward; gaps are reindexed onto the '
        'time grid and filled the same way).')),
    (('time_format',), (
        'how a text time column reads: None or "auto" (ISO 8601 with or without time and '
        'zone; else day-first or month-first when the values tell them apart), "iso8601", '
        '"dayfirst", "monthfirst" (which read ISO 8601 dates too), or a strftime format such '
        'as "%d/%m/%Y %H:%M"; a strftime format or "iso8601" reads a column of numbers such '
        'as 20240131 as dates (unasked, dates written as 6 to 12 digits are read so where, as '
        'numbers, they would not be evenly spaced: 19491201 then 19500101); "epoch-ms", '
        '"epoch-s" and "excel" read numbers counting from 1970-01-01 or a spreadsheet\'s day '
        'numbers. Changed after fit (``set_params``), it is how ``predict`` '
        'reads its tables.')),
    (('calendar',), (
        'derive inputs known in advance from a datetime time column: hour of day, day of '
        'week, day of year or month of year as sine and cosine pairs, those the frequency '
        'makes meaningful (hourly data: hour, weekday, day of year; daily: weekday, day of '
        'year; weekly: day of year; monthly: month). The network sees them over the window '
        'and over the forecast rows, like ``future`` columns.')),
    (('shard_rows',), (
        'a folder (or glob) of Parquet files given to ``fit`` is read in shards of whole '
        'files of at most this many rows (1,000,000), one shard in memory at a time, so the '
        'table need not fit in memory (``lstmcast.tables.streaming`` says how the scalers and '
        'the statistics are gathered in one pass). Each series must lie in one shard: one '
        'file per series, or files partitioned by the series key. A table of one shard is '
        'read once and trains as in memory.')),
    (('checkpoint',), (
        'a file where the whole training state is saved after every epoch (atomically); if it '
        'exists when ``fit`` starts, training resumes from it, and ends as if it had never '
        'stopped. With ``ensemble``, one file per network (``PATH.member1``...); all are '
        'deleted when every network is trained, unless ``keep_checkpoint``.')),
    (('keep_checkpoint',), (
        "keep the checkpoint files after ``fit`` (False). The command line keeps its run's "
        'until the run folder is complete, so that a run stopped while it scores the model '
        'resumes without training again.')),
    (('callbacks',), (
        'extra callbacks for the training loop (lstmcast.engine.callbacks).')),
    (('ensemble',), (
        'train this many networks, with seeds ``seed``, ``seed + 1``, ... on the same windows '
        'and scalers, and forecast their mean. Single runs of an LSTM vary from seed to seed; '
        'the mean varies less. (Explanations show the first network.)')),
    (('seed',), (
        'random seed (0); same data, config and seed give the same model.')),
    (('device',), (
        '"cpu", "cuda" or None (CUDA when available).')),
    (('threads',), (
        'CPU threads torch uses while ``fit``, ``predict``, ``evaluate`` and ``explain`` '
        'run (None: torch\'s own, one per core). On a machine where another process keeps '
        'a core busy, torch\'s threads wait on each other; 1 keeps training near its quiet '
        'speed there (docs/benchmarks.md). Results can differ in the last float digits '
        'between thread counts.')),
    (('precision',), (
        '"float32" (default) or "bfloat16" (mixed precision: faster on hardware with '
        'bfloat16, slightly less accurate; docs/benchmarks.md).')),
    (('verbose',), (
        '0 silent, 1 progress bars, 2 a line per epoch.')),
)


def args_section() -> str:
    """The "Args:" section of the Forecaster's docstring, from ``ENTRIES``."""
    lines = ["    Args:"]
    for names, text in ENTRIES:
        lines += textwrap.wrap(f"{', '.join(names)}: {text}", 88, initial_indent=" " * 8,
                               subsequent_indent=" " * 12, break_long_words=False,
                               break_on_hyphens=False)
    return "\n".join(lines) + "\n\n"


def compose(doc: str) -> str:
    """``doc`` (a class docstring) with the "Args:" section put before its "Attributes:"."""
    at = doc.index("    Attributes:")
    return doc[:at] + args_section() + doc[at:]
