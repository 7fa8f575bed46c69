"""Datasets: scikit-learn's small real datasets split by seed, and tfds CIFAR.

The CIFAR pipelines (`cifar`) need `tensorflow` and `tensorflow-datasets`,
imported only when called.
"""

from keras_hpn.data.bundled import Split, diabetes, digits, wine
from keras_hpn.data.tfds import cifar, cifar_class_names

__all__ = ["Split", "cifar", "cifar_class_names", "diabetes", "digits", "wine"]
