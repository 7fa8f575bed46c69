"""Item `representations`: class separation and transfer to unseen classes.

Each loss trains on classes 0-4 (output dimensionality 5). On its frozen
`features` layer: class separation R^2 of the test images of those classes,
a linear probe that learns classes 5-9, and linear CKA between the losses'
features of the same seed on the test images of classes 5-9 (Kornblith et
al., NeurIPS 2021).
"""

from __future__ import annotations

import itertools

from keras_hpn.benchmarks import models, tasks
from keras_hpn.benchmarks.common import Settings, summary
from keras_hpn.utils.progress import ProgressBar

SEEN = 5  # classes below this train the networks; the rest are probed
DIMS = 5


def runs(settings: Settings) -> int:
    return len(models.CLASSIFIERS) * len(settings.seeds)


def run(settings: Settings, progress: ProgressBar) -> dict:
    """`{kind: {"accuracy", "separation", "probe"}}` summaries, and under
    `"cka"` a summary per pair `"kind_a/kind_b"`."""
    from threadpoolctl import threadpool_limits

    from keras_hpn import analysis

    kinds = models.CLASSIFIERS
    measured = {kind: {"accuracy": [], "separation": [], "probe": []} for kind in kinds}
    pairs = list(itertools.combinations(kinds, 2))
    cka = {f"{a}/{b}": [] for a, b in pairs}
    for seed in settings.seeds:
        split = tasks.split(settings, seed)
        seen_train, seen_test = split.y_train < SEEN, split.y_test < SEEN
        unseen = {}
        for kind in kinds:
            accuracy, model = tasks.train(
                settings, kind, split, DIMS, seed, classes=(seen_train, seen_test)
            )
            seen = analysis.features(model, split.x_test[seen_test], layer="features")
            separation = analysis.class_separation(seen, split.y_test[seen_test])
            unseen[kind] = analysis.features(
                model, split.x_test[~seen_test], layer="features"
            )
            # One BLAS thread: threaded OpenBLAS made the L-BFGS probe 20x
            # slower on 2 shared cores (17 s against 0.7 s, same result).
            with threadpool_limits(limits=1, user_api="blas"):
                probe = analysis.linear_probe(
                    analysis.features(
                        model, split.x_train[~seen_train], layer="features"
                    ),
                    split.y_train[~seen_train],
                    unseen[kind],
                    split.y_test[~seen_test],
                )
            for key, value in (
                ("accuracy", accuracy),
                ("separation", separation),
                ("probe", probe),
            ):
                measured[kind][key].append(value)
            progress.step(
                f"repr  {kind:<8} seed {seed}: acc {accuracy:.3f} R^2 {separation:.3f} "
                f"probe {probe:.3f}"
            )
        for a, b in pairs:
            cka[f"{a}/{b}"].append(analysis.linear_cka(unseen[a], unseen[b]))
    results = {
        kind: {key: summary(values) for key, values in entry.items()}
        for kind, entry in measured.items()
    }
    results["cka"] = {pair: summary(values) for pair, values in cka.items()}
    return results
