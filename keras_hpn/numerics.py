"""Backend-agnostic numerics shared by layers, losses and metrics (`keras.ops`).

Besides the normalisation, this module decides what a valid target is:

* a class label is valid when it is an integer in `[0, num_classes)`;
* a regression target is valid when it is finite.

Losses give an invalid target no loss and no gradient, so one bad label can
never turn the weights into NaN; `PrototypeAccuracy` scores it as a wrong
prediction and `metrics.InvalidLabels` / `metrics.InvalidTargets` count it.
Where the values are concrete (eager execution), the first call of each loss
raises instead, naming the values.
"""

from __future__ import annotations

import math
import weakref

import keras
import numpy as np
from keras import ops

from keras_hpn.utils.resources import CLASS_CHUNK
from keras_hpn.utils.validation import check_range

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


# (id(array), dtype) -> (weak reference to the array, its tensor).
_KEPT: dict = {}


def constant(array: np.ndarray, like):
    """A constant tensor holding `array` in the float dtype of `like`.

    For an array given to `keep_tensor`, the tensor made then is returned:
    a compiled function captures it as an input, where a numpy array would
    be copied into every traced graph.
    """
    dtype = keras.backend.standardize_dtype(ops.convert_to_tensor(like).dtype)
    kept = _KEPT.get((id(array), dtype))
    if kept is not None and kept[0]() is array:
        return kept[1]
    return ops.convert_to_tensor(array, dtype=dtype)


def keep_tensor(array: np.ndarray, dtype: str = "float32") -> None:
    """Makes the tensor of a large constant once, now, for `constant`.

    Call it where execution is eager (a constructor): inside a compiled
    function the tensor would be symbolic, and nothing is kept. TensorFlow
    copies a numpy constant into every graph it traces and optimises (51 MB
    of prototypes took 1.2 GB, 100,000 x 128); a tensor made eagerly is fed
    to the graph instead. The tensor lives as long as the array.
    """
    key = (id(array), dtype)
    kept = _KEPT.get(key)
    if kept is not None and kept[0]() is array:
        return
    # Cast in numpy first: converting float64 then casting holds a float64
    # tensor copy on the way (98 MB more at 100,000 x 128).
    tensor = ops.convert_to_tensor(np.asarray(array, dtype=dtype))
    if _concrete(tensor[:1]) is None:  # traced: leave it to `constant`
        return
    _KEPT[key] = (weakref.ref(array, lambda _: _KEPT.pop(key, None)), tensor)


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


def per_example(
    y_true,
    y_pred,
    column: int | None,
    *,
    what: str,
    argument: str,
    num_classes: int | None = None,
):
    """The one value of `y_true` that belongs to each output row of `y_pred`.

    With `column=None`, `y_true` must have the shape of `y_pred` without its
    last axis, or that shape with a last axis of 1 (squeezed). With a
    `column`, `y_true` must have one more axis than that, with more than
    `column` entries, and the column is taken. Anything else (one-hot labels,
    a missing column, a `(batch,)` target where columns are needed) raises a
    `ValueError` that names the expected layout; nothing broadcasts.

    Args:
        y_true: the targets as given to the loss or metric.
        y_pred: the model output, shape `(..., dims)`.
        column: the column of `y_true` to take, or `None`.
        what: what the values are, for messages (e.g. "integer class ids").
        argument: the name of the column argument (e.g. "label_column").
        num_classes: the number of classes, to recognise one-hot labels.

    Returns:
        A tensor of shape `y_pred.shape[:-1]`.
    """
    y_true = ops.convert_to_tensor(y_true)
    true_shape, batch_shape = tuple(y_true.shape), tuple(y_pred.shape[:-1])
    rank = len(batch_shape)

    def refuse(detail: str):
        if column is None:
            expected = (
                f"one value per example: {what} of shape {_shape(batch_shape)} "
                f"or {_shape(batch_shape + (1,))}"
            )
        else:
            expected = (
                f"{what} in column {column} of a `y_true` of shape "
                f"{_shape(batch_shape + (f'>{column}',))}"
            )
        raise ValueError(
            f"`y_true` has shape {_shape(true_shape)} for outputs of shape "
            f"{_shape(tuple(y_pred.shape))}; expected {expected}. {detail}".rstrip()
        )

    if len(true_shape) == rank + 1:
        width = true_shape[-1]
        if column is not None:
            if width is not None and width <= column:
                refuse(f"It has {width} column(s); `{argument}={column}` needs more.")
            y_true = y_true[..., column]
        elif width == 1:
            y_true = ops.squeeze(y_true, axis=-1)
        elif width is not None:
            hint = (
                f"It has {width} columns, one per class: it looks one-hot encoded. "
                "Pass the class ids instead (`np.argmax(y, axis=-1)`)."
                if num_classes is not None and width == num_classes
                else f"If it holds several targets, name the one to use with "
                f"`{argument}`."
            )
            refuse(hint)
    elif len(true_shape) != rank or column is not None:
        refuse("")
    for given, expected in zip(tuple(y_true.shape), batch_shape, strict=True):
        if given is not None and expected is not None and given != expected:
            refuse("The batch sizes differ.")
    return y_true


