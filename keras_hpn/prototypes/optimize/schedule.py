"""How long the optimiser runs: its schedule from (K, D) and its cost (numpy only).

`smooth_max` takes its number of steps and of independent starts from
`default_steps` and `default_restarts`, at one of two efforts:

* `"fast"` (the default of `place` and `smooth_max`): one start, or a few
  where they cost nothing (small `K`, whose starts run side by side in one
  array), of at most `FAST_STEPS` steps and a short polish: a fraction of
  the time of the paper's 10,000 SGD steps, for a lower largest cosine
  (docs/benchmarks.md);
* `"best"`: starts `BEST_STEPS_FACTOR` times longer than `base_steps(K)`,
  as many as fit `RESTART_WORK` (up to 32), and a longer polish: the lowest
  largest cosine the optimiser finds, seconds to minutes.

The annealing itself (`annealing_schedule`) is the same at both efforts: the
inverse temperature of the smooth maximum grows geometrically from each
start's `start_betas` value to `ANNEAL_BETAS[1]`, and Adam's step size
decays over `ANNEAL_RATES`.
"""

from __future__ import annotations

import numpy as np

from keras_hpn.utils.resources import BLOCK_BYTES, workers

__all__ = [
    "EFFORTS",
    "annealing_schedule",
    "base_steps",
    "default_polish_steps",
    "default_restarts",
    "default_steps",
    "estimated_seconds",
    "memory_bytes",
    "start_betas",
]

EFFORTS = ("fast", "best")
# Inverse temperatures and Adam step sizes of the annealing, first to last
# step. Measured (bench/start_temperatures.py, 8 starts of 6,000 steps): from
# beta = 1, 4 starts find the Higman-Sims code (100 points, 22 dims), from 10
# only 1; but from 1 all 8 starts of 13 (14) points in 3 dims end in one
# local optimum, 1.5% (2.4%) above the best known, where from 300 7 (8) of
# them reach it. So half the starts begin at ANNEAL_BETAS[0], the others over
# HOT_BETAS. Runs shorter than COLD_STEPS begin at HOT_BETAS[0] instead of
# ANNEAL_BETAS[0]: 2,000 points in 64 dims, 108 steps: 0.191 from beta = 10,
# 0.208 from 1.
ANNEAL_BETAS = (1.0, 1e4)
HOT_BETAS = (10.0, 1000.0)
COLD_STEPS = 1000
ANNEAL_RATES = (0.05, 2e-4)
# "fast" runs at most FAST_STEPS steps, "best" BEST_STEPS_FACTOR times the
# base steps.
FAST_STEPS = 1000
BEST_STEPS_FACTOR = 4
# Work (multiply-adds, exponentials counted as 16) that the starts of one
# run share: "best" fills RESTART_WORK, "fast" only FAST_RESTART_WORK (about
# the cost of a single start at K = 60 in 3 dims, where starts run side by
# side in one array for almost nothing).
RESTART_WORK = 2e10
FAST_RESTART_WORK = 1e8
MAX_RESTARTS = 32
# Starts polished in float64, the polish's steps at each effort (fewer where
# their work would pass POLISH_WORK), and its annealing schedule.
POLISHED = 4
POLISH_STEPS = {"fast": 200, "best": 500}
POLISH_BETAS = (1e4, 1e6)
POLISH_RATES = (2e-4, 1e-6)
# The polish runs while its work stays below this (K = 1,000, D = 64: 33 steps).
POLISH_WORK = 3e10
# Seconds per unit of work (a multiply-add; an exponential counts as 16): the
# fastest rate measured on 2 CPU cores (K = 2,000 to 20,000, D = 3 and 64: 0.17
# to 0.6 ns), so that the estimate errs short rather than refuse a feasible run.
SECONDS_PER_WORK = 2e-10


def base_steps(num_classes: int) -> int:
    """The size of the annealing for `num_classes` prototypes, in steps.

    1,500 steps up to 256 classes, 1,200 up to 3,000 classes; above, a step
    costs `O(K^2 D)` and the count shrinks with `K^2` (10,000 classes: 108
    steps) to keep the run to minutes.

    Args:
        num_classes: number of prototypes `K`.

    Returns:
        The number of steps.

    Example:

    ```python
    >>> base_steps(100), base_steps(1000), base_steps(10_000)
    (1500, 1200, 108)
    ```
    """
    if num_classes <= 256:
        return 1500
    if num_classes <= 3000:
        return 1200
    return max(100, int(1200 * (3000 / num_classes) ** 2))


