"""keras-hpn: Hyperspherical Prototype Networks for Keras 3.

Public API: `prototypes` (placement on the sphere, numpy), `layers`,
`losses`, `metrics`, `initializers`, `models` (task models: a backbone
with an HPN head), `saving`, `distribute`, `data`,
`analysis` (class separation, CKA, linear probes), `tuning`, the
decoders `predict_classes`, `class_scores`, `decode_regression` and
`acceptance_threshold` (rejecting the unknown), and `calibration`
(probabilities, temperature scaling, calibration error; its functions are
also here).

`import keras_hpn` imports Keras and the modules that hold layers, losses,
metrics and initializers; their decorators register every class with Keras'
serialisation, so a saved model loads after `import keras_hpn`. Only
`tuning` (keras-tuner, the `tuning` extra) is imported on first use.
"""

import importlib

from keras_hpn import (
    analysis,
    calibration,
    data,
    distribute,
    initializers,
    layers,
    losses,
    metrics,
    models,
    prototypes,
    saving,
)
from keras_hpn.calibration import (
    class_probabilities,
    expected_calibration_error,
    fit_logit_temperature,
    fit_temperature,
    logit_probabilities,
    negative_log_likelihood,
)
from keras_hpn.decoding import (
    acceptance_threshold,
    class_scores,
    decode_regression,
    predict_classes,
)
from keras_hpn.version import __version__

__all__ = [
    "__version__",
    "acceptance_threshold",
    "analysis",
    "calibration",
    "class_probabilities",
    "class_scores",
    "data",
    "decode_regression",
    "distribute",
    "expected_calibration_error",
    "fit_logit_temperature",
    "fit_temperature",
    "initializers",
    "layers",
    "logit_probabilities",
    "losses",
    "metrics",
    "models",
    "negative_log_likelihood",
    "predict_classes",
    "prototypes",
    "saving",
    "tuning",
]


def __getattr__(name: str):
    # keras-tuner is an optional extra: `tuning` imports it on first use.
    if name == "tuning":
        return importlib.import_module("keras_hpn.tuning")
    raise AttributeError(f"module 'keras_hpn' has no attribute {name!r}")
