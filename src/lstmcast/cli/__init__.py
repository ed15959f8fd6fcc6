"""The command line: ``lstmcast COMMAND ...`` (``main``), its parser (``build_parser``), run
folders (``runs``), the output guard (``outputs``) and the HTML report (``report``).

Importing it loads no torch: ``lstmcast --help`` and the argument checks answer first.
"""

from lstmcast.cli.main import build_parser, main

__all__ = ["build_parser", "main"]
