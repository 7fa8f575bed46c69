"""Exact point configurations from polytopes and lattices (numpy only).

Each function returns unit vectors whose largest cosine is known in closed
form; several are proven optimal for their number of points (regular
polygons, the icosahedron, the 600-cell, the 27 points in 6 dims, the 56 in
7, the 240 roots of E8, the 196,560 minimal vectors of the Leech lattice:
Cohn & Kumar 2007). Rows come in a fixed order; prototypes use the first `K`.
"""

from __future__ import annotations

import functools
import itertools
import math

import numpy as np

from keras_hpn.prototypes.constructions.codes import golay_code
from keras_hpn.utils.validation import check_size

_GOLDEN = (1.0 + math.sqrt(5.0)) / 2.0


def polygon(num_points: int) -> np.ndarray:
    """The vertices of the regular polygon: largest cosine `cos(2 pi / K)`.

    Args:
        num_points: number of vertices, at least 2.

    Returns:
        Float64 array of shape `(num_points, 2)`.

    Example:

    ```python
    >>> np.round(polygon(4), 12) + 0.0
    array([[ 1.,  0.],
           [ 0.,  1.],
           [-1.,  0.],
           [ 0., -1.]])
    ```
    """
    num_points = check_size(num_points, "num_points", 2)
    angles = 2.0 * np.pi * np.arange(num_points) / num_points
    return np.stack([np.cos(angles), np.sin(angles)], axis=1)


def icosahedron() -> np.ndarray:
    """The 12 vertices of the icosahedron: largest cosine `1/sqrt(5)`.

    Returns:
        Float64 array of shape `(12, 3)`, the cyclic permutations of
        `(0, +-1, +-phi)` normalised.

    Example:

    ```python
    >>> p = icosahedron()
    >>> round(float(np.max(p @ p.T - 2 * np.eye(12))), 12) == round(5 ** -0.5, 12)
    True
    ```
    """
    rows = []
    for first, second in itertools.product((1.0, -1.0), (_GOLDEN, -_GOLDEN)):
        base = (0.0, first, second)
        for shift in range(3):
            rows.append(base[shift:] + base[:shift])
    return _unit(np.array(rows))


def cell600() -> np.ndarray:
    """The 120 vertices of the 600-cell: largest cosine `cos 36 deg = phi / 2`.

    Returns:
        Float64 array of shape `(120, 4)`: the 8 points `+-e_i`, the 16
        points `(+-1/2, +-1/2, +-1/2, +-1/2)` and the 96 even permutations
        of `(+-phi, +-1, +-1/phi, 0) / 2`.

    Example:

    ```python
    >>> p = cell600()
    >>> p.shape, round(float(np.max(p @ p.T - 2 * np.eye(120))), 12)
    ((120, 4), 0.809016994375)
    ```
    """
    rows = [row for row in np.concatenate([np.eye(4), -np.eye(4)])]
    rows += [np.array(signs) / 2.0 for signs in itertools.product((1, -1), repeat=4)]
    even = [
        perm
        for perm in itertools.permutations(range(4))
        if sum(perm[i] > perm[j] for i in range(4) for j in range(i + 1, 4)) % 2 == 0
    ]
    for signs in itertools.product((1, -1), repeat=3):
        values = (signs[0] * _GOLDEN, signs[1] * 1.0, signs[2] / _GOLDEN, 0.0)
        for perm in even:
            row = np.empty(4)
            row[list(perm)] = values
            rows.append(row / 2.0)
    return _unit(np.array(rows))


def d_roots(dims: int) -> np.ndarray:
    """The `2 D (D - 1)` roots of D_n, `(+-1, +-1, 0, ...) / sqrt(2)`: cosine 1/2.

    Args:
        dims: dimensionality `D`, at least 3.

    Returns:
        Float64 array of shape `(2 D (D - 1), D)`.

    Example:

    ```python
    >>> d_roots(4).shape  # the 24-cell
    (24, 4)
    ```
    """
    rows = []
    for first, second in itertools.combinations(range(dims), 2):
        for signs in itertools.product((1.0, -1.0), repeat=2):
            row = np.zeros(dims)
            row[[first, second]] = signs
            rows.append(row)
    return _unit(np.array(rows))


@functools.lru_cache(maxsize=1)
def _e8_integral() -> np.ndarray:
    rows = [row * 2.0 for row in d_roots(8) * math.sqrt(2.0)]
    for signs in itertools.product((1.0, -1.0), repeat=8):
        if signs.count(-1.0) % 2 == 0:
            rows.append(np.array(signs))
    return np.array(rows)  # doubled roots: entries integers, norm^2 = 8


