"""Optimisers for prototype placement where no closed form is known (numpy only).

Two optimisers live here:

* `smooth_max`, the default of `hyperspherical(method="auto")` above
  `2 * dims` classes: it minimises a log-sum-exp (smooth maximum) of all
  pairwise cosines whose temperature is annealed towards the hard maximum,
  with Adam steps on the sphere, a few restarts for small problems and the
  cosine matrix processed in row blocks so that memory stays linear in `K`.
* `hpn_sgd`, the optimiser of the paper, kept for users who want the original.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from keras_hpn.prototypes.progress import ProgressBar
from keras_hpn.prototypes.validation import check_prototypes, check_size

# Bytes of one row block of the cosine matrix; bounds the optimiser's memory.
BLOCK_BYTES = 64 * 2**20
# Above this many classes the cosine blocks are computed in float32 (faster);
# the best iterate is always re-measured in float64.
FLOAT32_ABOVE = 256

# A function of the points (K, D) returning (gradient (K, D), value): an extra
# term that the optimiser minimises next to the smooth maximum.
ExtraObjective = Callable[[np.ndarray], tuple[np.ndarray, float]]


def _initial(num_classes: int, dims: int, seed: int | None) -> np.ndarray:
    rng = np.random.default_rng(seed)
    points = rng.standard_normal((num_classes, dims))
    return points / np.linalg.norm(points, axis=1, keepdims=True)


def _block_rows(num_classes: int, itemsize: int) -> int:
    return max(1, min(num_classes, BLOCK_BYTES // (itemsize * num_classes)))


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
    block = _block_rows(num_classes, 8)
    nearest = np.empty(num_classes)
    for start in range(0, num_classes, block):
        stop = min(start + block, num_classes)
        gram = points[start:stop] @ points.T
        local = np.arange(stop - start)
        gram[local, local + start] = -np.inf
        nearest[start:stop] = gram.max(axis=1)
    return nearest


def hpn_sgd(
    num_classes: int,
    dims: int,
    *,
    seed: int | None = None,
    steps: int | None = None,
    learning_rate: float = 0.1,
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

    Returns:
        Float64 array of shape `(num_classes, dims)` with unit rows.

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
    num_classes = check_size(num_classes, "num_classes", 2)
    dims = check_size(dims, "dims", 2)
    steps = 10_000 if steps is None else check_size(steps, "steps", 1)
    return hpn_sgd_from(
        _initial(num_classes, dims, seed), steps=steps, learning_rate=learning_rate
    )


def hpn_sgd_from(
    points: np.ndarray, *, steps: int, learning_rate: float = 0.1
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

    Returns:
        Float64 array of the same shape with unit rows.

    Example:

    ```python
    >>> hpn_sgd_from(np.eye(3), steps=1).shape
    (3, 3)
    ```
    """
    points = check_prototypes(points, "points")
    steps = check_size(steps, "steps", 1)
    num_classes = points.shape[0]
    rows = np.arange(num_classes)
    for _ in range(steps):
        gram = points @ points.T
        gram[rows, rows] = -np.inf
        nearest = gram.argmax(axis=1)
        grad = points[nearest].copy()
        np.add.at(grad, nearest, points)
        points = points - learning_rate * grad / num_classes
        points /= np.linalg.norm(points, axis=1, keepdims=True)
    return points


def default_steps(num_classes: int) -> int:
    """Default number of `smooth_max` steps for `num_classes` prototypes.

    1,500 steps up to 256 classes, 1,200 up to 3,000 classes; above, a step
    costs `O(K^2 D)` and the default shrinks with `K^2` (10,000 classes: 108
    steps) to keep the run to minutes.

    Args:
        num_classes: number of prototypes `K`.

    Returns:
        The number of steps.

    Example:

    ```python
    >>> default_steps(100), default_steps(1000), default_steps(10_000)
    (1500, 1200, 108)
    ```
    """
    if num_classes <= 256:
        return 1500
    if num_classes <= 3000:
        return 1200
    return max(100, int(1200 * (3000 / num_classes) ** 2))


