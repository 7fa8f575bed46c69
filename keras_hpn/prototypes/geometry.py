"""Placing class prototypes on the unit hypersphere before training (numpy only).

Where the best placement is known it is built in closed form:

* `num_classes <= dims + 1`: the vertices of a regular simplex, every pair at
  cosine `-1 / (num_classes - 1)`;
* `num_classes <= 2 * dims`: a subset of the cross-polytope `{+e_i, -e_i}`,
  largest cosine `0`.

Beyond that (the open Tammes problem) the prototypes are optimised.
"""

from __future__ import annotations

import numpy as np

from keras_hpn.prototypes.validation import check_size

METHODS = ("auto", "simplex", "cross_polytope", "optimize", "hpn")


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
    dims = check_size(dims, "dims", 1)
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
    if num_classes > 2 * dims:
        raise ValueError(
            f"The cross-polytope in dims={dims} has {2 * dims} vertices. "
            f"Received num_classes={num_classes}; use method='optimize'."
        )
    vertices = np.concatenate([np.eye(dims), -np.eye(dims)])[:num_classes]
    return _rotate(vertices, seed)


def hyperspherical(
    num_classes: int,
    dims: int,
    *,
    seed: int | None = None,
    method: str = "auto",
    steps: int | None = None,
    verbose: bool | None = None,
) -> np.ndarray:
    """Spreads `num_classes` prototypes as uniformly as possible over the sphere.

    "As uniformly as possible" means: the largest cosine between two
    prototypes is as low as it can be made.

    Args:
        num_classes: number of classes `K`, at least 2.
        dims: dimensionality `D` of the output space, at least 2.
        seed: seed for the random rotation or initialisation; the same
            arguments and seed always give the same prototypes.
        method: `"auto"` (default) uses the exact optimum where it is known
            (`"simplex"` for `K <= D + 1`, `"cross_polytope"` for `K <= 2D`)
            and `"optimize"` elsewhere; `"hpn"` runs the optimiser of the
            paper (SGD on the mean row maximum of the cosine matrix).
        steps: number of optimisation steps for `"optimize"` and `"hpn"`;
            `None` uses the method's default.
        verbose: progress bar on stderr for `"optimize"`; `None` shows it only
            for long runs (see `optimize.smooth_max`).

    Returns:
        Float64 numpy array of shape `(num_classes, dims)` with unit rows.

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
    """
    num_classes, dims = _check_sizes(num_classes, dims)
    if method not in METHODS:
        raise ValueError(
            f"`method` must be one of {METHODS}. Received: method={method!r}"
        )
    if method == "auto":
        if num_classes <= dims + 1:
            method = "simplex"
        elif num_classes <= 2 * dims:
            method = "cross_polytope"
        else:
            method = "optimize"
    if method == "simplex":
        return simplex(num_classes, dims, seed=seed)
    if method == "cross_polytope":
        return cross_polytope(num_classes, dims, seed=seed)
    from keras_hpn.prototypes import optimize

    if method == "hpn":
        return optimize.hpn_sgd(num_classes, dims, seed=seed, steps=steps)
    return optimize.smooth_max(
        num_classes, dims, seed=seed, steps=steps, verbose=verbose
    )


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
    axis = np.zeros(dims)
    axis[0] = 1.0
    return class_prototypes, axis


def _check_sizes(num_classes: int, dims: int) -> tuple[int, int]:
    return check_size(num_classes, "num_classes", 2), check_size(dims, "dims", 2)


def _rotate(points: np.ndarray, seed: int | None) -> np.ndarray:
    if seed is None:
        return points
    rotated = points @ random_rotation(points.shape[1], seed).T
    return rotated / np.linalg.norm(rotated, axis=1, keepdims=True)
