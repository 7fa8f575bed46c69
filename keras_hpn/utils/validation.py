"""Argument checks shared by the whole package: sizes, seeds, columns, ranges,
weights and prototype matrices (numpy only)."""

from __future__ import annotations

import numbers

import numpy as np

# Rows whose norm is this close to 1 count as unit and are not rescaled.
UNIT_TOLERANCE = 1e-12


def check_size(
    value: object,
    name: str,
    minimum: int,
    maximum: int | None = None,
    maximum_is: str = "",
) -> int:
    """Returns `value` as an `int`, or raises if it is not an integer in range.

    Args:
        value: the argument.
        name: its name, for the message.
        minimum: the smallest value allowed.
        maximum: the largest value allowed, if any.
        maximum_is: what the maximum is, for the message (e.g. "the number of
            prototypes").

    Returns:
        `value` as a Python `int`.

    Example:

    ```python
    >>> check_size(np.int64(3), "k", 1, 10, "the number of prototypes")
    3
    ```
    """
    if maximum is None:
        expected = f"an integer >= {minimum}"
    else:
        expected = f"an integer from {minimum} to {maximum}"
        expected += f", at most {maximum_is}" if maximum_is else ""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise ValueError(f"`{name}` must be {expected}. Received: {name}={value!r}")
    if value < minimum or (maximum is not None and value > maximum):
        raise ValueError(f"`{name}` must be {expected}. Received: {name}={value}")
    return int(value)


def check_flag(value: object, name: str) -> bool:
    """Returns `value` as a `bool`, refusing anything but True or False.

    Example:

    ```python
    >>> check_flag(np.bool_(True), "use_bias")
    True
    ```
    """
    if not isinstance(value, (bool, np.bool_)):
        raise ValueError(f"`{name}` must be True or False. Received: {name}={value!r}")
    return bool(value)


def check_positive(value: object, name: str) -> float:
    """Returns `value` as a `float`, refusing anything but a finite number > 0.

    Example:

    ```python
    >>> check_positive(1e-12, "epsilon")
    1e-12
    ```
    """
    if (
        isinstance(value, (bool, np.bool_))
        or not isinstance(value, numbers.Real)
        or not np.isfinite(value)
        or not value > 0
    ):
        raise ValueError(
            f"`{name}` must be a finite number > 0. Received: {name}={value!r}"
        )
    return float(value)


def check_seed(seed: object, name: str = "seed") -> int | None:
    """Returns a random seed as an `int` (or `None`), refusing anything else.

    Args:
        seed: `None` or an integer >= 0 (Python or numpy).
        name: the argument name used in error messages.

    Returns:
        `None` or the seed as a Python `int`.

    Example:

    ```python
    >>> check_seed(np.int64(3)), check_seed(None)
    (3, None)
    ```
    """
    if seed is None:
        return None
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, numbers.Integral):
        raise ValueError(
            f"`{name}` must be an integer >= 0 or None. Received: {name}={seed!r}"
        )
    if seed < 0:
        raise ValueError(
            f"`{name}` must be an integer >= 0 or None (numpy's generators take "
            f"no negative seeds). Received: {name}={seed}"
        )
    return int(seed)


def check_column(value: object, name: str) -> int | None:
    """Returns a column index as an `int` (or `None`), refusing anything else.

    Args:
        value: `None` or an integer >= 0 (a column of a 2-D `y_true`).
        name: the argument name used in error messages.

    Returns:
        `None` or the index as an `int`.

    Example:

    ```python
    >>> check_column(1, "label_column"), check_column(None, "label_column")
    (1, None)
    ```
    """
    if value is None:
        return None
    return check_size(value, name, 0)


def check_range(lower: object, upper: object) -> tuple[float, float]:
    """Validates a regression range `[lower, upper]` and returns it as floats.

    Args:
        lower: the target value of the lower prototype, a finite real number.
        upper: the target value of the upper prototype, larger than `lower`.

    Returns:
        `(lower, upper)` as Python floats.

    Example:

    ```python
    >>> check_range(0, 10)
    (0.0, 10.0)
    ```
    """
    for name, value in (("lower", lower), ("upper", upper)):
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise ValueError(
                f"`{name}` must be a real number. Received: {name}={value!r}"
            )
        if not np.isfinite(value):
            raise ValueError(f"`{name}` must be finite. Received: {name}={value}")
    if not lower < upper:
        raise ValueError(
            "`lower` must be smaller than `upper` (the range of the regression "
            f"targets). Received: lower={lower}, upper={upper}"
        )
    return float(lower), float(upper)


def check_weight(weight: object) -> float:
    """Validates a task weight `t` in `[0, 1]` and returns it as a float.

    Args:
        weight: the share of the classification loss in a multi-task loss.

    Returns:
        `weight` as a Python float.

    Example:

    ```python
    >>> check_weight(0.25)
    0.25
    ```
    """
    if (
        isinstance(weight, bool)
        or not isinstance(weight, numbers.Real)
        or not 0.0 <= weight <= 1.0
    ):
        raise ValueError(
            "`weight` must be a number in [0, 1] (the share of the classification "
            f"loss). Received: weight={weight!r}"
        )
    return float(weight)


