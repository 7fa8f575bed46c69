"""Checks shared by everything that accepts prototypes or sizes (numpy only)."""

from __future__ import annotations

import numbers
import os

import numpy as np


def check_size(value: object, name: str, minimum: int) -> int:
    """Returns `value` as an `int`, or raises if it is not an integer >= minimum."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ValueError(
            f"`{name}` must be an integer >= {minimum}. Received: {name}={value!r}"
        )
    if value < minimum:
        raise ValueError(
            f"`{name}` must be an integer >= {minimum}. Received: {name}={value}"
        )
    return int(value)


def check_prototypes(prototypes: object, name: str = "prototypes") -> np.ndarray:
    """Validates a prototype matrix and returns it with unit-length rows.

    Cosine similarity does not depend on a row's length, so rows that are not
    unit length are rescaled; anything else that is wrong is refused.

    Args:
        prototypes: array-like of shape `(num_classes, dims)`.
        name: the argument name used in error messages.

    Returns:
        A float64 numpy array of shape `(num_classes, dims)` with unit rows.

    Example:

    ```python
    >>> check_prototypes([[3.0, 4.0], [0.0, -2.0]])
    array([[ 0.6,  0.8],
           [ 0. , -1. ]])
    ```
    """
    try:
        array = np.asarray(prototypes, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise ValueError(
            f"`{name}` must be a numeric array of shape (num_classes, dims). "
            f"Could not convert it: {error}"
        ) from error
    if array.ndim != 2:
        raise ValueError(
            f"`{name}` must be 2-D, of shape (num_classes, dims). "
            f"Received an array of shape {array.shape}."
        )
    if array.shape[0] < 1 or array.shape[1] < 1:
        raise ValueError(
            f"`{name}` must hold at least one prototype of at least one dimension. "
            f"Received shape {array.shape}."
        )
    bad = ~np.isfinite(array).all(axis=1)
    if bad.any():
        raise ValueError(
            f"`{name}` holds NaN or infinite values in row(s) "
            f"{np.flatnonzero(bad).tolist()}; every entry must be finite."
        )
    norms = np.linalg.norm(array, axis=1)
    zero = norms == 0.0
    if zero.any():
        raise ValueError(
            f"`{name}` has zero row(s) {np.flatnonzero(zero).tolist()}; a prototype "
            "must be a non-zero vector (it is used through its direction)."
        )
    return array / norms[:, None]


def check_unit_vector(vector: object, name: str, dims: int | None = None) -> np.ndarray:
    """Validates a single direction and returns it with unit length.

    Args:
        vector: array-like of shape `(dims,)`.
        name: the argument name used in error messages.
        dims: the length the vector must have, if known.

    Returns:
        A float64 numpy array of shape `(dims,)` and unit length.
    """
    array = check_prototypes(
        np.reshape(np.asarray(vector, dtype=np.float64), (1, -1)), name
    )
    if dims is not None and array.shape[1] != dims:
        raise ValueError(
            f"`{name}` must have {dims} entries to match the prototypes. "
            f"Received {array.shape[1]}."
        )
    return array[0]


def available_memory() -> int | None:
    """Bytes of memory the process can still get, or `None` where unknown.

    Reads `MemAvailable` from `/proc/meminfo` (Linux), else asks
    `os.sysconf` for the available physical pages.

    Returns:
        The number of bytes, or `None`.

    Example:

    ```python
    >>> available_memory() is None or available_memory() > 0
    True
    ```
    """
    try:
        with open("/proc/meminfo", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):
        return None


def check_memory(needed: float, what: str) -> None:
    """Refuses up front a computation that would not fit in memory.

    Args:
        needed: estimated peak bytes of the computation.
        what: the computation and its sizes, for the message (e.g.
            `"placing num_classes=10000000 prototypes in dims=256"`).

    Raises:
        ValueError: with the estimate and the memory available, when the
            estimate exceeds what is available.

    Example:

    ```python
    >>> check_memory(1e3, "a tiny placement")  # fits: no error
    ```
    """
    available = available_memory()
    if available is not None and needed > available:
        raise ValueError(
            f"{what} needs about {needed / 2**30:.1f} GiB of memory, but only "
            f"{available / 2**30:.1f} GiB is available. Use fewer classes or "
            "dimensions, or a machine with more memory."
        )
