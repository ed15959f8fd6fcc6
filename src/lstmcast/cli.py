"""The ``lstmcast`` command line: a thin layer over the library.

Every command exits non-zero with one clear line on bad input; ``--debug``
shows the traceback instead.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from lstmcast import __version__
from lstmcast.errors import LstmcastError

EXAMPLES = """examples:
  lstmcast demo                 train the tutorial's model on C-MAPSS FD001
  lstmcast demo --epochs 5      a quick look
"""


def _demo(args: argparse.Namespace) -> int:
    from lstmcast.demo import run_demo

    run_demo(epochs=args.epochs, seed=args.seed, verbose=0 if args.quiet else 2)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="lstmcast", description="LSTM time-series forecasting.", epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"lstmcast {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    demo = commands.add_parser(
        "demo", help="train the tutorial's model on C-MAPSS FD001 and report test errors",
        description="Train the tutorial's model (LSTM 100 -> LSTM 50 -> Dense 1) on NASA "
                    "C-MAPSS FD001, shipped in the package, and report test RMSE, MAE and MAPE.",
        epilog="example:\n  lstmcast demo --epochs 20 --seed 1",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    demo.add_argument("--epochs", type=int, default=100, help="most epochs (default 100)")
    demo.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    demo.add_argument("--quiet", action="store_true", help="print nothing")
    demo.set_defaults(run=_demo)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    try:
        return args.run(args)
    except (LstmcastError, OSError) as exc:
        if args.debug:
            raise
        print(f"lstmcast {args.command}: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("lstmcast: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
