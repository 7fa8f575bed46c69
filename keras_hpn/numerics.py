"""Backend-agnostic numerics shared by layers, losses and metrics (`keras.ops`):
normalisation safe at a zero vector, cosines computed in float32, constant
tensors made once, the rank of the true class in chunks of classes, and
what an output with no direction is. What a valid target is lives in
`keras_hpn.targets`.
"""

from __future__ import annotations

import math

import keras
import numpy as np
from keras import ops

from keras_hpn.utils.memo import ArrayMemo
from keras_hpn.utils.resources import CLASS_CHUNK

# Squared norms below this are treated as zero: a zero vector normalises to
# zero with finite gradients instead of 0/0.
SQUARED_NORM_EPSILON = 1e-12


def l2_normalize(x, epsilon: float = SQUARED_NORM_EPSILON):
    """Scales the last axis of `x` to unit length, computing in float32.

    Each vector is divided by its largest absolute entry before it is
    squared, so that outputs far beyond `1.8e19` (where float32 squares
    overflow) still normalise correctly. A vector whose norm is below
    `sqrt(epsilon)` is scaled by `1 / sqrt(epsilon)` instead (a zero vector
    stays zero, with finite gradients). Inputs that are not float32/float64
    (float16, bfloat16, ints) are normalised in float32.
    """
    x = as_float32(x)
    largest = ops.max(ops.abs(x), axis=-1, keepdims=True)
    scaled = x / ops.where(largest > 0, largest, ops.ones_like(largest))
    # Nonzero rows of `scaled` have squared norm >= 1: the clamp only keeps
    # sqrt away from 0 (infinite gradient) for all-zero rows.
    squared = ops.sum(ops.square(scaled), axis=-1, keepdims=True)
    # `where`, not `maximum`: Keras' torch `maximum` computes float64 inputs
    # in float32 (keras 3.15), which overflows exactly where this matters.
    norm = largest * ops.sqrt(ops.where(squared > 1.0, squared, 1.0))
    floor = math.sqrt(epsilon)
    return x / ops.where(norm > floor, norm, floor)


def as_float32(x):
    """Casts `x` to float32 unless it already is float32 or float64."""
    x = ops.convert_to_tensor(x)
    if keras.backend.standardize_dtype(x.dtype) in ("float32", "float64"):
        return x
    return ops.cast(x, "float32")


def cosine_with(y_pred, directions):
    """Cosine of each row of `y_pred` with the matching row of `directions`.

    `directions` must be unit vectors (broadcast against `y_pred`); the rows
    of `y_pred` are normalised by `l2_normalize`, so a zero row gives cosine
    0 with finite gradients and huge rows keep their direction.
    """
    return ops.sum(l2_normalize(y_pred) * directions, axis=-1)


# An array's tensor per dtype, made by `keep_tensor`.
_KEPT = ArrayMemo()


def constant(array: np.ndarray, like):
    """A constant tensor holding `array` in the float dtype of `like`.

    For an array given to `keep_tensor`, the tensor made then is returned:
    a compiled function captures it as an input, where a numpy array would
    be copied into every traced graph.
    """
    dtype = keras.backend.standardize_dtype(ops.convert_to_tensor(like).dtype)
    kept = _KEPT.get(array, dtype)
    if kept is not None:
        return kept
    return ops.convert_to_tensor(array, dtype=dtype)


def keep_tensor(array: np.ndarray, dtype: str = "float32") -> None:
    """Makes the tensor of a large constant once, now, for `constant`.

    Call it where execution is eager (a constructor): inside a compiled
    function the tensor would be symbolic, and nothing is kept. TensorFlow
    copies a numpy constant into every graph it traces and optimises (51 MB
    of prototypes took 1.2 GB, 100,000 x 128); a tensor made eagerly is fed
    to the graph instead. The tensor lives as long as the array.
    """
    if _KEPT.get(array, dtype) is not None:
        return
    # Cast in numpy first: converting float64 then casting holds a float64
    # tensor copy on the way (98 MB more at 100,000 x 128).
    tensor = ops.convert_to_tensor(np.asarray(array, dtype=dtype))
    if concrete(tensor[:1]) is None:  # traced: leave it to `constant`
        return
    _KEPT.put(array, dtype, tensor)


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


