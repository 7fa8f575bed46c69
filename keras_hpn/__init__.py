"""keras-hpn: Hyperspherical Prototype Networks for Keras 3."""

from keras_hpn import prototypes
from keras_hpn.version import __version__

__all__ = ["__version__", "prototypes"]