def default_axis(dims: int) -> np.ndarray:
    """The default regression direction `e_0` in `dims` dimensions.

    Args:
        dims: the output dimensionality, at least 2 (in one dimension a unit
            vector is `+-1`: its angle cannot move, so there is nothing to
            learn).

    Returns:
        A float64 array of shape `(dims,)`, `1` first and zeros after.

    Example:

    ```python
    >>> default_axis(3)
    array([1., 0., 0.])
    ```
    """
    dims = check_size(dims, "dims", 2)
    axis = np.zeros(dims)
    axis[0] = 1.0
    return axis


def row_norms(array: np.ndarray) -> np.ndarray:
    """Euclidean norms of the rows (last axis) of `array`, without overflow.

    Rows whose squares overflow or underflow float64 (entries beyond about
    `1e154` or below `1e-154`) are divided by their largest absolute entry
    before squaring, as robust norm routines do, so they get their true norm.

    Args:
        array: float array of shape `(..., dims)`.

    Returns:
        Float64 array of shape `(...)`: `inf` where a row holds `inf`, `nan`
        where it holds NaN.

    Example:

    ```python
    >>> row_norms(np.array([[3e200, 4e200], [0.0, 0.0]]))
    array([5.e+200, 0.e+000])
    ```
    """
    array = np.asarray(array, dtype=np.float64)
    with np.errstate(over="ignore", under="ignore"):
        norms = np.sqrt(np.einsum("...i,...i->...", array, array))
    redo = ~np.isfinite(norms) | (norms < 1e-150)
    if redo.any():
        rows = array[redo]
        with np.errstate(invalid="ignore"):
            largest = np.max(np.abs(rows), axis=-1, keepdims=True)
            scale = np.where((largest > 0) & np.isfinite(largest), largest, 1.0)
            scaled = scale[..., 0] * np.sqrt(np.sum(np.square(rows / scale), axis=-1))
        norms[redo] = np.where(np.isinf(largest[..., 0]), np.inf, scaled)
    return norms


def numeric_array(value: object, name: str, shape: str, dtype=np.float64) -> np.ndarray:
    """`value` as a numpy array of `dtype`, or a `ValueError` naming `name`.

    Args:
        value: anything `np.asarray` takes.
        name: the argument name used in error messages.
        shape: the expected shape in words, e.g. `"(..., dims)"`.
        dtype: the dtype to convert to.

    Returns:
        The array.

    Example:

    ```python
    >>> numeric_array([1, 2], "x", "(n,)").dtype
    dtype('float64')
    ```
    """
    try:
        return np.asarray(value, dtype=dtype)
    except (TypeError, ValueError) as error:
        raise ValueError(
            f"`{name}` must be a numeric array of shape {shape}. Could not "
            f"convert it: {error}"
        ) from error


def check_matrix(
    value: object,
    name: str,
    rows: str,
    min_rows: int,
    dtype: object = None,
) -> np.ndarray:
    """`value` as a finite 2-D numpy array of at least `min_rows` rows.

    Args:
        value: array-like of shape `(rows, dims)`.
        name: the argument name used in error messages.
        rows: what the rows are, for messages (e.g. `"num_examples"`).
        min_rows: the fewest rows allowed.
        dtype: the dtype to convert to; `None` keeps floats as they are and
            converts others to float64.

    Returns:
        The array.

    Example:

    ```python
    >>> check_matrix([[1, 2], [3, 4]], "features", "num_examples", 2).dtype
    dtype('float64')
    ```
    """
    array = numeric_array(value, name, f"({rows}, dims)", dtype)
    if not np.issubdtype(array.dtype, np.floating):
        array = numeric_array(array, name, f"({rows}, dims)")
    if array.ndim != 2:
        raise ValueError(
            f"`{name}` must be 2-D, of shape ({rows}, dims). Received an array "
            f"of shape {array.shape}."
        )
    if array.shape[0] < min_rows or array.shape[1] < 1:
        raise ValueError(
            f"`{name}` must hold at least {min_rows} row(s) ({rows}) of at least "
            f"one dimension. Received shape {array.shape}."
        )
    bad = ~np.isfinite(array).all(axis=1)
    if bad.any():
        rows_found = np.flatnonzero(bad)
        raise ValueError(
            f"`{name}` holds NaN or infinite values in {rows_found.size} row(s), "
            f"the first {rows_found[:5].tolist()}; every entry must be finite."
        )
    return array


