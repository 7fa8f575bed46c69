"""keras-hpn: Hyperspherical Prototype Networks for Keras 3.

Public API: `prototypes` (placement on the sphere, numpy), `layers`,
`losses`, `metrics`, `initializers`, `saving`, `distribute`, `data`,
`analysis` (class separation, CKA, linear probes), `tuning`, and the
decoders `predict_classes`, `class_scores` and `decode_regression`.

`import keras_hpn` and the geometry (`keras_hpn.prototypes`, the decoders)
need numpy only: Keras, and with it TensorFlow or JAX, is imported when a
Keras-facing module is first used. Whenever Keras is imported, before or
after keras-hpn, all keras-hpn layers, losses, metrics and initializers are
registered with Keras' serialisation, so a saved model loads after
`import keras_hpn` whatever the order of the imports.
"""

import importlib
import importlib.abc
import importlib.util
import sys

from keras_hpn import prototypes
from keras_hpn.decoding import class_scores, decode_regression, predict_classes
from keras_hpn.version import __version__

# Submodules imported on first use (they import Keras or scikit-learn).
_LAZY = (
    "analysis",
    "data",
    "distribute",
    "initializers",
    "layers",
    "losses",
    "metrics",
    "saving",
    "tuning",
)
# The modules whose classes Keras must know to load a saved model.
_REGISTERED = ("initializers", "layers", "losses", "metrics")

__all__ = [
    "__version__",
    "class_scores",
    "decode_regression",
    "predict_classes",
    "prototypes",
    *_LAZY,
]


def __getattr__(name: str):
    if name in _LAZY:
        return importlib.import_module(f"keras_hpn.{name}")
    raise AttributeError(f"module 'keras_hpn' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


def _register_with_keras() -> None:
    for name in _REGISTERED:
        importlib.import_module(f"keras_hpn.{name}")


class _RegisteringLoader(importlib.abc.Loader):
    """Keras' own loader, followed by the registration of keras-hpn's classes."""

    def __init__(self, loader) -> None:
        self._loader = loader

    def create_module(self, spec):
        return self._loader.create_module(spec)

    def exec_module(self, module) -> None:
        self._loader.exec_module(module)
        _register_with_keras()

    def __getattr__(self, name: str):
        return getattr(self._loader, name)


class _AfterKerasImport(importlib.abc.MetaPathFinder):
    """Finds `keras` once, through the other finders, and wraps its loader."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname != "keras":
            return None
        sys.meta_path.remove(self)
        spec = importlib.util.find_spec(fullname)
        if spec is not None and spec.loader is not None:
            spec.loader = _RegisteringLoader(spec.loader)
        return spec


if "keras" in sys.modules:
    _register_with_keras()
elif not any(isinstance(finder, _AfterKerasImport) for finder in sys.meta_path):
    sys.meta_path.insert(0, _AfterKerasImport())
