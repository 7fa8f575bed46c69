"""Optimisers for prototype placement where no closed form is known (numpy only).

The default optimiser of the placement:

* `smooth_max`, used by `hyperspherical(method="optimize")` and by
  `method="auto"` where no code wins: it minimises a log-sum-exp (smooth
  maximum) of all pairwise cosines whose temperature is annealed towards the
  hard maximum, with Adam steps on the sphere, many restarts for small
  problems (the landscape has many local optima) and a float64 polish of the
  best ones; the cosine matrix is processed in row blocks so that memory stays
  linear in `K`. With `backend="jax"` the annealing runs through `jax.numpy`
  on whatever device JAX sees.
"""

from __future__ import annotations

import numpy as np

from keras_hpn.prototypes.optimize import blocks
from keras_hpn.prototypes.optimize.blocks import largest_cosine
from keras_hpn.prototypes.optimize.schedule import (
    ANNEAL_BETAS,
    EFFORTS,
    POLISH_BETAS,
    POLISH_RATES,
    POLISHED,
    SECONDS_PER_WORK,
    annealing_schedule,
    default_polish_steps,
    default_restarts,
    default_steps,
    estimated_seconds,
    memory_bytes,
    start_betas,
)
from keras_hpn.utils.progress import ProgressBar
from keras_hpn.utils.resources import check_memory, check_time
from keras_hpn.utils.validation import (
    check_max_seconds,
    check_prototypes,
    check_seed,
    check_size,
)

__all__ = [
    "BACKENDS",
    "EFFORTS",
    "SECONDS_PER_WORK",
    "default_polish_steps",
    "default_restarts",
    "default_steps",
    "estimated_seconds",
    "memory_bytes",
    "polish",
    "random_start",
    "smooth_max",
]

BACKENDS = ("numpy", "jax")
# Optimiser runs estimated to take longer are refused unless `max_seconds`
# says otherwise (K = 2,000,000 in 3 dims: about 18 days).
MAX_SECONDS = 3600.0
# Runs estimated to take longer show a progress bar unless `verbose=False`.
VERBOSE_SECONDS = 10.0


def random_start(num_classes: int, dims: int, seed: int | None = None) -> np.ndarray:
    """Points drawn uniformly on the sphere: the optimisers' starting points.

    Args:
        num_classes: number of points `K`.
        dims: dimensionality `D`.
        seed: seed of the Gaussian draw (an integer >= 0 or `None`); the same
            seed gives the same points on every machine.

    Returns:
        Float64 array of shape `(num_classes, dims)` with unit rows.

    Example:

    ```python
    >>> start = random_start(4, 3, seed=0)
    >>> start.shape, bool(np.allclose(np.linalg.norm(start, axis=1), 1.0))
    ((4, 3), True)
    ```
    """
    return _random_start(num_classes, dims, check_seed(seed))


def _random_start(num_classes: int, dims: int, seed: int | None) -> np.ndarray:
    points = np.random.default_rng(seed).standard_normal((num_classes, dims))
    return points / np.linalg.norm(points, axis=1, keepdims=True)


