"""`HPNClassifier`: a backbone with an HPN classification head."""

from __future__ import annotations

from collections.abc import Sequence

import keras
import numpy as np

from keras_hpn import saving
from keras_hpn.decoding import class_scores, predict_classes
from keras_hpn.losses import PrototypeCosineLoss
from keras_hpn.metrics import InvalidLabels, PrototypeAccuracy
from keras_hpn.models.task import (
    _check_names,
    _ClassPrototypes,
    _given,
    _keep_prototypes,
    default_dims,
)
from keras_hpn.prototypes import hyperspherical, semantic_prototypes
from keras_hpn.utils.validation import check_seed, check_size

__all__ = [
    "HPNClassifier",
]


@keras.saving.register_keras_serializable(package="keras_hpn")
class HPNClassifier(_ClassPrototypes):
    """An image (or any input) classifier: a backbone with an HPN head.

    The head pools the backbone's features (`pooling` on a 4-D feature map,
    average over time on a 3-D one), applies `dropout` and projects onto the
    unit sphere with `L2NormalizedProjection(dims)`; `fit` trains that
    output towards fixed class prototypes with `PrototypeCosineLoss`. The
    prototypes are placed once: by `keras_hpn.prototypes.hyperspherical(
    num_classes, dims, seed=seed)`, or given (`prototypes=`), or with
    semantic priors (`class_names=` and `word_vectors=`, through
    `keras_hpn.prototypes.semantic_prototypes`). They are saved with the
    model, so loading never places them again.

    Two-stage fine-tuning: set `model.backbone.trainable = False`, compile
    and fit the head; then set it back to `True`, compile (with a lower
    learning rate) and fit again.

    Args:
        backbone: a `keras.Model` with defined inputs (a `keras.applications`
            model, a keras-hub `Backbone`, a `keras.Sequential` starting with
            `keras.Input`), or any layer together with `input_shape`. It
            returns one tensor: a feature vector, a 3-D sequence or a 4-D
            feature map.
        num_classes: number of classes `K`, at least 2.
        dims: output width `D`, at least 2; `None` means `min(K - 1, 64)`
            (at least 2): the regular simplex, the optimal placement, up to
            65 classes. Must match `prototypes` when both are given.
        prototypes: optional array `(num_classes, dims)` to use as they are.
        class_names: optional class names in class order: returned by
            `predict_top_k`, and with `word_vectors` the source of the
            semantic priors.
        word_vectors: optional word vectors for `class_names` (anything
            `semantic_prototypes` takes); not saved: the placed prototypes are.
        pooling: `"avg"`, `"max"` or `"flatten"` for a 4-D feature map;
            `None` when the backbone already returns vectors.
        dropout: dropout rate before the projection, in `[0, 1)`.
        head_dtype: dtype (policy) of the head layers, e.g. `"float32"` under
            mixed precision; `None` follows the global policy.
        seed: seed of the placement (`None`: see `hyperspherical`).
        input_shape: the input shape (without batch) when `backbone` is a
            layer or a model with no defined inputs.
        **kwargs: `keras.Model` arguments (`name`, ...).

    Example:

    ```python
    backbone = keras.Sequential([keras.Input((8,)), keras.layers.Dense(16)])
    model = keras_hpn.models.HPNClassifier(backbone, num_classes=3, seed=0)
    model.compile()
    x = np.random.default_rng(0).random((6, 8)).astype("float32")
    model.fit(x, np.array([0, 1, 2, 0, 1, 2]), epochs=1, verbose=0)
    model.predict_classes(x).shape
    # (6,)
    ```
    """

    def __init__(
        self,
        backbone,
        num_classes: int,
        dims: int | None = None,
        prototypes=None,
        class_names: Sequence[str] | None = None,
        word_vectors=None,
        pooling: str | None = "avg",
        dropout: float = 0.0,
        head_dtype=None,
        seed: int | None = None,
        input_shape=None,
        **kwargs,
    ):
        num_classes = check_size(num_classes, "num_classes", 2)
        seed = check_seed(seed)
        names = _check_names(class_names, num_classes)
        _keep_prototypes(
            self,
            _class_prototypes(num_classes, dims, prototypes, names, word_vectors, seed),
        )
        dims = saving.shape_of(self, "prototypes")[1]
        super().__init__(
            backbone, dims, pooling, dropout, head_dtype, input_shape, **kwargs
        )
        self.num_classes = num_classes
        self.class_names = names
        self.seed = seed

    def _default_loss(self):
        return PrototypeCosineLoss(self.prototypes)

    def _default_metrics(self):
        return [PrototypeAccuracy(self.prototypes)]

    def _default_weighted_metrics(self):
        return [InvalidLabels(self.num_classes)]

    def predict_classes(self, x, batch_size=None, verbose=0) -> np.ndarray:
        """Class ids of `x`, shape `(batch,)`; `-1` for an output with no direction.

        Args:
            x: inputs, as for `predict`.
            batch_size: as for `predict`.
            verbose: as for `predict`.

        Returns:
            Integer array of class ids.
        """
        return predict_classes(
            self.predict_outputs(x, batch_size, verbose), self.prototypes
        )

    def predict_cosines(self, x, batch_size=None, verbose=0) -> np.ndarray:
        """Cosine of each output with every class prototype, `(batch, K)`.

        Args:
            x: inputs, as for `predict`.
            batch_size: as for `predict`.
            verbose: as for `predict`.

        Returns:
            Float array of cosines (NaN rows for outputs with no direction).
        """
        return class_scores(
            self.predict_outputs(x, batch_size, verbose), self.prototypes
        )

    def predict_top_k(self, x, k: int = 5, batch_size=None, verbose=0):
        """The `k` best classes of each input, best first.

        Args:
            x: inputs, as for `predict`.
            k: how many classes, from 1 to `num_classes`.
            batch_size: as for `predict`.
            verbose: as for `predict`.

        Returns:
            A tuple `(ids, cosines, names)`, each of shape `(batch, k)`:
            integer class ids (`-1` for an output with no direction), their
            cosines, and their names (an object array; `None` for id `-1`),
            or `names=None` when the model has no `class_names`.
        """
        k = check_size(k, "k", 1, self.num_classes, "`num_classes`")
        ids, cosines = predict_classes(
            self.predict_outputs(x, batch_size, verbose),
            self.prototypes,
            k=k,
            return_scores=True,
        )
        ids, cosines = ids.reshape(-1, k), cosines.reshape(-1, k)
        return ids, cosines, self._class_names_of(ids)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "num_classes": self.num_classes,
            "prototypes": saving.config_of(self, "prototypes"),
            "class_names": None if self.class_names is None else list(self.class_names),
            "seed": self.seed,
        }


def _class_prototypes(num_classes, dims, prototypes, names, word_vectors, seed):
    if prototypes is not None:
        if word_vectors is not None:
            raise ValueError(
                "Pass either `prototypes` or `word_vectors` (to place prototypes "
                "with semantic priors), not both."
            )
        return _given(prototypes, num_classes, dims)
    dims = default_dims(num_classes) if dims is None else check_size(dims, "dims", 2)
    if word_vectors is not None:
        protos = semantic_prototypes(names, word_vectors, dims, seed=seed)
        if protos.shape[0] != num_classes:
            raise ValueError(
                f"`word_vectors` gave {protos.shape[0]} prototypes, but "
                f"num_classes={num_classes}."
            )
        return protos
    return hyperspherical(num_classes, dims, seed=seed)
