"""The user workflow of the README, end to end on real data (scikit-learn)."""

import json
import os
import subprocess
import sys
import textwrap

import keras
import numpy as np
import pytest

import keras_hpn
from keras_hpn import data


def readme_model(dims: int = 10) -> keras.Sequential:
    return keras.Sequential(
        [
            keras.Input((64,)),
            keras.layers.Dense(256, activation="relu"),
            keras_hpn.layers.L2NormalizedProjection(dims),
        ]
    )


@pytest.fixture(scope="module")
def trained():
    """The README snippet trained on digits: (model, prototypes, split)."""
    split = data.digits(seed=0)
    keras.utils.set_random_seed(0)
    protos = keras_hpn.prototypes.hyperspherical(num_classes=10, dims=10, seed=0)
    model = readme_model(10)
    model.compile(
        optimizer="adam",
        loss=keras_hpn.losses.PrototypeCosineLoss(protos),
        metrics=[keras_hpn.metrics.PrototypeAccuracy(protos)],
    )
    model.fit(split.x_train, split.y_train, epochs=30, batch_size=32, verbose=0)
    return model, protos, split


def test_readme_snippet_reaches_96_percent_on_digits(trained):
    model, protos, split = trained
    classes = keras_hpn.predict_classes(model.predict(split.x_test, verbose=0), protos)
    accuracy = float(np.mean(classes == split.y_test))
    assert accuracy >= 0.96, accuracy
    # The metric agrees with the decoder.
    _, metric = model.evaluate(split.x_test, split.y_test, verbose=0)
    assert metric == pytest.approx(accuracy, abs=1e-6)


def _predict_in_fresh_process(path, x_path):
    code = textwrap.dedent(
        f"""
        import numpy as np, keras, keras_hpn
        model = keras.saving.load_model({str(path)!r})
        x = np.load({str(x_path)!r})
        np.save({str(x_path)!r} + ".out.npy", model.predict(x, verbose=0))
        print(type(model.loss).__name__)
        """
    )
    env = dict(os.environ, KERAS_BACKEND=keras.backend.backend())
    done = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return np.load(str(x_path) + ".out.npy"), done.stdout.strip().splitlines()[-1]


def test_saved_model_predicts_identically_in_fresh_process(trained, tmp_path):
    model, _, split = trained
    path = tmp_path / "hpn.keras"
    model.save(path)
    x_path = tmp_path / "x.npy"
    np.save(x_path, split.x_test)
    predicted, loss_name = _predict_in_fresh_process(path, x_path)
    np.testing.assert_array_equal(predicted, model.predict(split.x_test, verbose=0))
    assert loss_name == "PrototypeCosineLoss"
    # No side file: the prototypes travel inside the .keras archive.
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "hpn.keras",
        "x.npy",
        "x.npy.out.npy",
    ]


def test_prototype_head_model_classifies_without_side_files(trained, tmp_path):
    model, protos, split = trained
    head = keras_hpn.layers.PrototypeHead(
        10, kernel_initializer=keras_hpn.initializers.PrototypeInitializer(protos)
    )
    classifier = keras.Sequential([*model.layers, head])
    scores = classifier.predict(split.x_test, verbose=0)
    expected = keras_hpn.predict_classes(model.predict(split.x_test, verbose=0), protos)
    np.testing.assert_array_equal(np.argmax(scores, axis=-1), expected)
    path = tmp_path / "classifier.keras"
    classifier.save(path)
    x_path = tmp_path / "x.npy"
    np.save(x_path, split.x_test)
    reloaded, _ = _predict_in_fresh_process(path, x_path)
    np.testing.assert_array_equal(reloaded, scores)


def test_saved_config_holds_registered_names(trained, tmp_path):
    model, _, _ = trained
    path = tmp_path / "hpn.keras"
    model.save(path)
    import zipfile

    config = json.loads(zipfile.ZipFile(path).read("config.json"))
    text = json.dumps(config)
    assert "keras_hpn>L2NormalizedProjection" in text
    assert "keras_hpn>PrototypeCosineLoss" in text


def test_mixed_precision_trains_without_nan():
    keras.mixed_precision.set_global_policy("mixed_float16")
    split = data.digits(seed=1)
    keras.utils.set_random_seed(1)
    protos = keras_hpn.prototypes.hyperspherical(10, 10, seed=1)
    model = readme_model(10)
    model.compile(
        optimizer="adam",
        loss=keras_hpn.losses.PrototypeCosineLoss(protos),
        metrics=[keras_hpn.metrics.PrototypeAccuracy(protos)],
    )
    history = model.fit(
        split.x_train, split.y_train, epochs=5, batch_size=64, verbose=0
    )
    assert np.isfinite(history.history["loss"]).all()
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert history.history["prototype_accuracy"][-1] > 0.8


