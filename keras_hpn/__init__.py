"""keras-hpn: Hyperspherical Prototype Networks for Keras 3.

Public API: `prototypes` (placement on the sphere, numpy), `layers`,
`losses`, `metrics`, `initializers`, `distribute`, `data`, `analysis`
(class separation, CKA, linear probes), and the decoders
`predict_classes`, `class_scores` and `decode_regression`.
"""

from keras_hpn import (
    analysis,
    data,
    distribute,
    initializers,
    layers,
    losses,
    metrics,
    prototypes,
)
from keras_hpn.decoding import class_scores, decode_regression, predict_classes
from keras_hpn.version import __version__

__all__ = [
    "__version__",
    "analysis",
    "class_scores",
    "data",
    "decode_regression",
    "distribute",
    "initializers",
    "layers",
    "losses",
    "metrics",
    "predict_classes",
    "prototypes",
]
