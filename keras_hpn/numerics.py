"""Backend-agnostic numerics shared by layers, losses and metrics (`keras.ops`)."""

from __future__ import annotations

import keras
import numpy as np
from keras import ops

# Squared norms below this are treated as zero: a zero vector normalises to
# zero with finite gradients instead of 0/0.
SQUARED_NORM_EPSILON = 1e-12


def l2_normalize(x, epsilon: float = SQUARED_NORM_EPSILON):
    """Scales the last axis of `x` to unit length, computing in float32.

    A zero vector stays zero and has finite gradients (the squared norm is
    clamped at `epsilon` before the inverse square root). Inputs that
    are not float32/float64 (float16, bfloat16, ints) are normalised in float32.
    """
    x = as_float32(x)
    squared = ops.sum(ops.square(x), axis=-1, keepdims=True)
    return x * ops.rsqrt(ops.maximum(squared, epsilon))


def as_float32(x):
    """Casts `x` to float32 unless it already is float32 or float64."""
    x = ops.convert_to_tensor(x)
    if keras.backend.standardize_dtype(x.dtype) in ("float32", "float64"):
        return x
    return ops.cast(x, "float32")


def constant(array: np.ndarray, like):
    """A constant tensor holding `array` in the float dtype of `like`."""
    dtype = keras.backend.standardize_dtype(ops.convert_to_tensor(like).dtype)
    return ops.convert_to_tensor(array, dtype=dtype)


def check_width(y_pred, dims: int, what: str) -> None:
    """Raises if the last axis of a model output does not have `dims` entries."""
    width = y_pred.shape[-1]
    if width is not None and int(width) != dims:
        raise ValueError(
            f"The model output has width {int(width)} in its last axis, but {what} "
            f"has dimension {dims}. Make the last layer output {dims} units "
            f"(e.g. `keras_hpn.layers.L2NormalizedProjection({dims})`) or build "
            f"the prototypes with dims={int(width)}."
        )


def class_labels(y_true, y_pred, num_classes: int, column: int | None = None):
    """Integer labels shaped like `y_pred` without its last axis, and a mask.

    Returns `(labels, valid)`: labels clipped into `[0, num_classes)` so that
    they can index safely, and a boolean mask that is False where the given
    label was not an integer in `[0, num_classes)`. Where the labels are
    concrete (eager execution) such labels raise a `ValueError` at once.
    """
    if column is not None:
        y_true = y_true[..., column]
    target_rank = len(y_pred.shape) - 1
    if len(y_true.shape) == target_rank + 1 and y_true.shape[-1] == 1:
        y_true = ops.squeeze(y_true, axis=-1)
    y_true = ops.cast(y_true, "float32")
    _raise_if_bad_labels(y_true, num_classes)
    rounded = ops.round(y_true)
    valid = ops.logical_and(
        ops.logical_and(rounded >= 0, rounded < num_classes), rounded == y_true
    )
    labels = ops.cast(ops.clip(rounded, 0, num_classes - 1), "int32")
    return labels, valid


def _raise_if_bad_labels(y_true, num_classes: int) -> None:
    values = _concrete(y_true)
    if values is None or values.size == 0:
        return
    bad = (values < 0) | (values >= num_classes) | (values != np.round(values))
    if bad.any():
        shown = np.unique(values[bad])[:10].tolist()
        raise ValueError(
            f"`y_true` must hold integer class ids in [0, {num_classes}) for "
            f"{num_classes} prototypes. Received values {shown}."
        )


def _concrete(x) -> np.ndarray | None:
    """The values of `x` as numpy if they are known now, else None (traced)."""
    try:
        return np.asarray(ops.convert_to_numpy(x))
    except Exception:  # noqa: BLE001 - symbolic tensors of any backend
        return None
