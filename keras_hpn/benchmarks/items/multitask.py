"""Item `multitask`: cultivar and alcohol of wine from one output, per task weight."""

from __future__ import annotations

from keras_hpn import data
from keras_hpn.benchmarks import models
from keras_hpn.benchmarks.common import Settings, summary
from keras_hpn.utils.progress import ProgressBar

KINDS = ("hpn", "softmax_mse")


def runs(settings: Settings) -> int:
    return len(KINDS) * len(settings.weights) * len(settings.seeds)


def run(settings: Settings, progress: ProgressBar) -> dict:
    """`{"kind/weight": {"accuracy": summary, "mae": summary}}`."""
    results = {}
    for kind in KINDS:
        for weight in settings.weights:
            accuracies, errors = [], []
            for seed in settings.seeds:
                accuracy, mae = models.train_multitask(
                    kind, data.wine(seed=seed), weight, seed, settings.multitask
                )
                accuracies.append(accuracy)
                errors.append(mae)
                progress.step(
                    f"multi {kind:<11} t={weight:<4} seed {seed}: "
                    f"acc {accuracy:.3f} MAE {mae:.3f}"
                )
            results[f"{kind}/{weight}"] = {
                "accuracy": summary(accuracies),
                "mae": summary(errors),
            }
    return results