def smooth_max(
    num_classes: int,
    dims: int,
    *,
    seed: int | None = None,
    steps: int | None = None,
    restarts: int | None = None,
    verbose: bool | None = None,
    initial: np.ndarray | None = None,
    extra_objective: ExtraObjective | None = None,
) -> np.ndarray:
    """Minimises a smooth maximum of all pairwise cosines with annealing.

    The largest cosine is replaced by the log-sum-exp
    `1/beta log sum_{i != j} exp(beta p_i . p_j)`, whose inverse temperature
    `beta` grows geometrically from 10 to 10,000 during the run: early steps
    spread all points, late steps push apart only the closest pairs. Steps are
    Adam updates of the tangential gradient (rows renormalised after each
    step) with a learning rate that decays geometrically from 0.05 to 0.0002.
    For up to 256 classes two independent starts run side by side and the best
    is kept (the landscape has many local optima of slightly different
    height). The best iterate seen is returned. The cosine matrix is handled
    in row blocks of at most 64 MB, so 10,000 classes fit in well under 2 GB.

    Args:
        num_classes: number of prototypes `K`, at least 2.
        dims: dimensionality `D`, at least 2.
        seed: seed of the Gaussian initialisation; the same arguments and
            seed give identical prototypes.
        steps: number of steps; `None` uses `default_steps(num_classes)`.
        restarts: number of independent starts; `None` uses 2 for up to 256
            classes and 1 above.
        verbose: `True` draws a progress bar on stderr; `None` draws it only
            for long runs (more than `10^12` multiply-adds in total).
        initial: optional starting points of shape `(num_classes, dims)`
            (then `restarts` is 1 and `seed` is unused).
        extra_objective: optional function of the points returning
            `(gradient, value)` of a term minimised next to the smooth
            maximum (used by the semantic priors).

    Returns:
        Float64 array of shape `(num_classes, dims)` with unit rows.

    Example:

    ```python
    >>> p = smooth_max(30, 3, seed=0, steps=300)
    >>> largest_cosine(p) < 0.9
    True
    ```

    References:
        Tammes problem: the best placement for `K > 2D` is unknown in
        general; see Conway & Sloane, Sphere Packings, Lattices and Groups.
    """
    num_classes = check_size(num_classes, "num_classes", 2)
    dims = check_size(dims, "dims", 2)
    steps = (
        default_steps(num_classes) if steps is None else check_size(steps, "steps", 1)
    )
    if initial is not None:
        start = check_prototypes(initial, "initial")
        if start.shape != (num_classes, dims):
            raise ValueError(
                f"`initial` must have shape ({num_classes}, {dims}). "
                f"Received shape {start.shape}."
            )
        starts = start[None]
    else:
        if restarts is None:
            restarts = 2 if num_classes <= 256 else 1
        restarts = check_size(restarts, "restarts", 1)
        starts = _initial(restarts * num_classes, dims, seed).reshape(
            restarts, num_classes, dims
        )
    if verbose is None:
        verbose = num_classes**2 * dims * steps * starts.shape[0] > 1e12
    return _anneal(
        starts, steps=steps, extra_objective=extra_objective, verbose=bool(verbose)
    )


