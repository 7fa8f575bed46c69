"""Datasets: scikit-learn's small real datasets split by seed, Fashion-MNIST
through Keras' loader (offline from Debian's `dataset-fashion-mnist`), and
tfds CIFAR, and any tfds image classification dataset (`image_classification`,
for the many-class sets that do not ship offline, e.g. iNaturalist).

The tfds pipelines need `tensorflow` and `tensorflow-datasets`, imported
only when called.
"""

from keras_hpn.data.bundled import Split, diabetes, digits, wine
from keras_hpn.data.fashion import (
    fashion_mnist,
    fashion_mnist_available,
    fashion_mnist_cache,
    fashion_mnist_class_names,
)
from keras_hpn.data.images import image_classification
from keras_hpn.data.tfds import cifar, cifar_class_names

__all__ = [
    "Split",
    "cifar",
    "cifar_class_names",
    "diabetes",
    "digits",
    "fashion_mnist",
    "fashion_mnist_available",
    "fashion_mnist_cache",
    "fashion_mnist_class_names",
    "image_classification",
    "wine",
]
