"""What the command-line tests share: running ``lstmcast`` as a user would, and tiny settings."""

import subprocess
import sys

FAST = ["--epochs", "1", "--units", "8", "--window", "6", "--batch-size", "64"]


def run_cli(*args, cwd=None, timeout=300):
    """``python -m lstmcast ARGS`` in a subprocess: its exit code, stdout and stderr."""
    return subprocess.run([sys.executable, "-m", "lstmcast", *map(str, args)],
                          capture_output=True, text=True, timeout=timeout, cwd=cwd)


def one_line_error(result, *needles):
    """A command failed as promised: exit 1, one line naming the problem, no traceback."""
    assert result.returncode == 1, (result.returncode, result.stdout, result.stderr)
    assert result.stderr.strip().count("\n") == 0, result.stderr
    assert "Traceback" not in result.stderr
    for needle in needles:
        assert needle in result.stderr, (needle, result.stderr)