def e8_roots() -> np.ndarray:
    """The 240 roots of E8: largest cosine 1/2, the kissing configuration in 8 dims.

    Returns:
        Float64 array of shape `(240, 8)`: `(+-1, +-1, 0^6)` in all positions
        and `(+-1/2)^8` with an even number of minus signs, normalised.

    Example:

    ```python
    >>> p = e8_roots()
    >>> p.shape, round(float(np.max(p @ p.T - 2 * np.eye(240))), 12)
    ((240, 8), 0.5)
    ```
    """
    return _unit(_e8_integral())


def e7_points() -> np.ndarray:
    """56 points in 7 dims with largest cosine 1/3 (the E7 kissing-type code).

    The E8 roots `r` with `r . a = 1` for a fixed root `a`, projected on the
    space orthogonal to `a`.

    Returns:
        Float64 array of shape `(56, 7)`.

    Example:

    ```python
    >>> p = e7_points()
    >>> p.shape, round(float(np.max(p @ p.T - 2 * np.eye(56))), 12)
    ((56, 7), 0.333333333333)
    ```
    """
    roots = _e8_integral()
    first = roots[0]
    chosen = roots[roots @ first == 4.0]
    return _project_away(chosen, first[None])


def e6_points() -> np.ndarray:
    """27 points in 6 dims with cosines 1/4 and -1/2 (the Schlaefli graph).

    The E8 roots `r` with `r . a = r . b = 1` for two roots with
    `a . b = 1`, projected on the space orthogonal to both.

    Returns:
        Float64 array of shape `(27, 6)`.

    Example:

    ```python
    >>> p = e6_points()
    >>> p.shape, round(float(np.max(p @ p.T - 2 * np.eye(27))), 12)
    ((27, 6), 0.25)
    ```
    """
    roots = _e8_integral()
    first = roots[0]
    second = roots[np.flatnonzero(roots @ first == 4.0)[0]]
    chosen = roots[(roots @ first == 4.0) & (roots @ second == 4.0)]
    return _project_away(chosen, np.stack([first, second]))


@functools.lru_cache(maxsize=1)
def _leech_integral() -> np.ndarray:
    golay = golay_code().words(4096).astype(np.int8)
    octads = golay[golay.sum(axis=1) == 8]
    even_signs = np.array(
        [s for s in itertools.product((1, -1), repeat=8) if s.count(-1) % 2 == 0],
        dtype=np.int8,
    )
    shape2 = np.zeros((len(octads), len(even_signs), 24), dtype=np.int8)
    for index, octad in enumerate(octads):
        shape2[index][:, np.flatnonzero(octad)] = 2 * even_signs
    signs = 1 - 2 * golay  # (-1)^c
    shape3 = np.repeat(signs[:, None, :], 24, axis=1).copy()
    positions = np.arange(24)
    shape3[:, positions, positions] *= -3
    shape4 = []
    for first, second in itertools.combinations(range(24), 2):
        for pair in itertools.product((4, -4), repeat=2):
            row = np.zeros(24, dtype=np.int8)
            row[[first, second]] = pair
            shape4.append(row)
    return np.concatenate(
        [shape2.reshape(-1, 24), shape3.reshape(-1, 24), np.array(shape4)]
    )


def leech_minimal_vectors(count: int | None = None) -> np.ndarray:
    """The 196,560 minimal vectors of the Leech lattice: largest cosine 1/2.

    Built from the extended Golay code (scaled so that entries are
    integers): `(+-2)^8` on the 759 octads with an even number of minus
    signs, `(-3, 1^23)` with signs flipped on a Golay word, and
    `(+-4, +-4, 0^22)`; all of squared norm 32, distinct ones meeting at
    inner product at most 16.

    Args:
        count: number of rows to return (the first `count`); `None` for all.

    Returns:
        Float64 array of shape `(count, 24)` with unit rows.

    Example:

    ```python
    >>> leech_minimal_vectors().shape
    (196560, 24)
    ```

    References:
        J. H. Conway, N. J. A. Sloane. Sphere Packings, Lattices and Groups,
        Chapter 4, Section 11.
    """
    vectors = _leech_integral()
    if count is not None:
        vectors = vectors[: check_size(count, "count", 1)]
    return vectors / math.sqrt(32.0)


def _project_away(points: np.ndarray, directions: np.ndarray) -> np.ndarray:
    # Complete QR: the trailing columns span the complement of `directions`.
    basis, _ = np.linalg.qr(directions.T, mode="complete")
    return _unit(points @ basis[:, directions.shape[0] :])


def _unit(points: np.ndarray) -> np.ndarray:
    return points / np.linalg.norm(points, axis=1, keepdims=True)