def default_steps(num_classes: int, dims: int, effort: str = "fast") -> int:
    """Annealing steps of `smooth_max` for `(num_classes, dims)` at `effort`.

    `base_steps(K)`, at most `FAST_STEPS` (1,000), at `"fast"`;
    `BEST_STEPS_FACTOR` (4) times `base_steps(K)` at `"best"`: slower
    annealing finds deep, narrow optima (measured by
    bench/start_temperatures.py, the Higman-Sims code of 100 points in 22
    dims: from none of 8 starts of 1,500 steps annealed from beta = 10, from
    4 of 8 starts of 6,000 steps from beta = 1).

    Args:
        num_classes: number of prototypes `K`.
        dims: dimensionality `D` (the count does not depend on it today; it
            is part of the contract so that the schedule may).
        effort: `"fast"` or `"best"` (see `EFFORTS`).

    Returns:
        The number of steps.

    Example:

    ```python
    >>> default_steps(100, 10), default_steps(100, 10, "best")
    (1000, 6000)
    >>> default_steps(10_000, 128), default_steps(10_000, 128, "best")
    (108, 432)
    ```
    """
    del dims
    steps = base_steps(num_classes)
    if effort == "best":
        return steps * BEST_STEPS_FACTOR
    return min(FAST_STEPS, steps)