def true_class_rank(y_pred, prototypes: np.ndarray, labels, chunk: int = CLASS_CHUNK):
    """How many classes score above the true class (ties: lower ids first).

    The score of class `k` is `z . p_k`, which orders classes like the cosine
    (the length of `z` is common to all). Classes are scored in chunks of
    `chunk`, so memory is bounded by `batch x chunk`, not `batch x K`.

    Args:
        y_pred: outputs, shape `(batch, dims)`, float32 or float64.
        prototypes: numpy array `(num_classes, dims)`.
        labels: int32 class ids in `[0, num_classes)`, shape `(batch,)`.
        chunk: number of classes scored at once.

    Returns:
        int32 tensor `(batch,)`: 0 when the true class scores highest.
    """
    table = constant(prototypes, y_pred)
    own = ops.sum(y_pred * ops.take(table, labels, axis=0), -1)
    own, labels = ops.expand_dims(own, -1), ops.expand_dims(labels, -1)
    rank = ops.zeros_like(labels[:, 0])
    for start in range(0, prototypes.shape[0], chunk):
        stop = min(start + chunk, prototypes.shape[0])
        scores = ops.matmul(y_pred, ops.transpose(table[start:stop]))
        ids = ops.expand_dims(ops.arange(start, stop, dtype="int32"), 0)
        # The true class never counts itself, whatever the rounding.
        ahead = ops.logical_and(
            ops.logical_or(scores > own, ops.logical_and(scores == own, ids < labels)),
            ids != labels,
        )
        rank = rank + ops.sum(ops.cast(ahead, "int32"), axis=-1)
    return rank


def masked(values, valid):
    """`values` where `valid`, else exactly 0 (also when `values` is NaN there)."""
    return ops.where(valid, values, ops.zeros_like(values))


def has_direction(outputs):
    """True for the output rows (last axis) that can be a class: the one rule.

    A row has a direction, and so a class, when all its entries are finite
    and at least one is not zero. A zero row (cosine 0 with every prototype)
    or a row holding NaN or inf is never a class, in every decoder:
    `PrototypeHead` gives it NaN cosines (and class `-1` with `top_k`),
    `PrototypeAccuracy` scores it wrong, `predict_classes` gives `-1` and
    `class_scores` NaN.

    Args:
        outputs: numpy array (computed in numpy, float64 kept) or tensor,
            shape `(..., dims)`.

    Returns:
        Boolean array or tensor of shape `outputs.shape[:-1]`.
    """
    if isinstance(outputs, np.ndarray):
        return np.isfinite(outputs).all(axis=-1) & (outputs != 0).any(axis=-1)
    return ops.logical_and(
        ops.all(ops.isfinite(outputs), axis=-1),
        ops.any(ops.not_equal(outputs, 0), axis=-1),
    )


def concrete(x) -> np.ndarray | None:
    """The values of `x` as float64 numpy if known now, else None (traced).

    Inside Keras' shape inference (`compute_output_spec`) tensors may be real
    but hold placeholder values (PyTorch falls back to tensors of ones when
    a function fails on its "meta" device): those are not known values.
    """
    if _in_shape_inference():
        return None
    try:
        return np.asarray(ops.convert_to_numpy(x), dtype=np.float64)
    except Exception:  # noqa: BLE001 - symbolic tensors of any backend
        return None


def _in_shape_inference() -> bool:
    """True inside Keras' `compute_output_spec` (its `SymbolicScope`)."""
    try:
        from keras.src.backend.common.symbolic_scope import in_symbolic_scope
    except ImportError:  # a Keras without it: tensors there are symbolic
        return False
    return in_symbolic_scope()