def _shape(shape: tuple) -> str:
    parts = ["batch" if size is None else str(size) for size in shape]
    return "(" + ", ".join(parts) + ("," if len(parts) == 1 else "") + ")"


def class_labels(y_true, y_pred, num_classes: int, column: int | None = None):
    """Integer labels for the rows of `y_pred`, and which of them are valid.

    Args:
        y_true: class ids, shape `y_pred.shape[:-1]` (or with a trailing 1),
            or a column of a wider `y_true` (see `per_example`).
        y_pred: the model output, shape `(..., dims)`.
        num_classes: the number of classes `K`.
        column: the column of `y_true` holding the class ids, or `None`.

    Returns:
        `(labels, valid)`: int32 labels in `[0, K)` (invalid ones replaced by
        0, so that indexing with them is always safe) and a boolean tensor,
        true where the given label is an integer in `[0, K)` (NaN, negative,
        too large or fractional labels are invalid).
    """
    values = per_example(
        y_true,
        y_pred,
        column,
        what="integer class ids",
        argument="label_column",
        num_classes=num_classes,
    )
    values = ops.cast(values, "float32")
    valid = ops.logical_and(
        ops.logical_and(values >= 0.0, values < float(num_classes)),
        ops.floor(values) == values,
    )
    labels = ops.cast(ops.where(valid, values, ops.zeros_like(values)), "int32")
    return labels, valid


def regression_targets(y_true, y_pred, column: int | None = None, lower: float = 0.0):
    """Regression targets minus `lower` for the rows of `y_pred`, and which are finite.

    The offset `lower` is removed before any cast to float32: numpy or list
    targets in float64 numpy (JAX would make them float32 on conversion),
    float64 tensors in float64. Targets that arrive as float32 (Keras' `fit`
    casts `y` to `floatx`) were rounded before any loss sees them, which
    `check_regression_range` bounds.

    Args:
        y_true: targets, shape `y_pred.shape[:-1]` (or with a trailing 1), or
            a column of a wider `y_true` (see `per_example`).
        y_pred: the model output, shape `(..., dims)`.
        column: the column of `y_true` holding the targets, or `None`.
        lower: the offset to remove, e.g. the target of the lower prototype.

    Returns:
        `(offsets, valid)`: `y - lower` in the dtype of `y_pred` (non-finite
        ones replaced by 0) and a boolean tensor, true where it is finite.
    """
    if isinstance(y_true, (list, tuple, np.ndarray, np.generic)):
        y_true, lower = np.asarray(y_true, dtype=np.float64) - lower, 0.0
    values = per_example(
        y_true, y_pred, column, what="regression targets", argument="target_column"
    )
    if keras.backend.standardize_dtype(values.dtype) == "float64":
        values, lower = values - lower, 0.0
    values = ops.cast(values, y_pred.dtype) - lower
    valid = ops.isfinite(values)
    return ops.where(valid, values, ops.zeros_like(values)), valid


# Largest float rounding step of a target, as a share of `upper - lower`.
TARGET_RESOLUTION = 1e-3


def check_regression_range(
    lower: object, upper: object, dtype: str | None = None
) -> tuple[float, float]:
    """Validates a regression range for training and returns it as floats.

    Besides `utils.validation.check_range`, refuses a range too narrow
    for its offset in the dtype the targets reach the loss in: Keras' `fit`
    casts `y` to `floatx` (float32 by default) on every backend, and a
    `Loss` casts `y_true` to its own dtype. Near `1.7e9` float32 values are
    128 apart, so targets in `[1.7e9, 1.7e9 + 100]` would be rounded to a
    few values before `lower` is removed.

    Args:
        lower: the target value of the lower prototype.
        upper: the target value of the upper prototype.
        dtype: the dtype of the loss, if any (`None`: floatx).

    Returns:
        `(lower, upper)` as Python floats.
    """
    lower, upper = check_range(lower, upper)
    wide = _float64_targets() and dtype in (None, "float64")
    dtype = np.float64 if wide else np.float32
    step = float(np.spacing(dtype(max(abs(lower), abs(upper)))))
    if step > TARGET_RESOLUTION * (upper - lower):
        raise ValueError(
            f"`lower` and `upper` are too close together for their size: "
            f"lower={lower!r}, upper={upper!r}. Keras hands targets to the loss "
            f"in {np.dtype(dtype).name} (`model.fit` casts `y` to floatx), where "
            f"values near {max(abs(lower), abs(upper)):.6g} are {step:.3g} apart, "
            f"more than {TARGET_RESOLUTION:g} of the range {upper - lower:.6g}: "
            "the targets would be rounded before `lower` is removed. Subtract an "
            f"offset from the targets first (e.g. `y - {lower!r}`, with "
            f"lower=0.0, upper={upper - lower!r}), or train in float64 "
            '(`keras.config.set_floatx("float64")` before building the model'
            "; on JAX also `jax.config.update('jax_enable_x64', True)`)."
        )
    return lower, upper


