"""Library messages in the command line's words: a setting written as Python
(``missing='drop'``) becomes its flag (``--missing drop``), for errors, warnings and notes
that the command line prints."""

from __future__ import annotations

import re
import shlex

from lstmcast.forecast import params

_SETTING_NAME = re.compile(r"`([a-z_]+)`")  # a setting named alone: `shard_rows`
_PYTHON_SETTING = re.compile(r"`?\b([a-z_]+)=('([^']*)'|\"([^\"]*)\"|True|False|None|[0-9.]+)`?")


def as_flags(message: str) -> str:
    """A library message's Python settings (``missing='drop'``) as command-line flags."""
    def flag(match: re.Match) -> str:
        name, value = match.group(1), match.group(2)
        param = params.BY_NAME.get(name)
        if param is None or not param.cli:
            return match.group(0)
        if value in ("True", "False"):
            return param.flag if value == "True" else "--no-" + param.flag[2:]
        text = match.group(3) if match.group(3) is not None else match.group(4)
        return f"{param.flag} {value if text is None else shlex.quote(text)}"  # as typed

    def named(match: re.Match) -> str:
        param = params.BY_NAME.get(match.group(1))
        return param.flag if param is not None and param.cli else match.group(0)

    return _SETTING_NAME.sub(named, _PYTHON_SETTING.sub(flag, message))
