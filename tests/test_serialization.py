"""Keras' own serialisation harness on every public keras-hpn class.

`run_class_serialization_test` checks that `config -> from_config -> config`
is a fixed point and that `serialize -> deserialize` gives the same object,
here with float32 and float64 prototypes, on the active backend.
"""

import keras
import numpy as np
import pytest
from keras.src.testing import TestCase

from keras_hpn import initializers, layers, losses, metrics
from keras_hpn.prototypes import hyperspherical, multitask

HARNESS = TestCase()


def instances(dtype):
    protos = np.asarray(hyperspherical(6, 4, seed=0), dtype=dtype)
    multi, axis = multitask(3, 4, seed=0)
    multi, axis = np.asarray(multi, dtype=dtype), np.asarray(axis, dtype=dtype)
    axis_2d = np.asarray([0.6, 0.8], dtype=dtype)
    return [
        layers.L2NormalizedProjection(4, kernel_regularizer="l2", epsilon=1e-8),
        layers.PrototypeHead(
            6, kernel_initializer=initializers.PrototypeInitializer(protos)
        ),
        layers.PrototypeHead(
            6, kernel_initializer=initializers.PrototypeInitializer(seed=3)
        ),
        losses.PrototypeCosineLoss(protos, label_column=1, reduction="sum"),
        losses.HypersphericalRegressionLoss(
            -1.0, 2.0, upper_prototype=axis_2d, target_column=0, clip_targets=True
        ),
        losses.MultiTaskLoss(multi, 0.0, 1.0, weight=0.3, regression_axis=axis),
        metrics.PrototypeAccuracy(protos, k=2, label_column=0),
        metrics.RegressionMAE(0.0, 5.0, upper_prototype=axis_2d, target_column=1),
        metrics.InvalidLabels(6, label_column=0),
        metrics.InvalidTargets(target_column=1),
        initializers.PrototypeInitializer(protos),
        initializers.PrototypeInitializer(seed=2, method="optimize"),
    ]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize(
    "index", range(len(instances("float64"))), ids=lambda i: str(i)
)
def test_keras_class_serialization_harness(dtype, index):
    instance = instances(dtype)[index]
    revived = HARNESS.run_class_serialization_test(instance)
    assert type(revived) is type(instance)


def test_harness_names_every_public_class():
    covered = {type(obj) for obj in instances("float64")}
    public = {
        obj
        for module in (layers, losses, metrics, initializers)
        for obj in vars(module).values()
        if isinstance(obj, type)
        and obj.__module__ == module.__name__
        and not obj.__name__.startswith("_")
        and issubclass(
            obj,
            (
                keras.layers.Layer,
                keras.losses.Loss,
                keras.metrics.Metric,
                keras.initializers.Initializer,
            ),
        )
    }
    assert public <= covered, public - covered
