"""Losses of Hyperspherical Prototype Networks.

Each loss returns one value per example and lets Keras reduce them, so that
`sample_weight` and distribution strategies scale the loss correctly. Cosines
are always computed in float32 (also under mixed precision) and a zero output
vector gives a finite loss with finite gradients.
"""

from __future__ import annotations

import numbers

import keras
import numpy as np
from keras import ops

from keras_hpn.numerics import (
    as_float32,
    check_width,
    class_labels,
    constant,
    cosine_with,
    padded_index,
    padded_table,
)
from keras_hpn.prototypes import check_prototypes
from keras_hpn.prototypes.validation import check_unit_vector


def check_range(lower: float, upper: float) -> tuple[float, float]:
    """Validates a regression range `[lower, upper]` and returns it as floats."""
    for name, value in (("lower", lower), ("upper", upper)):
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise ValueError(
                f"`{name}` must be a real number. Received: {name}={value!r}"
            )
        if not np.isfinite(value):
            raise ValueError(f"`{name}` must be finite. Received: {name}={value}")
    if not lower < upper:
        raise ValueError(
            "`lower` must be smaller than `upper` (the range of the regression "
            f"targets). Received: lower={lower}, upper={upper}"
        )
    return float(lower), float(upper)


def check_weight(weight: float) -> float:
    """Validates a task weight in `[0, 1]`."""
    if (
        isinstance(weight, bool)
        or not isinstance(weight, numbers.Real)
        or not 0.0 <= weight <= 1.0
    ):
        raise ValueError(
            "`weight` must be a number in [0, 1] (the share of the classification "
            f"loss). Received: weight={weight!r}"
        )
    return float(weight)


def default_axis(dims: int) -> np.ndarray:
    """The default regression direction `e_0` in `dims` dimensions."""
    axis = np.zeros(dims)
    axis[0] = 1.0
    return axis


def prototype_cosine_loss(y_true, y_pred, prototypes, label_column=None):
    """Per-example `(1 - cos(z, p_y))^2` for integer labels `y_true`.

    Args:
        y_true: integer class ids, shape `(batch,)` or `(batch, 1)` (or a
            column of a wider `y_true`, see `label_column`).
        y_pred: outputs `z` of shape `(batch, dims)`; need not be normalised.
        prototypes: array of shape `(num_classes, dims)` with unit rows.
        label_column: if given, the labels are `y_true[..., label_column]`.

    Returns:
        Tensor of shape `(batch,)`. Labels outside `[0, num_classes)` raise a
        `ValueError` when the labels are concrete and give NaN inside a traced
        (compiled) step, so they can never pass silently.
    """
    prototypes = np.asarray(prototypes)
    num_classes, dims = prototypes.shape
    y_pred = as_float32(y_pred)
    check_width(y_pred, dims, "the prototypes")
    labels = class_labels(y_true, y_pred, num_classes, label_column)
    table = constant(padded_table(prototypes), y_pred)
    chosen = ops.take(table, padded_index(labels, num_classes), axis=0)
    return ops.square(1.0 - cosine_with(y_pred, chosen))


def hyperspherical_regression_loss(
    y_true, y_pred, lower, upper, upper_prototype=None, target_column=None
):
    """Per-example `(r - cos(z, p_u))^2` with `r` the target mapped to `[-1, 1]`.

    Args:
        y_true: regression targets, shape `(batch,)` or `(batch, 1)` (or a
            column of a wider `y_true`, see `target_column`).
        y_pred: outputs `z` of shape `(batch, dims)`.
        lower: target value `v_l` mapped to the lower prototype `-p_u`.
        upper: target value `v_u` mapped to the upper prototype `p_u`.
        upper_prototype: direction `p_u` of shape `(dims,)`; `None` means the
            first unit vector `e_0`.
        target_column: if given, the targets are `y_true[..., target_column]`.

    Returns:
        Tensor of shape `(batch,)`.
    """
    y_pred = as_float32(y_pred)
    dims = int(y_pred.shape[-1])
    axis = (
        default_axis(dims) if upper_prototype is None else np.asarray(upper_prototype)
    )
    check_width(y_pred, axis.shape[0], "the upper prototype")
    cosine = cosine_with(y_pred, constant(axis, y_pred))
    return ops.square(
        _scaled_targets(y_true, cosine, lower, upper, target_column) - cosine
    )


