"""lstmcast.engine.progress: the Keras-style bar, redrawn on a terminal, one line elsewhere."""

import io
import re

import pytest

from lstmcast.engine.progress import ProgressBar, format_logs, format_seconds


class Terminal(io.StringIO):
    def isatty(self):
        return True


@pytest.mark.parametrize(("seconds", "text"), [
    (0, "0s"), (0.4, "0s"), (59.4, "59s"), (59.6, "1:00"), (125, "2:05"), (3599.6, "1:00:00"),
    (3725, "1:02:05"), (90061, "25:01:01"),
])
def test_format_seconds(seconds, text):
    assert format_seconds(seconds) == text


def test_format_logs():
    assert format_logs({"loss": 0.021346, "mae": 0.1102, "lr": 1e-05}) == \
        " - loss: 0.02135 - mae: 0.1102 - lr: 1e-05"
    assert format_logs({}) == ""


def test_update_draws_the_bar_in_place_on_a_terminal():
    stream = Terminal()
    bar = ProgressBar(89, stream=stream, width=30)
    assert bar.due()  # nothing drawn yet
    bar.update(45, {"loss": 0.0213})
    assert not bar.due()  # just drawn: not again within a tenth of a second
    filled = 30 * 45 // 89  # 15 characters done, the last of them the arrow
    expected = "=" * (filled - 1) + ">" + "." * (30 - filled)
    assert re.fullmatch(rf"\r45/89 \[{re.escape(expected)}\] - ETA: \d+s - loss: 0.0213\x1b\[K",
                        stream.getvalue())


@pytest.mark.parametrize(("done", "bar"), [(0, "." * 10), (1, ">" + "." * 9),
                                           (7, "=" * 6 + ">" + "." * 3), (10, "=" * 10)])
def test_the_bar_s_ends(done, bar):
    stream = Terminal()
    ProgressBar(10, stream=stream, width=10).update(done, {})
    assert stream.getvalue().startswith(f"\r{done:2d}/10 [{bar}] - ETA: ")


def test_finish_writes_one_line_elsewhere_and_never_redraws():
    stream = io.StringIO()
    bar = ProgressBar(5, stream=stream, width=8)
    assert not bar.due()  # not a terminal: nothing but the final line
    bar.finish({"loss": 0.5, "val_loss": 0.25})
    assert re.fullmatch(r"5/5 \[========\] - \d+s \d+ms/step - loss: 0.5 - val_loss: 0.25\n",
                        stream.getvalue())


def test_finish_on_a_terminal_overwrites_the_bar():
    stream = Terminal()
    bar = ProgressBar(100, stream=stream, width=4)
    bar.update(50, {})
    bar.finish({})
    last = stream.getvalue().split("\x1b[K")[-2]
    assert re.fullmatch(r"\r100/100 \[====\] - \d+s \d+ms/step", last)
    assert stream.getvalue().endswith("\x1b[K\n")
