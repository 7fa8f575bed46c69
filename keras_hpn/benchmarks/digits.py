"""HPN against softmax cross-entropy on scikit-learn's digits (the main job)."""

from __future__ import annotations

import dataclasses
import statistics
import sys
import time
from collections.abc import Sequence

from keras_hpn import data
from keras_hpn.benchmarks import models
from keras_hpn.benchmarks.models import Budget
from keras_hpn.utils.progress import ProgressBar


@dataclasses.dataclass(frozen=True)
class Run:
    """One training run: which loss, its seed, test accuracy and seconds."""

    loss: str
    dims: int
    seed: int
    accuracy: float
    seconds: float


def train(kind: str, split: data.Split, dims: int, seed: int, epochs: int) -> float:
    """Trains `hpn` or `softmax` as in the README (batch 32) on `split`.

    Returns:
        The test accuracy.
    """
    budget = Budget(epochs=epochs, batch_size=32, learning_rate=0.001)
    accuracy, _ = models.train_classifier(
        kind,
        split.x_train,
        split.y_train,
        split.x_test,
        split.y_test,
        dims,
        seed,
        budget,
    )
    return accuracy


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
    progress = ProgressBar(2 * len(seeds), stream=stream, enabled=stream is not None)
    for seed in seeds:
        split = data.digits(seed=seed)
        for loss in ("hpn", "softmax"):
            start = time.perf_counter()
            accuracy = train(loss, split, dims, seed, epochs)
            run = Run(loss, dims, seed, accuracy, time.perf_counter() - start)
            runs.append(run)
            progress.step(f"{loss:<8} seed {seed}: test accuracy {accuracy:.4f}")
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
