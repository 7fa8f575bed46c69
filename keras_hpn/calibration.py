"""Probabilities from cosines or logits, temperature scaling and calibration
error (numpy, host-side).

A hyperspherical output scores every class by a cosine in `[-1, 1]`; a
softmax over the cosines divided by a temperature `T` turns those scores into
class probabilities. `T` is fitted on validation data by minimising the
negative log-likelihood, as temperature scaling does for the logits of a
softmax classifier (Guo et al., "On Calibration of Modern Neural Networks",
ICML 2017); the same functions scale logits, so that both are compared
alike. Classes are scored in chunks and rows in blocks, like the decoders,
so that many classes need no `outputs x classes` matrix beyond the result.
"""

from __future__ import annotations

import numpy as np

from keras_hpn.decoding import _class_outputs
from keras_hpn.utils.resources import BLOCK_BYTES, CLASS_CHUNK, check_memory
from keras_hpn.utils.validation import (
    check_positive,
    check_prototypes,
    check_size,
    numeric_array,
)

__all__ = [
    "class_probabilities",
    "expected_calibration_error",
    "fit_logit_temperature",
    "fit_temperature",
    "logit_probabilities",
    "negative_log_likelihood",
]

# The temperatures `fit_temperature` searches, as powers of ten.
LOG10_TEMPERATURE_RANGE = (-4.0, 4.0)
# Rows of probabilities may miss 1 by this much (float32 sums of many classes).
SUM_TOLERANCE = 1e-3


def class_probabilities(
    outputs: object, prototypes: object, temperature: float = 1.0
) -> np.ndarray:
    """Class probabilities: a softmax over the cosines divided by `temperature`.

    `p_k = exp(cos(z, p_k) / T) / sum_j exp(cos(z, p_j) / T)`, computed with
    the largest cosine subtracted first (no overflow at any `T`). Classes are
    scored in chunks of 8,192: a first pass finds each row's largest score
    and the sum of the exponentials, a second writes the probabilities. The
    result itself is `(..., num_classes)` float64, refused up front when it
    would not fit in memory.

    Cosines lie in `[-1, 1]`, so `T = 1` gives nearly uniform probabilities;
    a fitted temperature (`fit_temperature`, typically well below 1) gives
    calibrated ones.

    Args:
        outputs: array `(..., dims)`, e.g. from `model.predict`.
        prototypes: array `(num_classes, dims)`.
        temperature: `T`, a finite number > 0.

    Returns:
        Float64 array `(..., num_classes)`, rows summing to 1; a NaN row for
        an output with no direction (all zero, or holding NaN or inf).

    Example:

    ```python
    >>> p = class_probabilities([[1.0, 0.0]], np.eye(2), temperature=0.5)
    >>> p.round(4)  # exp(2) / (exp(2) + exp(0)), exp(0) / (exp(2) + exp(0))
    array([[0.8808, 0.1192]])
    ```
    """
    temperature = check_positive(temperature, "temperature")
    protos = check_prototypes(prototypes)
    unit = _class_outputs(outputs, protos.shape[1])
    return _probabilities(unit, protos, 1.0 / temperature)


def logit_probabilities(logits: object, temperature: float = 1.0) -> np.ndarray:
    """Softmax of `logits / temperature`, numerically safe, in float64.

    The counterpart of `class_probabilities` for a softmax classifier, so
    that its logits are scaled as the cosines are.

    Args:
        logits: array `(..., num_classes)`.
        temperature: `T`, a finite number > 0.

    Returns:
        Float64 array `(..., num_classes)`, rows summing to 1; a NaN row for
        logits holding NaN or inf.

    Example:

    ```python
    >>> logit_probabilities([[2.0, 0.0, 0.0]], temperature=2.0).round(4)
    array([[0.5761, 0.2119, 0.2119]])
    ```
    """
    temperature = check_positive(temperature, "temperature")
    rows = _logits(logits, "logits")
    return _probabilities(rows, None, 1.0 / temperature)


