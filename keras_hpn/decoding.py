"""Turning hyperspherical outputs into classes and regression values (numpy)."""

from __future__ import annotations

import numpy as np

from keras_hpn.prototypes import check_prototypes
from keras_hpn.prototypes.validation import check_size, check_unit_vector


def _outputs(outputs: object, dims: int | None, what: str) -> np.ndarray:
    array = np.asarray(outputs, dtype=np.float64)
    if array.ndim < 1:
        raise ValueError("`outputs` must have a last axis of width dims. Got a scalar.")
    if dims is not None and array.shape[-1] != dims:
        raise ValueError(
            f"`outputs` has width {array.shape[-1]} in its last axis, but {what} has "
            f"dimension {dims}."
        )
    norms = np.linalg.norm(array, axis=-1, keepdims=True)
    return array / np.maximum(norms, 1e-12)


def class_scores(outputs: object, prototypes: object) -> np.ndarray:
    """Cosine of every output with every class prototype.

    Args:
        outputs: array `(..., dims)`, e.g. from `model.predict`.
        prototypes: array `(num_classes, dims)`.

    Returns:
        Array `(..., num_classes)` of cosines in `[-1, 1]`.

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
        Integer array `(...)` of class ids, or `(..., k)` when `k > 1`.

    Example:

    ```python
    >>> predict_classes([[0.1, 0.9], [2.0, -1.0]], [[1.0, 0.0], [0.0, 1.0]])
    array([1, 0])
    ```
    """
    scores = class_scores(outputs, prototypes)
    k = check_size(k, "k", 1)
    if k == 1:
        return np.argmax(scores, axis=-1)
    return np.argsort(-scores, axis=-1, kind="stable")[..., :k]


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
        Float array `(...)` of predictions in `[lower, upper]`.

    Example:

    ```python
    >>> decode_regression([[1.0, 0.0], [0.0, 3.0], [-2.0, 0.0]], 10.0, 20.0)
    array([20., 15., 10.])
    ```
    """
    from keras_hpn.losses import check_range, default_axis

    lower, upper = check_range(lower, upper)
    array = np.asarray(outputs, dtype=np.float64)
    dims = array.shape[-1] if array.ndim else None
    if upper_prototype is None:
        axis = default_axis(dims or 1)
    else:
        axis = check_unit_vector(upper_prototype, "upper_prototype")
    cosine = _outputs(array, axis.shape[0], "the upper prototype") @ axis
    return lower + (cosine + 1.0) / 2.0 * (upper - lower)