def _float64_targets() -> bool:
    """Whether `fit` hands targets over in float64 (floatx float64, JAX x64)."""
    if keras.config.floatx() != "float64":
        return False
    if keras.backend.backend() != "jax":
        return True
    import jax

    return bool(jax.config.read("jax_enable_x64"))


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


def check_concrete_labels(labels, sample_weight, num_classes: int, where: str) -> bool:
    """Raises if concrete `labels` hold anything but class ids in `[0, K)`.

    Labels whose `sample_weight` is 0 are masked and never refused.

    Args:
        labels: the labels, one per example (any array-like or tensor).
        sample_weight: `None` or weights broadcastable to `labels`.
        num_classes: the number of classes `K`.
        where: who checks, for the message.

    Returns:
        `True` if the values were concrete and checked; `False` inside a
        traced (compiled) function, where nothing can be checked.
    """
    values = _concrete(labels)
    if values is None:
        return False
    with np.errstate(invalid="ignore"):
        bad = ~((values >= 0) & (values < num_classes) & (np.floor(values) == values))
    bad &= _weighted(values, sample_weight)
    if bad.any():
        shown = np.unique(values[bad])[:10].tolist()
        raise ValueError(
            f"{where}: `y_true` must hold integer class ids in [0, {num_classes}) "
            f"for {num_classes} prototypes. Received {int(bad.sum())} other "
            f"value(s): {shown}. Give an unknown label `sample_weight=0` to leave "
            "its example out."
        )
    return True


def check_concrete_targets(
    targets, sample_weight, lower: float, upper: float, clip: bool, where: str
) -> bool:
    """Raises on NaN or infinite concrete targets; warns on targets out of range.

    Targets whose `sample_weight` is 0 are masked and never refused.

    Args:
        targets: the regression targets, one per example.
        sample_weight: `None` or weights broadcastable to `targets`.
        lower: the target value of the lower prototype.
        upper: the target value of the upper prototype.
        clip: whether the loss clips targets to `[lower, upper]` (no warning).
        where: who checks, for the message.

    Returns:
        `True` if the values were concrete and checked, else `False`.
    """
    values = _concrete(targets)
    if values is None:
        return False
    weighted = _weighted(values, sample_weight)
    bad = ~np.isfinite(values) & weighted
    if bad.any():
        raise ValueError(
            f"{where}: `y_true` must hold finite regression targets. Received "
            f"{int(bad.sum())} NaN or infinite value(s). Give an unknown target "
            "`sample_weight=0` to leave its example out."
        )
    # Targets that reached us as float32 were rounded: a target at `upper`
    # may read just above it, so compare with the rounded bounds too.
    low = min(lower, float(np.float32(lower)))
    high = max(upper, float(np.float32(upper)))
    outside = weighted & ((values < low) | (values > high))
    if outside.any() and not clip:
        import warnings

        warnings.warn(
            f"{where}: {int(outside.sum())} target(s) lie outside [lower, upper] = "
            f"[{lower}, {upper}] (from {values[outside].min()} to "
            f"{values[outside].max()}). They map beyond the prototypes, where no "
            "output can reach; predictions never leave the range. Widen the "
            "range (e.g. `from_targets(all_targets)`) or pass "
            "`clip_targets=True`.",
            stacklevel=4,
        )
    return True


def _weighted(values: np.ndarray, sample_weight) -> np.ndarray:
    """True where an example's weight is not 0 (everywhere without weights)."""
    if sample_weight is None:
        return np.ones(values.shape, dtype=bool)
    weights = _concrete(sample_weight)
    if weights is None:
        return np.ones(values.shape, dtype=bool)
    while weights.ndim > values.ndim and weights.shape[-1] == 1:
        weights = weights[..., 0]
    return np.broadcast_to(weights != 0, values.shape)


def _concrete(x) -> np.ndarray | None:
    """The values of `x` as float64 numpy if known now, else None (traced)."""
    try:
        return np.asarray(ops.convert_to_numpy(x), dtype=np.float64)
    except Exception:  # noqa: BLE001 - symbolic tensors of any backend
        return None