def fit_temperature(outputs: object, prototypes: object, labels: object) -> float:
    """The temperature that minimises the negative log-likelihood of `labels`.

    Temperature scaling (Guo et al., ICML 2017) for cosines: the `T` of
    `class_probabilities` that gives the labels of validation outputs the
    highest likelihood. The negative log-likelihood is convex in `1 / T`, so
    its derivative (mean expected cosine minus mean cosine of the label)
    rises with `1 / T`; the fit bisects on its sign over `log T`, down to a
    relative width of `1e-12`, between `T = 1e-4` and `T = 1e4`. When the
    validation outputs are all classified right with room to spare, the
    likelihood keeps rising as `T` falls and the fit returns `1e-4`, the end
    of the range; when they are mostly wrong (worse than uniform
    probabilities), it returns `1e4`. Fit on data the model was not trained
    on.

    Use the validation outputs of a split the model was not trained on, of
    the same classes; for softmax logits use `fit_logit_temperature`.

    Args:
        outputs: array `(num_examples, dims)`, e.g. from `model.predict`.
        prototypes: array `(num_classes, dims)`.
        labels: array `(num_examples,)` of class ids in `[0, num_classes)`
            (floats holding integers are accepted).

    Returns:
        The temperature `T`, for `class_probabilities`.

    Example:

    ```python
    >>> rng = np.random.default_rng(0)
    >>> protos = np.eye(3)
    >>> outputs = rng.normal(size=(2000, 3))
    >>> # Labels drawn from the softmax of the cosines at T = 0.2.
    >>> p = class_probabilities(outputs, protos, temperature=0.2)
    >>> labels = (p.cumsum(axis=1) > rng.random((2000, 1))).argmax(axis=1)
    >>> round(fit_temperature(outputs, protos, labels), 1)
    0.2
    ```
    """
    protos = check_prototypes(prototypes)
    unit = _class_outputs(outputs, protos.shape[1])
    if unit.ndim != 2:
        raise ValueError(
            "`outputs` must be 2-D, (num_examples, dims). Received an array of "
            f"shape {unit.shape}."
        )
    bad = ~np.isfinite(unit).all(axis=1)
    if bad.any():
        raise ValueError(
            f"{int(bad.sum())} of the `outputs` have no direction (all zero, or "
            f"holding NaN or inf), the first at row {int(np.flatnonzero(bad)[0])}: "
            "they have no class probabilities; leave them out of the fit."
        )
    labels = _check_labels(labels, unit.shape[0], protos.shape[0])
    label_scores = np.einsum("ij,ij->i", unit, protos[labels])
    return _fit(unit, protos, label_scores)


def fit_logit_temperature(logits: object, labels: object) -> float:
    """The temperature of `logit_probabilities` that fits `labels` best.

    Temperature scaling of a softmax classifier (Guo et al., ICML 2017), the
    same search as `fit_temperature`, on logits instead of cosines.

    Args:
        logits: array `(num_examples, num_classes)`, finite.
        labels: array `(num_examples,)` of class ids in `[0, num_classes)`.

    Returns:
        The temperature `T`, for `logit_probabilities`.

    Example:

    ```python
    >>> rng = np.random.default_rng(0)
    >>> logits = rng.normal(size=(2000, 4)) * 3.0
    >>> p = logit_probabilities(logits, temperature=1.5)
    >>> labels = (p.cumsum(axis=1) > rng.random((2000, 1))).argmax(axis=1)
    >>> round(fit_logit_temperature(logits, labels), 1)
    1.5
    ```
    """
    rows = _logits(logits, "logits")
    if rows.ndim != 2:
        raise ValueError(
            "`logits` must be 2-D, (num_examples, num_classes). Received an "
            f"array of shape {rows.shape}."
        )
    if not np.isfinite(rows).all():
        raise ValueError("`logits` holds NaN or infinite values; all must be finite.")
    labels = _check_labels(labels, rows.shape[0], rows.shape[1])
    return _fit(rows, None, rows[np.arange(rows.shape[0]), labels])


def expected_calibration_error(
    probabilities: object, labels: object, bins: int = 15
) -> float:
    """Expected calibration error with equal-width confidence bins.

    As in Guo et al. (ICML 2017): each example's confidence is its largest
    probability and its prediction that class (ties to the lower id); the
    confidences fall into `bins` equal-width bins `((b - 1) / bins, b /
    bins]` (edges `np.linspace(0, 1, bins + 1)`: a confidence on an edge
    goes to the lower bin), and `ECE = sum_b (n_b / n) |accuracy_b -
    confidence_b|`, the mean confidence and the accuracy of each bin.

    Args:
        probabilities: array `(num_examples, num_classes)`, each row in
            `[0, 1]` summing to 1 (within 1e-3).
        labels: array `(num_examples,)` of class ids in `[0, num_classes)`.
        bins: the number of bins, at least 1 (15 in Guo et al.).

    Returns:
        The ECE, in `[0, 1]`.

    Example:

    ```python
    >>> probabilities = [[0.9, 0.1], [0.2, 0.8], [0.5, 0.5], [0.3, 0.7]]
    >>> # Bin (0, 0.5]: 0.5, right; bin (0.5, 1]: 0.9 right, 0.8 wrong, 0.7
    >>> # right: 1/4 * |1 - 0.5| + 3/4 * |2/3 - 0.8| = 0.225.
    >>> round(expected_calibration_error(probabilities, [0, 0, 0, 1], bins=2), 6)
    0.225
    ```
    """
    bins = check_size(bins, "bins", 1)
    probs = _check_probabilities(probabilities)
    labels = _check_labels(labels, probs.shape[0], probs.shape[1])
    predictions = probs.argmax(axis=1)
    confidence = probs[np.arange(probs.shape[0]), predictions]
    correct = (predictions == labels).astype(np.float64)
    edges = np.linspace(0.0, 1.0, bins + 1)
    index = np.clip(np.digitize(confidence, edges, right=True) - 1, 0, bins - 1)
    count = np.bincount(index, minlength=bins)
    gap = np.bincount(index, weights=correct - confidence, minlength=bins)
    return float(np.abs(gap).sum() / probs.shape[0]) if count.any() else 0.0