def check_prototypes(prototypes: object, name: str = "prototypes") -> np.ndarray:
    """Validates a prototype matrix and returns it with unit-length rows.

    Cosine similarity does not depend on a row's length, so rows that are not
    unit length are rescaled; anything else that is wrong is refused.

    Args:
        prototypes: array-like of shape `(num_classes, dims)`.
        name: the argument name used in error messages.

    Returns:
        A float64 numpy array of shape `(num_classes, dims)` with unit rows.
        Rows within `UNIT_TOLERANCE` of unit length are returned unchanged,
        so the function is idempotent: checking its result gives it back.

    Example:

    ```python
    >>> check_prototypes([[3.0, 4.0], [0.0, -2.0]])
    array([[ 0.6,  0.8],
           [ 0. , -1. ]])
    ```
    """
    array = check_matrix(prototypes, name, "num_classes", 1, np.float64)
    norms = row_norms(array)
    zero = norms == 0.0
    if zero.any():
        raise ValueError(
            f"`{name}` has zero row(s) {np.flatnonzero(zero).tolist()}; a prototype "
            "must be a non-zero vector (it is used through its direction)."
        )
    # Rows already unit to float64 precision stay as they are, so that checking
    # a checked matrix again (a config round trip) changes no digit.
    norms = np.where(np.abs(norms - 1.0) <= UNIT_TOLERANCE, 1.0, norms)
    unit = array / norms[:, None]
    if unit.shape[0] > 1:
        twice = _repeated_rows(unit)
        if twice:
            raise ValueError(
                f"`{name}` holds the same direction more than once (first rows "
                f"{twice} are repeated); each class needs its own prototype, or "
                "two classes could never be told apart."
            )
    return unit


def _repeated_rows(array: np.ndarray) -> list[int]:
    """The first index of each row that occurs more than once (bytes equal), at
    most 10, sorted.

    Rows are hashed column by column into one integer each, so the check
    needs `8 K` bytes beside the array where sorting whole rows copies it
    (at 100,000 x 128 that was 102 MB more at construction).
    """
    words = np.ascontiguousarray(array).view(np.uint64)
    hashes = np.zeros(words.shape[0], dtype=np.uint64)
    for column in range(words.shape[1]):
        hashes *= np.uint64(0x100000001B3)  # FNV-1a's 64-bit prime, wrapping
        hashes ^= words[:, column]
    order = np.argsort(hashes, kind="stable")
    ties = np.flatnonzero(hashes[order[1:]] == hashes[order[:-1]]) + 1
    if ties.size == 0:
        return []
    candidates = np.unique(order[np.concatenate([ties - 1, ties])])
    rows = words[candidates].view(np.dtype((np.void, 8 * words.shape[1])))[:, 0]
    _, first, counts = np.unique(rows, return_index=True, return_counts=True)
    return np.sort(candidates[first[counts > 1]])[:10].tolist()


def check_unit_vector(vector: object, name: str, dims: int | None = None) -> np.ndarray:
    """Validates a single direction and returns it with unit length.

    Args:
        vector: array-like of shape `(dims,)`.
        name: the argument name used in error messages.
        dims: the length the vector must have, if known.

    Returns:
        A float64 numpy array of shape `(dims,)`, `dims >= 2`, and unit length.
    """
    array = numeric_array(vector, name, "(dims,)")
    if array.ndim != 1:
        # Never flattened: a (2, 2) matrix is not a direction in 4 dimensions.
        raise ValueError(
            f"`{name}` must be 1-D, one direction of shape (dims,). Received an "
            f"array of shape {array.shape}."
        )
    if array.shape[0] < 2:
        raise ValueError(
            f"`{name}` must have at least 2 entries (a unit vector in one "
            f"dimension cannot turn). Received {array.shape[0]}."
        )
    array = check_prototypes(array[None, :], name)
    if dims is not None and array.shape[1] != dims:
        raise ValueError(
            f"`{name}` must have {dims} entries to match the prototypes. "
            f"Received {array.shape[1]}."
        )
    return array[0]


def check_max_seconds(value: object) -> float | None:
    """Returns a time limit in seconds as a `float` (or `None`: no limit).

    Args:
        value: `None` or a number > 0.

    Returns:
        `None` or the limit as a `float`.

    Example:

    ```python
    >>> check_max_seconds(60), check_max_seconds(None)
    (60.0, None)
    ```
    """
    if value is None:
        return None
    if (
        isinstance(value, bool)
        or not isinstance(value, numbers.Real)
        or not value > 0
        or not np.isfinite(value)
    ):
        raise ValueError(
            "`max_seconds` must be a number > 0, or None for no limit. "
            f"Received: max_seconds={value!r}"
        )
    return float(value)


def check_class_shape(shape: tuple[int, int], name: str) -> None:
    """Refuses class prototypes of fewer than 2 classes or 2 dimensions.

    Example:

    ```python
    >>> check_class_shape((10, 3), "prototypes")  # fine: no error
    ```
    """
    num_classes, dims = shape
    if num_classes < 2 or dims < 2:
        raise ValueError(
            f"`{name}` must hold at least 2 classes of at least 2 dimensions "
            "(in one dimension a unit vector is +1 or -1: its angle cannot "
            f"change, so nothing can be learned). Received shape {shape}."
        )
