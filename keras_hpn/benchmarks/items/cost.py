"""Item `cost`: what a training step costs HPN and softmax as classes grow.

The promise of HPN for many classes is a head `D` wide instead of `K`
wide. Both models share a body (512 inputs, one hidden layer of 512 ReLU
units) and train with Adam on batches of 128 with their metrics on:

* `hpn`: `L2NormalizedProjection(128)`, `PrototypeCosineLoss`,
  `PrototypeAccuracy` (exact, over all `K` classes);
* `softmax`: a `K`-wide `Dense` head, sparse softmax cross-entropy,
  `sparse_categorical_accuracy`.

For each number of classes the item reports the parameter count, the
peak resident memory that building the model and its first two steps add
(one process per loss, the peak reset before each model, see `memory`), and the
step time: after a warm-up the two models train in alternating rounds in
one process (HPN first in odd rounds, softmax first in even ones, so drifts
in machine load hit both alike) and the medians of the rounds are compared.
Inputs and labels are random: cost does not depend on the data, nor on the
prototypes (random unit rows; the time to place them is measured by
`bench/prototypes.py`).
"""

from __future__ import annotations

import gc
import json
import os
import statistics
import subprocess
import sys
import time

from keras_hpn.benchmarks.common import Settings, peak_mb, reset_peak
from keras_hpn.utils.progress import ProgressBar

FEATURES = 512
DIMS = 128
BATCH = 128
# A round of the slower model lasts about this long (seconds).
ROUND_SECONDS = 0.4


def _backends(settings: Settings) -> list[str]:
    import keras

    return list(dict.fromkeys([keras.backend.backend(), *settings.cost_backends]))


def runs(settings: Settings) -> int:
    return len(_backends(settings))


def _models(num_classes: int, seed: int = 0, metric: bool = True):
    import keras
    import numpy as np

    import keras_hpn

    def hpn():
        # Made here, so that the softmax model's memory does not count them.
        protos = np.random.default_rng(seed).standard_normal((num_classes, DIMS))
        protos /= np.linalg.norm(protos, axis=1, keepdims=True)
        keras.utils.set_random_seed(seed)
        model = keras.Sequential(
            [
                keras.Input((FEATURES,)),
                keras.layers.Dense(FEATURES, activation="relu"),
                keras_hpn.layers.L2NormalizedProjection(DIMS),
            ]
        )
        model.compile(
            optimizer="adam",
            loss=keras_hpn.losses.PrototypeCosineLoss(protos),
            metrics=[keras_hpn.metrics.PrototypeAccuracy(protos)] if metric else [],
        )
        return model

    def softmax():
        keras.utils.set_random_seed(seed)
        model = keras.Sequential(
            [
                keras.Input((FEATURES,)),
                keras.layers.Dense(FEATURES, activation="relu"),
                keras.layers.Dense(num_classes),
            ]
        )
        model.compile(
            optimizer="adam",
            loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
            metrics=["sparse_categorical_accuracy"],
        )
        return model

    return {"hpn": hpn, "softmax": softmax}


def _batches(num_classes: int, seed: int = 0) -> list:
    import numpy as np

    rng = np.random.default_rng(seed)
    x = rng.standard_normal((4 * BATCH, FEATURES)).astype("float32")
    y = rng.integers(0, num_classes, 4 * BATCH)
    return [(x[i : i + BATCH], y[i : i + BATCH]) for i in range(0, 4 * BATCH, BATCH)]


def _timed(model, batches, steps: int) -> float:
    start = time.perf_counter()
    for step in range(steps):
        model.train_on_batch(*batches[step % len(batches)])
    return (time.perf_counter() - start) / steps


def memory(kind: str, class_counts, metric: bool = True) -> dict:
    """Parameters and resident memory of one loss's model per class count.

    Run in a fresh process per loss: the first model of a process pays for
    the compiler (over 500 MB on JAX), so a throwaway model of the same kind
    takes that first; then for each class count the peak is reset to the
    current resident memory (`common.reset_peak`) and the figure is how far
    building the model and two training steps raise it.

    Args:
        kind: `"hpn"` or `"softmax"`.
        class_counts: the numbers of classes `K`.
        metric: compile the HPN model with `PrototypeAccuracy` (as the item
            does) or without it (`bench/memory.py` compares the two).

    Returns:
        `{K: {"params": ..., "memory_mb": ...}}`.
    """
    _timed(_models(10, metric=metric)[kind](), _batches(10), 2)
    results = {}
    for num_classes in sorted(class_counts):
        gc.collect()
        baseline = reset_peak()
        model = _models(num_classes, metric=metric)[kind]()
        _timed(model, _batches(num_classes), 2)
        results[str(num_classes)] = {
            "params": int(model.count_params()),
            "memory_mb": max(0.0, peak_mb() - baseline),
        }
        del model
    return results


