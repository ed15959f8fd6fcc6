"""The network a Forecaster trains, assembled from its settings and its fitted pipeline.

From the bottom: instance normalization of the targets' past (``normalize``),
channel independence (``channels="independent"``), cropping to the window
when inputs known in advance ride along, the body (the tutorial's stack, or
one ``SegmentLSTM`` with ``segment``), the inputs known in advance of the
forecast rows, the output layer (``steps`` x targets, all at once), and the
inverse steps. See ``lstmcast.layers.forecasting`` for each layer.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from lstmcast.checks import invalid
from lstmcast.errors import InvalidArgumentError
from lstmcast.forecast import defaults
from lstmcast.layers import (
    GRU,
    LSTM,
    ChannelMerge,
    ChannelSplit,
    Cropping1D,
    Dense,
    Dropout,
    FutureInputs,
    InstanceDenorm,
    InstanceNorm,
    Layer,
    SegmentLSTM,
    layer_from_config,
)
from lstmcast.tables.pipeline import TablePipeline

if TYPE_CHECKING:  # the forecaster imports this module (through fitting)
    from lstmcast.forecast.forecaster import Forecaster


def default_layers(units: Sequence[int] = (100, 50), dropout: float = 0.2,
                   cell: str = "lstm") -> list[Layer]:
    """The tutorial's hidden stack: LSTM 100 -> Dropout 0.2 -> LSTM 50 -> Dropout 0.2."""
    rnn = LSTM if cell == "lstm" else GRU
    layers: list[Layer] = []
    for i, u in enumerate(units):
        layers.append(rnn(int(u), return_sequences=i < len(units) - 1))
        if dropout:
            layers.append(Dropout(dropout))
    return layers


def resolve_normalize(settings: Forecaster, pipeline: TablePipeline) -> str | None:
    """The instance normalization used: ``settings.normalize``, with "auto" resolved."""
    ar = pipeline.roles.autoregressive
    if settings.normalize == "auto":
        return "last" if ar and not settings.difference else None
    if settings.normalize is not None and not ar:
        raise InvalidArgumentError(
            f"`normalize={settings.normalize!r}` normalizes the targets' past in each window, "
            "so it must be an input: turn autoregressive on.")
    return settings.normalize


def chosen_network_rows(settings: Forecaster, pipeline: TablePipeline) -> int | None:
    """The rows of a window chosen from the data that the networks read, its last ones
    (``defaults.network_rows``: two days of a sub-daily window of two weeks); None: the
    whole window (and always for a ``window`` given)."""
    if settings.window is not None:
        return None
    season = settings.season_choice(pipeline)[0]
    return defaults.network_rows(pipeline.window, season,
                                 defaults.is_a_day(season, pipeline), settings.segment)


def network_layers(settings: Forecaster, pipeline: TablePipeline, slots: int = 1) -> list[Layer]:
    """The layers for a Forecaster's ``settings`` (its constructor arguments) and pipeline:
    [normalization] [channel split] [cropping] body [future inputs] head [channel merge]
    [denormalization]. The cropping keeps the body on the window (without the rows to
    forecast), and on its last ``chosen_network_rows`` rows where the window chosen is
    longer for the other forecasts.

    ``slots``: outputs per step and target (one per quantile level for a quantile
    model). The output is (N, S * slots * K), K innermost, so the channel merge
    and the denormalization treat every slot like a step.
    """
    n_in, length = len(pipeline.inputs), pipeline.input_length
    targets = pipeline.target_columns() if pipeline.roles.autoregressive else []
    norm = resolve_normalize(settings, pipeline)
    independent = settings.channels == "independent"
    if independent and not pipeline.roles.autoregressive:
        raise InvalidArgumentError("`channels='independent'` makes each target's past its "
                                   "own series, so it must be an input: turn "
                                   "autoregressive on.")
    per_step = (1 if independent else len(pipeline.targets)) * slots
    n_out = settings.steps * per_step
    extra = length - pipeline.window  # rows to forecast, carried for inputs known in advance
    rows = chosen_network_rows(settings, pipeline)
    front = pipeline.window - rows if rows else 0
    layers: list[Layer] = []
    if norm:
        layers.append(InstanceNorm(targets, pipeline.window, norm))
    if independent:
        layers.append(ChannelSplit(targets))
    if front or extra:
        layers.append(Cropping1D((front, extra)))
    if settings.segment is not None:
        layers.append(SegmentLSTM(int(settings.units[0]), settings.segment, settings.steps,
                                  per_step, settings.cell, settings.dropout,
                                  linear=settings.linear))
        if extra:
            layers += [FutureInputs(settings.steps, pipeline.future_columns()), Dense(n_out)]
    else:
        if settings.layers is None:
            hidden = default_layers(settings.units, settings.dropout, settings.cell)
        else:
            hidden = [layer_from_config(type(layer).__name__, layer.get_config())
                      for layer in settings.layers]
        if not hidden:
            raise invalid("layers", "at least one layer", settings.layers)
        for i, layer in enumerate(hidden):  # the input shape is set on the first layer
            config = layer.get_config()
            config.pop("batch_input_shape", None)
            config.pop("input_shape", None)
            hidden[i] = layer_from_config(type(layer).__name__, config)
        layers += hidden
        if extra:
            layers.append(FutureInputs(settings.steps, pipeline.future_columns()))
        layers.append(Dense(n_out))
    if independent:
        layers.append(ChannelMerge(len(pipeline.targets)))
    if norm:
        layers.append(InstanceDenorm(targets, pipeline.window, norm))
    config = layers[0].get_config()
    config["input_shape"] = [length, n_in]
    layers[0] = layer_from_config(type(layers[0]).__name__, config)
    return layers
