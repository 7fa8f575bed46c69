"""`model.fit` with invalid targets: refused or visible, never trained on.

A compiled training step cannot raise on values, so on TensorFlow and JAX
an invalid label or target loses its loss and gradient and is counted by
`metrics.InvalidLabels` / `metrics.InvalidTargets`. PyTorch trains eagerly:
there the first batch is checked and raises.
"""

import keras
import numpy as np
import pytest

import keras_hpn
from keras_hpn import data

EAGER = keras.backend.backend() == "torch"


def digits_model(protos: np.ndarray) -> keras.Model:
    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [
            keras.Input((64,)),
            keras.layers.Dense(32, activation="relu"),
            keras_hpn.layers.L2NormalizedProjection(protos.shape[1]),
        ]
    )
    model.compile(
        optimizer="adam",
        loss=keras_hpn.losses.PrototypeCosineLoss(protos),
        metrics=[
            keras_hpn.metrics.PrototypeAccuracy(protos),
            keras_hpn.metrics.InvalidLabels(len(protos)),
        ],
    )
    return model


def all_finite(model: keras.Model) -> bool:
    return all(np.isfinite(keras.ops.convert_to_numpy(w)).all() for w in model.weights)


@pytest.fixture(scope="module")
def digits():
    split = data.digits(seed=0)
    return split.x_train[:640], split.y_train[:640].astype("float32")


@pytest.mark.parametrize("bad", [-1.0, 2.5, np.nan])
def test_one_bad_label_never_poisons_the_weights(digits, bad):
    x, y = digits
    y = y.copy()
    y[320] = bad  # not in the first batch, which PyTorch's eager check sees
    protos = keras_hpn.prototypes.hyperspherical(10, 5, seed=0)
    model = digits_model(protos)
    history = model.fit(x, y, epochs=1, batch_size=32, shuffle=False, verbose=0)
    assert all_finite(model)
    assert np.isfinite(history.history["loss"]).all()
    assert history.history["invalid_labels"] == [1.0]
    # The bad example contributed exactly what a weight of 0 gives: nothing.
    reference = digits_model(protos)
    weights = np.ones(len(y), "float32")
    weights[320] = 0.0
    reference.fit(
        x,
        digits[1],
        sample_weight=weights,
        epochs=1,
        batch_size=32,
        shuffle=False,
        verbose=0,
    )
    for got, expected in zip(model.weights, reference.weights, strict=True):
        np.testing.assert_allclose(
            keras.ops.convert_to_numpy(got),
            keras.ops.convert_to_numpy(expected),
            rtol=1e-5,
            atol=1e-6,
        )


def test_shifted_labels_fail_at_once_or_are_counted(digits):
    x, y = digits
    protos = keras_hpn.prototypes.hyperspherical(10, 5, seed=0)
    model = digits_model(protos)
    if EAGER:
        with pytest.raises(ValueError, match=r"\[0, 10\).*\[10\.0\]"):
            model.fit(x, y + 1, epochs=1, batch_size=64, verbose=0)
        return
    history = model.fit(x, y + 1, epochs=1, batch_size=64, verbose=0)
    assert all_finite(model)
    assert history.history["invalid_labels"] == [float(np.sum(y == 9))]


def test_zero_sample_weight_masks_unknown_labels_exactly(digits):
    x, y = digits
    x, y = x[:256], y[:256]
    weights = np.ones(len(y), "float32")
    weights[::4] = 0.0
    unknown = np.where(weights == 0, -1.0, y)
    protos = keras_hpn.prototypes.hyperspherical(10, 5, seed=0)
    trained = []
    for labels in (unknown, y):
        model = digits_model(protos)
        model.fit(
            x,
            labels,
            sample_weight=weights,
            epochs=1,
            batch_size=64,
            shuffle=False,
            verbose=0,
        )
        trained.append([keras.ops.convert_to_numpy(w) for w in model.weights])
    for masked, reference in zip(*trained, strict=True):
        np.testing.assert_allclose(masked, reference, rtol=1e-6, atol=1e-7)


def test_nan_regression_target_never_poisons_the_weights():
    split = data.diabetes(seed=0)
    y = split.y_train.copy()
    y[100] = np.nan
    loss = keras_hpn.losses.HypersphericalRegressionLoss.from_targets(split.y_train)
    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [
            keras.Input((10,)),
            keras.layers.Dense(16, activation="relu"),
            keras_hpn.layers.L2NormalizedProjection(2),
        ]
    )
    model.compile(
        optimizer="adam",
        loss=loss,
        metrics=[
            keras_hpn.metrics.RegressionMAE(loss.lower, loss.upper),
            keras_hpn.metrics.InvalidTargets(),
        ],
    )
    history = model.fit(
        split.x_train, y, epochs=2, batch_size=32, shuffle=False, verbose=0
    )
    assert all_finite(model)
    assert np.isfinite(history.history["regression_mae"]).all()
    assert history.history["invalid_targets"] == [1.0, 1.0]


@pytest.mark.parametrize("columns", [None, 1])
def test_multitask_without_both_columns_is_refused(columns):
    split = data.wine(seed=0)
    y = split.y_train[:, 0] if columns is None else split.y_train[:, :1]
    protos, _ = keras_hpn.prototypes.multitask(3, 4, seed=0)
    model = keras.Sequential(
        [keras.Input((12,)), keras_hpn.layers.L2NormalizedProjection(4)]
    )
    model.compile("adam", keras_hpn.losses.MultiTaskLoss(protos, 11.0, 15.0))
    with pytest.raises(ValueError, match=r"\(batch, 2\)"):
        model.fit(split.x_train, y, epochs=1, verbose=0)


@pytest.mark.skipif(
    keras.backend.backend() != "tensorflow", reason="tf.distribute custom step"
)
def test_distributed_custom_step_keeps_weights_finite(digits):
    x, y = digits
    y = y[:64].copy()
    y[5] = -1.0
    strategy = keras_hpn.distribute.data_parallel()
    protos = keras_hpn.prototypes.hyperspherical(10, 5, seed=0)
    with strategy.scope():
        model = keras.Sequential(
            [keras.Input((64,)), keras_hpn.layers.L2NormalizedProjection(5)]
        )
        optimizer = keras.optimizers.SGD(0.1)
        optimizer.build(model.trainable_variables)
    step = keras_hpn.distribute.train_step_fn(
        model, keras_hpn.losses.PrototypeCosineLoss(protos), optimizer, strategy
    )
    value = step(x[:64], y, np.ones(64, "float32"))
    assert np.isfinite(float(value))
    assert all_finite(model)
