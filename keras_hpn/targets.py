"""What a valid target is, for the losses and metrics (`keras.ops`):

* a class label is valid when it is an integer in `[0, num_classes)`,
  compared exactly: integer labels as integers (never through float32, where
  16,777,217 would read 16,777,216), float labels in their own dtype. A
  label is a class id or it is invalid, never another id;
* a regression target is valid when it is finite.

Losses give an invalid target no loss and no gradient, so one bad label can
never turn the weights into NaN; `PrototypeAccuracy` scores it as a wrong
prediction and `metrics.InvalidLabels` / `metrics.InvalidTargets` count it.

Masking alone would be silent, so the losses also report invalid targets
(`report_invalid`), as their `invalid_labels` / `invalid_targets` argument
says: `"warn"` (default) issues one `InvalidLabelWarning` per loss object
naming how many values of the batch were invalid and one of them,
`"raise"` stops with a `ValueError`, `"ignore"` only masks. Every call
checks, wherever it runs:

* eager (PyTorch's `fit`, `run_eagerly=True`, direct calls): the count is
  read on the host, one small device-to-host copy per batch (on a GPU a
  synchronisation per step, as Keras' own loss logging does);
* JAX `jit`: `lax.cond(count > 0, jax.debug.callback, ...)`, so the host is
  reached only from a batch that holds an invalid value; clean batches
  never leave the device;
* TensorFlow `tf.function`: `tf.cond(count > 0, tf.py_function, ...)`, the
  same. Under XLA (`jit_compile=True`, Keras' default on GPU) no host
  callback compiles, so the loss warns once when it is traced that invalid
  values there are only masked, counted by `metrics.InvalidLabels` /
  `metrics.InvalidTargets` (use `run_eagerly=True` or `jit_compile=False`
  to have them reported); nothing is dropped without a word.

`"raise"` in a compiled step surfaces as the backend's runtime error with
the message inside, and `fit` stops. Keras' JAX step donates the model's
variables to the step, so after such an error the model's arrays are gone:
rebuild it (or use `"warn"`, or `run_eagerly=True` to raise before the step).

Labels with `sample_weight=0` are left out on purpose and never reported.
On JAX without x64, `jax.device_put` turns int64 labels into int32 (2**32 + 3
becomes 3) before any loss sees them in `fit`; numpy labels given directly
to a loss or metric are clipped to the int32 range first, which keeps them
invalid.
"""

from __future__ import annotations

import warnings

import keras
import numpy as np
from keras import ops

from keras_hpn.numerics import concrete as _concrete
from keras_hpn.utils.validation import check_range


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
        numeric_targets(y_true, "integer class ids", labels=True),
        y_pred,
        column,
        what="integer class ids",
        argument="label_column",
        num_classes=num_classes,
    )
    valid = label_validity(values, num_classes)
    labels = ops.cast(ops.where(valid, values, ops.zeros_like(values)), "int32")
    return labels, valid


def label_validity(values, num_classes: int):
    """True where `values` are integers in `[0, num_classes)`, compared exactly.

    Integer labels are compared as integers in their own dtype and float
    labels in theirs (float16/bfloat16 in float32): nothing is rounded, so a
    large label can never alias a valid class id.
    """
    values = ops.convert_to_tensor(values)
    dtype = keras.backend.standardize_dtype(values.dtype)
    if dtype == "bool" or dtype in ("int8", "int16", "uint8", "uint16"):
        values = ops.cast(values, "int32")
    elif dtype in ("float16", "bfloat16"):
        values = ops.cast(values, "float32")
    if "int" in keras.backend.standardize_dtype(values.dtype):
        return ops.logical_and(values >= 0, values < num_classes)
    return ops.logical_and(
        ops.logical_and(values >= 0.0, values < float(num_classes)),
        ops.floor(values) == values,
    )


def numeric_targets(y_true, what: str, labels: bool = False):
    """`y_true` ready for conversion, or a `ValueError` for strings and dicts.

    With `labels`, numpy integer arrays are clipped to the int32 range, which
    keeps labels beyond it invalid: JAX without x64 would wrap them (2**32 + 3 to 3).
    """
    if isinstance(y_true, dict):
        raise ValueError(
            f"`y_true` must be an array of {what}, one per example. Received a "
            f"dict with keys {sorted(map(str, y_true))}: a dict `y` names the "
            "outputs of a model with several outputs; for one output pass the "
            "array itself."
        )
    if isinstance(y_true, (list, tuple, np.ndarray, np.generic)):
        array = np.asarray(y_true)
        if array.dtype.kind in "USOVa":
            raise ValueError(
                f"`y_true` must hold {what} (numbers). Received an array of "
                f"dtype {array.dtype}, e.g. {array.reshape(-1)[:3].tolist()}. "
                "Map class names to ids first (e.g. `np.unique(y, "
                "return_inverse=True)[1]`)."
            )
        if labels and array.dtype.kind in "iu" and array.size:
            info = np.iinfo(np.int32)
            array = np.clip(array, info.min, info.max).astype(np.int32)
        return array
    dtype = getattr(y_true, "dtype", None)
    if dtype is not None and "str" in str(dtype):
        raise ValueError(
            f"`y_true` must hold {what} (numbers). Received a tensor of dtype "
            f"{dtype}. Map class names to ids first."
        )
    return y_true


class InvalidLabelWarning(UserWarning):
    """A loss met labels or targets it cannot train on; they get no loss."""


