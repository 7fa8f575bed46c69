"""Item `cost`: training-step time of HPN over softmax cross-entropy."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time

from keras_hpn import data
from keras_hpn.benchmarks import models
from keras_hpn.benchmarks.common import Progress, Settings
from keras_hpn.benchmarks.models import Budget


def _backends(settings: Settings) -> list[str]:
    import keras

    return list(dict.fromkeys([keras.backend.backend(), *settings.cost_backends]))


def runs(settings: Settings) -> int:
    return len(_backends(settings))


def step_time_ratio(steps: int, batch_size: int = 64, rounds: int = 15) -> dict:
    """Training-step time of HPN over softmax cross-entropy, side by side.

    Both models have the same body and a 10-wide head. After a warm-up they
    train in alternating rounds of `steps` steps on the same batches (HPN
    first in odd rounds, softmax first in even ones, so drifts in machine
    load hit both alike), and the ratio of the median round times is
    reported.
    """
    import keras

    split = data.digits(seed=0)
    x, y = split.x_train[: batch_size * 8], split.y_train[: batch_size * 8]
    budget = Budget()
    compiled = {
        kind: models.classifier(kind, 64, 10, 10, 0, budget)[0]
        for kind in ("hpn", "softmax")
    }
    batches = [
        (x[i : i + batch_size], y[i : i + batch_size])
        for i in range(0, len(y), batch_size)
    ]

    def timed(model) -> float:
        start = time.perf_counter()
        for step in range(steps):
            xb, yb = batches[step % len(batches)]
            model.train_on_batch(xb, yb)
        return time.perf_counter() - start

    for model in compiled.values():
        timed(model)  # compile and warm up
    times = {"hpn": [], "softmax": []}
    for round_index in range(rounds):
        order = ("hpn", "softmax") if round_index % 2 == 0 else ("softmax", "hpn")
        for kind in order:
            times[kind].append(timed(compiled[kind]))
    ratio = statistics.median(times["hpn"]) / statistics.median(times["softmax"])
    return {
        "backend": keras.backend.backend(),
        "ratio": ratio,
        "hpn_ms_per_step": 1000 * statistics.median(times["hpn"]) / steps,
        "softmax_ms_per_step": 1000 * statistics.median(times["softmax"]) / steps,
    }


def run(settings: Settings, progress: Progress) -> dict:
    """Step-time ratio on the active backend and, in subprocesses, the others."""
    import keras

    results = {}
    active = keras.backend.backend()
    for backend in _backends(settings):
        if backend == active:
            measured = step_time_ratio(settings.cost_steps)
        else:
            measured = _measure_in_subprocess(backend, settings.cost_steps)
        results[backend] = measured
        if "ratio" in measured:
            text = f"ratio {measured['ratio']:.3f}"
        else:
            text = measured.get("error", "")
        progress.step(f"cost  {backend:<10}: {text}")
    return results


def _measure_in_subprocess(backend: str, steps: int) -> dict:
    code = (
        "import json; from keras_hpn.benchmarks.items.cost import step_time_ratio; "
        f"print(json.dumps(step_time_ratio({steps})))"
    )
    env = dict(os.environ, KERAS_BACKEND=backend, TF_CPP_MIN_LOG_LEVEL="3")
    try:
        done = subprocess.run(
            [sys.executable, "-c", code],
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
    except subprocess.TimeoutExpired:
        return {"backend": backend, "error": "timed out"}
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["failed"])[-1]
        return {"backend": backend, "error": last[:200]}
    return json.loads(done.stdout.strip().splitlines()[-1])
