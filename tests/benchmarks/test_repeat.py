"""Seeded benchmark runs repeat bit for bit (on every backend, in one process)."""

import numpy as np

from keras_hpn import data
from keras_hpn.benchmarks import common, models, report
from keras_hpn.benchmarks.models import Budget


def _train(kind: str, dims: int):
    split = data.digits(seed=0)
    budget = Budget(epochs=1, batch_size=64, learning_rate=0.01, hidden=32)
    accuracy, model = models.train_classifier(
        kind,
        split.x_train[:512],
        split.y_train[:512],
        split.x_test,
        split.y_test,
        dims,
        0,
        budget,
    )
    return accuracy, [np.asarray(weight) for weight in model.get_weights()]


def test_same_seed_repeats_exactly_at_low_dims():
    # D = 2 is where training is chaotic: any difference would show here.
    for kind in ("hpn", "softmax"):
        first, first_weights = _train(kind, 2)
        second, second_weights = _train(kind, 2)
        assert first == second
        for a, b in zip(first_weights, second_weights, strict=True):
            np.testing.assert_array_equal(a, b)


def test_machine_records_what_exact_figures_depend_on():
    import keras

    record = common.machine()
    assert record["backend"] == keras.backend.backend()
    assert record["threads"] >= 1 and record["cpus"] >= record["threads"]
    assert record["versions"]["keras"] == keras.__version__
    note = report._repeat_note(record)
    assert f"{record['threads']} CPU thread" in note and record["backend"] in note
