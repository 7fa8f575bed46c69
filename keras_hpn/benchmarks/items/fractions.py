"""Item `fractions`: test accuracy when training on a share of the data.

The paper's second claim: HPN needs less training data. Every run uses the
largest output dimensionality of `settings.dims`; with `min_steps` in the
budget, the small shares repeat their examples so that no run stops after
a handful of updates.
"""

from __future__ import annotations

from keras_hpn.benchmarks import tasks
from keras_hpn.benchmarks.common import Settings, summary
from keras_hpn.utils.progress import ProgressBar


def runs(settings: Settings) -> int:
    return len(settings.fraction_losses) * len(settings.fractions) * len(settings.seeds)


def run(settings: Settings, progress: ProgressBar) -> dict:
    """`{"kind/share": summary of test accuracies}` (with `"size"`, the
    training images of the first seed)."""
    results = {}
    dims = max(settings.dims)
    for kind in settings.fraction_losses:
        for share in settings.fractions:
            accuracies = []
            for seed in settings.seeds:
                split = tasks.split(settings, seed, share=share)
                accuracy, _ = tasks.train(settings, kind, split, dims, seed)
                accuracies.append(accuracy)
                progress.step(
                    f"share {kind:<12} {share:>5.0%} seed {seed}: {accuracy:.4f}"
                )
            results[f"{kind}/{share}"] = {
                **summary(accuracies),
                "size": len(split.y_train),
            }
    return results