def _anneal(
    starts: np.ndarray,
    *,
    steps: int,
    extra_objective: ExtraObjective | None,
    verbose: bool,
) -> np.ndarray:
    restarts, num_classes, dims = starts.shape
    dtype = np.float32 if num_classes > FLOAT32_ABOVE else np.float64
    block = _block_rows(num_classes, np.dtype(dtype).itemsize * restarts)
    betas = np.geomspace(10.0, 10_000.0, steps)
    learning_rates = np.geomspace(0.05, 0.0002, steps)
    decay1, decay2 = 0.9, 0.99
    counts = np.arange(1, steps + 1)
    # Adam's bias corrections folded into one step size per step.
    step_sizes = learning_rates * np.sqrt(1 - decay2**counts) / (1 - decay1**counts)
    points = starts.copy()
    first = np.zeros_like(points)
    second = np.zeros_like(points)
    best = points.copy()
    best_value = np.full(restarts, np.inf)
    bar = ProgressBar(steps, f"placing {num_classes} prototypes", enabled=verbose)
    for step in range(steps):
        grad, value = _smooth_max_gradient(points, betas[step], dtype, block)
        better = value < best_value
        if better.any():
            best[better] = points[better]
            best_value[better] = value[better]
        if extra_objective is not None:
            for index in range(restarts):
                grad[index] += extra_objective(points[index])[0]
        # Only the tangential part moves a point on the sphere.
        grad -= np.sum(grad * points, axis=2, keepdims=True) * points
        first *= decay1
        first += (1 - decay1) * grad
        second *= decay2
        second += (1 - decay2) * grad * grad
        points -= step_sizes[step] * first / (np.sqrt(second) + 1e-30)
        points /= np.linalg.norm(points, axis=2, keepdims=True)
        bar.update(step + 1, f"largest cosine {value.min():.4f}")
    bar.close()
    return _best_of(np.concatenate([best, points]), extra_objective)


def _smooth_max_gradient(
    points: np.ndarray, beta: float, dtype: type, block: int
) -> tuple[np.ndarray, np.ndarray]:
    """Gradient of the log-sum-exp of the cosines, and the largest cosine.

    Works on a stack of point sets `(restarts, K, D)`; returns the gradient of
    `1/beta log sum_{i != j} exp(beta p_i . p_j)` per set and each set's
    largest cosine.
    """
    restarts, num_classes, _ = points.shape
    cast = points.astype(dtype, copy=False)
    cast_t = cast.transpose(0, 2, 1)
    local = np.arange(min(block, num_classes))
    if block >= num_classes:
        # One block: a single shift per set is cheaper than per-row shifts.
        gram = cast @ cast_t
        gram[:, local, local] = -np.inf
        value = gram.max(axis=(1, 2))
        gram -= value[:, None, None]
        gram *= dtype(beta)
        np.exp(gram, out=gram)
        total = gram.sum(axis=(1, 2))
        return (2.0 / total)[:, None, None] * (gram @ cast), value.astype(np.float64)
    row_max = np.empty((restarts, num_classes))
    row_log = np.empty((restarts, num_classes))
    row_grad = np.empty(points.shape)
    for begin in range(0, num_classes, block):
        end = min(begin + block, num_classes)
        gram = cast[:, begin:end] @ cast_t
        gram[:, local[: end - begin], local[: end - begin] + begin] = -np.inf
        block_max = gram.max(axis=2)
        # Per-row shifts keep exp finite; rows are recombined exactly below.
        gram -= block_max[..., None]
        gram *= dtype(beta)
        np.exp(gram, out=gram)
        block_sum = gram.sum(axis=2)
        row_grad[:, begin:end] = (gram @ cast) / block_sum[..., None]
        row_max[:, begin:end] = block_max
        row_log[:, begin:end] = np.log(block_sum)
    # Softmax weight of each row in the global log-sum-exp.
    row_weight = beta * row_max + row_log
    row_weight = np.exp(row_weight - row_weight.max(axis=1, keepdims=True))
    row_weight /= row_weight.sum(axis=1, keepdims=True)
    return 2.0 * row_weight[..., None] * row_grad, row_max.max(axis=1)


def _best_of(
    candidates: np.ndarray, extra_objective: ExtraObjective | None
) -> np.ndarray:
    if extra_objective is not None:
        # With an extra term the last iterate balances both; the best-by-max
        # iterate would ignore the extra term.
        return candidates[-1]
    values = [largest_cosine(candidate) for candidate in candidates]
    return candidates[int(np.argmin(values))]
