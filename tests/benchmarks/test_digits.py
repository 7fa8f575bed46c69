import io

import pytest

from keras_hpn.benchmarks import digits

pytestmark = pytest.mark.once  # backend-independent: first pass only


@pytest.mark.slow
def test_compare_trains_both_losses_and_reports_progress():
    stream = io.StringIO()
    runs = digits.compare(dims=10, seeds=[0], epochs=3, stream=stream)
    assert [(run.loss, run.seed) for run in runs] == [("hpn", 0), ("softmax", 0)]
    # Three epochs already separate ten digit classes well above chance (0.1).
    assert all(run.accuracy > 0.6 for run in runs), runs
    assert stream.getvalue().count("test accuracy") == 2


def test_table_reports_mean_and_spread():
    runs = [
        digits.Run("hpn", 10, 0, 0.9, 1.0),
        digits.Run("hpn", 10, 1, 0.8, 1.0),
        digits.Run("softmax", 10, 0, 0.7, 1.0),
    ]
    lines = digits.table(runs).splitlines()
    assert lines[1].split()[:3] == ["hpn", "10", "2"]
    assert float(lines[1].split()[3]) == pytest.approx(0.85)
    assert float(lines[1].split()[5]) == pytest.approx(0.0707, abs=1e-4)
    assert lines[2].split()[3] == "0.7000"
