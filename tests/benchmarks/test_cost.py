"""The cost item's memory figures: a peak per model, not the process's peak."""

import subprocess
import sys
import textwrap

import pytest

pytestmark = pytest.mark.once  # numpy and /proc only

PROBE = textwrap.dedent(
    """
    import numpy as np
    from keras_hpn.benchmarks import common

    # A parent's large peak, as after a long benchmark: the measurement of a
    # later, smaller allocation must not be hidden by it.
    earlier = np.ones(400 * 2**20, dtype=np.uint8)
    del earlier
    baseline = common.reset_peak()
    block = np.ones(100 * 2**20, dtype=np.uint8)
    print(common.peak_mb() - baseline)
    """
)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc is Linux's")
def test_peak_is_measured_per_model_after_a_larger_earlier_peak():
    done = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, check=True
    )
    grown = float(done.stdout.strip().splitlines()[-1])
    # 100 MiB = 104.9 MB; ru_maxrss would have read 0 here.
    assert 95 < grown < 130


def test_softmax_model_draws_no_prototypes(monkeypatch):
    """The softmax model's memory once counted the HPN prototypes, drawn
    before either model was built."""
    import numpy as np

    from keras_hpn.benchmarks.items import cost

    def refuse(*args, **kwargs):
        raise AssertionError("prototypes drawn for the softmax model")

    monkeypatch.setattr(np.random, "default_rng", refuse)
    model = cost._models(50)["softmax"]()
    assert model.count_params() == 512 * 512 + 512 + 512 * 50 + 50
