"""A model holding every keras-hpn class loads in a new process after a plain
`import keras_hpn`, and predicts exactly as before it was saved."""

import os
import subprocess
import sys
import textwrap

import keras
import numpy as np

import keras_hpn
from keras_hpn import initializers, layers, losses, metrics


def every_class_model() -> keras.Model:
    """Three outputs: classes, a regression value, both tasks on one output."""
    keras.utils.set_random_seed(0)
    protos = keras_hpn.prototypes.hyperspherical(4, 3, seed=0)
    task_protos, _ = keras_hpn.prototypes.multitask(4, 4, seed=0)
    inputs = keras.Input((6,))
    classes = layers.L2NormalizedProjection(3, name="classes")(inputs)
    value = layers.L2NormalizedProjection(2, name="value")(inputs)
    both = layers.L2NormalizedProjection(4, name="both")(inputs)
    head = layers.PrototypeHead(
        4,
        kernel_initializer=initializers.PrototypeInitializer(protos),
        name="head",
    )(classes)
    model = keras.Model(inputs, [classes, value, both, head])
    model.compile(
        optimizer="adam",
        loss=[
            losses.PrototypeCosineLoss(protos),
            losses.HypersphericalRegressionLoss(0.0, 10.0),
            losses.MultiTaskLoss(task_protos, 0.0, 10.0, weight=0.5),
            None,
        ],
        metrics=[
            [metrics.PrototypeAccuracy(protos), metrics.InvalidLabels(4)],
            [metrics.RegressionMAE(0.0, 10.0), metrics.InvalidTargets()],
            [metrics.PrototypeAccuracy(task_protos, label_column=0)],
            [],
        ],
    )
    return model


def test_every_class_loads_after_import_keras_hpn_with_identical_predictions(
    tmp_path,
):
    model = every_class_model()
    x = np.random.default_rng(0).standard_normal((5, 6)).astype("float32")
    labels = np.array([0, 1, 2, 3, 0])
    targets = np.linspace(0.0, 10.0, 5)
    model.fit(
        x,
        [labels, targets, np.stack([labels, targets], axis=1), np.zeros((5, 4))],
        epochs=1,
        verbose=0,
    )
    expected = [np.asarray(out) for out in model.predict(x, verbose=0)]
    path, inputs, outputs = (tmp_path / name for name in ("m.keras", "x.npy", "y"))
    model.save(path)
    np.save(inputs, x)
    code = f"""
        import keras_hpn
        import keras
        import numpy as np
        model = keras.saving.load_model({str(path)!r})
        got = model.predict(np.load({str(inputs)!r}), verbose=0)
        np.savez({str(outputs)!r}, *[np.asarray(out) for out in got])
        print(sorted({{type(loss).__name__ for loss in model.loss if loss}}))
        """
    env = dict(os.environ, KERAS_BACKEND=keras.backend.backend())
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip().splitlines()[-1] == (
        "['HypersphericalRegressionLoss', 'MultiTaskLoss', 'PrototypeCosineLoss']"
    )
    got = np.load(f"{outputs}.npz")
    for index, want in enumerate(expected):
        np.testing.assert_array_equal(got[f"arr_{index}"], want)