def report_invalid(
    invalid,
    values,
    mode: str,
    describe,
    owner,
    sample_weight=None,
    category: type[Warning] = InvalidLabelWarning,
) -> None:
    """Reports the invalid entries of a batch, as `mode` says.

    Args:
        invalid: boolean tensor, true where a value is invalid.
        values: the values, same shape (one of them is shown).
        mode: `"warn"`, `"raise"` or `"ignore"`.
        describe: `describe(count, total, example)` returns the message.
        owner: the object that warns once (gets a `_warned` attribute).
        sample_weight: `None` or weights; entries of weight 0 are left out.
        category: the warning's class.

    Eager values are checked on the host; in a compiled JAX or TensorFlow
    step the host is called back only when the batch holds an invalid value
    (see the module docstring).
    """
    if mode == "ignore":
        return
    invalid = ops.convert_to_tensor(invalid)
    if sample_weight is not None:
        weight = ops.convert_to_tensor(sample_weight)
        while len(weight.shape) > len(invalid.shape) and weight.shape[-1] == 1:
            weight = ops.squeeze(weight, axis=-1)
        invalid = ops.logical_and(invalid, weight != 0)
    invalid = ops.reshape(invalid, (-1,))
    values = ops.reshape(ops.convert_to_tensor(values), (-1,))
    count = ops.sum(ops.cast(invalid, "int32"))
    total = ops.size(invalid)
    example = ops.take(values, ops.argmax(ops.cast(invalid, "int32")), axis=0)

    def handle(count, total, example):
        count = int(np.asarray(count))
        if count == 0:
            return
        example = np.asarray(example).item()
        message = describe(count, int(np.asarray(total)), example)
        if mode == "raise":
            raise ValueError(message)
        if not getattr(owner, "_warned", False):
            owner._warned = True
            warnings.warn(message, category, stacklevel=2)

    concrete = _concrete(count)
    if concrete is not None:
        # Eager (torch fit, run_eagerly, direct calls): one host copy of the
        # count per call, i.e. a device synchronisation per batch on a GPU.
        handle(concrete, _concrete(total), ops.convert_to_numpy(example))
        return
    backend = keras.backend.backend()
    if backend == "jax":
        import jax

        jax.lax.cond(
            count > 0,
            lambda: jax.debug.callback(handle, count, total, example),
            lambda: None,
        )
    elif backend == "tensorflow":
        import tensorflow as tf

        if _in_xla():
            if not _XLA_WARNED:
                _XLA_WARNED.append(True)
                warnings.warn(
                    f"{getattr(owner, 'name', owner)}: this step is compiled "
                    "with XLA (`jit_compile=True`), where no host callback "
                    "compiles: invalid labels or targets are masked (no loss) "
                    "but not reported. Add `metrics.InvalidLabels` / "
                    "`metrics.InvalidTargets` to count them, or compile with "
                    "`jit_compile=False` to have them reported.",
                    InvalidLabelWarning,
                    stacklevel=2,
                )
            return

        def call_back():
            tf.py_function(handle, [count, total, example], [])
            return tf.constant(0)

        tf.cond(count > 0, call_back, lambda: tf.constant(0))


# Set once the XLA notice was given: it is per process, not per loss.
_XLA_WARNED: list = []


def _in_xla() -> bool:
    """Whether TensorFlow is tracing a function compiled with XLA."""
    from tensorflow.python.framework import ops as tf_ops
    from tensorflow.python.ops import control_flow_util

    graph = tf_ops.get_default_graph()
    if control_flow_util.GraphOrParentsInXlaContext(graph):
        return True
    while graph is not None:
        if getattr(graph, "_jit_compile", None) or "XlaMustCompile" in str(
            getattr(graph, "_function_attributes", "")
        ):
            return True
        graph = getattr(graph, "outer_graph", None)
    return False


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
        numeric_targets(y_true, "regression targets"),
        y_pred,
        column,
        what="regression targets",
        argument="target_column",
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


def report_out_of_range(
    targets, sample_weight, lower: float, upper: float, owner, where: str
) -> None:
    """Warns (once per `owner`) about finite targets outside `[lower, upper]`.

    Like invalid targets, this is checked on every batch: on the host for
    eager calls, by a callback from compiled JAX and TensorFlow steps only
    for a batch that holds such a target. Targets of `sample_weight` 0 are
    left out.

    Args:
        targets: the regression targets, one per example (a tensor).
        sample_weight: `None` or weights broadcastable to `targets`.
        lower: the target value of the lower prototype.
        upper: the target value of the upper prototype.
        owner: the object that warns once (gets a `_warned` attribute).
        where: who checks, for the message.
    """
    # Targets that reached us as float32 were rounded: a target at `upper`
    # may read just above it, so compare with the rounded bounds too.
    low = min(lower, float(np.float32(lower)))
    high = max(upper, float(np.float32(upper)))
    outside = ops.logical_and(
        ops.isfinite(targets),
        ops.logical_or(ops.less(targets, low), ops.greater(targets, high)),
    )

    def describe(count, total, example):
        return (
            f"{where}: {count} of {total} targets in a batch lie outside "
            f"[lower, upper] = [{lower}, {upper}], e.g. {example!r}. They map "
            "beyond the prototypes, where no output can reach; predictions "
            "never leave the range. Widen the range (e.g. "
            "`from_targets(all_targets)`) or pass `clip_targets=True`."
        )

    report_invalid(
        outside, targets, "warn", describe, owner, sample_weight, UserWarning
    )
