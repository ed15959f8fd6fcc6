"""What the command-line tests share: running ``lstmcast`` as a user would, and tiny settings."""

import contextlib
import io
import os
import subprocess
import sys
import traceback
import warnings

FAST = ["--epochs", "1", "--units", "8", "--window", "6", "--batch-size", "64"]


def run_cli(*args, cwd=None, timeout=300, process=False):
    """``lstmcast ARGS``: its exit code, stdout and stderr (a ``CompletedProcess``).

    By default the command runs in this process, through the same ``main`` that
    ``python -m lstmcast`` calls, with its output captured; this saves starting Python
    and torch again for every command. ``process=True`` (or the environment variable
    LSTMCAST_TEST_SUBPROCESS=1 for every test) runs ``python -m lstmcast`` in a
    subprocess instead, as a user's shell does.
    """
    argv = [str(a) for a in args]
    if process or os.environ.get("LSTMCAST_TEST_SUBPROCESS") == "1":
        return subprocess.run([sys.executable, "-m", "lstmcast", *argv],
                              capture_output=True, text=True, timeout=timeout, cwd=cwd)
    from lstmcast.cli.main import main

    out, err = io.StringIO(), io.StringIO()
    here, formatwarning = os.getcwd(), warnings.formatwarning
    try:
        if cwd is not None:
            os.chdir(cwd)
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), \
                warnings.catch_warnings():
            warnings.simplefilter("default")  # every warning shown, as in a fresh process
            warnings.showwarning = _to_stderr  # not pytest's recorder
            try:
                code = main(argv)
            except SystemExit as exc:  # argparse's usage errors
                code = exc.code if isinstance(exc.code, int) else int(exc.code is not None)
            except Exception:  # what a subprocess would print, exiting with 1
                traceback.print_exc(file=err)
                code = 1
    finally:
        os.chdir(here)
        warnings.formatwarning = formatwarning
    return subprocess.CompletedProcess(["lstmcast", *argv], code, out.getvalue(),
                                       err.getvalue())


def _to_stderr(message, category, filename, lineno, file=None, line=None):
    sys.stderr.write(warnings.formatwarning(message, category, filename, lineno, line))


def one_line_error(result, *needles):
    """A command failed as promised: exit 1, one line naming the problem, no traceback."""
    assert result.returncode == 1, (result.returncode, result.stdout, result.stderr)
    assert result.stderr.strip().count("\n") == 0, result.stderr
    assert "Traceback" not in result.stderr
    for needle in needles:
        assert needle in result.stderr, (needle, result.stderr)
