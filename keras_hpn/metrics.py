"""Metrics that decode hyperspherical outputs during training and evaluation."""

from __future__ import annotations

import keras
from keras import ops

from keras_hpn.losses import check_range, default_axis
from keras_hpn.numerics import (
    as_float32,
    check_width,
    class_labels,
    constant,
    l2_normalize,
)
from keras_hpn.prototypes import check_prototypes
from keras_hpn.prototypes.validation import check_size, check_unit_vector


@keras.saving.register_keras_serializable(package="keras_hpn")
class PrototypeAccuracy(keras.metrics.Mean):
    """How often the true class is among the `k` prototypes nearest the output.

    The predicted class of an output `z` is `argmax_k cos(z, p_k)`; with
    `k > 1` the example counts as correct when its class is among the `k`
    highest cosines (ties are broken towards the lower class index).

    Args:
        prototypes: array `(num_classes, dims)`, the prototypes the loss uses.
        k: how many of the nearest prototypes may hold the true class.
        label_column: if given, the class ids are `y_true[..., label_column]`
            (e.g. `0` with `MultiTaskLoss`).
        name: name of the metric.
        dtype: dtype of the metric's state.

    Example:

    ```python
    protos = keras_hpn.prototypes.hyperspherical(4, 3, seed=0)
    metric = keras_hpn.metrics.PrototypeAccuracy(protos)
    metric.update_state([0, 1, 2, 0], protos)  # the last one is wrong
    float(metric.result())
    # 0.75
    ```
    """

    def __init__(
        self,
        prototypes,
        k: int = 1,
        label_column: int | None = None,
        name: str | None = None,
        dtype=None,
    ):
        self.prototypes = check_prototypes(prototypes)
        self.k = check_size(k, "k", 1)
        if self.k > self.prototypes.shape[0]:
            raise ValueError(
                f"`k` must be at most the number of prototypes "
                f"({self.prototypes.shape[0]}). Received: k={k}"
            )
        self.label_column = label_column
        if name is None:
            name = (
                "prototype_accuracy"
                if self.k == 1
                else f"top_{self.k}_prototype_accuracy"
            )
        super().__init__(name=name, dtype=dtype)

    def update_state(self, y_true, y_pred, sample_weight=None):
        num_classes, dims = self.prototypes.shape
        y_pred = as_float32(ops.convert_to_tensor(y_pred))
        y_true = ops.convert_to_tensor(y_true)
        check_width(y_pred, dims, "the prototypes")
        labels = class_labels(y_true, y_pred, num_classes, self.label_column)
        valid = ops.logical_and(labels >= 0, labels < num_classes)
        labels = ops.clip(labels, 0, num_classes - 1)
        scores = ops.matmul(
            l2_normalize(y_pred), ops.transpose(constant(self.prototypes, y_pred))
        )
        own = ops.take_along_axis(scores, ops.expand_dims(labels, -1), axis=-1)
        # Rank of the true class: classes scoring higher, or equal with a lower id.
        above = ops.cast(scores > own, "int32")
        tied_before = ops.cast(scores == own, "int32") * ops.cast(
            ops.arange(num_classes) < ops.expand_dims(labels, -1), "int32"
        )
        rank = ops.sum(above + tied_before, axis=-1)
        correct = ops.logical_and(rank < self.k, valid)
        return super().update_state(ops.cast(correct, self.dtype), sample_weight)

    def get_config(self) -> dict:
        return {
            "prototypes": self.prototypes.tolist(),
            "k": self.k,
            "label_column": self.label_column,
            "name": self.name,
            "dtype": self.dtype,
        }


@keras.saving.register_keras_serializable(package="keras_hpn")
class RegressionMAE(keras.metrics.Mean):
    """Mean absolute error of hyperspherical regression, in target units.

    Decodes each output with `y_hat = lower + (cos(z, p_u) + 1) / 2 *
    (upper - lower)` and averages `|y_hat - y|`.

    Args:
        lower: the target value of the lower prototype (as in the loss).
        upper: the target value of the upper prototype (as in the loss).
        upper_prototype: the direction `p_u`; `None` means `e_0`.
        target_column: if given, the targets are `y_true[..., target_column]`
            (e.g. `1` with `MultiTaskLoss`).
        name: name of the metric.
        dtype: dtype of the metric's state.

    Example:

    ```python
    metric = keras_hpn.metrics.RegressionMAE(lower=0.0, upper=10.0)
    metric.update_state([10.0, 4.0], np.array([[1.0, 0.0], [0.0, 1.0]]))
    float(metric.result())  # predictions 10 and 5
    # 0.5
    ```
    """

    def __init__(
        self,
        lower: float,
        upper: float,
        upper_prototype=None,
        target_column: int | None = None,
        name: str = "regression_mae",
        dtype=None,
    ):
        self.lower, self.upper = check_range(lower, upper)
        self.upper_prototype = (
            None
            if upper_prototype is None
            else check_unit_vector(upper_prototype, "upper_prototype")
        )
        self.target_column = target_column
        super().__init__(name=name, dtype=dtype)

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_pred = as_float32(ops.convert_to_tensor(y_pred))
        y_true = as_float32(ops.convert_to_tensor(y_true))
        dims = int(y_pred.shape[-1])
        axis = (
            default_axis(dims) if self.upper_prototype is None else self.upper_prototype
        )
        check_width(y_pred, axis.shape[0], "the upper prototype")
        cosine = ops.sum(l2_normalize(y_pred) * constant(axis, y_pred), axis=-1)
        predicted = self.lower + (cosine + 1.0) / 2.0 * (self.upper - self.lower)
        if self.target_column is not None:
            y_true = y_true[..., self.target_column]
        elif len(y_true.shape) == len(cosine.shape) + 1 and y_true.shape[-1] == 1:
            y_true = ops.squeeze(y_true, axis=-1)
        error = ops.abs(predicted - ops.cast(y_true, predicted.dtype))
        return super().update_state(ops.cast(error, self.dtype), sample_weight)

    def get_config(self) -> dict:
        return {
            "lower": self.lower,
            "upper": self.upper,
            "upper_prototype": None
            if self.upper_prototype is None
            else self.upper_prototype.tolist(),
            "target_column": self.target_column,
            "name": self.name,
            "dtype": self.dtype,
        }
