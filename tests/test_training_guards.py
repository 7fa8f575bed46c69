"""`model.fit` with invalid targets: reported, never trained on.

An invalid label or target loses its loss and gradient, is counted by
`metrics.InvalidLabels` / `metrics.InvalidTargets`, and the loss warns (by
default) or raises from the first batch holding one, on every backend and
inside compiled steps too.
"""

import warnings

import keras
import numpy as np
import pytest

import keras_hpn
from keras_hpn import data

EAGER = keras.backend.backend() == "torch"


def digits_model(protos: np.ndarray, **kwargs) -> keras.Model:
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
        loss=keras_hpn.losses.PrototypeCosineLoss(
            protos, invalid_labels=kwargs.pop("invalid_labels", "warn")
        ),
        metrics=[
            keras_hpn.metrics.PrototypeAccuracy(protos),
            keras_hpn.metrics.InvalidLabels(len(protos)),
        ],
        **kwargs,
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


@pytest.mark.parametrize("run_eagerly", [False, True])
def test_shifted_labels_warn_by_default_and_are_counted(digits, run_eagerly):
    # Issue 17: `fit(x, y + 1)` trained in silence (accuracy 0.148).
    x, y = digits
    protos = keras_hpn.prototypes.hyperspherical(10, 5, seed=0)
    model = digits_model(protos, run_eagerly=run_eagerly)
    with pytest.warns(
        keras_hpn.losses.InvalidLabelWarning,
        match=r"of 64 labels in a batch are not class ids in \[0, 10\), e\.g\. 10",
    ) as caught:
        history = model.fit(x, y + 1, epochs=2, batch_size=64, verbose=0)
    ours = [w for w in caught if w.category is keras_hpn.losses.InvalidLabelWarning]
    assert len(ours) == 1  # once per loss, not once per batch
    assert all_finite(model)
    assert history.history["invalid_labels"] == [float(np.sum(y == 9))] * 2


def test_clean_labels_warn_nothing(digits):
    x, y = digits
    model = digits_model(keras_hpn.prototypes.hyperspherical(10, 5, seed=0))
    with warnings.catch_warnings():
        warnings.simplefilter("error", keras_hpn.losses.InvalidLabelWarning)
        model.fit(x, y, epochs=1, batch_size=64, verbose=0)


def test_bad_label_after_the_first_batch_is_seen(digits):
    # Issue 17: the eager check ran once, so batch 2 passed silently.
    x, y = digits
    y = y.copy()
    y[100] = 10.0  # batch 2 of 64
    model = digits_model(keras_hpn.prototypes.hyperspherical(10, 5, seed=0))
    with pytest.warns(keras_hpn.losses.InvalidLabelWarning, match="1 of 64"):
        model.fit(x, y, epochs=1, batch_size=64, shuffle=False, verbose=0)


@pytest.mark.parametrize("run_eagerly", [False, True])
def test_strict_mode_stops_fit(digits, run_eagerly):
    x, y = digits
    y = y.copy()
    y[100] = -1.0
    protos = keras_hpn.prototypes.hyperspherical(10, 5, seed=0)
    model = digits_model(protos, invalid_labels="raise", run_eagerly=run_eagerly)
    with pytest.raises(Exception, match=r"1 of 64 labels.*e\.g\. -1"):
        model.fit(x, y, epochs=1, batch_size=64, shuffle=False, verbose=0)
    if keras.backend.backend() == "jax" and not run_eagerly:
        return  # Keras' JAX step donates the variables: an error deletes them.
    # Stopped in batch 2 (a compiled TF step may finish its own update).
    assert int(keras.ops.convert_to_numpy(model.optimizer.iterations)) <= 2
    assert all_finite(model)


def test_large_int64_labels_never_alias_a_class_in_fit(digits):
    # Issue 17 item 6: 16,777,217 read 16,777,216 through a float32 cast.
    x, y = digits
    y = y[:64].astype("int64")
    y[3] = 16_777_217
    model = digits_model(keras_hpn.prototypes.hyperspherical(10, 5, seed=0))
    with pytest.warns(keras_hpn.losses.InvalidLabelWarning, match="e.g. 16777217"):
        history = model.fit(x[:64], y, epochs=1, batch_size=64, verbose=0)
    assert history.history["invalid_labels"] == [1.0]
    assert (
        model.evaluate(x[:64], y, verbose=0, return_dict=True)["invalid_labels"] == 1.0
    )


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


@pytest.mark.skipif(keras.backend.backend() != "tensorflow", reason="TF XLA only")
def test_tf_xla_step_says_that_only_the_metric_counts(digits, monkeypatch):
    # No host callback compiles under XLA: the loss says so when traced.
    from keras_hpn import targets

    monkeypatch.setattr(targets, "_XLA_WARNED", [])
    x, y = digits
    model = digits_model(
        keras_hpn.prototypes.hyperspherical(10, 5, seed=0), jit_compile=True
    )
    with pytest.warns(keras_hpn.losses.InvalidLabelWarning, match="XLA.*InvalidLabels"):
        history = model.fit(x, y + 1, epochs=1, batch_size=64, verbose=0)
    assert history.history["invalid_labels"] == [float(np.sum(y == 9))]
    assert all_finite(model)


@pytest.mark.parametrize("out_of_range", [False, True])
def test_range_check_reads_real_targets_in_every_kind_of_step(
    out_of_range,
):
    # PyTorch's shape inference falls back to tensors of ones when the task
    # model fails on its "meta" device; those ones (outside [10, 20]) once
    # triggered "from 1.0 to 1.0" and used up the one range check.
    rng = np.random.default_rng(0)
    x = rng.normal(size=(32, 4)).astype("float32")
    targets = rng.uniform(10.0, 20.0, size=32)
    if out_of_range:
        targets[:] = 25.0
    y = np.stack([rng.integers(0, 3, 32), targets], axis=1).astype("float32")
    backbone = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8)])
    model = keras_hpn.models.HPNMultiTask(
        backbone, num_classes=3, lower=10.0, upper=20.0, seed=0
    )
    model.compile()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model.fit(x, y, epochs=1, batch_size=16, verbose=0)
    outside = [str(w.message) for w in caught if "outside [lower" in str(w.message)]
    if out_of_range:  # also from compiled JAX and TensorFlow steps
        assert len(outside) == 1 and "16 of 16 targets" in outside[0]
        assert "e.g. 25.0" in outside[0]
    else:
        assert outside == []
