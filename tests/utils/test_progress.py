"""One progress printer: redrawn in place on a terminal, sparse lines in logs."""

import contextlib
import io

import pytest

from keras_hpn.prototypes import smooth_max
from keras_hpn.utils.progress import ProgressBar

pytestmark = pytest.mark.once  # backend-independent: first pass only


class Terminal(io.StringIO):
    def isatty(self):
        return True


def test_logs_get_a_line_per_tenth_and_no_carriage_returns():
    log = io.StringIO()
    bar = ProgressBar(10_000, "placing", stream=log)
    for done in range(1, 10_001):
        bar.update(done, f"largest cosine {1 / done:.4f}")
    bar.close()
    text = log.getvalue()
    assert "\r" not in text
    lines = text.splitlines()
    assert len(lines) == 10 and all(len(line) < 120 for line in lines)
    assert lines[-1].startswith("placing [##############################] 100%")


def test_a_terminal_gets_one_line_redrawn_in_place():
    screen = Terminal()
    bar = ProgressBar(1000, "placing", stream=screen)
    for done in range(1, 1001):
        bar.update(done)
    bar.close()
    text = screen.getvalue()
    assert text.count("\n") == 1 and text.endswith("\n")
    assert text.count("\r") >= 1 and "100%" in text.split("\r")[-1]


def test_a_long_placement_leaves_short_lines_in_a_log():
    log = io.StringIO()
    with contextlib.redirect_stderr(log):
        smooth_max(40, 3, seed=0, steps=400, verbose=True)
    lines = log.getvalue().splitlines()
    assert "\r" not in log.getvalue() and 1 <= len(lines) <= 10
    assert all(line.startswith("placing 40 prototypes") for line in lines)


def test_disabled_prints_nothing_and_steps_count():
    quiet = io.StringIO()
    bar = ProgressBar(3, stream=quiet, enabled=False)
    bar.update(2)
    bar.step("run")
    bar.close()
    assert quiet.getvalue() == "" and bar.done == 1
