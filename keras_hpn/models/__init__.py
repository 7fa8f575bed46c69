"""Task models: a backbone with a hyperspherical head, in keras-hub's style.

Each task model is a `keras.Model` built functionally from a backbone (any
`keras.Model` or layer: a `keras.applications` model, a keras-hub
`Backbone`, a user's own), a pooling of 4-D (or 3-D) feature maps, optional
dropout and an `L2NormalizedProjection`. Its output is the unit vector `z`
that the HPN losses train; its `compile()` has working defaults; its
methods decode `z` into what a user wants (class ids, cosines, the top-k
classes with their names, targets in their units). The prototypes are
placed once, at construction, and kept in the model's config (or, when
large, in its weights file; see `keras_hpn.saving`), so a saved `.keras`
file loads after `import keras_hpn` without placing them again.
"""

from keras_hpn.models.classifier import HPNClassifier
from keras_hpn.models.multitask import HPNMultiTask
from keras_hpn.models.regressor import HPNRegressor
from keras_hpn.models.task import default_dims

__all__ = [
    "HPNClassifier",
    "HPNMultiTask",
    "HPNRegressor",
    "default_dims",
]
