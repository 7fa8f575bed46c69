"""Turning hyperspherical outputs into classes and regression values (numpy)."""

from __future__ import annotations

import numbers

import numpy as np

from keras_hpn.numerics import has_direction
from keras_hpn.utils.resources import BLOCK_BYTES, CLASS_CHUNK, check_memory
from keras_hpn.utils.validation import (
    check_prototypes,
    check_range,
    check_size,
    check_unit_vector,
    default_axis,
    numeric_array,
    row_norms,
)


def _outputs(outputs: object, dims: int | None, what: str) -> np.ndarray:
    """`outputs` as float64 with unit rows (zero rows stay zero, NaN stays NaN)."""
    array = numeric_array(outputs, "outputs", "(..., dims)")
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


def _class_outputs(outputs: object, dims: int) -> np.ndarray:
    """Unit rows for class decoding; a row with no direction is all NaN.

    A zero row or one holding NaN or inf is never a class (the rule of
    `numerics.has_direction`, shared by every decoder).
    """
    unit = _outputs(outputs, dims, "the prototypes")
    unit[~has_direction(unit)] = np.nan
    return unit


def class_scores(outputs: object, prototypes: object) -> np.ndarray:
    """Cosine of every output with every class prototype.

    The full `(..., num_classes)` matrix is the point of this function, so
    it needs `8 x outputs x num_classes` bytes (100,000 outputs and 100,000
    classes: 80 GB); when that exceeds the available memory it is refused
    with the estimate. To know the best classes, use
    `predict_classes(outputs, prototypes, k, return_scores=True)`, which
    scores the classes in chunks and keeps only the `k` best.

    Args:
        outputs: array `(..., dims)`, e.g. from `model.predict`.
        prototypes: array `(num_classes, dims)`.

    Returns:
        Array `(..., num_classes)` of cosines in `[-1, 1]`; NaN for an output
        with no direction (all zero, or holding NaN or inf): it has no class.

    Example:

    ```python
    >>> class_scores([[2.0, 0.0]], [[1.0, 0.0], [0.0, 1.0]])
    array([[1., 0.]])
    ```
    """
    protos = check_prototypes(prototypes)
    unit = _class_outputs(outputs, protos.shape[1])
    needed = 8 * (unit.size // protos.shape[1]) * protos.shape[0]
    check_memory(
        needed,
        "the full score matrix of class_scores",
        "predict_classes(outputs, prototypes, k, return_scores=True) for the k "
        "best classes",
    )
    return unit @ protos.T


def predict_classes(
    outputs: object,
    prototypes: object,
    k: int = 1,
    return_scores: bool = False,
    min_cosine: float | None = None,
) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
    """The class of each output: the prototype with the highest cosine.

    Classes are scored in chunks and rows in blocks of at most 64 MB, so
    100,000 classes need no `outputs x classes` matrix. Ties go to the lower
    class id.

    With `min_cosine`, an output whose best cosine is below it is rejected:
    none of the classes (id `-1`), the "unknown" of open-set recognition.
    `acceptance_threshold` picks `min_cosine` from validation outputs.

    Args:
        outputs: array `(..., dims)`, e.g. from `model.predict`.
        prototypes: array `(num_classes, dims)`, the prototypes of the loss.
        k: with `k > 1`, the `k` best classes, best first.
        return_scores: also return the cosines of the returned classes.
        min_cosine: `None`, or a number in `[-1, 1]`: a class whose cosine
            is below it is not returned. With `k > 1` the shape stays
            `(..., k)` and each entry below `min_cosine` reads `-1`, so a row
            keeps its classes that reach it, best first, and a rejected row
            (best cosine below) is all `-1`. The scores stay the cosines.

    Returns:
        Integer array `(...)` of class ids, or `(..., k)` when `k > 1`. An
        output with no direction (all zero, or holding NaN or inf) has no
        class: its entries are `-1` (and its scores NaN). With
        `return_scores`, a tuple `(classes, cosines)` of the same shape.

    Example:

    ```python
    >>> predict_classes([[0.1, 0.9], [2.0, -1.0]], [[1.0, 0.0], [0.0, 1.0]])
    array([1, 0])
    >>> predict_classes([[3.0, 4.0]], np.eye(2), k=2, return_scores=True)
    (array([[1, 0]]), array([[0.8, 0.6]]))
    >>> predict_classes([[3.0, 4.0], [1.0, 1.0]], np.eye(2), min_cosine=0.75)
    array([ 1, -1])
    ```
    """
    min_cosine = _check_min_cosine(min_cosine)
    protos = check_prototypes(prototypes)
    num_classes, dims = protos.shape
    k = check_size(k, "k", 1, num_classes, "the number of prototypes")
    unit = _class_outputs(outputs, dims)
    lead = unit.shape[:-1]
    rows = unit.reshape(-1, dims)
    classes = np.full((rows.shape[0], k), -1, dtype=np.int64)
    scores = np.full((rows.shape[0], k), np.nan)
    block = max(1, BLOCK_BYTES // (8 * min(num_classes, CLASS_CHUNK)))
    finite = np.isfinite(rows).all(axis=1)  # rows with no direction are NaN
    for start in range(0, rows.shape[0], block):
        chosen = np.flatnonzero(finite[start : start + block]) + start
        if chosen.size:
            classes[chosen], scores[chosen] = _top_k(rows[chosen], protos, k)
    if min_cosine is not None:
        with np.errstate(invalid="ignore"):  # NaN scores are already -1
            classes[scores < min_cosine] = -1
    shape = lead if k == 1 else (*lead, k)
    classes, scores = classes.reshape(shape), scores.reshape(shape)
    return (classes, scores) if return_scores else classes


def acceptance_threshold(
    outputs: object, prototypes: object, accept: float = 0.95
) -> float:
    """The `min_cosine` that accepts a fraction `accept` of known-class outputs.

    Each output's score is its largest cosine to any prototype (the score
    `predict_classes(..., min_cosine=...)` compares). With the `n` scores
    sorted from best to worst, the threshold is the `m`-th best, where
    `m = ceil(accept * n)`: the largest threshold that still accepts at least
    `accept` of these outputs (more when several share the `m`-th score).
    For 4 outputs with best cosines 0.9, 0.8, 0.7, 0.6, `accept=0.75` gives
    0.7 (3 of 4 accepted) and `accept=0.7` too (`ceil(2.8) = 3`). `accept`
    is rounded down by 1e-9 first, so that 0.7 of 10 outputs is 7, not 8.

    Pass validation outputs of the classes the model knows: on unknown
    inputs, the threshold then rejects about `1 - accept` of the known ones
    and whatever scores lower among the rest. An output with no direction
    is rejected by any threshold; it still counts in `n`.

    Args:
        outputs: array `(num_examples, dims)` (or `(..., dims)`), e.g. from
            `model.predict` on validation inputs of the known classes.
        prototypes: array `(num_classes, dims)` of the known classes.
        accept: the fraction of these outputs to accept, in `(0, 1]`.

    Returns:
        The threshold, a cosine in `[-1, 1]`, for `min_cosine`.

    Raises:
        ValueError: if fewer than `ceil(accept * n)` outputs have a
            direction, so that no threshold accepts that many.

    Example:

    ```python
    >>> z = [[0.9, 0.1], [0.8, 0.3], [0.2, 0.7], [0.6, 0.6]]
    >>> threshold = acceptance_threshold(z, np.eye(2), accept=0.75)
    >>> round(threshold, 4)
    0.9363
    >>> predict_classes(z, np.eye(2), min_cosine=threshold)
    array([ 0,  0,  1, -1])
    ```
    """
    accept = _check_accept(accept)
    _, best = predict_classes(outputs, prototypes, return_scores=True)
    best = np.ravel(best)
    count = best.size
    if count == 0:
        raise ValueError("`outputs` must hold at least one output. Received none.")
    needed = max(1, int(np.ceil(accept * count - 1e-9)))
    scores = np.sort(best[np.isfinite(best)])[::-1]
    if scores.size < needed:
        raise ValueError(
            f"Only {scores.size} of the {count} `outputs` have a direction (the "
            f"others are zero or hold NaN or inf), but accept={accept} needs "
            f"{needed} accepted."
        )
    return float(scores[needed - 1])


def _check_min_cosine(min_cosine: object) -> float | None:
    """`min_cosine` as a float in `[-1, 1]`, or `None`; anything else refused."""
    if min_cosine is None:
        return None
    if (
        isinstance(min_cosine, (bool, np.bool_))
        or not isinstance(min_cosine, numbers.Real)
        or not -1.0 <= float(min_cosine) <= 1.0
    ):
        raise ValueError(
            "`min_cosine` must be None or a cosine in [-1, 1]. Received: "
            f"min_cosine={min_cosine!r}"
        )
    return float(min_cosine)


def _check_accept(accept: object) -> float:
    if (
        isinstance(accept, (bool, np.bool_))
        or not isinstance(accept, numbers.Real)
        or not 0.0 < float(accept) <= 1.0
    ):
        raise ValueError(
            "`accept` must be a fraction in (0, 1], the share of known-class "
            f"outputs to accept. Received: accept={accept!r}"
        )
    return float(accept)


def _top_k(rows: np.ndarray, protos: np.ndarray, k: int):
    """The `k` best classes of each row, best first, ties to the lower id."""
    best_ids = np.empty((rows.shape[0], 0), dtype=np.int64)
    best = np.empty((rows.shape[0], 0))
    for start in range(0, protos.shape[0], CLASS_CHUNK):
        chunk = rows @ protos[start : start + CLASS_CHUNK].T
        ids, values = _chunk_top_k(chunk, min(k, chunk.shape[1]))
        # Earlier chunks hold lower ids: a stable sort keeps them first on ties.
        merged_ids = np.concatenate([best_ids, ids + start], axis=1)
        merged = np.concatenate([best, values], axis=1)
        order = np.argsort(-merged, axis=1, kind="stable")[:, :k]
        best_ids = np.take_along_axis(merged_ids, order, axis=1)
        best = np.take_along_axis(merged, order, axis=1)
    return best_ids, best


def _chunk_top_k(scores: np.ndarray, k: int):
    """Exact top-k column ids and values per row, best first, ties to lower ids."""
    if k == scores.shape[1]:
        order = np.argsort(-scores, axis=1, kind="stable")
    else:
        kth = -np.partition(-scores, k - 1, axis=1)[:, k - 1 : k]
        above = scores >= kth
        if (above.sum(axis=1) == k).all():
            # Column order of nonzero is ascending per row: ids stay sorted.
            order = np.nonzero(above)[1].reshape(-1, k)
            inner = np.argsort(
                -np.take_along_axis(scores, order, axis=1), axis=1, kind="stable"
            )
            order = np.take_along_axis(order, inner, axis=1)
        else:  # ties at the k-th value: sort the whole chunk
            order = np.argsort(-scores, axis=1, kind="stable")[:, :k]
    return order, np.take_along_axis(scores, order, axis=1)


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
        output that holds NaN or inf (a zero output has cosine 0, as in the
        loss: the middle of the range).

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
