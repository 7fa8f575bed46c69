"""Placing class prototypes on the unit hypersphere before training (numpy only).

Where the best placement is known it is built in closed form:

* `num_classes <= dims + 1`: the vertices of a regular simplex, every pair at
  cosine `-1 / (num_classes - 1)`;
* `num_classes <= 2 * dims`: a subset of the cross-polytope `{+e_i, -e_i}`,
  largest cosine `0`.

Beyond that (the open Tammes problem) `method="auto"` compares the codes and
exact configurations of `keras_hpn.prototypes.constructions` with the
optimiser of `keras_hpn.prototypes.optimize` and keeps the best; `place`
tells which one won.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from keras_hpn.prototypes import bounds
from keras_hpn.prototypes.constructions import table
from keras_hpn.prototypes.optimize import annealing, blocks, paper
from keras_hpn.utils.resources import check_memory
from keras_hpn.utils.validation import (
    check_max_seconds,
    check_seed,
    check_size,
    default_axis,
)

METHODS = ("auto", "simplex", "cross_polytope", "code", "optimize", "hpn")
# Optimiser work (K^2 (D + 16) steps multiply-adds) that `auto` always spends
# to compare with a code (about 10 s on 2 cores), and the most it ever spends.
AUTO_CHEAP_WORK = 3e10
AUTO_MAX_WORK = 1e12
# Above AUTO_CHEAP_WORK a code wins without a run when its 1 - cosine reaches
# this share of the bound's: measured, the optimiser reached 0.89 to 0.955.
CODE_WINS_SHARE = 0.95
# Tolerance for "the construction meets the lower bound": it is optimal.
_OPTIMAL_TOLERANCE = 1e-9


def random_rotation(dims: int, seed: int | None = None) -> np.ndarray:
    """Draws a uniformly random orthogonal `dims x dims` matrix.

    Args:
        dims: size of the matrix.
        seed: seed of the random generator; the same seed gives the same matrix.

    Returns:
        A float64 array `Q` with `Q @ Q.T == I`.

    Example:

    ```python
    >>> q = random_rotation(3, seed=0)
    >>> bool(np.allclose(q @ q.T, np.eye(3)))
    True
    ```
    """
    return _random_rotation(check_size(dims, "dims", 1), check_seed(seed))


def _random_rotation(dims: int, seed: int | None) -> np.ndarray:
    rng = np.random.default_rng(seed)
    q, r = np.linalg.qr(rng.standard_normal((dims, dims)))
    # Fixing the signs by diag(r) makes the distribution uniform (Haar).
    return q * np.sign(np.diag(r))[None, :]


def simplex(num_classes: int, dims: int, *, seed: int | None = None) -> np.ndarray:
    """Places prototypes at the vertices of a regular simplex.

    Every pair of prototypes has cosine `-1 / (num_classes - 1)`, the lowest
    possible largest cosine for `num_classes <= dims + 1`.

    Args:
        num_classes: number of prototypes `K`, at least 2 and at most `dims + 1`.
        dims: dimensionality `D` of the hypersphere, at least 2.
        seed: seed of the random rotation applied to the simplex; `None` leaves
            it unrotated.

    Returns:
        Float64 array of shape `(num_classes, dims)` with unit rows.

    Example:

    ```python
    >>> p = simplex(3, 2, seed=0)
    >>> np.round(p @ p.T, 6)
    array([[ 1. , -0.5, -0.5],
           [-0.5,  1. , -0.5],
           [-0.5, -0.5,  1. ]])
    ```
    """
    num_classes, dims = _check_sizes(num_classes, dims)
    return _simplex(num_classes, dims, check_seed(seed))


def _simplex(num_classes: int, dims: int, seed: int | None) -> np.ndarray:
    if num_classes > dims + 1:
        raise ValueError(
            f"A regular simplex in dims={dims} has at most {dims + 1} vertices. "
            f"Received num_classes={num_classes}; use method='cross_polytope' "
            "(up to 2 * dims) or method='optimize'."
        )
    # Centred standard basis of R^K spans a (K-1)-dimensional subspace; an
    # orthonormal basis of it gives the simplex in K-1 coordinates.
    centred = np.eye(num_classes) - 1.0 / num_classes
    basis, _ = np.linalg.qr(centred[:, : num_classes - 1])
    vertices = centred @ basis
    vertices /= np.linalg.norm(vertices, axis=1, keepdims=True)
    placed = np.zeros((num_classes, dims))
    placed[:, : num_classes - 1] = vertices
    return _rotate(placed, seed)


def cross_polytope(
    num_classes: int, dims: int, *, seed: int | None = None
) -> np.ndarray:
    """Places prototypes on a subset of the cross-polytope `{+e_i, -e_i}`.

    Any two prototypes are orthogonal or opposite, so the largest cosine is
    `0`, which is optimal for `dims + 1 < num_classes <= 2 * dims`.

    Args:
        num_classes: number of prototypes `K`, at least 2 and at most `2 * dims`.
        dims: dimensionality `D` of the hypersphere, at least 2.
        seed: seed of the random rotation; `None` leaves the axes unrotated.

    Returns:
        Float64 array of shape `(num_classes, dims)` with unit rows.

    Example:

    ```python
    >>> p = cross_polytope(4, 2)
    >>> p
    array([[ 1.,  0.],
           [ 0.,  1.],
           [-1., -0.],
           [-0., -1.]])
    ```
    """
    num_classes, dims = _check_sizes(num_classes, dims)
    return _cross_polytope(num_classes, dims, check_seed(seed))


def _cross_polytope(num_classes: int, dims: int, seed: int | None) -> np.ndarray:
    if num_classes > 2 * dims:
        raise ValueError(
            f"The cross-polytope in dims={dims} has {2 * dims} vertices. "
            f"Received num_classes={num_classes}; use method='optimize'."
        )
    vertices = np.concatenate([np.eye(dims), -np.eye(dims)])[:num_classes]
    return _rotate(vertices, seed)


@dataclasses.dataclass(frozen=True)
class Placement:
    """Prototypes with a record of how they were made (see `place`).

    Attributes:
        prototypes: float64 array `(num_classes, dims)` with unit rows.
        method: the method that produced them: `"simplex"`,
            `"cross_polytope"`, `"code"`, `"code+optimize"` (a code polished
            by the optimiser), `"optimize"` or `"hpn"`.
        construction: the code or configuration used, e.g.
            `"extended BCH [64, 10, 28]"`; `None` for the other methods.
        candidates: what `method="auto"` compared, name -> largest cosine
            (guaranteed for constructions, measured for optimiser runs).
    """

    prototypes: np.ndarray
    method: str
    construction: str | None = None
    candidates: dict = dataclasses.field(default_factory=dict)

    @property
    def description(self) -> str:
        """`method`, with the construction in parentheses where there is one."""
        if self.construction is None:
            return self.method
        return f"{self.method} ({self.construction})"


def hyperspherical(
    num_classes: int,
    dims: int,
    *,
    seed: int | None = None,
    method: str = "auto",
    steps: int | None = None,
    verbose: bool | None = None,
    backend: str = "numpy",
    max_seconds: float | None = annealing.MAX_SECONDS,
    effort: str = "fast",
) -> np.ndarray:
    """Spreads `num_classes` prototypes as uniformly as possible over the sphere.

    "As uniformly as possible" means: the largest cosine between two
    prototypes is as low as it can be made. `place` takes the same arguments
    and also tells which method won.

    The numpy path returns identical prototypes for the same arguments and
    seed on any machine with the same CPU instruction set, whatever its
    number of cores or BLAS threads; a different CPU (other BLAS kernels) or
    `backend="jax"` may round differently and end in a different, equally
    good placement.

    Args:
        num_classes: number of classes `K`, at least 2.
        dims: dimensionality `D` of the output space, at least 2.
        seed: seed for the random rotation or initialisation.
        method: `"auto"` (default) uses the exact optimum where it is known
            (`"simplex"` for `K <= D + 1`, `"cross_polytope"` for `K <= 2D`,
            a proven optimal configuration such as the roots of E8), and
            elsewhere compares the best code (`"code"`) with the optimiser
            (`"optimize"`, also started from the code) and keeps the lowest
            largest cosine. Where a code exists, a long optimiser run (more
            than `AUTO_CHEAP_WORK` multiply-adds) is skipped when the code is
            within `CODE_WINS_SHARE` of the lower bound (measured: the
            optimiser does not get that close) and always above
            `AUTO_MAX_WORK` (minutes on a CPU). `"code"` uses the best
            binary code or lattice configuration of
            `keras_hpn.prototypes.constructions`; `"hpn"` runs the optimiser
            of the paper (SGD on the mean row maximum of the cosine matrix).
        steps: number of optimisation steps for `"optimize"` and `"hpn"`;
            `None` uses the method's default.
        verbose: progress bar on stderr for `"optimize"` and `"hpn"`; `None`
            shows it only for runs estimated to take more than 10 s (see
            `optimize.smooth_max`).
        backend: `"numpy"` or `"jax"` (exactly) for the optimiser (see
            `optimize.smooth_max`).
        max_seconds: an optimiser run estimated (on a CPU) to take longer is
            refused up front, with the estimate (default an hour; see
            `optimize.estimated_seconds`); `None` for no limit.
        effort: the optimiser's schedule (see `optimize.smooth_max`):
            `"fast"` (default) takes less time than the paper's 10,000 SGD
            steps and ends lower; `"best"` runs four times longer starts,
            up to 32 of them (seconds to minutes), for the lowest largest
            cosine the optimiser finds. Closed forms and codes are the same
            at both.

    Returns:
        Float64 numpy array of shape `(num_classes, dims)` with unit rows.

    Raises:
        ValueError: for bad sizes, method or backend, for `method="code"`
            where no code has `num_classes` words in `dims` dimensions, and up
            front where the placement would not fit in the memory available
            or its optimiser run would take more than `max_seconds`.

    Example:

    ```python
    >>> p = hyperspherical(num_classes=10, dims=5, seed=0)
    >>> p.shape
    (10, 5)
    >>> round(float(np.max(p @ p.T - 2 * np.eye(10))), 9)  # cross-polytope: 0
    0.0
    ```

    References:
        Mettes, van der Pol, Snoek. Hyperspherical Prototype Networks.
        NeurIPS 2019.
        Lindstroem, Rodriguez-Galvez, Thobaben, Skoglund. A coding-theoretic
        analysis of hyperspherical prototypical learning geometry. GRaM
        workshop, ICML 2024 (binary codes as prototypes).
    """
    return place(
        num_classes,
        dims,
        seed=seed,
        method=method,
        steps=steps,
        verbose=verbose,
        backend=backend,
        max_seconds=max_seconds,
        effort=effort,
    ).prototypes


def place(
    num_classes: int,
    dims: int,
    *,
    seed: int | None = None,
    method: str = "auto",
    steps: int | None = None,
    verbose: bool | None = None,
    backend: str = "numpy",
    max_seconds: float | None = annealing.MAX_SECONDS,
    effort: str = "fast",
) -> Placement:
    """`hyperspherical`, returning a `Placement` that records the winning method.

    Args:
        num_classes: number of classes `K`, at least 2.
        dims: dimensionality `D`, at least 2.
        seed: seed for the random rotation or initialisation.
        method: see `hyperspherical`.
        steps: see `hyperspherical`.
        verbose: see `hyperspherical`.
        backend: see `hyperspherical`.
        max_seconds: see `hyperspherical`.
        effort: see `hyperspherical`.

    Returns:
        A `Placement`.

    Example:

    ```python
    >>> placement = place(1000, 64, seed=0)
    >>> placement.method, placement.construction
    ('code', 'extended BCH [64, 10, 28]')
    ```
    """
    num_classes, dims = _check_sizes(num_classes, dims)
    seed = check_seed(seed)
    if method not in METHODS:
        raise ValueError(
            f"`method` must be one of {METHODS}. Received: method={method!r}"
        )
    if backend not in annealing.BACKENDS:
        raise ValueError(
            f"`backend` must be one of {annealing.BACKENDS}. "
            f"Received: backend={backend!r}"
        )
    max_seconds = check_max_seconds(max_seconds)
    annealing._check_effort(effort)
    check_memory(
        # The prototypes, their rotation and the code words, in float64.
        4 * 8 * num_classes * dims,
        f"Placing num_classes={num_classes} prototypes in dims={dims}",
    )
    with blocks.deterministic():
        return _place(
            num_classes,
            dims,
            seed,
            method,
            steps,
            verbose,
            backend,
            max_seconds,
            effort,
        )


def _place(
    num_classes: int,
    dims: int,
    seed: int | None,
    method: str,
    steps: int | None,
    verbose: bool | None,
    backend: str,
    max_seconds: float | None,
    effort: str,
) -> Placement:
    if method == "auto":
        if num_classes <= dims + 1:
            method = "simplex"
        elif num_classes <= 2 * dims:
            method = "cross_polytope"
    if method == "simplex":
        return Placement(_simplex(num_classes, dims, seed), "simplex")
    if method == "cross_polytope":
        return Placement(_cross_polytope(num_classes, dims, seed), "cross_polytope")
    if method == "hpn":
        return Placement(
            paper._hpn_sgd(num_classes, dims, seed, steps, 0.1, verbose, max_seconds),
            "hpn",
        )
    if method == "code":
        best = table._best_construction(num_classes, dims)
        return Placement(_rotate(best.build(), seed), "code", best.name)
    if method == "optimize":
        return Placement(
            _optimised(
                num_classes, dims, seed, steps, verbose, backend, max_seconds, effort
            ),
            "optimize",
        )
    return _auto(num_classes, dims, seed, steps, verbose, backend, max_seconds, effort)


def _optimised(
    num_classes, dims, seed, steps, verbose, backend, max_seconds, effort
) -> np.ndarray:
    """The optimiser alone, from a random start (no initial prototypes)."""
    return annealing._smooth_max(
        num_classes,
        dims,
        seed,
        steps,
        None,  # restarts: the schedule's
        verbose,
        None,  # no initial prototypes
        backend,
        max_seconds,
        effort,
    )


def _auto(
    num_classes: int,
    dims: int,
    seed: int | None,
    steps: int | None,
    verbose: bool | None,
    backend: str,
    max_seconds: float | None,
    effort: str,
) -> Placement:
    found = table._constructions(num_classes, dims)
    candidates: dict[str, float] = {}
    if found:
        best = found[0]
        candidates[f"code: {best.name}"] = best.largest_cosine
        bound = bounds._lower_bound(num_classes, dims)
        if steps is None:
            steps = annealing.default_steps(num_classes, dims, effort)
        work = num_classes**2 * (dims + 16) * steps
        share = (1.0 - best.largest_cosine) / (1.0 - bound)
        if (
            best.optimal
            or best.largest_cosine <= bound + _OPTIMAL_TOLERANCE
            or work > AUTO_MAX_WORK
            or (work > AUTO_CHEAP_WORK and share >= CODE_WINS_SHARE)
        ):
            return Placement(_rotate(best.build(), seed), "code", best.name, candidates)
    optimised = _optimised(
        num_classes, dims, seed, steps, verbose, backend, max_seconds, effort
    )
    candidates["optimize"] = annealing.largest_cosine(optimised)
    winner = Placement(optimised, "optimize", None, candidates)
    if not found:
        return winner
    code_points = best.build()
    # Measured: the first K words may do better than the code's guarantee.
    measured = polished = annealing.largest_cosine(code_points)
    polish_steps = annealing.default_polish_steps(num_classes, dims, 1, effort)
    if polish_steps:
        code_points = annealing._polish(code_points[None], polish_steps)[0]
        polished = annealing.largest_cosine(code_points)
        candidates[f"code+optimize: {best.name}"] = polished
    if polished < candidates["optimize"]:
        # The polish never ends above its start; it counts if it went lower.
        name = "code+optimize" if polished < measured else "code"
        return Placement(_rotate(code_points, seed), name, best.name, candidates)
    return winner


def multitask(
    num_classes: int,
    dims: int,
    *,
    seed: int | None = None,
    method: str = "auto",
) -> tuple[np.ndarray, np.ndarray]:
    """Class prototypes orthogonal to a regression axis, for one shared output.

    The regression axis is the first unit vector `e_0`; the class prototypes
    are placed in the remaining `dims - 1` coordinates (as in the paper's
    multi-task code), so that the two tasks do not compete for a direction.

    Args:
        num_classes: number of classes, at least 2.
        dims: dimensionality of the shared output, at least 3.
        seed: seed for the class prototype placement.
        method: placement method for the class prototypes, see `hyperspherical`.

    Returns:
        A tuple `(class_prototypes, regression_axis)` of shapes
        `(num_classes, dims)` and `(dims,)`, with
        `class_prototypes @ regression_axis == 0`.

    Example:

    ```python
    >>> protos, axis = multitask(num_classes=3, dims=4, seed=0)
    >>> bool(np.allclose(protos @ axis, 0.0))
    True
    ```
    """
    dims = check_size(dims, "dims", 3)
    inner = hyperspherical(num_classes, dims - 1, seed=seed, method=method)
    class_prototypes = np.concatenate([np.zeros((inner.shape[0], 1)), inner], axis=1)
    return class_prototypes, default_axis(dims)


def _check_sizes(num_classes: int, dims: int) -> tuple[int, int]:
    return check_size(num_classes, "num_classes", 2), check_size(dims, "dims", 2)


def _rotate(points: np.ndarray, seed: int | None) -> np.ndarray:
    if seed is None:
        return points
    rotated = points @ _random_rotation(points.shape[1], seed).T
    return rotated / np.linalg.norm(rotated, axis=1, keepdims=True)
