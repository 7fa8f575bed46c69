"""The prototype optimiser of the HPN paper, as its reference code runs it."""

from __future__ import annotations

import numpy as np

from keras_hpn.prototypes.optimize import annealing
from keras_hpn.utils.progress import ProgressBar
from keras_hpn.utils.resources import check_memory, check_time
from keras_hpn.utils.validation import (
    check_max_seconds,
    check_prototypes,
    check_seed,
    check_size,
)


def hpn_sgd(
    num_classes: int,
    dims: int,
    *,
    seed: int | None = None,
    steps: int | None = None,
    learning_rate: float = 0.1,
    verbose: bool | None = None,
    max_seconds: float | None = annealing.MAX_SECONDS,
) -> np.ndarray:
    """The prototype optimiser of the HPN paper, for users who want the original.

    Minimises `1/K sum_i max_{j != i} p_i . p_j` with SGD (learning rate 0.1;
    the reference code re-creates its momentum optimiser every step, so the
    momentum buffer never carries over and each step is a plain gradient step)
    and renormalises the rows after each step.

    Args:
        num_classes: number of prototypes `K`, at least 2.
        dims: dimensionality `D`, at least 2.
        seed: seed of the Gaussian initialisation.
        steps: number of SGD steps; `None` means the paper's 10,000.
        learning_rate: SGD step size; the paper uses 0.1.
        verbose: see `hpn_sgd_from`.
        max_seconds: see `hpn_sgd_from`.

    Returns:
        Float64 array of shape `(num_classes, dims)` with unit rows.

    Raises:
        ValueError: for bad arguments, and up front where the run would not
            fit in memory or is estimated to take more than `max_seconds`.

    Example:

    ```python
    >>> p = hpn_sgd(20, 3, seed=0, steps=100)
    >>> p.shape
    (20, 3)
    ```

    References:
        Mettes, van der Pol, Snoek. Hyperspherical Prototype Networks.
        NeurIPS 2019; reference code `prototypes.py` at
        https://github.com/psmmettes/hpn.
    """
    return _hpn_sgd(
        check_size(num_classes, "num_classes", 2),
        check_size(dims, "dims", 2),
        check_seed(seed),
        None if steps is None else check_size(steps, "steps", 1),
        learning_rate,
        verbose,
        check_max_seconds(max_seconds),
    )


def _hpn_sgd(
    num_classes: int,
    dims: int,
    seed: int | None,
    steps: int | None,
    learning_rate: float,
    verbose: bool | None,
    max_seconds: float | None,
) -> np.ndarray:
    """`hpn_sgd` on checked arguments (`steps=None`: the paper's 10,000)."""
    steps = 10_000 if steps is None else steps
    # Refused before the start is drawn.
    seconds = _check_sgd_cost(num_classes, dims, steps, max_seconds)
    points = annealing._random_start(num_classes, dims, seed)
    return _run(points, steps, learning_rate, verbose, seconds)


def hpn_sgd_from(
    points: np.ndarray,
    *,
    steps: int,
    learning_rate: float = 0.1,
    verbose: bool | None = None,
    max_seconds: float | None = annealing.MAX_SECONDS,
) -> np.ndarray:
    """Runs the paper's update `steps` times from given unit-row `points`.

    One step: `g = P P^T` with the diagonal excluded, `n(i) = argmax_j g_ij`;
    the gradient of `1/K sum_i p_i . p_{n(i)}` gives row `i` the term
    `p_{n(i)} / K` and row `n(i)` the term `p_i / K`; then
    `P <- normalise_rows(P - learning_rate * gradient)`.

    Args:
        points: float array of shape `(num_classes, dims)` with unit rows.
        steps: number of steps, at least 1.
        learning_rate: SGD step size.
        verbose: `True` draws a progress bar on stderr; `None` draws it only
            where the run is estimated to take more than `annealing.VERBOSE_SECONDS`.
        max_seconds: the run is refused up front where it is estimated
            (`estimated_seconds`) to take longer; `None` for no limit.

    Returns:
        Float64 array of the same shape with unit rows.

    Raises:
        ValueError: for bad arguments, and up front where the `K x K` cosine
            matrix would not fit in memory or the run is estimated to take
            more than `max_seconds`.

    Example:

    ```python
    >>> hpn_sgd_from(np.eye(3), steps=1).shape
    (3, 3)
    ```
    """
    points = check_prototypes(points, "points")
    steps = check_size(steps, "steps", 1)
    max_seconds = check_max_seconds(max_seconds)
    num_classes, dims = points.shape
    seconds = _check_sgd_cost(num_classes, dims, steps, max_seconds)
    return _run(points, steps, learning_rate, verbose, seconds)


def _run(
    points: np.ndarray,
    steps: int,
    learning_rate: float,
    verbose: bool | None,
    seconds: float,
) -> np.ndarray:
    """The paper's steps from checked unit-row `points`, estimated `seconds` long."""
    num_classes = points.shape[0]
    if verbose is None:
        verbose = seconds > annealing.VERBOSE_SECONDS
    bar = ProgressBar(steps, f"placing {num_classes} prototypes", enabled=bool(verbose))
    rows = np.arange(num_classes)
    for step in range(steps):
        gram = points @ points.T
        gram[rows, rows] = -np.inf
        nearest = gram.argmax(axis=1)
        grad = points[nearest].copy()
        np.add.at(grad, nearest, points)
        points = points - learning_rate * grad / num_classes
        points /= np.linalg.norm(points, axis=1, keepdims=True)
        bar.update(step + 1)
    bar.close()
    return points


def _check_sgd_cost(
    num_classes: int, dims: int, steps: int, max_seconds: float | None
) -> float:
    """Refuses a paper-optimiser run that cannot fit; returns its estimated time."""
    what = f"The paper's optimiser on num_classes={num_classes} in dims={dims}"
    # The float64 cosine matrix.
    check_memory(8 * num_classes**2, what, "fewer classes or method='optimize'")
    seconds = annealing.SECONDS_PER_WORK * steps * num_classes**2 * (dims + 16)
    check_time(
        seconds,
        max_seconds,
        f"{what} with steps={steps}",
        "fewer classes or steps, or method='optimize'",
    )
    return seconds