def multitask_loss(
    y_true,
    y_pred,
    class_prototypes,
    lower,
    upper,
    weight,
    regression_axis=None,
):
    """Per-example `t L_c + (1 - t) L_r` on one shared output.

    The regression loss uses the cosine of `z` with `regression_axis`; the
    classification loss the cosine of the part of `z` orthogonal to it with
    the class prototypes (which must be orthogonal to the axis).

    Args:
        y_true: shape `(batch, 2)`: column 0 the class id, column 1 the
            regression target.
        y_pred: outputs `z` of shape `(batch, dims)`.
        class_prototypes: array `(num_classes, dims)`, orthogonal to the axis.
        lower: target value mapped to `-regression_axis`.
        upper: target value mapped to `regression_axis`.
        weight: `t` in `[0, 1]`, the share of the classification loss.
        regression_axis: unit vector `(dims,)`; `None` means `e_0`.

    Returns:
        Tensor of shape `(batch,)`.
    """
    class_prototypes = np.asarray(class_prototypes)
    num_classes, dims = class_prototypes.shape
    y_pred = as_float32(y_pred)
    check_width(y_pred, dims, "the class prototypes")
    axis = constant(
        default_axis(dims) if regression_axis is None else regression_axis, y_pred
    )
    along = ops.sum(y_pred * axis, axis=-1, keepdims=True)
    orthogonal = y_pred - along * axis
    classification = prototype_cosine_loss(y_true, orthogonal, class_prototypes, 0)
    cosine = cosine_with(y_pred, axis)
    targets = _scaled_targets(y_true, cosine, lower, upper, 1)
    regression = ops.square(targets - cosine)
    return weight * classification + (1.0 - weight) * regression


def _scaled_targets(y_true, like, lower, upper, column):
    y_true = as_float32(y_true)
    if column is not None:
        y_true = y_true[..., column]
    elif len(y_true.shape) == len(like.shape) + 1 and y_true.shape[-1] == 1:
        y_true = ops.squeeze(y_true, axis=-1)
    y_true = ops.cast(y_true, like.dtype)
    return 2.0 * (y_true - lower) / (upper - lower) - 1.0


@keras.saving.register_keras_serializable(package="keras_hpn")
class PrototypeCosineLoss(keras.losses.Loss):
    """Squared cosine loss towards fixed class prototypes.

    For an output `z` with integer label `y`, the loss is
    `(1 - cos(z, p_y))^2`: 0 when `z` points at its prototype, 4 when it
    points the opposite way. The prediction is `argmax_k cos(z, p_k)` (see
    `keras_hpn.predict_classes`).

    Args:
        prototypes: array of shape `(num_classes, dims)`, e.g. from
            `keras_hpn.prototypes.hyperspherical`. Rows are rescaled to unit
            length; they are constants, never trained.
        label_column: if given, the class ids are `y_true[..., label_column]`
            (for a `y_true` that also carries other targets).
        reduction: how Keras reduces the per-example losses.
        name: name of the loss.
        dtype: dtype of the loss computation; cosines are at least float32.

    Example:

    ```python
    protos = keras_hpn.prototypes.hyperspherical(num_classes=10, dims=5, seed=0)
    loss = keras_hpn.losses.PrototypeCosineLoss(protos)
    float(loss(np.arange(10), protos))  # outputs on their prototypes
    # 0.0
    ```

    References:
        Mettes, van der Pol, Snoek. Hyperspherical Prototype Networks.
        NeurIPS 2019.
    """

    def __init__(
        self,
        prototypes,
        label_column: int | None = None,
        reduction="sum_over_batch_size",
        name: str = "prototype_cosine_loss",
        dtype=None,
    ):
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        self.prototypes = check_prototypes(prototypes)
        if self.prototypes.shape[0] < 2:
            raise ValueError(
                "`prototypes` must hold at least 2 classes. "
                f"Received shape {self.prototypes.shape}."
            )
        self.label_column = label_column

    def call(self, y_true, y_pred):
        return prototype_cosine_loss(y_true, y_pred, self.prototypes, self.label_column)

    def get_config(self) -> dict:
        config = super().get_config()
        config.update(
            {"prototypes": self.prototypes.tolist(), "label_column": self.label_column}
        )
        return config


