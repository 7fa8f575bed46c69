"""`HPNRegressor`: a backbone with an HPN regression head."""

from __future__ import annotations

import keras
import numpy as np

from keras_hpn.decoding import decode_regression
from keras_hpn.losses import HypersphericalRegressionLoss
from keras_hpn.metrics import InvalidTargets, RegressionMAE
from keras_hpn.models.task import _HPNTask
from keras_hpn.targets import check_regression_range
from keras_hpn.utils.validation import check_size, check_unit_vector, default_axis

__all__ = [
    "HPNRegressor",
]


@keras.saving.register_keras_serializable(package="keras_hpn")
class HPNRegressor(_HPNTask):
    """A regressor: a backbone with an HPN head, predicting in target units.

    The output `z` is trained with `HypersphericalRegressionLoss(lower,
    upper)`: the target `lower` points at `-p_u`, `upper` at the upper
    prototype `p_u` (`e_0` by default). `predict` decodes it with
    `keras_hpn.decode_regression`, so it returns targets; `predict_outputs`
    returns `z` itself.

    Args:
        backbone: as for `HPNClassifier`.
        lower: the target value of the lower prototype, e.g. the smallest
            training target.
        upper: the target value of the upper prototype, larger than `lower`.
        dims: output width, at least 2.
        upper_prototype: the direction `p_u` `(dims,)`; `None` means `e_0`.
        pooling: as for `HPNClassifier`.
        dropout: as for `HPNClassifier`.
        head_dtype: as for `HPNClassifier`.
        input_shape: as for `HPNClassifier`.
        **kwargs: `keras.Model` arguments (`name`, ...).

    Example:

    ```python
    backbone = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8)])
    model = keras_hpn.models.HPNRegressor(backbone, lower=0.0, upper=10.0)
    model.compile()
    x = np.random.default_rng(0).random((6, 4)).astype("float32")
    model.fit(x, np.linspace(0.0, 10.0, 6), epochs=1, verbose=0)
    bool(np.all((model.predict(x) >= 0.0) & (model.predict(x) <= 10.0)))
    # True
    ```
    """

    def __init__(
        self,
        backbone,
        lower: float,
        upper: float,
        dims: int = 2,
        upper_prototype=None,
        pooling: str | None = "avg",
        dropout: float = 0.0,
        head_dtype=None,
        input_shape=None,
        **kwargs,
    ):
        lower, upper = check_regression_range(lower, upper)
        dims = check_size(dims, "dims", 2)
        axis = (
            default_axis(dims)
            if upper_prototype is None
            else check_unit_vector(upper_prototype, "upper_prototype", dims)
        )
        super().__init__(
            backbone, dims, pooling, dropout, head_dtype, input_shape, **kwargs
        )
        self.lower, self.upper = lower, upper
        self.upper_prototype = None if upper_prototype is None else axis

    def _default_loss(self):
        return HypersphericalRegressionLoss(
            self.lower, self.upper, self.upper_prototype
        )

    def _default_metrics(self):
        return [RegressionMAE(self.lower, self.upper, self.upper_prototype)]

    def _default_weighted_metrics(self):
        return [InvalidTargets()]

    def predict(self, x, batch_size=None, verbose=0, **kwargs) -> np.ndarray:
        """Predictions in target units, shape `(batch,)`."""
        return decode_regression(
            self.predict_outputs(x, batch_size, verbose, **kwargs),
            self.lower,
            self.upper,
            self.upper_prototype,
        )

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "lower": self.lower,
            "upper": self.upper,
            "upper_prototype": None
            if self.upper_prototype is None
            else self.upper_prototype.tolist(),
        }
