"""Item `regression`: hyperspherical regression against MSE on diabetes."""

from __future__ import annotations

from keras_hpn import data
from keras_hpn.benchmarks import models
from keras_hpn.benchmarks.common import Settings, summary
from keras_hpn.utils.progress import ProgressBar

KINDS = ("hpn", "mse")


def runs(settings: Settings) -> int:
    return len(KINDS) * len(settings.seeds)


def run(settings: Settings, progress: ProgressBar) -> dict:
    """`{kind: summary of test MAE in target units}`."""
    results = {}
    for kind in KINDS:
        errors = []
        for seed in settings.seeds:
            mae = models.train_regressor(
                kind, data.diabetes(seed=seed), seed, settings.regression
            )
            errors.append(mae)
            progress.step(f"regr  {kind:<8} seed {seed}: MAE {mae:.2f}")
        results[kind] = summary(errors)
    return results