def default_restarts(num_classes: int, dims: int, effort: str = "fast") -> int:
    """Independent starts of `smooth_max` for `(num_classes, dims)` at `effort`.

    As many starts of `default_steps` as fit a fixed amount of work (an
    exponential counted as 16 multiply-adds), between 1 and 32:
    `FAST_RESTART_WORK` at `"fast"` (several starts only for small problems,
    whose starts run side by side for almost nothing: 32 for 10 classes in
    3 dims, 1 for 100 in 10), `RESTART_WORK` at `"best"` (8 for 100 classes
    in 22 dims, 1 from about 600 classes).

    Args:
        num_classes: number of prototypes `K`.
        dims: dimensionality `D`.
        effort: `"fast"` or `"best"`.

    Returns:
        The number of starts.

    Example:

    ```python
    >>> default_restarts(10, 3), default_restarts(100, 10)
    (32, 1)
    >>> default_restarts(100, 22, "best"), default_restarts(1000, 64, "best")
    (8, 1)
    ```
    """
    budget = RESTART_WORK if effort == "best" else FAST_RESTART_WORK
    work = num_classes**2 * (dims + 16) * default_steps(num_classes, dims, effort)
    return int(min(MAX_RESTARTS, max(1, budget // work)))


def default_polish_steps(
    num_classes: int, dims: int, count: int = POLISHED, effort: str = "fast"
) -> int:
    """Steps of the float64 polish that `smooth_max` runs on its best starts.

    `POLISH_STEPS[effort]` (200 at `"fast"`, 500 at `"best"`) while the work
    of polishing `count` placements stays below `POLISH_WORK` (a step costs
    `K^2 (D + 160)`: float64 exponentials are slow), fewer above, none from
    a few thousand classes.

    Args:
        num_classes: number of prototypes `K`.
        dims: dimensionality `D`.
        count: number of placements polished side by side.
        effort: `"fast"` or `"best"`.

    Returns:
        The number of steps, possibly 0.

    Example:

    ```python
    >>> default_polish_steps(100, 10), default_polish_steps(100, 10, effort="best")
    (200, 500)
    >>> default_polish_steps(1000, 64), default_polish_steps(10_000, 128, count=1)
    (33, 1)
    ```
    """
    work = num_classes**2 * (dims + 160) * count
    return int(min(POLISH_STEPS[effort], POLISH_WORK // work))


def estimated_seconds(
    num_classes: int,
    dims: int,
    steps: int | None = None,
    restarts: int | None = None,
    effort: str = "fast",
) -> float:
    """Estimated running time of `smooth_max` on a CPU, in seconds.

    The annealing costs `K^2 (D + 16)` multiply-adds per step and start (an
    exponential counted as 16), the float64 polish `K^2 (D + 160)` per step
    and placement; a multiply-add takes `SECONDS_PER_WORK` (the fastest rate
    measured on 2 cores, so that the estimate errs short). A machine with
    many cores, or `backend="jax"` on a GPU, may be several times faster.

    Args:
        num_classes: number of prototypes `K`.
        dims: dimensionality `D`.
        steps: annealing steps; `None` uses `default_steps`.
        restarts: independent starts; `None` uses `default_restarts`.
        effort: the effort whose defaults fill `steps` and `restarts` and
            set the polish.

    Returns:
        The estimate in seconds.

    Example:

    ```python
    >>> round(estimated_seconds(2_000_000, 3) / 86400)  # days
    18
    ```
    """
    if steps is None:
        steps = default_steps(num_classes, dims, effort)
    if restarts is None:
        restarts = default_restarts(num_classes, dims, effort)
    count = min(restarts, POLISHED)
    anneal = restarts * steps * num_classes**2 * (dims + 16)
    polish_work = (
        default_polish_steps(num_classes, dims, count, effort)
        * count
        * num_classes**2
        * (dims + 160)
    )
    return SECONDS_PER_WORK * (anneal + polish_work)


def memory_bytes(num_classes: int, dims: int, restarts: int = 1) -> int:
    """Estimated peak memory of `smooth_max`, in bytes.

    Five float32 and three float64 arrays of the points per start (iterate,
    Adam moments, best iterate, gradient; candidates and polish), plus one
    block of the cosine matrix per core.

    Args:
        num_classes: number of prototypes `K`.
        dims: dimensionality `D`.
        restarts: number of starts.

    Returns:
        The estimate in bytes.

    Example:

    ```python
    >>> memory_bytes(10_000, 128) < 2**30
    True
    ```
    """
    points = num_classes * dims * restarts
    return int(points * (5 * 4 + 3 * 8) + 2 * BLOCK_BYTES * workers())


def start_betas(restarts: int, steps: int = COLD_STEPS) -> np.ndarray:
    """The first inverse temperature of each of `restarts` starts.

    The first half (rounded up) start at `ANNEAL_BETAS[0]` (1), the others
    spread geometrically over `HOT_BETAS` (10 to 1,000): a single start
    begins at 1. Runs of fewer than `COLD_STEPS` steps have no time to cool
    down from 1: their first half starts at `HOT_BETAS[0]` (10).

    Args:
        restarts: number of starts, at least 1.
        steps: number of annealing steps of the run.

    Returns:
        Float64 array of length `restarts`.

    Example:

    ```python
    >>> start_betas(1).tolist(), start_betas(5).tolist()
    ([1.0], [1.0, 1.0, 1.0, 10.0, 1000.0])
    >>> start_betas(1, steps=108).tolist()
    [10.0]
    ```
    """
    hot = restarts // 2
    cold = ANNEAL_BETAS[0] if steps >= COLD_STEPS else HOT_BETAS[0]
    return np.concatenate(
        [np.full(restarts - hot, cold), np.geomspace(*HOT_BETAS, hot)]
    )


def annealing_schedule(
    steps: int,
    betas: tuple[float | np.ndarray, float] = ANNEAL_BETAS,
    rates: tuple[float, float] = ANNEAL_RATES,
) -> dict[str, np.ndarray]:
    """Inverse temperature and Adam step size of each annealing step.

    Both move geometrically from their first to their last value; Adam's
    bias corrections (moment decays 0.9 and 0.99) are folded into the step
    sizes. The first inverse temperature may be an array, one per start.

    Args:
        steps: number of steps, at least 1.
        betas: first (a number, or an array with one per start) and last
            inverse temperature.
        rates: first and last learning rate.

    Returns:
        A dict with float64 arrays `"betas"` (shape `(steps,)`, or
        `(steps, starts)`) and `"step_sizes"` (shape `(steps,)`).

    Example:

    ```python
    >>> schedule = annealing_schedule(3, (1.0, 100.0), (0.1, 0.001))
    >>> schedule["betas"].tolist()
    [1.0, 10.0, 100.0]
    ```
    """
    counts = np.arange(1, steps + 1)
    sizes = np.geomspace(*rates, steps) * np.sqrt(1 - 0.99**counts) / (1 - 0.9**counts)
    return {"betas": np.geomspace(*betas, steps), "step_sizes": sizes}
