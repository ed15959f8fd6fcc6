"""``lstmcast import-keras``: a Keras Sequential file brought over as an lstmcast model."""

from __future__ import annotations

import argparse
from pathlib import Path

from lstmcast.cli.common import (
    add_force,
    output_guard,
)
from lstmcast.errors import InvalidArgumentError


def add_parser(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """The import-keras command: options and handler."""
    raw = argparse.RawDescriptionHelpFormatter
    p = sub.add_parser("import-keras", parents=[common], formatter_class=raw,
                       help="bring over a Keras Sequential model (.keras or .h5)",
                       description="Read a Keras 3 Sequential (.keras) or legacy .h5 model "
                       "without Keras, build the same lstmcast model with its weights and save "
                       "it. It has no table pipeline (scalers, roles): it forecasts windows "
                       "given as a .npy array with `lstmcast predict MODEL windows.npy`.",
                       epilog="example:\n  lstmcast import-keras model.keras --out "
                       "model.lstmcast\n  lstmcast predict model.lstmcast windows.npy --out "
                       "forecast.npy")
    p.add_argument("model", help="the Keras file")
    p.add_argument("--out", required=True, help="the lstmcast model file to write (a new file)")
    add_force(p)
    p.set_defaults(handler=cmd_import_keras)


def cmd_import_keras(args: argparse.Namespace) -> int:
    guard = output_guard(args)
    guard.check_outputs(args)
    out = Path(args.out)
    if not Path(args.model).is_file():  # before torch, as the library would say it
        raise InvalidArgumentError(f"No Keras file at {args.model!r}.")
    from lstmcast.models import load_keras  # torch and h5py: after the cheap checks

    model = load_keras(args.model, device="cpu")
    model.save(out)
    if not args.quiet:
        model.summary()
        print(f"Wrote {out}; forecast with: lstmcast predict {out} windows.npy "
              "(an array of shape (windows, time_steps, features))")
    return 0
