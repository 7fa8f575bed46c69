"""Datasets: the small real datasets bundled with scikit-learn, split by seed."""

from keras_hpn.data.bundled import Split, digits

__all__ = ["Split", "digits"]
