"""Losses of Hyperspherical Prototype Networks.

Each loss returns one value per example and lets Keras reduce them, so that
`sample_weight` and distribution strategies scale the loss correctly. Cosines
are always computed in float32 (also under mixed precision) and a zero output
vector gives a finite loss with finite gradients.
"""

from __future__ import annotations

import types

import keras
import numpy as np
from keras import ops

from keras_hpn import saving
from keras_hpn.numerics import (
    as_float32,
    check_width,
    constant,
    cosine_with,
    masked,
)
from keras_hpn.targets import (
    InvalidLabelWarning,
    check_regression_range,
    class_labels,
    label_validity,
    numeric_targets,
    per_example,
    regression_targets,
    report_invalid,
    report_out_of_range,
)
from keras_hpn.utils.validation import (
    check_class_shape,
    check_column,
    check_flag,
    check_unit_vector,
    check_weight,
    default_axis,
)

# What a loss does on a batch holding invalid labels or targets.
MODES = ("warn", "raise", "ignore")


__all__ = [
    "HypersphericalRegressionLoss",
    "InvalidLabelWarning",
    "MultiTaskLoss",
    "PrototypeCosineLoss",
    "hyperspherical_regression_loss",
    "multitask_loss",
    "prototype_cosine_loss",
]


def prototype_cosine_loss(y_true, y_pred, prototypes, label_column=None):
    """Per-example `(1 - cos(z, p_y))^2` for integer labels `y_true`.

    Args:
        y_true: integer class ids, shape `(batch,)` or `(batch, 1)` (or a
            column of a wider `y_true`, see `label_column`).
        y_pred: outputs `z` of shape `(batch, dims)`; need not be normalised.
        prototypes: array of shape `(num_classes, dims)` with unit rows.
        label_column: if given, the labels are `y_true[..., label_column]`.

    Returns:
        Tensor of shape `(batch,)`. An example whose label is not an integer
        in `[0, num_classes)` gets loss 0 and no gradient.
    """
    prototypes = np.asarray(prototypes)
    num_classes, dims = prototypes.shape
    y_pred = as_float32(y_pred)
    check_width(y_pred, dims, "the prototypes")
    labels, valid = class_labels(y_true, y_pred, num_classes, label_column)
    chosen = ops.take(constant(prototypes, y_pred), labels, axis=0)
    cosine = cosine_with(y_pred, chosen)
    return masked(ops.square(1.0 - cosine), valid)


def hyperspherical_regression_loss(
    y_true,
    y_pred,
    lower,
    upper,
    upper_prototype=None,
    target_column=None,
    clip_targets=False,
):
    """Per-example `(r - cos(z, p_u))^2` with `r` the target mapped to `[-1, 1]`.

    Args:
        y_true: regression targets, shape `(batch,)` or `(batch, 1)` (or a
            column of a wider `y_true`, see `target_column`).
        y_pred: outputs `z` of shape `(batch, dims)`, `dims >= 2`.
        lower: target value `v_l` mapped to the lower prototype `-p_u`.
        upper: target value `v_u` mapped to the upper prototype `p_u`.
        upper_prototype: direction `p_u` of shape `(dims,)`; `None` means the
            first unit vector `e_0`.
        target_column: if given, the targets are `y_true[..., target_column]`.
        clip_targets: whether `r` is clipped to `[-1, 1]`.

    Returns:
        Tensor of shape `(batch,)`. An example whose target is NaN or
        infinite gets loss 0 and no gradient.
    """
    y_pred = as_float32(y_pred)
    axis = (
        _output_axis(y_pred) if upper_prototype is None else np.asarray(upper_prototype)
    )
    check_width(y_pred, axis.shape[0], "the upper prototype")
    cosine = cosine_with(y_pred, constant(axis, y_pred))
    offsets, valid = regression_targets(y_true, y_pred, target_column, lower)
    scaled = _scaled(offsets, upper - lower, clip_targets)
    return masked(ops.square(scaled - cosine), valid)


