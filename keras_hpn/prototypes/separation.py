"""How well a set of prototypes is spread over the hypersphere (numpy only)."""

from __future__ import annotations

import dataclasses
import functools
import math

import numpy as np

from keras_hpn.prototypes.optimize import nearest_cosines
from keras_hpn.prototypes.validation import check_prototypes, check_size

# Grid for the spherical cap integral; its error is far below 1e-6.
_CAP_GRID = 200_001


def known_optimum(num_classes: int, dims: int) -> float | None:
    """The lowest possible largest cosine, where it is known exactly.

    Args:
        num_classes: number of prototypes `K`.
        dims: dimensionality `D`.

    Returns:
        `-1 / (K - 1)` for `K <= D + 1` (regular simplex), `0.0` for
        `K <= 2D` (cross-polytope), `None` above (the open Tammes problem).

    Example:

    ```python
    >>> known_optimum(100, 100)
    -0.010101010101010102
    >>> known_optimum(100, 50)
    0.0
    ```
    """
    if num_classes <= dims + 1:
        return -1.0 / (num_classes - 1)
    if num_classes <= 2 * dims:
        return 0.0
    return None


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


def lower_bound(num_classes: int, dims: int) -> float:
    """A value the largest cosine of any `num_classes` unit vectors cannot beat.

    The exact optimum where it is known (see `known_optimum`); above `2 * dims`
    classes the larger of two proven bounds:

    * the degree-2 linear-programming (Delsarte) bound: the polynomial
      `(t + 1)(t - s)` is non-positive on `[-1, s]` and has non-negative
      Gegenbauer coefficients for `s < 1/D`, which gives
      `K <= 2D (1 - s) / (1 - D s)`, that is
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
    >>> round(lower_bound(6, 2), 6)  # hexagon: the cap bound is exact in 2-D
    0.5
    >>> round(lower_bound(100, 10), 6)  # (100 - 20) / (10 * 98)
    0.081633
    ```

    References:
        P. Delsarte, J. M. Goethals, J. J. Seidel. Spherical codes and designs.
        Geometriae Dedicata 6 (1977).
        R. A. Rankin. The closest packing of spherical caps in n dimensions.
        Proc. Glasgow Math. Assoc. 2 (1955).
    """
    num_classes = check_size(num_classes, "num_classes", 2)
    dims = check_size(dims, "dims", 2)
    optimum = known_optimum(num_classes, dims)
    if optimum is not None:
        return optimum
    linear_programming = (num_classes - 2 * dims) / (dims * (num_classes - 2))
    grid, cumulative = _cap_table(dims)
    # Largest cap half-angle with num_classes disjoint caps fitting the sphere.
    half_angle = float(np.interp(1.0 / num_classes, cumulative, grid))
    return max(linear_programming, math.cos(2.0 * half_angle))


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


@dataclasses.dataclass(frozen=True)
class Separation:
    """Summary of a prototype placement (see `separation`)."""

    num_classes: int
    dims: int
    largest_cosine: float
    smallest_angle: float
    mean_nearest_cosine: float
    optimum: float | None
    lower_bound: float = -1.0

    def __str__(self) -> str:
        if self.optimum is None:
            best = f"optimum unknown, lower bound {self.lower_bound:.6f}"
        else:
            best = f"known optimum {self.optimum:.6f}"
        return (
            f"{self.num_classes} prototypes in {self.dims} dims: "
            f"largest cosine {self.largest_cosine:.6f} "
            f"(smallest angle {self.smallest_angle:.3f} deg), "
            f"mean nearest-neighbour cosine {self.mean_nearest_cosine:.6f}, "
            f"{best}"
        )


def separation(prototypes: object) -> Separation:
    """Measures how far apart a set of prototypes lies.

    Args:
        prototypes: array-like of shape `(num_classes, dims)`; rows are used
            through their directions.

    Returns:
        A `Separation` with the largest cosine between two prototypes, the
        matching smallest angle in degrees, the mean over prototypes of the
        cosine to the nearest other prototype, and the known optimum of the
        largest cosine (`None` where it is unknown) and a lower bound on it
        (the optimum where known, else see `lower_bound`). The cosine matrix
        is computed in row blocks, so 10,000 prototypes need little memory.

    Example:

    ```python
    >>> s = separation([[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0], [0.0, -1.0]])
    >>> s.largest_cosine, s.smallest_angle, s.optimum
    (0.0, 90.0, 0.0)
    ```
    """
    points = check_prototypes(prototypes)
    num_classes, dims = points.shape
    if num_classes < 2:
        raise ValueError(
            f"`prototypes` must hold at least 2 rows to measure separation. "
            f"Received shape {points.shape}."
        )
    nearest = np.clip(nearest_cosines(points), -1.0, 1.0)
    largest = float(nearest.max())
    return Separation(
        num_classes=num_classes,
        dims=dims,
        largest_cosine=largest,
        smallest_angle=math.degrees(math.acos(largest)),
        mean_nearest_cosine=float(nearest.mean()),
        optimum=known_optimum(num_classes, dims),
        lower_bound=lower_bound(num_classes, dims) if dims >= 2 else 1.0,
    )