def negative_log_likelihood(probabilities: object, labels: object) -> float:
    """Mean negative log-probability of the labels, `-mean(log p_y)`.

    A probability of exactly 0 for a label (float underflow of a confident
    mistake) counts as the smallest positive float64, about `2.2e-308`
    (708 nats), so that the mean stays finite and ranks such mistakes last.

    Args:
        probabilities: array `(num_examples, num_classes)`, as for
            `expected_calibration_error`.
        labels: array `(num_examples,)` of class ids in `[0, num_classes)`.

    Returns:
        The mean negative log-likelihood, in nats.

    Example:

    ```python
    >>> round(negative_log_likelihood([[0.5, 0.5], [0.2, 0.8]], [0, 1]), 6)
    0.458145
    ```
    """
    probs = _check_probabilities(probabilities)
    labels = _check_labels(labels, probs.shape[0], probs.shape[1])
    chosen = probs[np.arange(probs.shape[0]), labels]
    return float(-np.mean(np.log(np.maximum(chosen, np.finfo(np.float64).tiny))))


def _probabilities(rows: np.ndarray, protos: np.ndarray | None, beta: float):
    """Softmax of `beta * scores` in row blocks; NaN rows where rows are not finite."""
    num_classes = rows.shape[-1] if protos is None else protos.shape[0]
    lead = rows.shape[:-1]
    flat = rows.reshape(-1, rows.shape[-1])
    check_memory(
        8 * flat.shape[0] * num_classes,
        f"class probabilities of {flat.shape[0]} outputs over {num_classes} classes",
        "fewer outputs at a time",
    )
    result = np.full((flat.shape[0], num_classes), np.nan)
    finite = np.flatnonzero(np.isfinite(flat).all(axis=1))
    block = _block(num_classes)
    for start in range(0, finite.size, block):
        chosen = finite[start : start + block]
        part = flat[chosen]
        top, total, _ = _moments(part, protos, beta)
        out = np.empty((chosen.size, num_classes))
        for first, scores in _chunks(part, protos):
            with np.errstate(over="ignore"):
                out[:, first : first + scores.shape[1]] = np.exp(
                    beta * (scores - top[:, None])
                )
        result[chosen] = out / total[:, None]
    return result.reshape(*lead, num_classes)


def _fit(rows: np.ndarray, protos: np.ndarray | None, label_scores: np.ndarray):
    """Bisection on the sign of the NLL's derivative in `log(1 / T)`."""
    num_classes = rows.shape[1] if protos is None else protos.shape[0]
    if protos is not None and 8 * rows.shape[0] * num_classes <= BLOCK_BYTES:
        rows, protos = rows @ protos.T, None  # small: score once, not per step
    mean_label = float(np.mean(label_scores))

    def slope(log_beta: float) -> float:
        # d NLL / d beta = mean expected score - mean label score: rising in beta.
        beta = float(np.exp(log_beta))
        expected = 0.0
        block = _block(num_classes)
        for start in range(0, rows.shape[0], block):
            _, total, weighted = _moments(rows[start : start + block], protos, beta)
            expected += float(np.sum(weighted / total))
        return expected / rows.shape[0] - mean_label

    # log(beta) = -log(T): from T = 1e4 (low) to T = 1e-4 (high).
    low, high = (-np.log(10.0) * end for end in LOG10_TEMPERATURE_RANGE[::-1])
    if slope(high) <= 0.0:
        return 10.0 ** LOG10_TEMPERATURE_RANGE[0]
    if slope(low) >= 0.0:
        return 10.0 ** LOG10_TEMPERATURE_RANGE[1]
    while high - low > 1e-12:
        middle = 0.5 * (low + high)
        if slope(middle) < 0.0:
            low = middle
        else:
            high = middle
    return float(np.exp(-0.5 * (low + high)))


