"""Pairwise cosines in row blocks, on a fixed partition of the work (numpy only).

Two promises are kept here:

* memory stays linear in the number of rows: the cosine matrix is only ever
  built `BLOCK_BYTES` at a time;
* results do not depend on how many threads the machine has. OpenBLAS
  splits a matrix product differently for different thread counts, which
  changes the rounding; inside `deterministic()` BLAS runs on one thread and
  the blocks (whose partition depends only on the problem size) are spread
  over a pool of Python threads, then combined in block order.
"""

from __future__ import annotations

import contextlib
import functools
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

import numpy as np

from keras_hpn.utils.resources import BLOCK_BYTES, workers

_Item = TypeVar("_Item")
_Result = TypeVar("_Result")
_POOL: ThreadPoolExecutor | None = None
_POOL_LOCK = threading.Lock()
_DEPTH = 0
_DEPTH_LOCK = threading.Lock()


@contextlib.contextmanager
def deterministic() -> Iterator[None]:
    """Runs BLAS on one thread, so that products round the same on any machine
    with the same CPU kernels, whatever its thread settings.

    Nested uses cost nothing: only the outermost one changes the limit.

    Example:

    ```python
    >>> with deterministic():
    ...     value = float(np.ones((2, 3)) @ np.ones(3) @ np.ones(2))
    >>> value
    6.0
    ```
    """
    global _DEPTH
    with _DEPTH_LOCK:
        outermost = _DEPTH == 0
        _DEPTH += 1
    try:
        if outermost:
            with _controller().limit(limits=1, user_api="blas"):
                yield
        else:
            yield
    finally:
        with _DEPTH_LOCK:
            _DEPTH -= 1


def parallel_map(
    function: Callable[[_Item], _Result], items: Sequence[_Item]
) -> list[_Result]:
    """`[function(item) for item in items]`, spread over the thread pool.

    Results come back in the order of `items`, so combining them is
    independent of the number of threads.

    Args:
        function: applied to each item; numpy releases the GIL in matrix
            products and element-wise functions, so threads run in parallel.
        items: the work items.

    Returns:
        The list of results.

    Example:

    ```python
    >>> parallel_map(lambda x: x * x, [1, 2, 3])
    [1, 4, 9]
    ```
    """
    if len(items) <= 1 or workers() == 1:
        return [function(item) for item in items]
    return list(_pool().map(function, items))


def block_rows(num_rows: int, row_bytes: int) -> int:
    """Rows per block so that a block of `row_bytes` per row fits `BLOCK_BYTES`.

    Args:
        num_rows: number of rows to split.
        row_bytes: bytes one row of the block needs.

    Returns:
        Between 1 and `num_rows`.

    Example:

    ```python
    >>> block_rows(10_000, 8 * 10_000)  # float64 cosines of 10,000 points
    838
    ```
    """
    return max(1, min(num_rows, BLOCK_BYTES // max(row_bytes, 1)))


def nearest_cosines(prototypes: np.ndarray) -> np.ndarray:
    """Cosine of each row to its nearest other row, computed in row blocks.

    Args:
        prototypes: float array of shape `(num_classes, dims)` with unit rows,
            at least 2 rows.

    Returns:
        Float64 array of shape `(num_classes,)`.

    Example:

    ```python
    >>> nearest_cosines(np.array([[1.0, 0.0], [0.6, 0.8], [-1.0, 0.0]]))
    array([ 0.6,  0.6, -0.6])
    ```
    """
    points = np.asarray(prototypes, dtype=np.float64)
    num_classes = points.shape[0]
    # Blocks no larger than 1/4 of the rows keep both cores busy.
    block = min(block_rows(num_classes, 8 * num_classes), -(-num_classes // 4))
    starts = range(0, num_classes, block)

    def nearest(start: int) -> np.ndarray:
        stop = min(start + block, num_classes)
        gram = points[start:stop] @ points.T
        local = np.arange(stop - start)
        gram[local, local + start] = -np.inf
        return gram.max(axis=1)

    with deterministic():
        return np.concatenate(parallel_map(nearest, list(starts)))


def largest_cosine(prototypes: np.ndarray) -> float:
    """Largest cosine between two distinct rows of a unit-row matrix.

    The cosine matrix is computed in row blocks, so that memory stays linear in
    the number of rows (10,000 prototypes need no 800 MB matrix).

    Args:
        prototypes: float array of shape `(num_classes, dims)` with unit rows.

    Returns:
        The largest off-diagonal entry of `prototypes @ prototypes.T`.

    Example:

    ```python
    >>> largest_cosine(np.array([[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0]]))
    0.0
    ```
    """
    return float(nearest_cosines(prototypes).max())


@functools.lru_cache(maxsize=1)
def _controller():
    # Scanning the loaded libraries is slow; numpy's BLAS is loaded by now.
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


def _pool() -> ThreadPoolExecutor:
    global _POOL
    with _POOL_LOCK:
        if _POOL is None:
            _POOL = ThreadPoolExecutor(workers(), thread_name_prefix="keras_hpn")
        return _POOL
