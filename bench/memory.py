"""Peak memory of an HPN model at many classes, with and without its accuracy metric.

Run from the repository root, one fresh process per figure:

    PYTHONPATH=. python bench/memory.py 100000 0   # loss only
    PYTHONPATH=. python bench/memory.py 100000 1   # loss and PrototypeAccuracy

Builds the cost item's model (512 inputs, 512 ReLU, HPN head D = 128, Adam),
trains two steps, and prints how far that raises the peak resident memory
(reset after the same model at 10 classes has paid for the compiler).
"""

from __future__ import annotations

import sys


def main() -> None:
    import keras
    import numpy as np

    import keras_hpn
    from keras_hpn.benchmarks import common
    from keras_hpn.benchmarks.items import cost

    num_classes, with_metric = int(sys.argv[1]), sys.argv[2] == "1"

    def build(classes: int):
        protos = np.random.default_rng(0).standard_normal((classes, 128))
        protos /= np.linalg.norm(protos, axis=1, keepdims=True)
        model = keras.Sequential(
            [
                keras.Input((512,)),
                keras.layers.Dense(512, activation="relu"),
                keras_hpn.layers.L2NormalizedProjection(128),
            ]
        )
        metrics = [keras_hpn.metrics.PrototypeAccuracy(protos)] if with_metric else []
        model.compile(
            optimizer="adam",
            loss=keras_hpn.losses.PrototypeCosineLoss(protos),
            metrics=metrics,
        )
        return model

    cost._timed(build(10), cost._batches(10), 2)
    baseline = common.reset_peak()
    cost._timed(build(num_classes), cost._batches(num_classes), 2)
    print(
        f"{keras.backend.backend()}: K={num_classes}, metric={with_metric}: "
        f"peak memory +{common.peak_mb() - baseline:.0f} MB"
    )


if __name__ == "__main__":
    main()
