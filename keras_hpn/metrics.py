"""Metrics that decode hyperspherical outputs during training and evaluation."""

from __future__ import annotations

import keras
from keras import ops

from keras_hpn import saving
from keras_hpn.numerics import (
    as_float32,
    check_width,
    constant,
    cosine_with,
    has_direction,
    masked,
    true_class_rank,
)
from keras_hpn.targets import (
    check_regression_range,
    class_labels,
    regression_targets,
)
from keras_hpn.utils.resources import CLASS_CHUNK
from keras_hpn.utils.validation import (
    check_class_shape,
    check_column,
    check_size,
    check_unit_vector,
    default_axis,
)

__all__ = [
    "InvalidLabels",
    "InvalidTargets",
    "PrototypeAccuracy",
    "RegressionMAE",
]


@keras.saving.register_keras_serializable(package="keras_hpn")
class PrototypeAccuracy(keras.metrics.Mean):
    """How often the true class is among the `k` prototypes nearest the output.

    The predicted class of an output `z` is `argmax_k cos(z, p_k)`; with
    `k > 1` the example counts as correct when its class is among the `k`
    highest cosines (ties are broken towards the lower class index). An
    output with no direction (all zero, or holding NaN or inf; see
    `numerics.has_direction`) is never correct, and neither is an example
    whose label is not a class id in `[0, num_classes)` (see
    `InvalidLabels` to count those).

    Args:
        prototypes: array `(num_classes, dims)`, the prototypes the loss uses.
        k: how many of the nearest prototypes may hold the true class.
        label_column: if given, the class ids are `y_true[..., label_column]`
            (e.g. `0` with `MultiTaskLoss`).
        chunk_size: how many classes are scored at once. Memory is bounded
            by `batch x chunk_size` scores, not `batch x num_classes`; the
            work per step stays `batch x num_classes x dims` multiply-adds.
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

    prototypes = saving.StoredPrototypes()

    def __init__(
        self,
        prototypes,
        k: int = 1,
        label_column: int | None = None,
        chunk_size: int = CLASS_CHUNK,
        name: str | None = None,
        dtype=None,
    ):
        self.prototypes = prototypes
        shape = saving.shape_of(self, "prototypes")
        check_class_shape(shape, "prototypes")
        num_classes = shape[0]
        self.k = check_size(k, "k", 1, num_classes, "the number of prototypes")
        self.label_column = check_column(label_column, "label_column")
        self.chunk_size = check_size(chunk_size, "chunk_size", 1)
        if name is None:
            name = (
                "prototype_accuracy"
                if self.k == 1
                else f"top_{self.k}_prototype_accuracy"
            )
        super().__init__(name=name, dtype=dtype)

    def update_state(self, y_true, y_pred, sample_weight=None):
        num_classes, dims = self.prototypes.shape
        y_pred = as_float32(y_pred)
        check_width(y_pred, dims, "the prototypes")
        labels, valid = class_labels(y_true, y_pred, num_classes, self.label_column)
        rank = true_class_rank(y_pred, self.prototypes, labels, self.chunk_size)
        correct = ops.logical_and(
            ops.logical_and(rank < self.k, valid), has_direction(y_pred)
        )
        return super().update_state(ops.cast(correct, self.dtype), sample_weight)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "prototypes": saving.config_of(self, "prototypes"),
            "k": self.k,
            "label_column": self.label_column,
            "chunk_size": self.chunk_size,
        }


@keras.saving.register_keras_serializable(package="keras_hpn")
class RegressionMAE(keras.metrics.Mean):
    """Mean absolute error of hyperspherical regression, in target units.

    Decodes each output with `y_hat = lower + (cos(z, p_u) + 1) / 2 *
    (upper - lower)` and averages `|y_hat - y|`. NaN or infinite targets are
    left out of the mean (see `InvalidTargets` to count them), as the loss
    leaves them out of training.

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
        self.lower, self.upper = check_regression_range(lower, upper)
        self.upper_prototype = (
            None
            if upper_prototype is None
            else check_unit_vector(upper_prototype, "upper_prototype")
        )
        self.target_column = check_column(target_column, "target_column")
        super().__init__(name=name, dtype=dtype)

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_pred = as_float32(y_pred)
        axis = (
            default_axis(int(y_pred.shape[-1]))
            if self.upper_prototype is None
            else self.upper_prototype
        )
        check_width(y_pred, axis.shape[0], "the upper prototype")
        cosine = cosine_with(y_pred, constant(axis, y_pred))
        # Both sides measured from `lower`, as in the loss: no float32 offset.
        predicted = (cosine + 1.0) / 2.0 * (self.upper - self.lower)
        offsets, valid = regression_targets(
            y_true, y_pred, self.target_column, self.lower
        )
        error = masked(ops.abs(predicted - offsets), valid)
        weight = _times(ops.cast(valid, self.dtype), sample_weight)
        return super().update_state(ops.cast(error, self.dtype), weight)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "lower": self.lower,
            "upper": self.upper,
            "upper_prototype": None
            if self.upper_prototype is None
            else self.upper_prototype.tolist(),
            "target_column": self.target_column,
        }