def step_times(class_counts, rounds: int = 9, max_steps: int = 20) -> dict:
    """Step times of both models per class count, measured side by side.

    Args:
        class_counts: the numbers of classes `K`.
        rounds: alternating timing rounds per model.
        max_steps: training steps per round at most.

    Returns:
        `{K: {"hpn_ms": ..., "softmax_ms": ..., "ratio": ..., ...}}`.
    """
    results = {}
    for num_classes in class_counts:
        batches = _batches(num_classes)
        built = {kind: make() for kind, make in _models(num_classes).items()}
        for model in built.values():
            _timed(model, batches, 2)  # builds, compiles and warms up
        slowest = max(_timed(model, batches, 1) for model in built.values())
        steps = int(min(max_steps, max(1, ROUND_SECONDS // max(slowest, 1e-9))))
        times = {kind: [] for kind in built}
        for index in range(rounds):
            order = list(built) if index % 2 == 0 else list(reversed(built))
            for kind in order:
                times[kind].append(_timed(built[kind], batches, steps))
        hpn, softmax = (1000 * statistics.median(times[k]) for k in built)
        results[str(num_classes)] = {
            "hpn_ms": hpn,
            "softmax_ms": softmax,
            "ratio": hpn / softmax,
            "steps_per_round": steps,
            "rounds": rounds,
        }
    return results


def run(settings: Settings, progress: ProgressBar) -> dict:
    """The measurements of every backend, each part in a fresh process."""
    import keras

    results = {}
    for backend in _backends(settings):
        measured = _measure(
            backend,
            list(settings.cost_classes),
            settings.cost_rounds,
            # Only the active backend can be measured in this process.
            settings.cost_in_process and backend == keras.backend.backend(),
        )
        results[backend] = measured
        if "classes" in measured:
            text = ", ".join(
                f"K={k}: ratio {entry['ratio']:.3f}"
                for k, entry in measured["classes"].items()
            )
        else:
            text = measured.get("error", "")
        progress.step(f"cost  {backend:<10}: {text}")
    return results


def _measure(backend: str, counts: list, rounds: int, in_process: bool) -> dict:
    """Step times in one fresh process, each loss's memory in one more.

    `in_process` (the CI smoke mode, on the active backend) measures here
    instead, which saves three process starts; its memory figures then
    mean little.
    """
    parts = {
        "times": (step_times, (counts, rounds)),
        "hpn": (memory, ("hpn", counts)),
        "softmax": (memory, ("softmax", counts)),
    }
    found = {}
    for name, (function, args) in parts.items():
        found[name] = (
            function(*args) if in_process else _in_subprocess(backend, function, args)
        )
        if "error" in found[name]:
            return {"backend": backend, "error": found[name]["error"]}
    merged = {}
    for classes, times in found["times"].items():
        merged[classes] = {
            kind: {**found[kind][classes], "ms_per_step": times[f"{kind}_ms"]}
            for kind in ("hpn", "softmax")
        }
        merged[classes].update(
            {k: v for k, v in times.items() if not k.endswith("_ms")}
        )
    return {"backend": backend, "classes": merged}


def _in_subprocess(backend: str, function, args: tuple) -> dict:
    name = function.__name__
    code = (
        f"import json; from keras_hpn.benchmarks.items.cost import {name}; "
        f"print(json.dumps({name}(*{args!r})))"
    )
    env = dict(os.environ, KERAS_BACKEND=backend, TF_CPP_MIN_LOG_LEVEL="3")
    try:
        done = subprocess.run(
            [sys.executable, "-c", code],
            env=env,
            capture_output=True,
            text=True,
            timeout=1800,
        )
    except subprocess.TimeoutExpired:
        return {"error": "timed out"}
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["failed"])[-1]
        return {"error": last[:200]}
    return json.loads(done.stdout.strip().splitlines()[-1])