@keras.saving.register_keras_serializable(package="keras_hpn")
class HypersphericalRegressionLoss(keras.losses.Loss):
    """Regression as interpolation between two opposite prototypes.

    A target `y` in `[lower, upper]` maps to `r = 2 (y - lower) / (upper -
    lower) - 1` in `[-1, 1]`, and the loss is `(r - cos(z, p_u))^2`: the
    output should point at the upper prototype `p_u` for `upper`, at `-p_u`
    for `lower`, and in between at the matching angle. Decode predictions
    with `keras_hpn.decode_regression`.

    Args:
        lower: the target value of the lower prototype, by default the
            smallest training target (see `from_targets`).
        upper: the target value of the upper prototype, larger than `lower`.
        upper_prototype: the direction `p_u`, shape `(dims,)`; `None` means
            the first unit vector `e_0` of whatever width the output has.
        target_column: if given, the targets are `y_true[..., target_column]`.
        reduction: how Keras reduces the per-example losses.
        name: name of the loss.
        dtype: dtype of the loss computation; cosines are at least float32.

    Example:

    ```python
    loss = keras_hpn.losses.HypersphericalRegressionLoss(lower=0.0, upper=10.0)
    z = np.array([[1.0, 0.0], [0.0, 1.0]])  # cosines 1 and 0 with e_0
    float(loss(np.array([10.0, 5.0]), z))  # both on target
    # 0.0
    ```
    """

    def __init__(
        self,
        lower: float,
        upper: float,
        upper_prototype=None,
        target_column: int | None = None,
        reduction="sum_over_batch_size",
        name: str = "hyperspherical_regression_loss",
        dtype=None,
    ):
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        self.lower, self.upper = check_range(lower, upper)
        self.upper_prototype = (
            None
            if upper_prototype is None
            else check_unit_vector(upper_prototype, "upper_prototype")
        )
        self.target_column = target_column

    @classmethod
    def from_targets(cls, targets, **kwargs) -> HypersphericalRegressionLoss:
        """Builds the loss with `[lower, upper]` = the range of `targets`.

        Args:
            targets: the training targets.
            **kwargs: the other constructor arguments.

        Returns:
            A `HypersphericalRegressionLoss`.
        """
        targets = np.asarray(targets, dtype=np.float64)
        column = kwargs.get("target_column")
        if column is not None:
            targets = targets[..., column]
        return cls(float(np.min(targets)), float(np.max(targets)), **kwargs)

    def call(self, y_true, y_pred):
        return hyperspherical_regression_loss(
            y_true,
            y_pred,
            self.lower,
            self.upper,
            self.upper_prototype,
            self.target_column,
        )

    def get_config(self) -> dict:
        config = super().get_config()
        config.update(
            {
                "lower": self.lower,
                "upper": self.upper,
                "upper_prototype": None
                if self.upper_prototype is None
                else self.upper_prototype.tolist(),
                "target_column": self.target_column,
            }
        )
        return config


