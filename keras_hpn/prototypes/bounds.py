"""What the largest cosine of `K` unit vectors in `D` dimensions can reach (numpy only).

Two sides of the same question live here:

* `known_optimum`: the exact optimum where it is proven (regular simplex,
  cross-polytope, regular polygon, and the universally optimal
  configurations that `keras_hpn.prototypes.constructions.codes` builds);
* `lower_bound`: a value no placement can beat, the strongest of
  Levenshtein's bound (`levenshtein_cosine`), the cap-packing bound and the
  degree-2 linear-programming bound.

Levenshtein's bound is computed from its defining polynomial: with
`alpha = (D - 3) / 2` and `T(a, b)` the Christoffel-Darboux kernel of the
Jacobi weight `(1 - t)^(a + alpha) (1 + t)^(b + alpha)`, the polynomial
`(t - s) T_{k-1}(1, 0)(t, s)^2` (degree `2k - 1`) or
`(t + 1)(t - s) T_{k-1}(1, 1)(t, s)^2` (degree `2k`) is non-positive on
`[-1, s]` with non-negative Gegenbauer coefficients, so by Delsarte's
linear-programming argument a code of largest cosine `s` has at most
`L(D, s) = f(1) / f_0` points, `f_0` being the mean of `f` under the weight
`(1 - t^2)^alpha`.
"""

from __future__ import annotations

import functools
import math

import numpy as np

from keras_hpn.utils.validation import check_size

# Grid for the spherical cap integral; its error is far below 1e-6.
_CAP_GRID = 200_001
# Levenshtein's bound is computed up to this polynomial degree; above it (only
# in 2 to 4 dims with many thousands of points) the cap bound stands alone.
_MAX_DEGREE = 400