def _moments(part: np.ndarray, protos: np.ndarray | None, beta: float):
    """Per row, in one pass over the classes: the largest score `m`, the sum of
    `exp(beta * (score - m))` and the same sum weighted by the scores."""
    top = np.full(part.shape[0], -np.inf)
    total = np.zeros(part.shape[0])
    weighted = np.zeros(part.shape[0])
    for _, scores in _chunks(part, protos):
        # The offset is removed before scaling: beta * score may overflow.
        new_top = np.maximum(top, scores.max(axis=1))
        with np.errstate(over="ignore"):  # to -inf: exp gives 0, as it should
            rescale = np.exp(beta * (top - new_top))
            exps = np.exp(beta * (scores - new_top[:, None]))
        total = total * rescale + exps.sum(axis=1)
        weighted = weighted * rescale + (exps * scores).sum(axis=1)
        top = new_top
    return top, total, weighted


def _chunks(part: np.ndarray, protos: np.ndarray | None):
    """`(first class, scores)` of the rows of `part`, `CLASS_CHUNK` classes at a
    time: cosines with `protos`, or the columns of `part` itself (logits)."""
    if protos is None:
        for first in range(0, part.shape[1], CLASS_CHUNK):
            yield first, part[:, first : first + CLASS_CHUNK]
    else:
        for first in range(0, protos.shape[0], CLASS_CHUNK):
            yield first, part @ protos[first : first + CLASS_CHUNK].T


def _block(num_classes: int) -> int:
    return max(1, BLOCK_BYTES // (8 * min(num_classes, CLASS_CHUNK)))


def _logits(logits: object, name: str) -> np.ndarray:
    array = numeric_array(logits, name, "(..., num_classes)")
    if array.ndim < 1 or array.shape[-1] < 1:
        raise ValueError(
            f"`{name}` must have a last axis of at least one class. Received "
            f"shape {array.shape}."
        )
    return array


def _check_probabilities(probabilities: object) -> np.ndarray:
    probs = numeric_array(probabilities, "probabilities", "(num_examples, num_classes)")
    if probs.ndim != 2 or probs.shape[0] < 1 or probs.shape[1] < 2:
        raise ValueError(
            "`probabilities` must be 2-D, (num_examples, num_classes), with at "
            f"least one example and two classes. Received shape {probs.shape}."
        )
    if not np.isfinite(probs).all():
        raise ValueError(
            "`probabilities` holds NaN or infinite values (a NaN row is an output "
            "with no direction: leave it out)."
        )
    if (probs < 0).any() or (probs > 1 + SUM_TOLERANCE).any():
        raise ValueError("`probabilities` must lie in [0, 1].")
    sums = probs.sum(axis=1)
    off = np.abs(sums - 1.0) > SUM_TOLERANCE
    if off.any():
        first = int(np.flatnonzero(off)[0])
        raise ValueError(
            f"Each row of `probabilities` must sum to 1. {int(off.sum())} row(s) "
            f"do not; row {first} sums to {sums[first]:.6g}."
        )
    return probs


def _check_labels(labels: object, num_examples: int, num_classes: int) -> np.ndarray:
    try:
        array = np.asarray(labels)
    except (TypeError, ValueError) as error:  # pragma: no cover - ragged input
        raise ValueError(f"`labels` must be an array of class ids: {error}") from error
    if array.ndim == 2 and array.shape[1] == 1:
        array = array[:, 0]
    if array.ndim != 1 or array.shape[0] != num_examples:
        raise ValueError(
            f"`labels` must be 1-D, one class id per example ({num_examples}). "
            f"Received an array of shape {array.shape}."
        )
    if not (
        np.issubdtype(array.dtype, np.integer)
        or (
            np.issubdtype(array.dtype, np.floating)
            and np.isfinite(array).all()
            and (array == np.round(array)).all()
        )
    ):
        raise ValueError(
            "`labels` must hold integer class ids (floats holding integers are "
            f"accepted). Received dtype {array.dtype}."
        )
    ids = array.astype(np.int64)
    bad = (ids < 0) | (ids >= num_classes)
    if bad.any():
        raise ValueError(
            f"`labels` must be class ids in [0, {num_classes}), one per class scored. "
            f"Received {int(bad.sum())} outside, e.g. {ids[bad][0]}."
        )
    return ids
