"""keras-hpn: Hyperspherical Prototype Networks for Keras 3.

Public API: `prototypes` (placement on the sphere, numpy), `layers`,
`losses`, `metrics`, `initializers`, `models` (task models: a backbone
with an HPN head), `saving`, `distribute`, `data`,
`analysis` (class separation, CKA, linear probes), `tuning`, `plots`
(matplotlib pictures of prototypes, outputs and results; the `plots`
extra), `projector` (TensorBoard's embedding projector), and the
decoders `predict_classes`, `class_scores` and `decode_regression`.

`import keras_hpn` imports Keras and the modules that hold layers, losses,
metrics and initializers; their decorators register every class with Keras'
serialisation, so a saved model loads after `import keras_hpn`. Only
`tuning` (keras-tuner, the `tuning` extra) is imported on first use;
`plots` imports matplotlib when one of its functions is called.
"""

import importlib

from keras_hpn import (
    analysis,
    data,
    distribute,
    initializers,
    layers,
    losses,
    metrics,
    models,
    plots,
    projector,
    prototypes,
    saving,
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
    "models",
    "plots",
    "predict_classes",
    "projector",
    "prototypes",
    "saving",
    "tuning",
]


def __getattr__(name: str):
    # keras-tuner is an optional extra: `tuning` imports it on first use.
    if name == "tuning":
        return importlib.import_module("keras_hpn.tuning")
    raise AttributeError(f"module 'keras_hpn' has no attribute {name!r}")
