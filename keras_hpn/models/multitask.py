"""`HPNMultiTask`: classes and a regression target from one output."""

from __future__ import annotations

from collections.abc import Sequence

import keras
import numpy as np

from keras_hpn import saving
from keras_hpn.decoding import decode_regression, predict_classes
from keras_hpn.losses import MultiTaskLoss
from keras_hpn.metrics import (
    InvalidLabels,
    InvalidTargets,
    PrototypeAccuracy,
    RegressionMAE,
)
from keras_hpn.models.classes import (
    _check_names,
    _ClassPrototypes,
    _given,
    _keep_prototypes,
)
from keras_hpn.models.task import default_dims
from keras_hpn.prototypes import multitask
from keras_hpn.targets import check_regression_range
from keras_hpn.utils.validation import (
    check_positive,
    check_seed,
    check_size,
    check_weight,
)

__all__ = [
    "HPNMultiTask",
]


@keras.saving.register_keras_serializable(package="keras_hpn")
class HPNMultiTask(_ClassPrototypes):
    """Classification and regression from one output, as in the paper.

    The regression axis is `e_0`; the class prototypes, placed by
    `keras_hpn.prototypes.multitask(num_classes, dims, seed=seed)` (or
    given), live in the subspace orthogonal to it. `fit` trains with
    `MultiTaskLoss` on `y` of shape `(batch, 2)`: column 0 the class id,
    column 1 the target. `predict` returns `(class ids, targets)`. The
    class methods (`predict_classes` with `min_cosine`, `predict_top_k`,
    `predict_probabilities`, `fit_temperature`, `acceptance_threshold`,
    `add_classes`) are those of `HPNClassifier`, on the part of the output
    orthogonal to `e_0`.

    Args:
        backbone: as for `HPNClassifier`.
        num_classes: number of classes `K` known now, at least 2.
        lower: the target value mapped to `-e_0`.
        upper: the target value mapped to `e_0`, larger than `lower`.
        weight: `t` in `[0, 1]`, the share of the classification loss.
        dims: output width, at least 3; `None` means one more than
            `HPNClassifier`'s default for `K` classes.
        prototypes: optional class prototypes `(num_classes + reserve,
            dims)`, orthogonal to `e_0`.
        class_names: optional class names in class order.
        pooling: as for `HPNClassifier`.
        dropout: as for `HPNClassifier`.
        head_dtype: as for `HPNClassifier`.
        seed: seed of the placement.
        input_shape: as for `HPNClassifier`.
        reserve: prototypes placed for classes added later, as for
            `HPNClassifier`.
        temperature: as for `HPNClassifier`.
        **kwargs: `keras.Model` arguments (`name`, ...).

    Example:

    ```python
    backbone = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8)])
    model = keras_hpn.models.HPNMultiTask(backbone, 3, lower=0.0, upper=1.0)
    model.compile()
    x = np.random.default_rng(0).random((6, 4)).astype("float32")
    y = np.stack([[0, 1, 2, 0, 1, 2], np.linspace(0.0, 1.0, 6)], axis=1)
    model.fit(x, y, epochs=1, verbose=0)
    classes, targets = model.predict(x)
    classes.shape == targets.shape == (6,)
    # True
    ```
    """

    def __init__(
        self,
        backbone,
        num_classes: int,
        lower: float,
        upper: float,
        weight: float = 0.5,
        dims: int | None = None,
        prototypes=None,
        class_names: Sequence[str] | None = None,
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
        lower, upper = check_regression_range(lower, upper)
        weight = check_weight(weight)
        seed = check_seed(seed)
        names = _check_names(class_names, num_classes)
        placed = num_classes + reserve
        if prototypes is None:
            dims = (
                default_dims(placed) + 1
                if dims is None
                else check_size(dims, "dims", 3)
            )
            _keep_prototypes(self, multitask(placed, dims, seed=seed)[0])
        else:
            _keep_prototypes(self, _given(prototypes, placed, dims))
        # The loss checks that the prototypes are orthogonal to e_0.
        self._loss_of(lower, upper, weight)
        dims = saving.shape_of(self, "prototypes")[1]
        super().__init__(
            backbone, dims, pooling, dropout, head_dtype, input_shape, **kwargs
        )
        self._keep_classes(num_classes, reserve, names, temperature)
        self.lower, self.upper, self.weight = lower, upper, weight
        self.seed = seed

    def _loss_of(self, lower, upper, weight) -> MultiTaskLoss:
        return MultiTaskLoss(self.prototypes, lower, upper, weight=weight)

    def _default_loss(self):
        return self._loss_of(self.lower, self.upper, self.weight)

    def _default_metrics(self):
        return [
            PrototypeAccuracy(self.prototypes, label_column=0),
            RegressionMAE(self.lower, self.upper, target_column=1),
        ]

    def _default_weighted_metrics(self):
        return [
            InvalidLabels(self.num_placed, label_column=0),
            InvalidTargets(target_column=1),
        ]

    def _class_part(self, outputs: np.ndarray) -> np.ndarray:
        """The part of each output orthogonal to the regression axis `e_0`."""
        part = np.array(outputs, dtype=np.float64)
        part[..., 0] = 0.0
        return part

    def _labels_of(self, y):
        # `fit`'s `(batch, 2)` targets: the class ids are column 0.
        y = np.asarray(y)
        return y[:, 0] if y.ndim == 2 and y.shape[1] == 2 else y

    def predict(self, x, batch_size=None, verbose=0, **kwargs):
        """`(class ids, targets)` of `x`, each of shape `(batch,)`."""
        outputs = self.predict_outputs(x, batch_size, verbose, **kwargs)
        return (
            predict_classes(
                self._class_part(outputs), self.prototypes[: self.num_classes]
            ),
            decode_regression(outputs, self.lower, self.upper),
        )

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "lower": self.lower,
            "upper": self.upper,
            "weight": self.weight,
            **self._class_config(),
            "seed": self.seed,
        }
