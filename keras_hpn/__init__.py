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


# Set once every class is registered with Keras (see `_register_with_keras`).
_registered = False


def _register_with_keras(finished: str | None = None) -> None:
    """Imports the modules whose classes Keras must know, once Keras is loaded.

    Waits while a keras-hpn module other than `finished` is still being
    imported: that module may have imported Keras before defining the names
    the registered modules import from it. The loader of every keras-hpn
    module calls this again when the module is done (`_RegisteringLoader`),
    so the last one to finish registers.
    """
    global _registered
    if _registered or "keras" not in sys.modules:
        return
    for name, module in list(sys.modules.items()):
        if (
            name.startswith("keras_hpn.")
            and name != finished
            and getattr(getattr(module, "__spec__", None), "_initializing", False)
        ):
            return
    _registered = True
    try:
        for name in _REGISTERED:
            importlib.import_module(f"keras_hpn.{name}")
    except BaseException:
        _registered = False
        raise
    sys.meta_path[:] = [f for f in sys.meta_path if not isinstance(f, _Finder)]


class _RegisteringLoader(importlib.abc.Loader):
    """A module's own loader, followed by `_register_with_keras`."""

    def __init__(self, loader) -> None:
        self._loader = loader

    def create_module(self, spec):
        return self._loader.create_module(spec)

    def exec_module(self, module) -> None:
        self._loader.exec_module(module)
        _register_with_keras(finished=module.__name__)

    def __getattr__(self, name: str):
        return getattr(self._loader, name)


class _Finder(importlib.abc.MetaPathFinder):
    """Until the classes are registered, wraps the loaders of `keras` and of
    keras-hpn's modules (as found by the other finders) in
    `_RegisteringLoader`."""

    def find_spec(self, fullname, path=None, target=None):
        if _registered or not (
            fullname == "keras" or fullname.startswith("keras_hpn.")
        ):
            return None
        for finder in list(sys.meta_path):
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(fullname, path, target)
            if spec is not None:
                break
        else:
            return None
        if spec.loader is not None:
            spec.loader = _RegisteringLoader(spec.loader)
        return spec


if "keras" in sys.modules:
    _register_with_keras()
elif not any(isinstance(finder, _Finder) for finder in sys.meta_path):
    sys.meta_path.insert(0, _Finder())
