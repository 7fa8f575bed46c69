"""How well a set of prototypes is spread over the hypersphere (numpy only).

The bounds it compares with live in `keras_hpn.prototypes.bounds`.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from keras_hpn.prototypes import bounds
from keras_hpn.prototypes.optimize.blocks import nearest_cosines
from keras_hpn.utils.validation import check_prototypes

__all__ = ["Separation", "separation"]


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
    gap: float = 0.0
    method: str | None = None
    optimal: bool = False

    def __str__(self) -> str:
        if self.optimum is None:
            best = (
                f"optimum unknown, lower bound {self.lower_bound:.6f} "
                f"(gap {self.gap:.6f})"
            )
        else:
            best = f"known optimum {self.optimum:.6f} (gap {self.gap:.6f})"
        if self.optimal:
            best = f"optimal: {best}"
        made = "" if self.method is None else f", method {self.method}"
        return (
            f"{self.num_classes} prototypes in {self.dims} dims: "
            f"largest cosine {self.largest_cosine:.6f} "
            f"(smallest angle {self.smallest_angle:.3f} deg), "
            f"mean nearest-neighbour cosine {self.mean_nearest_cosine:.6f}, "
            f"{best}{made}"
        )


def separation(prototypes: object, *, method: str | None = None) -> Separation:
    """Measures how far apart a set of prototypes lies.

    Args:
        prototypes: array-like of shape `(num_classes, dims)` (rows are used
            through their directions), or a `Placement` from `place`, whose
            method is then recorded.
        method: how the prototypes were made, recorded in the result (the
            `Placement`'s description by default).

    Returns:
        A `Separation` with the largest cosine between two prototypes, the
        matching smallest angle in degrees, the mean over prototypes of the
        cosine to the nearest other prototype, the known optimum of the
        largest cosine (`None` where it is unknown), a lower bound on it
        (the optimum where known, else Levenshtein's bound or a stronger
        one, see `bounds.lower_bound`), the gap `largest_cosine - lower_bound`
        and the method. The cosine matrix is computed in row blocks, so
        100,000 prototypes need little memory.

    Example:

    ```python
    >>> s = separation([[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0], [0.0, -1.0]])
    >>> s.largest_cosine, s.smallest_angle, s.optimum, s.gap, s.optimal
    (0.0, 90.0, 0.0, 0.0, True)
    >>> separation(keras_hpn.prototypes.place(100, 22, seed=0)).optimal  # Higman-Sims
    True
    ```
    """
    if hasattr(prototypes, "prototypes") and hasattr(prototypes, "description"):
        method = prototypes.description if method is None else method
        prototypes = prototypes.prototypes
    points = check_prototypes(prototypes)
    num_classes, dims = points.shape
    if num_classes < 2:
        raise ValueError(
            f"`prototypes` must hold at least 2 rows to measure separation. "
            f"Received shape {points.shape}."
        )
    nearest = np.clip(nearest_cosines(points), -1.0, 1.0)
    largest = float(nearest.max())
    bound = bounds._lower_bound(num_classes, dims) if dims >= 2 else 1.0
    return Separation(
        num_classes=num_classes,
        dims=dims,
        largest_cosine=largest,
        smallest_angle=math.degrees(math.acos(largest)),
        mean_nearest_cosine=float(nearest.mean()),
        optimum=bounds.known_optimum(num_classes, dims),
        lower_bound=bound,
        gap=largest - bound,
        method=method,
        optimal=dims >= 2 and bounds._proven_optimal(largest, num_classes, dims),
    )
