"""Accuracy vs output dimensions on CIFAR-10/100 with a ResNet (for GPUs).

The paper's Table 1 on real data: HPN, softmax cross-entropy with a
`dims`-wide bottleneck and cosine softmax on the same CIFAR ResNet, trained
on tfds pipelines (`keras_hpn.data.cifar`).
"""

from __future__ import annotations

import dataclasses
import time

import keras
import numpy as np

from keras_hpn.benchmarks import models
from keras_hpn.benchmarks.common import summary
from keras_hpn.benchmarks.models import Budget

DEFAULT_DIMS = {"cifar10": (2, 3, 5, 10), "cifar100": (10, 25, 50, 100)}
NUM_CLASSES = {"cifar10": 10, "cifar100": 100}


@dataclasses.dataclass(frozen=True)
class ResNetSpec:
    """A CIFAR ResNet (He et al., 2016, Section 4.2): 3 stages of `blocks`
    residual blocks with `width`, `2 width`, `4 width` filters; `blocks=3`
    and `width=16` is ResNet-20."""

    blocks: int = 3
    width: int = 16


def resnet_body(spec: ResNetSpec) -> tuple[keras.KerasTensor, keras.KerasTensor]:
    """A CIFAR ResNet ending in global average pooling named `features`."""
    inputs = keras.Input((32, 32, 3))
    x = keras.layers.Conv2D(spec.width, 3, padding="same", use_bias=False)(inputs)
    x = keras.layers.BatchNormalization()(x)
    x = keras.layers.Activation("relu")(x)
    for stage in range(3):
        filters = spec.width * 2**stage
        for block in range(spec.blocks):
            strides = 2 if stage > 0 and block == 0 else 1
            shortcut = x
            y = keras.layers.Conv2D(
                filters, 3, strides=strides, padding="same", use_bias=False
            )(x)
            y = keras.layers.BatchNormalization()(y)
            y = keras.layers.Activation("relu")(y)
            y = keras.layers.Conv2D(filters, 3, padding="same", use_bias=False)(y)
            y = keras.layers.BatchNormalization()(y)
            if strides != 1 or shortcut.shape[-1] != filters:
                shortcut = keras.layers.Conv2D(
                    filters, 1, strides=strides, use_bias=False
                )(shortcut)
                shortcut = keras.layers.BatchNormalization()(shortcut)
            x = keras.layers.Activation("relu")(keras.layers.Add()([shortcut, y]))
    features = keras.layers.GlobalAveragePooling2D(name="features")(x)
    return inputs, features


def _accuracy(model, protos, dataset) -> float:
    correct = total = 0
    for images, labels in dataset.as_numpy_iterator():
        predicted = models.predict(model, protos, images)
        correct += int(np.sum(predicted == labels))
        total += len(labels)
    return correct / max(total, 1)


def compare_dims(
    name: str = "cifar100",
    dims=None,
    seeds=(0,),
    budget: Budget | None = None,
    spec: ResNetSpec | None = None,
    progress=None,
    data_dir: str | None = None,
) -> dict:
    """Test accuracy of every loss and output dimensionality on CIFAR.

    Args:
        name: `"cifar10"` or `"cifar100"`.
        dims: output dimensionalities; `None` uses the paper's grid for
            CIFAR-100 (10, 25, 50, 100) or (2, 3, 5, 10) for CIFAR-10.
        seeds: seeds of initialisation, prototypes and data order.
        budget: epochs, batch size and Adam learning rate; `None` means
            100 epochs of batch 128 at 0.001.
        spec: size of the ResNet; `None` means ResNet-20.
        progress: a `ProgressBar` (its `step` prints a line per run), or `None`.
        data_dir: tfds data directory.

    Returns:
        `{"kind/dims": {"mean", "std", "values"}}` of test accuracies.
    """
    from keras_hpn import data

    dims = tuple(dims or DEFAULT_DIMS[name])
    budget = budget or Budget(epochs=100, batch_size=128, learning_rate=0.001)
    spec = spec or ResNetSpec()
    results = {}
    for kind in models.CLASSIFIERS:
        for width in dims:
            accuracies = []
            for seed in seeds:
                start = time.perf_counter()
                train = data.cifar(
                    name,
                    "train",
                    batch_size=budget.batch_size,
                    seed=seed,
                    data_dir=data_dir,
                )
                test = data.cifar(name, "test", batch_size=256, data_dir=data_dir)
                model, protos = models.classifier(
                    kind,
                    0,
                    NUM_CLASSES[name],
                    width,
                    seed,
                    budget,
                    make_body=lambda: resnet_body(spec),
                )
                model.fit(train, epochs=budget.epochs, verbose=0)
                accuracy = _accuracy(model, protos, test)
                accuracies.append(accuracy)
                if progress is not None:
                    progress.step(
                        f"{name} {kind:<8} D={width:<4} seed {seed}: {accuracy:.4f} "
                        f"({time.perf_counter() - start:.0f} s)"
                    )
            results[f"{kind}/{width}"] = summary(accuracies)
    return results