def smooth_max(
    num_classes: int,
    dims: int,
    *,
    seed: int | None = None,
    steps: int | None = None,
    restarts: int | None = None,
    verbose: bool | None = None,
    initial: np.ndarray | None = None,
    backend: str = "numpy",
    max_seconds: float | None = MAX_SECONDS,
    effort: str = "fast",
) -> np.ndarray:
    """Minimises a smooth maximum of all pairwise cosines with annealing.

    The largest cosine is replaced by the log-sum-exp `1/beta log sum_{i != j}
    exp(beta p_i . p_j)`, whose inverse temperature `beta` grows geometrically
    to 10,000 during the run: early steps spread all points, late steps push
    apart only the closest pairs. Half the starts begin at `beta = 1` (10 in
    runs under 1,000 steps), whose smooth landscape leads to deep optima in many
    dimensions (the Higman-Sims code), the others at 10 to 1,000, where starts
    stay apart and find the optima of few dimensions (13 and 14 points in 3
    dims; see `schedule.start_betas`); a run from `initial` begins at 10. Steps
    are Adam updates of the tangential gradient (rows renormalised after each
    step) in float32, with a learning rate that decays geometrically from 0.05
    to 0.0002. The number of steps and of independent starts comes from
    `(num_classes, dims)` and `effort` (see `schedule.default_steps` and
    `schedule.default_restarts`): `"fast"` runs one start (several for small
    problems, where they cost nothing) of 1,000 steps at most and a short
    polish, `"best"` starts of 6,000 steps (K <= 256), up to 32 of them. Starts
    run side by side; the best iterate of each is measured in float64 and the
    best few are polished (`polish`). The cosine matrix is handled in row blocks
    of at most 64 MB, so 10,000 classes fit in well under 2 GB.

    The numpy path gives the same prototypes for the same arguments on any
    machine with the same CPU kernels, whatever its number of cores or BLAS
    threads (BLAS runs single-threaded on a fixed partition of the work).
    A run with `backend="jax"` follows the same steps but rounds differently
    (and differently on each device): it is not bit-identical to numpy.

    Args:
        num_classes: number of prototypes `K`, at least 2.
        dims: dimensionality `D`, at least 2.
        seed: seed of the Gaussian initialisation.
        steps: number of annealing steps; `None` uses `default_steps`.
        restarts: number of independent starts; `None` uses
            `default_restarts`.
        verbose: `True` draws a progress bar on stderr; `None` draws it only
            where the run is estimated to take more than `VERBOSE_SECONDS`
            (10 s; see `estimated_seconds`).
        initial: optional starting points of shape `(num_classes, dims)`
            (then `restarts` is 1 and `seed` is unused); the result is never
            worse than this start.
        backend: `"numpy"` (default) or `"jax"` (needs `jax`; runs the
            annealing on JAX's default device, e.g. a GPU).
        max_seconds: the run is refused up front where `estimated_seconds`
            exceeds this (default `MAX_SECONDS`, an hour); `None` for no
            limit. The estimate is for a CPU: with `backend="jax"` on a GPU,
            raise the limit or pass `None`.
        effort: `"fast"` (default) or `"best"`: the schedule that fills
            `steps` and `restarts` where they are `None`.

    Returns:
        Float64 array of shape `(num_classes, dims)` with unit rows.

    Raises:
        ValueError: for bad arguments, and up front where the run would not
            fit in memory or is estimated to take more than `max_seconds`.

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
    if steps is not None:
        steps = check_size(steps, "steps", 1)
    if backend not in BACKENDS:
        raise ValueError(
            f"`backend` must be one of {BACKENDS}. Received: backend={backend!r}"
        )
    _check_effort(effort)
    if initial is not None:
        initial = check_prototypes(initial, "initial")
        if initial.shape != (num_classes, dims):
            raise ValueError(
                f"`initial` must have shape ({num_classes}, {dims}). "
                f"Received shape {initial.shape}."
            )
    elif restarts is not None:
        restarts = check_size(restarts, "restarts", 1)
    return _smooth_max(
        num_classes,
        dims,
        check_seed(seed),
        steps,
        restarts,
        verbose,
        initial,
        backend,
        check_max_seconds(max_seconds),
        effort,
    )


def _check_effort(effort: object) -> str:
    """`effort` if it is one of `EFFORTS`; else a `ValueError` that names it."""
    if not isinstance(effort, str) or effort not in EFFORTS:
        raise ValueError(
            f"`effort` must be one of {EFFORTS}. Received: effort={effort!r}"
        )
    return effort


def _smooth_max(
    num_classes: int,
    dims: int,
    seed: int | None,
    steps: int | None,
    restarts: int | None,
    verbose: bool | None,
    initial: np.ndarray | None,
    backend: str,
    max_seconds: float | None,
    effort: str = "fast",
) -> np.ndarray:
    """`smooth_max` on checked arguments (`None`: the defaults)."""
    if steps is None:
        steps = default_steps(num_classes, dims, effort)
    if initial is not None:
        starts = initial[None]
        restarts = 1
    elif restarts is None:
        restarts = default_restarts(num_classes, dims, effort)
    what = (
        f"Placing num_classes={num_classes} prototypes in dims={dims} "
        f"with {restarts} restart(s)"
    )
    check_memory(memory_bytes(num_classes, dims, restarts), what)
    seconds = estimated_seconds(num_classes, dims, steps, restarts, effort)
    check_time(
        seconds,
        max_seconds,
        f"{what} and steps={steps}",
        "fewer classes or steps, or a larger `dims` where a binary code "
        "holds num_classes words (method='code')",
    )
    if initial is None:
        starts = _random_start(restarts * num_classes, dims, seed).reshape(
            restarts, num_classes, dims
        )
    if verbose is None:
        verbose = seconds > VERBOSE_SECONDS
    # From a given start the annealing refines it rather than spread it anew.
    first = start_betas(restarts, steps) if initial is None else 10.0
    schedule = annealing_schedule(steps, (first, ANNEAL_BETAS[1]))
    bar = ProgressBar(steps, f"placing {num_classes} prototypes", enabled=bool(verbose))
    if backend == "jax":
        from keras_hpn.prototypes.optimize import jax_backend

        best, last = jax_backend.anneal(starts, schedule, bar)
    else:
        with blocks.deterministic():
            best, last = _anneal(starts, schedule, np.float32, bar)
    bar.close()
    kinds = [best, last] if initial is None else [best, last, starts]
    with blocks.deterministic():
        values = np.array([[largest_cosine(p) for p in kind] for kind in kinds])
        # Per start the better of its best and last iterate, then the best starts.
        pick = values.argmin(axis=0)
        finals = np.stack([kinds[k][r] for r, k in enumerate(pick)])
        order = np.argsort(values.min(axis=0), kind="stable")
        chosen = finals[order[:POLISHED]]
        polish_steps = default_polish_steps(num_classes, dims, len(chosen), effort)
        if polish_steps:
            chosen = _polish(chosen, polish_steps)
            values = np.array([largest_cosine(c) for c in chosen])
            return chosen[int(np.argmin(values))]
        return chosen[0]


def polish(points: np.ndarray, *, steps: int = 500) -> np.ndarray:
    """Sharpens placements with float64 annealing at high inverse temperature.

    Runs the steps of `smooth_max` with `beta` growing from 10^4 to 10^6 and
    the learning rate decaying from 2e-4 to 1e-6, and returns the best
    iterate of each placement (never worse than its start).

    Args:
        points: float array `(num_classes, dims)`, or a stack
            `(count, num_classes, dims)`, with unit rows.
        steps: number of steps, at least 1.

    Returns:
        Float64 array of the same shape.

    Example:

    ```python
    >>> start = smooth_max(20, 3, seed=0, steps=200, restarts=1)
    >>> bool(largest_cosine(polish(start, steps=100)) <= largest_cosine(start))
    True
    ```
    """
    steps = check_size(steps, "steps", 1)
    array = np.asarray(points, dtype=np.float64)
    stack = array if array.ndim == 3 else array[None]
    stack = np.stack([check_prototypes(p, "points") for p in stack])
    best = _polish(stack, steps)
    return best if array.ndim == 3 else best[0]


def _polish(stack: np.ndarray, steps: int) -> np.ndarray:
    """`polish` of a checked stack `(count, K, D)` of unit-row placements."""
    schedule = annealing_schedule(steps, POLISH_BETAS, POLISH_RATES)
    bar = ProgressBar(steps, "polishing", enabled=False)
    with blocks.deterministic():
        best, _ = _anneal(stack, schedule, np.float64, bar, include_start=True)
    return best


def _anneal(
    starts: np.ndarray,
    schedule: dict[str, np.ndarray],
    dtype: type,
    bar: ProgressBar,
    *,
    include_start: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """Adam on the smooth maximum; returns (best iterate, last iterate), float64."""
    restarts, num_classes, dims = starts.shape
    block = blocks.block_rows(num_classes, np.dtype(dtype).itemsize * num_classes)
    points = starts.astype(dtype)
    first = np.zeros_like(points)
    second = np.zeros_like(points)
    best = starts.astype(np.float64)
    best_value = np.full(restarts, np.inf)
    if include_start:
        best_value = np.array([largest_cosine(p) for p in best])
    decay1, decay2 = dtype(0.9), dtype(0.99)
    for step, (beta, size) in enumerate(
        zip(schedule["betas"], schedule["step_sizes"], strict=True)
    ):
        grad, value = _gradient(points, beta, block)
        better = value < best_value
        if better.any():
            best[better] = points[better]
            best_value[better] = value[better]
        # Only the tangential part moves a point on the sphere.
        grad -= np.sum(grad * points, axis=2, keepdims=True) * points
        first *= decay1
        first += (1 - decay1) * grad
        second *= decay2
        second += (1 - decay2) * grad * grad
        points -= dtype(size) * first / (np.sqrt(second) + dtype(1e-30))
        points /= np.linalg.norm(points, axis=2, keepdims=True)
        bar.update(step + 1, f"largest cosine {value.min():.4f}")
    best /= np.linalg.norm(best, axis=2, keepdims=True)
    return best, _normalised_stack(points)


def _normalised_stack(points: np.ndarray) -> np.ndarray:
    points = points.astype(np.float64)
    return points / np.linalg.norm(points, axis=2, keepdims=True)


def _gradient(
    points: np.ndarray, beta: float | np.ndarray, block: int
) -> tuple[np.ndarray, np.ndarray]:
    """Gradient of the log-sum-exp of the cosines, and the largest cosine.

    Works on a stack of point sets `(restarts, K, D)`; returns the gradient of
    `1/beta log sum_{i != j} exp(beta p_i . p_j)` per set (in the points'
    dtype) and each set's largest cosine (float64). The work is split into
    items whose partition depends only on the problem's shape.
    """
    restarts, num_classes, _ = points.shape
    # One inverse temperature per set.
    beta = np.broadcast_to(np.asarray(beta, dtype=points.dtype), (restarts,))
    if block >= num_classes:
        # Whole sets at once; small problems in one item (threads cost more).
        work = restarts * num_classes**2 * (points.shape[2] + 16)
        per_item = max(1, restarts // max(1, round(work / _ITEM_WORK)))
        chunks = [
            slice(i, min(i + per_item, restarts)) for i in range(0, restarts, per_item)
        ]
        parts = blocks.parallel_map(
            lambda s: _whole_gradient(points[s], beta[s]), chunks
        )
        return (
            np.concatenate([p[0] for p in parts]),
            np.concatenate([p[1] for p in parts]),
        )
    starts = list(range(0, num_classes, block))
    parts = blocks.parallel_map(
        lambda begin: _block_gradient(
            points, begin, min(begin + block, num_classes), beta
        ),
        starts,
    )
    row_grad = np.concatenate([p[0] for p in parts], axis=1)
    row_max = np.concatenate([p[1] for p in parts], axis=1).astype(np.float64)
    row_log = np.concatenate([p[2] for p in parts], axis=1).astype(np.float64)
    # Softmax weight of each row in the global log-sum-exp.
    row_weight = beta[:, None].astype(np.float64) * row_max + row_log
    row_weight = np.exp(row_weight - row_weight.max(axis=1, keepdims=True))
    row_weight /= row_weight.sum(axis=1, keepdims=True)
    grad = (2.0 * row_weight[..., None]).astype(points.dtype) * row_grad
    return grad, row_max.max(axis=1)


# Work (multiply-adds) per item when whole point sets fit one block.
_ITEM_WORK = 4e6


def _whole_gradient(
    points: np.ndarray, beta: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    num_classes = points.shape[1]
    local = np.arange(num_classes)
    gram = points @ points.transpose(0, 2, 1)
    gram[:, local, local] = -np.inf
    value = gram.max(axis=(1, 2))
    gram -= value[:, None, None]
    gram *= beta[:, None, None]
    np.exp(gram, out=gram)
    total = gram.sum(axis=(1, 2))
    grad = (2.0 / total).astype(points.dtype)[:, None, None] * (gram @ points)
    return grad, value.astype(np.float64)


def _block_gradient(
    points: np.ndarray, begin: int, end: int, beta: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    local = np.arange(end - begin)
    gram = points[:, begin:end] @ points.transpose(0, 2, 1)
    gram[:, local, local + begin] = -np.inf
    block_max = gram.max(axis=2)
    # Per-row shifts keep exp finite; rows are recombined exactly afterwards.
    gram -= block_max[..., None]
    gram *= beta[:, None, None]
    np.exp(gram, out=gram)
    block_sum = gram.sum(axis=2)
    return (gram @ points) / block_sum[..., None], block_max, np.log(block_sum)