def multitask_loss(
    y_true,
    y_pred,
    class_prototypes,
    lower,
    upper,
    weight,
    regression_axis=None,
    clip_targets=False,
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
        clip_targets: whether the mapped target is clipped to `[-1, 1]`.

    Returns:
        Tensor of shape `(batch,)`. An invalid class id removes the
        classification term of its example, a NaN or infinite target the
        regression term, each with its gradient.
    """
    class_prototypes = np.asarray(class_prototypes)
    y_pred = as_float32(y_pred)
    check_width(y_pred, class_prototypes.shape[1], "the class prototypes")
    _check_two_columns(y_true, y_pred)
    axis = (
        default_axis(class_prototypes.shape[1])
        if regression_axis is None
        else np.asarray(regression_axis)
    )
    direction = constant(axis, y_pred)
    along = ops.sum(y_pred * direction, axis=-1, keepdims=True)
    classification = prototype_cosine_loss(
        y_true, y_pred - along * direction, class_prototypes, 0
    )
    regression = hyperspherical_regression_loss(
        y_true, y_pred, lower, upper, axis, 1, clip_targets
    )
    return weight * classification + (1.0 - weight) * regression


def _check_two_columns(y_true, y_pred) -> None:
    y_true = ops.convert_to_tensor(y_true)
    width = y_true.shape[-1] if len(y_true.shape) == len(y_pred.shape) else 0
    if width is not None and width != 2:
        raise ValueError(
            "`MultiTaskLoss` expects `y_true` of shape (batch, 2): column 0 the "
            "integer class id, column 1 the regression target (stack them with "
            f"`np.stack([labels, targets], axis=1)`). Received shape "
            f"{tuple(y_true.shape)} for outputs of shape {tuple(y_pred.shape)}."
        )


def _output_axis(y_pred) -> np.ndarray:
    width = y_pred.shape[-1]
    if width is None:
        raise ValueError(
            "Hyperspherical regression needs outputs of a known width to build "
            "the default upper prototype e_0; pass `upper_prototype`."
        )
    if width < 2:
        raise ValueError(
            f"Hyperspherical regression needs outputs of at least 2 dimensions; "
            f"the model output has width {width}. A unit vector in one dimension "
            "is +1 or -1: its angle to the prototype cannot change, so the "
            "gradient is zero. Use `L2NormalizedProjection(2)` or more."
        )
    return default_axis(int(width))


def _scaled(offsets, span: float, clip: bool):
    """`r = 2 (y - lower) / (upper - lower) - 1`, from `offsets = y - lower`."""
    scaled = 2.0 * offsets / span - 1.0
    return ops.clip(scaled, -1.0, 1.0) if clip else scaled


class _CheckedLoss(keras.losses.Loss):
    """A loss that reports invalid targets on every call, then masks them.

    Before Keras casts `y_true` to the loss dtype (float32, where a large
    label could round onto a class id), the labels are checked exactly,
    reported as `invalid_labels` / `invalid_targets` say (see
    `keras_hpn.targets.report_invalid`: eager calls check on the host,
    compiled JAX and TensorFlow steps call back only from a batch holding an
    invalid value), and invalid labels are replaced by -1, which stays
    invalid. Regression targets outside `[lower, upper]` warn once per loss
    (unless clipped), found the same way on every batch.
    """

    def __call__(self, y_true, y_pred, sample_weight=None):
        y_true = self._checked_targets(y_true, as_float32(y_pred), sample_weight)
        return super().__call__(y_true, y_pred, sample_weight=sample_weight)

    def _checked_targets(self, y_true, y_pred, sample_weight):
        raise NotImplementedError

    def _check_labels(self, y_true, y_pred, sample_weight, column, num_classes):
        """Reports invalid labels; returns `y_true` with them set to -1."""
        labels = per_example(
            y_true,
            y_pred,
            column,
            what="integer class ids",
            argument="label_column",
            num_classes=num_classes,
        )
        valid = label_validity(labels, num_classes)
        name = self.name

        def describe(count, total, example):
            return (
                f"{name}: {count} of {total} labels in a batch are not class ids "
                f"in [0, {num_classes}), e.g. {example!r}; they get no loss "
                f"(masked). Use label ids 0..{num_classes - 1} (give an unknown "
                "label `sample_weight=0` to leave it out); pass "
                "`invalid_labels='raise'` to stop, 'ignore' to silence this."
            )

        report_invalid(
            ops.logical_not(valid),
            labels,
            self.invalid_labels,
            describe,
            self,
            sample_weight,
        )
        if column is None:
            if len(y_true.shape) > len(valid.shape):
                valid = ops.expand_dims(valid, -1)
            return ops.where(valid, y_true, ops.full_like(y_true, -1))
        width = y_true.shape[-1]
        mark = ops.logical_and(
            ops.expand_dims(ops.logical_not(valid), -1),
            ops.expand_dims(ops.arange(width) == column, 0),
        )
        return ops.where(mark, ops.full_like(y_true, -1), y_true)

    def _check_targets(self, y_true, y_pred, sample_weight, column):
        """Reports NaN or infinite targets; warns once on targets out of range."""
        targets = as_float32(
            per_example(
                y_true,
                y_pred,
                column,
                what="regression targets",
                argument="target_column",
            )
        )
        name = self.name

        def describe(count, total, example):
            return (
                f"{name}: {count} of {total} regression targets in a batch are "
                f"NaN or infinite, e.g. {example!r}; they get no loss (masked). "
                "Give an unknown target `sample_weight=0` to leave it out; pass "
                "`invalid_targets='raise'` to stop, 'ignore' to silence this."
            )

        report_invalid(
            ops.logical_not(ops.isfinite(targets)),
            targets,
            self.invalid_targets,
            describe,
            self,
            sample_weight,
        )
        if not self.clip_targets:
            report_out_of_range(
                targets,
                sample_weight,
                self.lower,
                self.upper,
                self.__dict__.setdefault("_range_report", types.SimpleNamespace()),
                self.name,
            )


@keras.saving.register_keras_serializable(package="keras_hpn")
class PrototypeCosineLoss(_CheckedLoss):
    """Squared cosine loss towards fixed class prototypes.

    For an output `z` with integer label `y`, the loss is
    `(1 - cos(z, p_y))^2`: 0 when `z` points at its prototype, 4 when it
    points the opposite way. The prediction is `argmax_k cos(z, p_k)` (see
    `keras_hpn.predict_classes`).

    Reduction: like every Keras loss, the default `"sum_over_batch_size"`
    averages over the batch. The paper's code sums over the batch, so its
    learning rates correspond to rates `batch_size` times larger here (its
    SGD 0.01 for CIFAR-100 with batch 128 is SGD 1.28 here), or pass
    `reduction="sum"` to keep its rates.

    Invalid labels: a label that is not an integer in `[0, num_classes)`
    (negative, too large, fractional or NaN) contributes no loss and no
    gradient, so it can never turn the weights into NaN, also inside a
    compiled step. It is not silent: by default (`invalid_labels="warn"`)
    the first batch holding one issues an `InvalidLabelWarning` naming how
    many labels of the batch were invalid and one of them, on every backend
    and inside compiled steps too (a host callback runs only for such a
    batch; see `keras_hpn.numerics`); `"raise"` stops with a `ValueError`
    (wrapped by the backend in a compiled step). `metrics.PrototypeAccuracy`
    scores it as wrong and `metrics.InvalidLabels` counts it. Labels are
    compared exactly, so a large label never aliases a class id. To leave an
    example out on purpose, give it `sample_weight=0`: it then contributes
    exactly nothing, whatever its label, and is not reported.

    Args:
        prototypes: array of shape `(num_classes, dims)`, e.g. from
            `keras_hpn.prototypes.hyperspherical`, with at least 2 classes and
            2 dimensions. Rows are rescaled to unit length; they are
            constants, never trained.
        label_column: if given, the class ids are `y_true[..., label_column]`
            (for a `y_true` that also carries other targets).
        invalid_labels: `"warn"` (once per loss object), `"raise"` or
            `"ignore"`: what a batch holding invalid labels does (they are
            masked in every case).
        reduction: how Keras reduces the per-example losses (see above).
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

    prototypes = saving.StoredPrototypes()

    def __init__(
        self,
        prototypes,
        label_column: int | None = None,
        invalid_labels: str = "warn",
        reduction="sum_over_batch_size",
        name: str = "prototype_cosine_loss",
        dtype=None,
    ):
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        self.prototypes = prototypes
        check_class_shape(saving.shape_of(self, "prototypes"), "prototypes")
        self.label_column = check_column(label_column, "label_column")
        self.invalid_labels = _check_mode(invalid_labels, "invalid_labels")

    def call(self, y_true, y_pred):
        return prototype_cosine_loss(y_true, y_pred, self.prototypes, self.label_column)

    def save_own_variables(self, store) -> None:
        saving.save_arrays(self, store, ("prototypes",))

    def load_own_variables(self, store) -> None:
        saving.load_arrays(self, store, ("prototypes",))

    def _checked_targets(self, y_true, y_pred, sample_weight):
        y_true = ops.convert_to_tensor(
            numeric_targets(y_true, "integer class ids", labels=True)
        )
        return self._check_labels(
            y_true, y_pred, sample_weight, self.label_column, self.prototypes.shape[0]
        )

    def get_config(self) -> dict:
        config = super().get_config()
        config.update(
            {
                "prototypes": saving.config_of(self, "prototypes"),
                "label_column": self.label_column,
                "invalid_labels": self.invalid_labels,
            }
        )
        return config


@keras.saving.register_keras_serializable(package="keras_hpn")
class HypersphericalRegressionLoss(_CheckedLoss):
    """Regression as interpolation between two opposite prototypes.

    A target `y` in `[lower, upper]` maps to `r = 2 (y - lower) / (upper -
    lower) - 1` in `[-1, 1]`, and the loss is `(r - cos(z, p_u))^2`: the
    output should point at the upper prototype `p_u` for `upper`, at `-p_u`
    for `lower`, and in between at the matching angle. Decode predictions
    with `keras_hpn.decode_regression`. The output needs at least 2
    dimensions (in one, a unit vector is `+-1` and cannot turn).

    Reduction: the default `"sum_over_batch_size"` averages over the batch,
    where the paper's code sums: its learning rate (SGD 0.001 for OmniArt)
    corresponds to a rate `batch_size` times larger here, or pass
    `reduction="sum"`.

    Invalid targets: a NaN or infinite target contributes no loss and no
    gradient (count them with `metrics.InvalidTargets`); a batch holding one
    warns or raises as `invalid_targets` says, as invalid labels do in
    `PrototypeCosineLoss`. Targets outside `[lower, upper]`
    map beyond the prototypes, which no output can reach: the first batch
    holding one warns (a `UserWarning`, once per loss; in compiled steps
    too), and `clip_targets=True` clips `r` to `[-1, 1]` instead.
    `sample_weight=0` leaves an example out exactly.

    Large offsets: `fit` hands targets to the loss in `floatx` (float32), so
    a range too narrow for its size there (`[1.7e9, 1.7e9 + 100]`, where
    float32 values are 128 apart) is refused at construction: subtract the
    offset from the targets first, or train in float64. Otherwise `lower` is
    removed before any cast to float32.

    Args:
        lower: the target value of the lower prototype, by default the
            smallest training target (see `from_targets`).
        upper: the target value of the upper prototype, larger than `lower`.
        upper_prototype: the direction `p_u`, shape `(dims,)`; `None` means
            the first unit vector `e_0` of whatever width the output has.
        target_column: if given, the targets are `y_true[..., target_column]`.
        clip_targets: whether targets outside `[lower, upper]` are clipped to
            it (their `r` to `[-1, 1]`).
        invalid_targets: `"warn"`, `"raise"` or `"ignore"`: what a batch
            holding NaN or infinite targets does (they are masked anyway).
        reduction: how Keras reduces the per-example losses (see above).
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
        clip_targets: bool = False,
        invalid_targets: str = "warn",
        reduction="sum_over_batch_size",
        name: str = "hyperspherical_regression_loss",
        dtype=None,
    ):
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        self.lower, self.upper = check_regression_range(lower, upper, self.dtype)
        self.upper_prototype = (
            None
            if upper_prototype is None
            else check_unit_vector(upper_prototype, "upper_prototype")
        )
        self.target_column = check_column(target_column, "target_column")
        self.clip_targets = check_flag(clip_targets, "clip_targets")
        self.invalid_targets = _check_mode(invalid_targets, "invalid_targets")

    @classmethod
    def from_targets(cls, targets, **kwargs) -> HypersphericalRegressionLoss:
        """Builds the loss with `[lower, upper]` = the range of `targets`.

        Args:
            targets: the training targets, finite, not all equal.
            **kwargs: the other constructor arguments.

        Returns:
            A `HypersphericalRegressionLoss`.
        """
        values = np.asarray(targets, dtype=np.float64)
        column = kwargs.get("target_column")
        if column is not None:
            values = values[..., check_column(column, "target_column")]
        if values.size == 0:
            raise ValueError(
                "`targets` must hold the training targets, to take their range. "
                f"Received an empty array of shape {values.shape}."
            )
        if not np.isfinite(values).all():
            raise ValueError(
                "`targets` must be finite to take their range. Received "
                f"{int((~np.isfinite(values)).sum())} NaN or infinite value(s)."
            )
        return cls(float(np.min(values)), float(np.max(values)), **kwargs)

    def call(self, y_true, y_pred):
        return hyperspherical_regression_loss(
            y_true,
            y_pred,
            self.lower,
            self.upper,
            self.upper_prototype,
            self.target_column,
            self.clip_targets,
        )

    def _checked_targets(self, y_true, y_pred, sample_weight):
        y_true = ops.convert_to_tensor(numeric_targets(y_true, "regression targets"))
        self._check_targets(y_true, y_pred, sample_weight, self.target_column)
        return y_true

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
                "clip_targets": self.clip_targets,
                "invalid_targets": self.invalid_targets,
            }
        )
        return config


@keras.saving.register_keras_serializable(package="keras_hpn")
class MultiTaskLoss(_CheckedLoss):
    """Classification and regression on one shared output: `t L_c + (1 - t) L_r`.

    As in the paper, one direction of the output (the regression axis,
    `e_0` by default) carries the regression through
    `HypersphericalRegressionLoss`, and the class prototypes live in the
    subspace orthogonal to it: the classification loss compares the part of
    `z` orthogonal to the axis with the class prototypes. Build such
    prototypes with `keras_hpn.prototypes.multitask(num_classes, dims)`.

    `y_true` layout: shape `(batch, 2)`, column 0 the integer class id and
    column 1 the regression target (stack them with
    `np.stack([labels, targets], axis=1)`); any other shape is refused.
    Track the two tasks with `PrototypeAccuracy(protos, label_column=0)` and
    `RegressionMAE(lower, upper, target_column=1)`.
    Do not pass Keras' `class_weight` with this loss (or any loss with a
    `label_column`): Keras reads a `(batch, 2)` `y` as one-hot and weights
    each row by its argmax, the target column. Give per-class weights as
    `sample_weight` (`keras_hpn.tuning.class_sample_weight(y[:, 0], cw)`);
    `HPNHyperModel.fit` does so itself.

    Invalid values and reduction: as in `PrototypeCosineLoss` and
    `HypersphericalRegressionLoss`, an invalid class id removes the
    classification term of its example and a NaN target the regression term,
    each with its gradient; a batch holding one warns or raises as
    `invalid_labels` / `invalid_targets` say; the loss
    averages over the batch where the paper's code sums (its SGD 0.001 for
    OmniArt is `0.001 * batch_size` here).

    The Keras-native alternative is two outputs (two
    `L2NormalizedProjection` heads on a shared backbone) compiled with
    `loss=[PrototypeCosineLoss(p), HypersphericalRegressionLoss(lo, hi)]`
    and `loss_weights=[t, 1 - t]`: simpler, but the tasks then no longer
    share one output vector.

    Args:
        class_prototypes: array `(num_classes, dims)`, orthogonal to the
            regression axis; at least 2 classes and 3 dimensions.
        lower: the target value mapped to `-regression_axis`.
        upper: the target value mapped to `regression_axis`.
        weight: `t` in `[0, 1]`, the share of the classification loss.
        regression_axis: unit vector `(dims,)`; `None` means `e_0`.
        clip_targets: whether targets outside `[lower, upper]` are clipped.
        invalid_labels: `"warn"`, `"raise"` or `"ignore"`, for class ids.
        invalid_targets: `"warn"`, `"raise"` or `"ignore"`, for targets.
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

    class_prototypes = saving.StoredPrototypes()

    def __init__(
        self,
        class_prototypes,
        lower: float,
        upper: float,
        weight: float = 0.5,
        regression_axis=None,
        clip_targets: bool = False,
        invalid_labels: str = "warn",
        invalid_targets: str = "warn",
        reduction="sum_over_batch_size",
        name: str = "multitask_loss",
        dtype=None,
    ):
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        self.class_prototypes = class_prototypes
        shape = saving.shape_of(self, "class_prototypes")
        check_class_shape(shape, "class_prototypes")
        dims = shape[1]
        if dims < 3:
            raise ValueError(
                "`class_prototypes` must have at least 3 dimensions (one is the "
                "regression axis, and classes need at least 2 more). Received "
                f"shape {shape}."
            )
        self.lower, self.upper = check_regression_range(lower, upper, self.dtype)
        self.weight = check_weight(weight)
        axis = default_axis(dims) if regression_axis is None else regression_axis
        self.regression_axis = check_unit_vector(axis, "regression_axis", dims)
        if not saving.pending(self, "class_prototypes"):
            self._check_orthogonal()
        self.clip_targets = check_flag(clip_targets, "clip_targets")
        self.invalid_labels = _check_mode(invalid_labels, "invalid_labels")
        self.invalid_targets = _check_mode(invalid_targets, "invalid_targets")

    def _check_orthogonal(self) -> None:
        overlap = np.abs(self.class_prototypes @ self.regression_axis).max()
        if overlap > 1e-5:
            raise ValueError(
                "`class_prototypes` must be orthogonal to `regression_axis`; the "
                f"largest |cosine| between them is {overlap:.3g}. Build them with "
                "`keras_hpn.prototypes.multitask(num_classes, dims)`."
            )

    def save_own_variables(self, store) -> None:
        saving.save_arrays(self, store, ("class_prototypes",))

    def load_own_variables(self, store) -> None:
        saving.load_arrays(self, store, ("class_prototypes",))
        if not saving.pending(self, "class_prototypes"):
            self._check_orthogonal()

    def call(self, y_true, y_pred):
        return multitask_loss(
            y_true,
            y_pred,
            self.class_prototypes,
            self.lower,
            self.upper,
            self.weight,
            self.regression_axis,
            self.clip_targets,
        )

    def _checked_targets(self, y_true, y_pred, sample_weight):
        y_true = numeric_targets(y_true, "class ids and regression targets")
        y_true = ops.convert_to_tensor(y_true)
        _check_two_columns(y_true, y_pred)
        self._check_targets(y_true, y_pred, sample_weight, 1)
        return self._check_labels(
            y_true, y_pred, sample_weight, 0, self.class_prototypes.shape[0]
        )

    def get_config(self) -> dict:
        config = super().get_config()
        config.update(
            {
                "class_prototypes": saving.config_of(self, "class_prototypes"),
                "lower": self.lower,
                "upper": self.upper,
                "weight": self.weight,
                "regression_axis": self.regression_axis.tolist(),
                "clip_targets": self.clip_targets,
                "invalid_labels": self.invalid_labels,
                "invalid_targets": self.invalid_targets,
            }
        )
        return config


def _check_mode(value, name: str) -> str:
    if value not in MODES:
        raise ValueError(
            f"`{name}` must be one of {MODES}: what the loss does on a batch "
            f"holding invalid values (all are masked). Received: {name}={value!r}"
        )
    return value