@keras.saving.register_keras_serializable(package="keras_hpn")
class InvalidLabels(keras.metrics.Sum):
    """Counts the labels that are not class ids: the examples the loss skipped.

    A label is invalid when it is not an integer in `[0, num_classes)`:
    negative, too large, fractional or NaN. The losses give such an example
    no loss and no gradient (and warn or raise, see the loss's
    `invalid_labels`); this metric counts them per epoch: it should read 0.
    Labels are compared exactly, so a large label never aliases a class id.

    Each invalid row counts 1, whatever its weight; a row with
    `sample_weight=0` (left out on purpose) is not counted, *when the metric
    receives `sample_weight`*: Keras passes it only to the metrics compiled
    in `weighted_metrics=`, so compile this metric there. In `metrics=` it
    never sees the weights and counts every invalid label.

    Args:
        num_classes: the number of classes `K`, at least 2.
        label_column: if given, the class ids are `y_true[..., label_column]`.
        name: name of the metric.
        dtype: dtype of the metric's state.

    Example:

    ```python
    metric = keras_hpn.metrics.InvalidLabels(num_classes=3)
    metric.update_state([0, 3, -1, 1.5, 2], np.ones((5, 2)))
    float(metric.result())
    # 3.0
    ```
    """

    def __init__(
        self,
        num_classes: int,
        label_column: int | None = None,
        name: str = "invalid_labels",
        dtype=None,
    ):
        self.num_classes = check_size(num_classes, "num_classes", 2)
        self.label_column = check_column(label_column, "label_column")
        super().__init__(name=name, dtype=dtype)

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_pred = ops.convert_to_tensor(y_pred)
        _, valid = class_labels(y_true, y_pred, self.num_classes, self.label_column)
        return super().update_state(_counted(valid, sample_weight, self.dtype))

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "num_classes": self.num_classes,
            "label_column": self.label_column,
        }


@keras.saving.register_keras_serializable(package="keras_hpn")
class InvalidTargets(keras.metrics.Sum):
    """Counts the NaN or infinite regression targets: the examples the loss skipped.

    The regression losses give such an example no loss and no gradient, so
    add this metric to see them: it should read 0. Each invalid row counts
    1; rows with `sample_weight=0` are not counted when the metric receives
    `sample_weight`, that is when compiled in `weighted_metrics=` (Keras
    gives `metrics=` no weights).

    Args:
        target_column: if given, the targets are `y_true[..., target_column]`.
        name: name of the metric.
        dtype: dtype of the metric's state.

    Example:

    ```python
    metric = keras_hpn.metrics.InvalidTargets()
    metric.update_state([1.0, np.nan, np.inf], np.ones((3, 2)))
    float(metric.result())
    # 2.0
    ```
    """

    def __init__(
        self,
        target_column: int | None = None,
        name: str = "invalid_targets",
        dtype=None,
    ):
        self.target_column = check_column(target_column, "target_column")
        super().__init__(name=name, dtype=dtype)

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_pred = as_float32(y_pred)
        _, valid = regression_targets(y_true, y_pred, self.target_column)
        return super().update_state(_counted(valid, sample_weight, self.dtype))

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "target_column": self.target_column,
        }


def _times(weight, sample_weight):
    """`weight * sample_weight`, with a trailing axis of 1 squeezed away."""
    if sample_weight is None:
        return weight
    sample_weight = ops.cast(ops.convert_to_tensor(sample_weight), weight.dtype)
    if len(sample_weight.shape) == len(weight.shape) + 1:
        sample_weight = ops.squeeze(sample_weight, axis=-1)
    return weight * sample_weight


def _counted(valid, sample_weight, dtype):
    """1 for each invalid row whose weight is not 0, else 0."""
    invalid = ops.logical_not(valid)
    if sample_weight is not None:
        weight = ops.convert_to_tensor(sample_weight)
        if len(weight.shape) == len(invalid.shape) + 1:
            weight = ops.squeeze(weight, axis=-1)
        invalid = ops.logical_and(invalid, weight != 0)
    return ops.cast(invalid, dtype)