@keras.saving.register_keras_serializable(package="keras_hpn")
class MultiTaskLoss(keras.losses.Loss):
    """Classification and regression on one shared output: `t L_c + (1 - t) L_r`.

    As in the paper, one direction of the output (the regression axis,
    `e_0` by default) carries the regression through
    `HypersphericalRegressionLoss`, and the class prototypes live in the
    subspace orthogonal to it: the classification loss compares the part of
    `z` orthogonal to the axis with the class prototypes. Build such
    prototypes with `keras_hpn.prototypes.multitask(num_classes, dims)`.

    `y_true` layout: shape `(batch, 2)`, column 0 the integer class id and
    column 1 the regression target (stack them with
    `np.stack([labels, targets], axis=1)`). Track the two tasks with
    `PrototypeAccuracy(protos, label_column=0)` and
    `RegressionMAE(lower, upper, target_column=1)`.

    The Keras-native alternative is two outputs (two
    `L2NormalizedProjection` heads on a shared backbone) compiled with
    `loss=[PrototypeCosineLoss(p), HypersphericalRegressionLoss(lo, hi)]`
    and `loss_weights=[t, 1 - t]`: simpler, but the tasks then no longer
    share one output vector.

    Args:
        class_prototypes: array `(num_classes, dims)`, orthogonal to the
            regression axis.
        lower: the target value mapped to `-regression_axis`.
        upper: the target value mapped to `regression_axis`.
        weight: `t` in `[0, 1]`, the share of the classification loss.
        regression_axis: unit vector `(dims,)`; `None` means `e_0`.
        reduction: how Keras reduces the per-example losses.
        name: name of the loss.
        dtype: dtype of the loss computation; cosines are at least float32.

    Example:

    ```python
    protos, axis = keras_hpn.prototypes.multitask(num_classes=3, dims=4, seed=0)
    loss = keras_hpn.losses.MultiTaskLoss(protos, lower=0.0, upper=1.0, weight=0.5)
    y_true = np.array([[0, 0.75], [2, 0.5]])  # class id, target
    # Target 0.75 maps to r = 0.5 = cos(z, axis); 0.5 maps to r = 0.
    z = np.stack([0.5 * axis + np.sqrt(0.75) * protos[0], protos[2]])
    float(loss(y_true, z))
    # 0.0
    ```

    References:
        Mettes, van der Pol, Snoek. Hyperspherical Prototype Networks.
        NeurIPS 2019, Section 4 (joint regression and classification).
    """

    def __init__(
        self,
        class_prototypes,
        lower: float,
        upper: float,
        weight: float = 0.5,
        regression_axis=None,
        reduction="sum_over_batch_size",
        name: str = "multitask_loss",
        dtype=None,
    ):
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        self.class_prototypes = check_prototypes(class_prototypes, "class_prototypes")
        num_classes, dims = self.class_prototypes.shape
        if num_classes < 2:
            raise ValueError(
                "`class_prototypes` must hold at least 2 classes. "
                f"Received shape {self.class_prototypes.shape}."
            )
        if dims < 2:
            raise ValueError(
                "`class_prototypes` must have at least 2 dimensions (one is the "
                f"regression axis). Received shape {self.class_prototypes.shape}."
            )
        self.lower, self.upper = check_range(lower, upper)
        self.weight = check_weight(weight)
        axis = default_axis(dims) if regression_axis is None else regression_axis
        self.regression_axis = check_unit_vector(axis, "regression_axis", dims)
        overlap = np.abs(self.class_prototypes @ self.regression_axis).max()
        if overlap > 1e-5:
            raise ValueError(
                "`class_prototypes` must be orthogonal to `regression_axis`; the "
                f"largest |cosine| between them is {overlap:.3g}. Build them with "
                "`keras_hpn.prototypes.multitask(num_classes, dims)`."
            )

    def call(self, y_true, y_pred):
        return multitask_loss(
            y_true,
            y_pred,
            self.class_prototypes,
            self.lower,
            self.upper,
            self.weight,
            self.regression_axis,
        )

    def get_config(self) -> dict:
        config = super().get_config()
        config.update(
            {
                "class_prototypes": self.class_prototypes.tolist(),
                "lower": self.lower,
                "upper": self.upper,
                "weight": self.weight,
                "regression_axis": self.regression_axis.tolist(),
            }
        )
        return config