@pytest.mark.slow
def test_regression_beats_the_median_on_diabetes():
    from sklearn.datasets import load_diabetes
    from sklearn.model_selection import train_test_split

    x, y = load_diabetes(return_X_y=True)
    x = x / x.std(axis=0)
    x_train, x_test, y_train, y_test = train_test_split(
        x.astype("float32"), y, test_size=0.25, random_state=0
    )
    keras.utils.set_random_seed(0)
    loss = keras_hpn.losses.HypersphericalRegressionLoss.from_targets(y_train)
    model = keras.Sequential(
        [
            keras.Input((10,)),
            keras.layers.Dense(64, activation="relu"),
            keras_hpn.layers.L2NormalizedProjection(2),
        ]
    )
    model.compile(
        optimizer=keras.optimizers.Adam(0.01),
        loss=loss,
        metrics=[keras_hpn.metrics.RegressionMAE(loss.lower, loss.upper)],
    )
    # Longer training overfits these 331 examples (seen: MAE up to 65).
    model.fit(x_train, y_train, epochs=30, batch_size=64, verbose=0)
    predicted = keras_hpn.decode_regression(
        model.predict(x_test, verbose=0), loss.lower, loss.upper
    )
    mae = float(np.mean(np.abs(predicted - y_test)))
    median_mae = float(np.mean(np.abs(np.median(y_train) - y_test)))
    # A network trained with MSE reaches about 0.8 of the median's error here.
    assert mae < 0.9 * median_mae, (mae, median_mae)
    _, metric = model.evaluate(x_test, y_test, verbose=0)
    assert metric == pytest.approx(mae, rel=1e-4)


@pytest.mark.slow
def test_multitask_learns_both_tasks_on_wine():
    from sklearn.datasets import load_wine
    from sklearn.model_selection import train_test_split

    x, labels = load_wine(return_X_y=True)
    # Alcohol (column 0) is held out of the inputs and becomes the target.
    target, x = x[:, 0], x[:, 1:]
    x = (x - x.mean(axis=0)) / x.std(axis=0)
    y = np.stack([labels, target], axis=1)
    x_train, x_test, y_train, y_test = train_test_split(
        x.astype("float32"), y, test_size=0.3, random_state=0, stratify=labels
    )
    lower, upper = float(y_train[:, 1].min()), float(y_train[:, 1].max())
    protos, axis = keras_hpn.prototypes.multitask(3, 4, seed=0)
    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [
            keras.Input((12,)),
            keras.layers.Dense(64, activation="relu"),
            keras_hpn.layers.L2NormalizedProjection(4),
        ]
    )
    model.compile(
        optimizer=keras.optimizers.Adam(0.005),
        loss=keras_hpn.losses.MultiTaskLoss(protos, lower, upper, weight=0.5),
        metrics=[
            keras_hpn.metrics.PrototypeAccuracy(protos, label_column=0),
            keras_hpn.metrics.RegressionMAE(lower, upper, target_column=1),
        ],
    )
    model.fit(x_train, y_train, epochs=80, batch_size=16, verbose=0)
    z = model.predict(x_test, verbose=0)
    accuracy = float(np.mean(keras_hpn.predict_classes(z, protos) == y_test[:, 0]))
    mae = float(
        np.mean(np.abs(keras_hpn.decode_regression(z, lower, upper) - y_test[:, 1]))
    )
    mean_mae = float(np.mean(np.abs(y_train[:, 1].mean() - y_test[:, 1])))
    assert accuracy >= 0.9, accuracy
    assert mae < 0.85 * mean_mae, (mae, mean_mae)


def test_keras_native_two_output_alternative_trains():
    """The alternative to MultiTaskLoss shown in its docstring: two outputs."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 8)).astype("float32")
    labels, targets = rng.integers(0, 3, 64), rng.uniform(0.0, 1.0, 64)
    protos = keras_hpn.prototypes.hyperspherical(3, 4, seed=0)
    inputs = keras.Input((8,))
    body = keras.layers.Dense(16, activation="relu")(inputs)
    classes = keras_hpn.layers.L2NormalizedProjection(4, name="classes")(body)
    value = keras_hpn.layers.L2NormalizedProjection(2, name="value")(body)
    model = keras.Model(inputs, [classes, value])
    model.compile(
        optimizer="adam",
        loss=[
            keras_hpn.losses.PrototypeCosineLoss(protos),
            keras_hpn.losses.HypersphericalRegressionLoss(0.0, 1.0),
        ],
        loss_weights=[0.25, 0.75],
    )
    history = model.fit(x, [labels, targets], epochs=3, verbose=0)
    assert np.isfinite(history.history["loss"]).all()
    z_classes, z_value = model.predict(x, verbose=0)
    class_loss = np.mean(
        (1 - keras_hpn.class_scores(z_classes, protos)[np.arange(64), labels]) ** 2
    )
    cosine = z_value[:, 0] / np.linalg.norm(z_value, axis=1)
    value_loss = np.mean((2 * targets - 1 - cosine) ** 2)
    total = model.evaluate(x, [labels, targets], verbose=0)[0]
    assert total == pytest.approx(0.25 * class_loss + 0.75 * value_loss, rel=1e-4)
