"""`HPNClassifier`: a backbone with an HPN classification head."""

from __future__ import annotations

from collections.abc import Sequence

import keras

from keras_hpn import saving
from keras_hpn.losses import PrototypeCosineLoss
from keras_hpn.metrics import InvalidLabels, PrototypeAccuracy
from keras_hpn.models.classes import (
    _check_names,
    _ClassPrototypes,
    _given,
    _keep_prototypes,
)
from keras_hpn.models.task import default_dims
from keras_hpn.prototypes import hyperspherical, semantic_prototypes
from keras_hpn.utils.validation import check_positive, check_seed, check_size

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

    Classes added later (class-incremental learning, as with the
    pre-allocated fixed classifiers of Pernici et al., ICPR 2020): `reserve`
    places prototypes for classes to come. The loss trains every placed
    class, so new classes need no new head: `add_classes` makes them known
    to the `predict_*` methods. Rejecting the unknown: `predict_classes(x,
    min_cosine=...)`, with the threshold from `acceptance_threshold`.
    Probabilities: `predict_probabilities`, with a temperature from
    `fit_temperature`.

    Args:
        backbone: a `keras.Model` with defined inputs (a `keras.applications`
            model, a keras-hub `Backbone`, a `keras.Sequential` starting with
            `keras.Input`), or any layer together with `input_shape`. It
            returns one tensor: a feature vector, a 3-D sequence or a 4-D
            feature map.
        num_classes: number of classes `K` known now, at least 2.
        dims: output width `D`, at least 2; `None` means `min(K + R - 1,
            64)` (at least 2): the regular simplex, the optimal placement, up
            to 65 placed classes. Must match `prototypes` when both are given.
        prototypes: optional array `(num_classes + reserve, dims)` to use as
            they are.
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
        reserve: `R`, the number of prototypes placed for classes added
            later (ids `K` to `K + R - 1`); not with `word_vectors`.
        temperature: the temperature of `predict_probabilities`, a number
            > 0 (`fit_temperature` sets it).
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

    With a reserve, classes come later:

    ```python
    backbone = keras.Sequential([keras.Input((8,)), keras.layers.Dense(16)])
    x = np.random.default_rng(0).random((6, 8)).astype("float32")
    model = keras_hpn.models.HPNClassifier(backbone, 2, reserve=3, seed=0)
    model.compile()
    model.fit(x, np.array([0, 1, 0, 1, 0, 1]), epochs=1, verbose=0)
    model.add_classes(1).tolist()  # class 2: its prototype was placed already
    # [2]
    model.fit(x, np.array([2, 1, 2, 0, 2, 1]), epochs=1, verbose=0)
    model.predict_probabilities(x).shape
    # (6, 3)
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
        reserve: int = 0,
        temperature: float = 1.0,
        **kwargs,
    ):
        num_classes = check_size(num_classes, "num_classes", 2)
        reserve = check_size(reserve, "reserve", 0)
        temperature = check_positive(temperature, "temperature")
        seed = check_seed(seed)
        names = _check_names(class_names, num_classes)
        if reserve and word_vectors is not None:
            raise ValueError(
                "`reserve` places prototypes for classes without names yet, but "
                "`word_vectors` needs the name of every class. Place the semantic "
                "prototypes of all classes (`keras_hpn.prototypes."
                "semantic_prototypes`) and pass them as `prototypes=`. Received: "
                f"reserve={reserve}"
            )
        _keep_prototypes(
            self,
            _class_prototypes(
                num_classes, reserve, dims, prototypes, names, word_vectors, seed
            ),
        )
        dims = saving.shape_of(self, "prototypes")[1]
        super().__init__(
            backbone, dims, pooling, dropout, head_dtype, input_shape, **kwargs
        )
        self._keep_classes(num_classes, reserve, names, temperature)
        self.seed = seed

    def _default_loss(self):
        return PrototypeCosineLoss(self.prototypes)

    def _default_metrics(self):
        return [PrototypeAccuracy(self.prototypes)]

    def _default_weighted_metrics(self):
        return [InvalidLabels(self.num_placed)]

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            **self._class_config(),
            "seed": self.seed,
        }


def _class_prototypes(
    num_classes, reserve, dims, prototypes, names, word_vectors, seed
):
    if prototypes is not None:
        if word_vectors is not None:
            raise ValueError(
                "Pass either `prototypes` or `word_vectors` (to place prototypes "
                "with semantic priors), not both."
            )
        return _given(prototypes, num_classes + reserve, dims)
    placed = num_classes + reserve
    dims = default_dims(placed) if dims is None else check_size(dims, "dims", 2)
    if word_vectors is not None:
        protos = semantic_prototypes(names, word_vectors, dims, seed=seed)
        if protos.shape[0] != num_classes:
            raise ValueError(
                f"`word_vectors` gave {protos.shape[0]} prototypes, but "
                f"num_classes={num_classes}."
            )
        return protos
    return hyperspherical(placed, dims, seed=seed)
