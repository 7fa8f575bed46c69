"""Turning hyperspherical outputs into classes and regression values (numpy)."""

from __future__ import annotations

import numpy as np

from keras_hpn.prototypes import check_prototypes
from keras_hpn.prototypes.validation import (
    check_range,
    check_size,
    check_unit_vector,
    default_axis,
    row_norms,
)


def _outputs(outputs: object, dims: int | None, what: str) -> np.ndarray:
    """`outputs` as float64 with unit rows (zero rows stay zero, NaN stays NaN)."""
    try:
        array = np.asarray(outputs, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise ValueError(
            f"`outputs` must be a numeric array of shape (..., dims). Could not "
            f"convert it: {error}"
        ) from error
    if array.ndim < 1:
        raise ValueError("`outputs` must have a last axis of width dims. Got a scalar.")
    if dims is not None and array.shape[-1] != dims:
        raise ValueError(
            f"`outputs` has width {array.shape[-1]} in its last axis, but {what} has "
            f"dimension {dims}."
        )
    norms = row_norms(array)[..., None]
    with np.errstate(invalid="ignore"):
        return array / np.maximum(norms, 1e-12)


def class_scores(outputs: object, prototypes: object) -> np.ndarray:
    """Cosine of every output with every class prototype.

    Args:
        outputs: array `(..., dims)`, e.g. from `model.predict`.
        prototypes: array `(num_classes, dims)`.

    Returns:
        Array `(..., num_classes)` of cosines in `[-1, 1]`; NaN for an output
        that holds NaN or inf.

    Example:

    ```python
    >>> class_scores([[2.0, 0.0]], [[1.0, 0.0], [0.0, 1.0]])
    array([[1., 0.]])
    ```
    """
    protos = check_prototypes(prototypes)
    return _outputs(outputs, protos.shape[1], "the prototypes") @ protos.T


def predict_classes(outputs: object, prototypes: object, k: int = 1) -> np.ndarray:
    """The class of each output: the prototype with the highest cosine.

    Args:
        outputs: array `(..., dims)`, e.g. from `model.predict`.
        prototypes: array `(num_classes, dims)`, the prototypes of the loss.
        k: with `k > 1`, the `k` best classes, best first.

    Returns:
        Integer array `(...)` of class ids, or `(..., k)` when `k > 1`. An
        output that holds NaN or inf has no class: its entries are `-1`.

    Example:

    ```python
    >>> predict_classes([[0.1, 0.9], [2.0, -1.0]], [[1.0, 0.0], [0.0, 1.0]])
    array([1, 0])
    ```
    """
    protos = check_prototypes(prototypes)
    k = check_size(k, "k", 1)
    if k > protos.shape[0]:
        raise ValueError(
            f"`k` must be at most the number of prototypes ({protos.shape[0]}). "
            f"Received: k={k}"
        )
    scores = class_scores(outputs, protos)
    finite = np.isfinite(scores).all(axis=-1)
    if k == 1:
        classes = np.argmax(scores, axis=-1)
    else:
        classes = np.argsort(-scores, axis=-1, kind="stable")[..., :k]
        finite = finite[..., None]
    return np.where(finite, classes, -1)


def decode_regression(
    outputs: object,
    lower: float,
    upper: float,
    upper_prototype: object | None = None,
) -> np.ndarray:
    """Regression values from outputs, `lower + (cos(z, p_u) + 1) / 2 * range`.

    `range` is `upper - lower`.

    Args:
        outputs: array `(..., dims)`, e.g. from `model.predict`.
        lower: the target value of the lower prototype (as in the loss).
        upper: the target value of the upper prototype (as in the loss).
        upper_prototype: the direction `p_u`; `None` means `e_0`.

    Returns:
        Float array `(...)` of predictions in `[lower, upper]`; NaN for an
        output that holds NaN or inf.

    Example:

    ```python
    >>> decode_regression([[1.0, 0.0], [0.0, 3.0], [-2.0, 0.0]], 10.0, 20.0)
    array([20., 15., 10.])
    ```
    """
    lower, upper = check_range(lower, upper)
    unit = _outputs(outputs, None, "")
    dims = unit.shape[-1]
    if upper_prototype is None:
        axis = default_axis(dims)
    else:
        axis = check_unit_vector(upper_prototype, "upper_prototype", dims)
    cosine = unit @ axis
    return lower + (cosine + 1.0) / 2.0 * (upper - lower)
