"""Peak memory at many classes: HPN with and without its accuracy metric, and softmax.

Run from the repository root, one fresh process per figure:

    PYTHONPATH=. python bench/memory.py 100000 hpn        # loss and PrototypeAccuracy
    PYTHONPATH=. python bench/memory.py 100000 hpn-loss   # loss only
    PYTHONPATH=. python bench/memory.py 100000 softmax    # the K-wide softmax head

Measures the cost item's models (`keras_hpn.benchmarks.items.cost.memory`:
512 inputs, 512 ReLU, an HPN head of D = 128 or a K-wide softmax head,
Adam): how far building one and two training steps raise the peak resident
memory, after a 10-class model of the same kind has paid for the compiler.
"""

from __future__ import annotations

import sys


def main() -> None:
    import keras

    from keras_hpn.benchmarks.items import cost

    num_classes, model = int(sys.argv[1]), sys.argv[2]
    kind = "softmax" if model == "softmax" else "hpn"
    result = cost.memory(kind, [num_classes], metric=model != "hpn-loss")
    print(
        f"{keras.backend.backend()}: K={num_classes}, {model}: "
        f"peak memory +{result[str(num_classes)]['memory_mb']:.0f} MB"
    )


if __name__ == "__main__":
    main()
