"""``lstmcast export``: a trained run as an ONNX graph and its JSON sidecar."""

from __future__ import annotations

import argparse
from pathlib import Path

from lstmcast.cli.common import (
    add_force,
    output_guard,
)


def add_parser(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """The export command: options and handler."""
    raw = argparse.RawDescriptionHelpFormatter
    p = sub.add_parser("export", parents=[common], formatter_class=raw,
                       help="write a trained model as ONNX, for serving without Python",
                       description="Write a run's networks as one ONNX graph (input `windows` "
                       "(batch, window, inputs), output `forecast` (batch, steps * targets), "
                       "dynamic batch) and, beside it, a JSON sidecar holding the input "
                       "columns, the window and the scalers: what turns a table into the "
                       "network's input and its output back into forecasts.",
                       epilog="examples:\n  lstmcast export runs/air --out air.onnx   "
                       "(writes air.onnx and air.json)\n  lstmcast export model.lstmcast "
                       "--out model.onnx")
    p.add_argument("run", help="run folder (or a saved model file)")
    p.add_argument("--out", required=True, help="the .onnx file to write (a new file; the "
                   "sidecar takes the same name with .json)")
    add_force(p)
    p.set_defaults(handler=cmd_export)


def cmd_export(args: argparse.Namespace) -> int:
    from lstmcast.engine.artifact_file import sidecar_path
    from lstmcast.runs.folders import forecaster_file, run_file

    guard = output_guard(args)
    model_file = Path(args.run).is_file()
    guard.check_outputs(args)
    if not model_file:
        guard.check_file(sidecar_path(args.out))
        forecaster_file(args.run)  # its bytes checked, before torch
    # torch: after the cheap checks; the paths were checked above, the writes are atomic
    if model_file:
        from lstmcast.models import load_model

        load_model(args.run, compile=False, device="cpu").export_onnx(args.out)
        written = [args.out]
    else:
        from lstmcast.forecast.forecaster import Forecaster

        forecaster = Forecaster.load(run_file(args.run, "forecaster.lstmcast"), device="cpu")
        written = [args.out, forecaster.export_onnx(args.out)]
    if not args.quiet:
        print(f"Wrote {' and '.join(str(p) for p in written)}")
        if not model_file:
            print("The network reads scaled windows; the .json beside it says how a table "
                  "becomes them and how outputs become forecasts (its 'recipe').")
    return 0
