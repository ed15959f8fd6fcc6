"""The ``lstmcast`` command line: a thin layer over the Forecaster.

Every command exits non-zero with one clear line on bad input (``--debug``
shows the traceback instead) and has ``--help`` with examples.
"""

from __future__ import annotations

import argparse
import difflib
import re
import sys
import warnings
from collections.abc import Sequence

from lstmcast import __version__
from lstmcast.cli import (
    backtest,
    evaluate,
    explain,
    export,
    import_keras,
    inspect,
    predict,
    train,
    tune,
)
from lstmcast.cli.common import ACCESS
from lstmcast.cli.flags import as_flags
from lstmcast.engine.launcher import end
from lstmcast.errors import LstmcastError

EXAMPLES = """examples:
  lstmcast demo                                   the full workflow on C-MAPSS FD001
  lstmcast inspect cmapss:FD001                   shapes, first window, memory; trains nothing
  lstmcast train airline --epochs 50 --out runs/air
  lstmcast train sales.csv --target sales --group store --time date --window 28
  lstmcast evaluate runs/air airline
  lstmcast predict runs/air airline --n-ahead 24 --out forecast.csv
  lstmcast backtest sunspots --folds 3 --epochs 30
  lstmcast explain runs/air airline --at 1958-06
  lstmcast export runs/air --out air.onnx          ONNX + a JSON sidecar, for serving
  lstmcast serve runs/air --port 8000             live forecasts over HTTP (docs/serve.md)
  lstmcast import-keras model.keras --out model.lstmcast
data: a CSV, Parquet or JSON file (records), or a built-in dataset: cmapss:FD001..FD004,
  airline, sunspots, etth2 (the shipped ETTh2.csv)
"""


def build_parser() -> argparse.ArgumentParser:
    raw = argparse.RawDescriptionHelpFormatter
    parser = _Parser(prog="lstmcast", description="LSTM time-series "
                                     "forecasting, the tutorial's model made real.",
                                     epilog=EXAMPLES, formatter_class=raw)
    parser.add_argument("--version", action="version", version=f"lstmcast {__version__}")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--quiet", action="store_true", help="print nothing but errors")
    common.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for command in (train, evaluate, predict, explain, backtest, tune, inspect, export,
                    import_keras):
        command.add_parser(sub, common)
    from lstmcast.serve.command import add_parser as add_serve  # no torch, no FastAPI

    add_serve(sub, common)
    return parser


def command_parsers(parser: argparse.ArgumentParser | None = None
                    ) -> dict[str, argparse.ArgumentParser]:
    """Each command's parser by name (``train``, ``predict``...), of ``parser`` or a new
    ``build_parser()``: what the docs and the tests read the options from."""
    parser = parser if parser is not None else build_parser()
    found = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(found.choices)


def option_flags(parser: argparse.ArgumentParser) -> set[str]:
    """Every option string of ``parser`` (``--window``, ``-h``...)."""
    return {flag for action in parser._actions for flag in action.option_strings}


class _Parser(argparse.ArgumentParser):
    """argparse, with its errors on one line (the usage is one ``--help`` away)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _one_line_warning(message, category, filename, lineno, file=None, line=None) -> str:
    return f"warning: {as_flags(str(message))}\n"


_NEGATIVE_VALUE = re.compile(r"-\d[\d.eE]*(,-?[\d.eE+-]+)*")


def _join_negative_values(argv: list[str]) -> list[str]:
    """``--quantiles -0.1,0.5`` as ``--quantiles=-0.1,0.5``: argparse takes a value that
    starts with a dash (and is not one plain number) for an option, and says "expected one
    argument" instead of what is wrong with the value."""
    out: list[str] = []
    for token in argv:
        if (out and out[-1].startswith("--") and "=" not in out[-1]
                and _NEGATIVE_VALUE.fullmatch(token)):
            out[-1] = f"{out[-1]}={token}"
        else:
            out.append(token)
    return out


def _unknown(parser: argparse.ArgumentParser, command: str | None, unknown: list[str]) -> str:
    """argparse's "unrecognized arguments", with the option meant where one is near
    (``--quantile``: ``--quantiles``), or the commands that take it (``predict --window``:
    a run keeps the window it was trained with)."""
    message = f"unrecognized arguments: {' '.join(unknown)}"
    flags = [u.split("=", 1)[0] for u in unknown if u.startswith("--")]
    if command is None or not flags:
        return message
    parsers = command_parsers(parser)
    own = option_flags(parsers[command])
    near = difflib.get_close_matches(flags[0], sorted(own), n=1, cutoff=0.8)
    if near:
        return f"{message}; did you mean {near[0]}?"
    every = sorted(set().union(*(option_flags(sub) for sub in parsers.values())))
    meant = flags[0] if flags[0] in every else next(
        iter(difflib.get_close_matches(flags[0], every, n=1, cutoff=0.8)), None)
    if meant is None:
        return message
    others = [name for name, sub in parsers.items() if meant in option_flags(sub)]
    return (f"{message}; {meant} is an option of lstmcast {', '.join(others)}, not of "
            f"{command}" + (" (a run folder keeps the settings it was trained with)"
                            if "train" in others else ""))


def main(argv: Sequence[str] | None = None) -> int:
    code = _command(argv)
    end(code)  # a rank under torchrun ends here, having left its process group
    return code


def _command(argv: Sequence[str] | None) -> int:
    parser = build_parser()
    args, unknown = parser.parse_known_args(_join_negative_values(list(
        sys.argv[1:] if argv is None else argv)))
    if unknown:
        parser.error(_unknown(parser, getattr(args, "command", None), unknown))
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return 2
    warnings.formatwarning = _one_line_warning
    args.access = ACCESS[args.command]
    show = warnings.showwarning
    warnings.showwarning = _once(show)
    try:
        return handler(args)
    except BrokenPipeError:  # `lstmcast predict ... | head`: the reader left; not an error
        import os

        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # Python flushes stdout once more at exit
        return 0
    except (LstmcastError, OSError) as exc:
        if args.debug:
            raise
        text = " ".join(str(exc).split())  # one line, whatever the message held
        print(f"lstmcast {args.command}: error: {as_flags(text)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("lstmcast: interrupted", file=sys.stderr)
        return 130
    finally:
        warnings.showwarning = show


def _once(show):
    """``show`` for each warning's text once per command: the same table read for training,
    for the test and for the scores raised its warnings from several places."""
    seen: set[str] = set()

    def once(message, category, filename, lineno, file=None, line=None) -> None:
        if str(message) not in seen:
            seen.add(str(message))
            show(message, category, filename, lineno, file, line)
    return once


if __name__ == "__main__":
    sys.exit(main())
