"""HPN against softmax cross-entropy on scikit-learn's digits (the main job)."""

from __future__ import annotations

import dataclasses
import statistics
import sys
import time
from collections.abc import Sequence

import keras
import numpy as np

from keras_hpn import data
from keras_hpn.decoding import predict_classes
from keras_hpn.layers import L2NormalizedProjection
from keras_hpn.losses import PrototypeCosineLoss
from keras_hpn.metrics import PrototypeAccuracy
from keras_hpn.prototypes import hyperspherical


@dataclasses.dataclass(frozen=True)
class Run:
    """One training run: which loss, its seed, test accuracy and seconds."""

    loss: str
    dims: int
    seed: int
    accuracy: float
    seconds: float


def backbone(input_dim: int, hidden: int = 256) -> keras.Sequential:
    """The shared network body: one hidden ReLU layer."""
    return keras.Sequential(
        [keras.Input((input_dim,)), keras.layers.Dense(hidden, activation="relu")]
    )


def train_hpn(
    split: data.Split, dims: int, seed: int, epochs: int, batch_size: int = 32
) -> float:
    """Trains the HPN of the README on `split` and returns its test accuracy."""
    num_classes = int(split.y_train.max()) + 1
    keras.utils.set_random_seed(seed)
    protos = hyperspherical(num_classes, dims, seed=seed)
    model = backbone(split.x_train.shape[1])
    model.add(L2NormalizedProjection(dims))
    model.compile(
        optimizer="adam",
        loss=PrototypeCosineLoss(protos),
        metrics=[PrototypeAccuracy(protos)],
    )
    model.fit(
        split.x_train, split.y_train, epochs=epochs, batch_size=batch_size, verbose=0
    )
    predicted = predict_classes(model.predict(split.x_test, verbose=0), protos)
    return float(np.mean(predicted == split.y_test))


def train_softmax(
    split: data.Split, dims: int, seed: int, epochs: int, batch_size: int = 32
) -> float:
    """Same body with a softmax cross-entropy head; returns test accuracy.

    With `dims` equal to the number of classes the head is one linear layer
    of `dims` logits (as many weights as the HPN head); otherwise a linear
    `dims`-wide bottleneck comes before the logits.
    """
    num_classes = int(split.y_train.max()) + 1
    keras.utils.set_random_seed(seed)
    model = backbone(split.x_train.shape[1])
    if dims != num_classes:
        model.add(keras.layers.Dense(dims))
    model.add(keras.layers.Dense(num_classes))
    model.compile(
        optimizer="adam",
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    model.fit(
        split.x_train, split.y_train, epochs=epochs, batch_size=batch_size, verbose=0
    )
    logits = model.predict(split.x_test, verbose=0)
    return float(np.mean(np.argmax(logits, axis=-1) == split.y_test))


def compare(
    dims: int = 10,
    seeds: Sequence[int] = (0, 1, 2),
    epochs: int = 30,
    stream="stdout",
) -> list[Run]:
    """Trains HPN and softmax cross-entropy on digits for every seed.

    Args:
        dims: output dimensionality of the HPN (and bottleneck of softmax).
        seeds: seeds of the data split, initialisation and prototypes.
        epochs: training epochs of each run.
        stream: where progress lines go: a text stream, `"stdout"` (the
            default, `sys.stdout` at call time) or `None` for silence.

    Returns:
        A list of `Run`, two per seed.

    Example:

    ```python
    runs = compare(dims=10, seeds=[0], epochs=1, stream=None)
    [run.loss for run in runs]
    # ['hpn', 'softmax']
    ```
    """
    if stream == "stdout":
        stream = sys.stdout
    runs = []
    total = 2 * len(seeds)
    for seed in seeds:
        split = data.digits(seed=seed)
        for loss, train in (("hpn", train_hpn), ("softmax", train_softmax)):
            start = time.perf_counter()
            accuracy = train(split, dims, seed, epochs)
            run = Run(loss, dims, seed, accuracy, time.perf_counter() - start)
            runs.append(run)
            if stream is not None:
                print(
                    f"[{len(runs)}/{total}] {loss:<8} seed {seed}: test accuracy "
                    f"{accuracy:.4f} ({run.seconds:.1f} s)",
                    file=stream,
                    flush=True,
                )
    return runs


def table(runs: Sequence[Run]) -> str:
    """A plain-text table of mean and spread of test accuracy per loss."""
    lines = ["loss      dims  seeds  test accuracy (mean +- std)"]
    for loss in dict.fromkeys(run.loss for run in runs):
        mine = [run for run in runs if run.loss == loss]
        values = [run.accuracy for run in mine]
        spread = statistics.stdev(values) if len(values) > 1 else 0.0
        lines.append(
            f"{loss:<8}  {mine[0].dims:>4}  {len(values):>5}  "
            f"{statistics.mean(values):.4f} +- {spread:.4f}"
        )
    return "\n".join(lines)