# Universally optimal configurations (Cohn & Kumar 2007, Table 1, besides the
# polygons, simplices and cross-polytopes): (num_classes, dims) -> their
# largest cosine. All but the 600-cell meet Levenshtein's bound (sharp);
# `constructions.sharp` builds them (the isotropic family up to q = 7).
UNIVERSALLY_OPTIMAL = {
    (12, 3): 1.0 / math.sqrt(5.0),
    (120, 4): (1.0 + math.sqrt(5.0)) / 4.0,
    (16, 5): 0.2,
    (27, 6): 0.25,
    (56, 7): 1.0 / 3.0,
    (240, 8): 0.5,
    (112, 21): 1.0 / 9.0,
    (162, 21): 1.0 / 7.0,
    (100, 22): 1.0 / 11.0,
    (275, 22): 1.0 / 6.0,
    (891, 22): 0.25,
    (552, 23): 0.2,
    (4600, 23): 1.0 / 3.0,
    (196_560, 24): 0.5,
    # Isotropic subspaces: (q + 1)(q^3 + 1) points in q (q^3 + 1) / (q + 1)
    # dims at largest cosine 1 / q^2, q a prime power.
    **{
        ((q + 1) * (q**3 + 1), q * (q**3 + 1) // (q + 1)): 1.0 / q**2
        for q in (2, 3, 4, 5, 7, 8, 9)
    },
}

# A placement whose largest cosine is within this of a proven lower bound
# (the known optimum, Levenshtein's bound or the degree-2 bound) is called
# optimal: float64 rounding of a built configuration stays below 1e-13.
OPTIMAL_TOLERANCE = 1e-9


def known_optimum(num_classes: int, dims: int) -> float | None:
    """The lowest possible largest cosine, where it is known exactly.

    Args:
        num_classes: number of prototypes `K`.
        dims: dimensionality `D`.

    Returns:
        `-1 / (K - 1)` for `K <= D + 1` (regular simplex), `0.0` for
        `K <= 2D` (cross-polytope), `cos(2 pi / K)` in 2 dims (regular
        polygon), the largest cosine of the universally optimal
        configurations of Cohn and Kumar's table (icosahedron, 600-cell,
        hemicube, the 27 points of the Schlaefli graph in 6 dims, the 56 in
        7, the 240 roots of E8, the 112 and 162 points in 21 dims, the
        Higman-Sims 100, McLaughlin 275 and the 891 in 22, the 552 and 4600
        in 23, the 196,560 minimal vectors of the Leech lattice, the
        isotropic-subspace family), and `None` elsewhere (the open Tammes
        problem).

    Example:

    ```python
    >>> known_optimum(100, 100)
    -0.010101010101010102
    >>> known_optimum(100, 50)
    0.0
    >>> known_optimum(240, 8)
    0.5
    >>> known_optimum(100, 22)  # the Higman-Sims graph
    0.09090909090909091
    ```

    References:
        H. Cohn, A. Kumar. Universally optimal distribution of points on
        spheres. J. Amer. Math. Soc. 20 (2007).
    """
    if num_classes <= dims + 1:
        return -1.0 / (num_classes - 1)
    if num_classes <= 2 * dims:
        return 0.0
    if dims == 2:
        return math.cos(2.0 * math.pi / num_classes)
    return UNIVERSALLY_OPTIMAL.get((num_classes, dims))


def cap_fraction(angle: float | np.ndarray, dims: int) -> np.ndarray:
    """Fraction of the unit sphere in R^dims within `angle` radians of a point.

    Args:
        angle: cap half-angle(s) in radians, in `[0, pi]`.
        dims: dimensionality of the space, at least 2.

    Returns:
        The normalised area `int_0^angle sin^(dims-2) t dt / int_0^pi ...`.

    Example:

    ```python
    >>> round(float(cap_fraction(np.pi / 2, 3)), 12)  # a hemisphere
    0.5
    ```
    """
    grid, cumulative = _cap_table(check_size(dims, "dims", 2))
    return np.interp(angle, grid, cumulative)


def levenshtein_bound(dims: int, cosine: float) -> float:
    """Levenshtein's upper bound on the number of points with a given largest cosine.

    No set of unit vectors in `dims` dimensions whose pairwise cosines are
    all at most `cosine` has more than `L(dims, cosine)` points. The bound is
    tight for the regular polygons, simplices and cross-polytopes and every
    sharp configuration of `keras_hpn.prototypes.constructions.sharp`
    (the icosahedron, the roots of E8, the Higman-Sims graph's 100 points in
    22 dims, the minimal vectors of the Leech lattice, ...).

    Args:
        dims: dimensionality `D`, at least 2.
        cosine: the largest cosine `s`, in `[-1, 1)`.

    Returns:
        `L(D, s)` as a float (an integer where the bound is attained).

    Example:

    ```python
    >>> round(levenshtein_bound(8, 0.5), 6)  # the 240 roots of E8
    240.0
    >>> round(levenshtein_bound(24, 0.5), 6)  # the Leech lattice's kissing number
    196560.0
    ```

    References:
        V. I. Levenshtein. On bounds for packings in n-dimensional Euclidean
        space. Soviet Math. Dokl. 20 (1979); Universal bounds for codes and
        designs, Handbook of Coding Theory (1998), Section 6.
    """
    dims = check_size(dims, "dims", 2)
    cosine = float(cosine)
    if not -1.0 <= cosine < 1.0:
        raise ValueError(f"`cosine` must lie in [-1, 1). Received: cosine={cosine}")
    if cosine == -1.0:
        return 2.0
    degree = 1
    while degree <= _MAX_DEGREE:
        if cosine <= _interval_end(dims, degree):
            return _levenshtein_value(dims, degree, cosine)
        degree += 1
    raise ValueError(
        f"Levenshtein's bound needs a polynomial above degree {_MAX_DEGREE} for "
        f"dims={dims}, cosine={cosine}; it is not computed there."
    )


def levenshtein_cosine(num_classes: int, dims: int) -> float:
    """The lower bound on the largest cosine that follows from Levenshtein's bound.

    The smallest `s` with `levenshtein_bound(dims, s) >= num_classes`: no
    placement of `num_classes` unit vectors has a largest cosine below it.

    Args:
        num_classes: number of prototypes `K`, at least 2.
        dims: dimensionality `D`, at least 2.

    Returns:
        The bound on the largest cosine (accurate to about 1e-12); `nan`
        where the polynomial degree needed exceeds 400 (thousands of points
        in 2 to 4 dims), where `lower_bound` uses the cap bound instead.

    Example:

    ```python
    >>> round(levenshtein_cosine(100, 10), 4)
    0.2784
    >>> round(levenshtein_cosine(1000, 64), 4)
    0.0916
    ```

    References:
        V. I. Levenshtein. Universal bounds for codes and designs. Handbook
        of Coding Theory (1998).
    """
    num_classes = check_size(num_classes, "num_classes", 2)
    dims = check_size(dims, "dims", 2)
    return _levenshtein_cosine(num_classes, dims)


@functools.lru_cache(maxsize=256)
def _levenshtein_cosine(num_classes: int, dims: int) -> float:
    if num_classes == 2:
        return -1.0

    def reaches(degree: int) -> bool:
        end = _interval_end(dims, degree)
        return _levenshtein_value(dims, degree, end) >= num_classes

    # The bound at the interval ends grows with the degree: double, then bisect.
    last = 1
    while not reaches(last):
        if last == _MAX_DEGREE:
            return math.nan
        last = min(2 * last, _MAX_DEGREE)
    first = last // 2 + 1
    while first < last:
        middle = (first + last) // 2
        if reaches(middle):
            last = middle
        else:
            first = middle + 1
    degree = first
    low = -1.0 if degree == 1 else _interval_end(dims, degree - 1)
    high = _interval_end(dims, degree)
    # L(D, s) increases with s: bisect inside the interval of this degree.
    for _ in range(200):
        middle = 0.5 * (low + high)
        if middle in (low, high):
            break
        if _levenshtein_value(dims, degree, middle) >= num_classes:
            high = middle
        else:
            low = middle
    return high


def lower_bound(num_classes: int, dims: int) -> float:
    """A value the largest cosine of any `num_classes` unit vectors cannot beat.

    The exact optimum where it is known (see `known_optimum`); elsewhere the
    largest of three proven bounds:

    * Levenshtein's bound (`levenshtein_cosine`), the strongest in general;
    * the degree-2 linear-programming (Delsarte) bound
      `s >= (K - 2D) / (D (K - 2))`;
    * the cap-packing bound: caps of half the smallest angle around every
      prototype do not overlap, so `K` of them fit in the sphere's area.

    Args:
        num_classes: number of prototypes `K`, at least 2.
        dims: dimensionality `D`, at least 2.

    Returns:
        The bound on the largest cosine.

    Example:

    ```python
    >>> round(lower_bound(6, 2), 6)  # hexagon: exact in 2-D
    0.5
    >>> round(lower_bound(100, 10), 4)  # Levenshtein
    0.2784
    ```

    References:
        V. I. Levenshtein. Universal bounds for codes and designs. Handbook
        of Coding Theory (1998).
        P. Delsarte, J. M. Goethals, J. J. Seidel. Spherical codes and designs.
        Geometriae Dedicata 6 (1977).
        R. A. Rankin. The closest packing of spherical caps in n dimensions.
        Proc. Glasgow Math. Assoc. 2 (1955).
    """
    return _lower_bound(
        check_size(num_classes, "num_classes", 2), check_size(dims, "dims", 2)
    )


def _lower_bound(num_classes: int, dims: int) -> float:
    optimum = known_optimum(num_classes, dims)
    if optimum is not None:
        return optimum
    levenshtein = _levenshtein_cosine(num_classes, dims)
    return max(
        _linear_programming_cosine(num_classes, dims),
        _cap_packing_cosine(num_classes, dims),
        -1.0 if math.isnan(levenshtein) else levenshtein,
    )


def _proven_optimal(largest_cosine: float, num_classes: int, dims: int) -> bool:
    """Whether a placement meets a proven bound to `OPTIMAL_TOLERANCE`.

    The bounds: the known optimum, Levenshtein's bound and the degree-2 bound
    (exact formulas; the cap bound, integrated on a grid, is left out). A
    placement within the tolerance of one of them is optimal to within it.
    """
    bound = known_optimum(num_classes, dims)
    if bound is None:
        levenshtein = _levenshtein_cosine(num_classes, dims)
        bound = _linear_programming_cosine(num_classes, dims)
        if not math.isnan(levenshtein):
            bound = max(bound, levenshtein)
    return largest_cosine <= bound + OPTIMAL_TOLERANCE


def linear_programming_cosine(num_classes: int, dims: int) -> float:
    """The degree-2 linear-programming bound on the largest cosine.

    The polynomial `(t + 1)(t - s)` is non-positive on `[-1, s]` and has
    non-negative Gegenbauer coefficients for `s < 1/D`, which gives
    `K <= 2D (1 - s) / (1 - D s)`, that is `s >= (K - 2D) / (D (K - 2))`.

    Args:
        num_classes: number of prototypes `K`, at least 3.
        dims: dimensionality `D`, at least 2.

    Returns:
        The bound. Levenshtein's bound equals it where Levenshtein's
        polynomial has degree 2 and is stronger beyond.

    Example:

    ```python
    >>> round(linear_programming_cosine(100, 10), 6)  # (100 - 20) / (10 * 98)
    0.081633
    ```
    """
    return _linear_programming_cosine(
        check_size(num_classes, "num_classes", 3), check_size(dims, "dims", 2)
    )


def _linear_programming_cosine(num_classes: int, dims: int) -> float:
    return (num_classes - 2 * dims) / (dims * (num_classes - 2))


def cap_packing_cosine(num_classes: int, dims: int) -> float:
    """The cap-packing bound on the largest cosine.

    Caps of half the smallest angle around the `K` points do not overlap, so
    each covers at most `1/K` of the sphere.

    Args:
        num_classes: number of prototypes `K`, at least 2.
        dims: dimensionality `D`, at least 2.

    Returns:
        `cos(2 theta)` where a cap of half-angle `theta` covers `1/K` of the
        sphere.

    Example:

    ```python
    >>> round(cap_packing_cosine(6, 2), 6)  # exact on the circle
    0.5
    ```
    """
    return _cap_packing_cosine(
        check_size(num_classes, "num_classes", 2), check_size(dims, "dims", 2)
    )


def _cap_packing_cosine(num_classes: int, dims: int) -> float:
    grid, cumulative = _cap_table(dims)
    half_angle = float(np.interp(1.0 / num_classes, cumulative, grid))
    return math.cos(2.0 * half_angle)


@functools.lru_cache(maxsize=32)
def _cap_table(dims: int) -> tuple[np.ndarray, np.ndarray]:
    grid = np.linspace(0.0, math.pi, _CAP_GRID)
    if dims == 2:
        density = np.ones_like(grid)
    else:
        # Logs avoid underflow of sin^(dims-2) in high dimension.
        with np.errstate(divide="ignore"):
            density = np.exp((dims - 2) * np.log(np.sin(grid)))
    steps = np.diff(grid) * (density[1:] + density[:-1]) / 2.0
    cumulative = np.concatenate([[0.0], np.cumsum(steps)])
    return grid, cumulative / cumulative[-1]


def _recurrence(a: float, b: float, count: int) -> tuple[np.ndarray, np.ndarray]:
    """Monic three-term recurrence of the Jacobi weight (1-t)^a (1+t)^b."""
    k = np.arange(count, dtype=np.float64)
    total = 2.0 * k + a + b
    with np.errstate(divide="ignore", invalid="ignore"):
        diagonal = (b * b - a * a) / (total * (total + 2.0))
        off = (
            4.0
            * k
            * (k + a)
            * (k + b)
            * (k + a + b)
            / (total * total * (total + 1.0) * (total - 1.0))
        )
    # The general formulas are 0/0 at k = 0 (and k = 1 when a + b = -1).
    diagonal[0] = (b - a) / (a + b + 2.0)
    off[0] = 0.0
    if count > 1:
        off[1] = 4.0 * (1.0 + a) * (1.0 + b) / ((2.0 + a + b) ** 2 * (3.0 + a + b))
    return diagonal, off


def _jacobi_matrix(a: float, b: float, size: int) -> np.ndarray:
    diagonal, off = _recurrence(a, b, size)
    root = np.sqrt(off[1:])
    return np.diag(diagonal) + np.diag(root, 1) + np.diag(root, -1)


@functools.lru_cache(maxsize=4096)
def _largest_zero(a: float, b: float, degree: int) -> float:
    # Golub-Welsch: the zeros are the eigenvalues of the Jacobi matrix.
    return float(np.linalg.eigvalsh(_jacobi_matrix(a, b, degree))[-1])


def _orthonormal(a: float, b: float, count: int, points: np.ndarray) -> np.ndarray:
    """Values of the first `count` orthonormal polynomials at `points`."""
    diagonal, off = _recurrence(a, b, count + 1)
    values = np.empty((count, points.size))
    values[0] = 1.0
    if count > 1:
        values[1] = (points - diagonal[0]) / math.sqrt(off[1])
    for k in range(1, count - 1):
        values[k + 1] = (
            (points - diagonal[k]) * values[k] - math.sqrt(off[k]) * values[k - 1]
        ) / math.sqrt(off[k + 1])
    return values


@functools.lru_cache(maxsize=64)
def _quadrature(alpha: float, nodes: int) -> tuple[np.ndarray, np.ndarray]:
    """Gauss nodes and weights (summing to 1) of the weight (1 - t^2)^alpha."""
    values, vectors = np.linalg.eigh(_jacobi_matrix(alpha, alpha, nodes))
    weights = vectors[0] ** 2
    return values, weights / weights.sum()


def _interval_end(dims: int, degree: int) -> float:
    """Largest cosine up to which the polynomial of `degree` is used."""
    alpha = (dims - 3) / 2.0
    half = (degree + 1) // 2
    if degree % 2:
        return _largest_zero(alpha + 1.0, alpha, half)
    return _largest_zero(alpha + 1.0, alpha + 1.0, half)


def _levenshtein_value(dims: int, degree: int, cosine: float) -> float:
    alpha = (dims - 3) / 2.0
    half = (degree + 1) // 2
    shift = 0.0 if degree % 2 else 1.0
    points = np.array([1.0, cosine])
    nodes, weights = _quadrature(alpha, half + 2)
    kernel_basis = _orthonormal(
        alpha + 1.0, alpha + shift, half, np.append(points, nodes)
    )
    kernel = kernel_basis[:, 1] @ kernel_basis
    at = np.append(points, nodes)
    polynomial = (at - cosine) * kernel**2
    if shift:
        polynomial *= at + 1.0
    return float(polynomial[0] / (polynomial[2:] @ weights))
