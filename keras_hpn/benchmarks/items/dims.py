"""Item `dims`: test accuracy per loss and output dimensionality.

The paper's first claim: HPN keeps its accuracy with fewer output
dimensions than classes (softmax and cosine softmax get a `D`-wide
bottleneck there), and semantic priors help most at low `D`.
"""

from __future__ import annotations

from keras_hpn.benchmarks import tasks
from keras_hpn.benchmarks.common import Settings, summary
from keras_hpn.utils.progress import ProgressBar


def runs(settings: Settings) -> int:
    return len(settings.losses) * len(settings.dims) * len(settings.seeds)


def run(settings: Settings, progress: ProgressBar) -> dict:
    """`{"kind/dims": summary of test accuracies over the seeds}`."""
    results = {}
    # One split per seed, shared by every loss and dimensionality.
    splits = {seed: tasks.split(settings, seed) for seed in settings.seeds}
    for kind in settings.losses:
        for dims in settings.dims:
            accuracies = []
            for seed in settings.seeds:
                accuracy, _ = tasks.train(settings, kind, splits[seed], dims, seed)
                accuracies.append(accuracy)
                progress.step(
                    f"dims  {kind:<12} D={dims:<3} seed {seed}: {accuracy:.4f}"
                )
            results[f"{kind}/{dims}"] = summary(accuracies)
    return results
