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
    """Integer labels shaped like `y_pred` without its last axis.

    Where the labels are concrete (eager execution), labels that are not
    integers in `[0, num_classes)` raise a `ValueError` at once. Inside a
    traced (compiled) step such labels come back as `-1`, which
    `padded_index` maps to a NaN row, so they cannot pass silently.
    """
    if column is not None:
        y_true = y_true[..., column]
    target_rank = len(y_pred.shape) - 1
    if len(y_true.shape) == target_rank + 1 and y_true.shape[-1] == 1:
        y_true = ops.squeeze(y_true, axis=-1)
    y_true = ops.cast(y_true, "float32")
    _raise_if_bad_labels(y_true, num_classes)
    labels = ops.cast(y_true, "int32")
    # Fractional labels (cast truncates them) become -1, an invalid index.
    return ops.where(ops.cast(labels, "float32") == y_true, labels, -1)


def padded_index(labels, num_classes: int):
    """Index into a table with a NaN row before and after the class rows.

    Labels in `[0, num_classes)` map to rows `1..num_classes`; anything else
    to row 0 or `num_classes + 1`.
    """
    return ops.clip(labels, -1, num_classes) + 1


def padded_table(rows: np.ndarray) -> np.ndarray:
    """`rows` with a NaN row added before and after (see `padded_index`)."""
    nan_row = np.full((1, rows.shape[1]), np.nan)
    return np.concatenate([nan_row, rows, nan_row])


def cosine_with(y_pred, directions, epsilon: float = SQUARED_NORM_EPSILON):
    """Cosine of each row of `y_pred` with the matching row of `directions`.

    `directions` must be unit vectors; a zero `y_pred` row gives cosine 0
    with finite gradients.
    """
    dot = ops.sum(y_pred * directions, axis=-1)
    squared = ops.sum(ops.square(y_pred), axis=-1)
    return dot * ops.rsqrt(ops.maximum(squared, epsilon))


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
