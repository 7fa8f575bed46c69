"""The sharp configurations of Cohn and Kumar's Table 1, built exactly (numpy only).

A configuration of `N` unit vectors is sharp when its pairs meet at `m`
distinct inner products and it is a spherical design of strength
`2m - 1` (or `2m - 2` with an antipodal pair in every direction). Cohn and
Kumar proved every sharp configuration universally optimal; each meets
Levenshtein's bound, so its largest cosine is the lowest possible for `N`
points in its dimension. Their table lists, besides the regular polygons,
simplices and cross-polytopes (closed forms in `placement`), the
configurations built here:

* from E8 (`lattices`): the icosahedron, the 600-cell (optimal too, though
  not sharp), the hemicube, the 27 points of the Schlaefli graph, the 56 of
  28 equiangular lines, the 240 roots;
* from the Leech lattice's minimal vectors: those at a fixed inner product
  with one, two or three fixed lattice vectors, projected on the space
  orthogonal to them (the 4600, the 552 of 276 equiangular lines, the
  Higman-Sims and McLaughlin graphs, the 162, the 891);
* the isotropic-subspace family: the points of the elliptic quadric
  `Q^-(5, q)`, `(q + 1)(q^3 + 1)` of them, represented on an eigenspace of
  their collinearity graph in `q (q^3 + 1) / (q + 1)` dims (q = 3 gives the
  112 in 21 dims, q = 2 the 27 again), here for q = 3, 4, 5 and 7.

Each configuration is built on demand; the Leech vectors behind most of
them are built once per process (`lattices` caches their integer form,
4.7 MB; nothing depends on a seed).

References:
    H. Cohn, A. Kumar. Universally optimal distribution of points on
    spheres. J. Amer. Math. Soc. 20 (2007), Table 1.
    J. H. Conway, N. J. A. Sloane. Sphere Packings, Lattices and Groups,
    Chapter 10 (the Leech lattice's subgroups as stabilisers of triangles).
    A. E. Brouwer, W. H. Haemers. Spectra of Graphs (2012), Chapters 9-10
    (strongly regular graphs, generalised quadrangles and their
    eigenspace representations).
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
import math
from collections.abc import Callable

import numpy as np

from keras_hpn.prototypes.constructions import lattices

_GOLDEN = (1.0 + math.sqrt(5.0)) / 2.0
# Field orders of the isotropic family built here (tests cover each).
_ORDERS = (2, 3, 4, 5, 7)


@dataclasses.dataclass(frozen=True)
class SharpConfiguration:
    """A configuration of Cohn and Kumar's table, with its inner products.

    Attributes:
        name: what it is, e.g. `"Higman-Sims 100 points"`.
        num_points: number of points `N`.
        dims: the dimension it fills.
        inner_products: the distinct inner products between distinct points,
            ascending; the last is its largest cosine.
        strength: the strength of the spherical design it is.
        sharp: `True` for the sharp ones (all but the 600-cell), which meet
            Levenshtein's bound.
    """

    name: str
    num_points: int
    dims: int
    inner_products: tuple[float, ...]
    strength: int
    sharp: bool = True
    builder: Callable[[], np.ndarray] = dataclasses.field(
        default=lambda: np.empty((0, 0)), repr=False, compare=False
    )

    @property
    def largest_cosine(self) -> float:
        """The largest inner product between two distinct points."""
        return self.inner_products[-1]

    def build(self) -> np.ndarray:
        """The points, a float64 array `(num_points, dims)` with unit rows.

        Built on each call (the Leech vectors behind most are cached).

        Example:

        ```python
        >>> sharp_configuration(100, 22).build().shape
        (100, 22)
        ```
        """
        return self.builder()


def sharp_configurations() -> list[SharpConfiguration]:
    """Every configuration this module builds, by dimension.

    Returns:
        A list of `SharpConfiguration` (nothing is built yet).

    Example:

    ```python
    >>> [(c.num_points, c.dims) for c in sharp_configurations()][:6]
    [(12, 3), (120, 4), (16, 5), (27, 6), (56, 7), (240, 8)]
    ```
    """
    return list(_CONFIGURATIONS)


def sharp_configuration(num_points: int, dims: int) -> SharpConfiguration:
    """The configuration of `num_points` points in `dims` dims.

    Args:
        num_points: number of points `N`.
        dims: dimension `D`.

    Returns:
        The `SharpConfiguration`.

    Raises:
        ValueError: where this module builds none with these sizes.

    Example:

    ```python
    >>> c = sharp_configuration(275, 22)
    >>> c.name, c.inner_products
    ('McLaughlin 275 points', (-0.25, 0.16666666666666666))
    ```
    """
    for configuration in _CONFIGURATIONS:
        if (configuration.num_points, configuration.dims) == (num_points, dims):
            return configuration
    raise ValueError(
        f"No sharp configuration of num_points={num_points} points in "
        f"dims={dims} is built here. Available (N, D): "
        f"{[(c.num_points, c.dims) for c in _CONFIGURATIONS]}."
    )


def _hemicube() -> np.ndarray:
    # (+-1)^5 with an even number of minus signs: inner products 1/5, -3/5.
    signs = [
        s for s in itertools.product((1.0, -1.0), repeat=5) if s.count(-1) % 2 == 0
    ]
    return np.array(signs) / math.sqrt(5.0)


def _leech() -> np.ndarray:
    # Norm 32, inner products 8 times the unscaled ones; int32 products do
    # not overflow (int8 would). Not cached: lattices caches the int8 form.
    return lattices._leech_integral().astype(np.int32)


def _leech_slice(fixed: list[np.ndarray], products: list[int]) -> np.ndarray:
    """The Leech minimal vectors `v` with `v . fixed[i] = products[i]`,
    projected on the space orthogonal to the fixed vectors."""
    vectors = _leech()
    chosen = np.ones(len(vectors), dtype=bool)
    for vector, product in zip(fixed, products, strict=True):
        chosen &= vectors @ vector == product
    return _project_away(vectors[chosen].astype(np.float64), np.array(fixed, float))


def _kissing_4600() -> np.ndarray:
    # Neighbours of a minimal vector a: v . a = 16 (cosine 1/2), 4600 of them.
    return _leech_slice([_leech()[0]], [16])


def _type3() -> np.ndarray:
    # (5, 1^23) / sqrt(8) has norm 6: a type-3 Leech vector.
    return np.array([5] + [1] * 23)


def _equiangular_552() -> np.ndarray:
    # v . w = 3 (unscaled) for w of norm 6: pairs {v, w - v}, 276 lines.
    return _leech_slice([_type3()], [24])


def _higman_sims() -> np.ndarray:
    # A 2-3-3 triangle (0, u, w) (Conway & Sloane Ch. 10: its stabiliser is
    # HS): v . u = v . w = 3 (unscaled) holds 100 minimal vectors.
    w = _type3()
    vectors = _leech()
    a = vectors[np.flatnonzero(vectors @ w == 16)[0]]
    return _leech_slice([w - a, w], [24, 24])


def _mclaughlin() -> np.ndarray:
    # A 2-2-3 triangle (0, a, b) (stabiliser McL): v . a = v . b = 2.
    vectors = _leech()
    a = vectors[0]
    b = vectors[np.flatnonzero(vectors @ a == 8)[0]]
    return _leech_slice([a, b], [16, 16])


def _mclaughlin_slice(product: float) -> np.ndarray:
    # The McLaughlin points at a given inner product with its first point.
    points = _mclaughlin()
    chosen = points[np.isclose(points @ points[0], product, atol=1e-9)]
    return _project_away(chosen, points[:1])


def _unitary_891() -> np.ndarray:
    # The 4600 points at cosine 1/3 with the first of them.
    points = _kissing_4600()
    chosen = points[np.isclose(points @ points[0], 1.0 / 3.0, atol=1e-9)]
    return _project_away(chosen, points[:1])


def _field(order: int) -> tuple[np.ndarray, np.ndarray]:
    """Addition and multiplication tables of GF(order), order = p^m, m <= 3."""
    prime = next(p for p in range(2, order + 1) if order % p == 0)
    degree = round(math.log(order, prime))
    digits = np.array(list(itertools.product(range(prime), repeat=degree)))[:, ::-1]
    powers = prime ** np.arange(degree)
    add = ((digits[:, None, :] + digits[None, :, :]) % prime) @ powers
    # A monic polynomial of degree <= 3 without roots is irreducible.
    for tail in itertools.product(range(prime), repeat=degree):
        modulus = np.array([*tail, 1])
        if all(np.polyval(modulus[::-1], x) % prime for x in range(prime)):
            break
    product = np.zeros((order, order, 2 * degree - 1), dtype=np.int64)
    for i, j in itertools.product(range(degree), repeat=2):
        product[:, :, i + j] += digits[:, None, i] * digits[None, :, j]
    for top in range(2 * degree - 2, degree - 1, -1):
        carry = product[:, :, top] % prime
        product[:, :, top - degree : top] -= carry[..., None] * modulus[:degree]
        product[:, :, top] = 0
    multiply = (product[:, :, :degree] % prime) @ powers
    return add, multiply


def isotropic_points(order: int) -> np.ndarray:
    """The `(q + 1)(q^3 + 1)` points of the isotropic-subspace family.

    The points of the elliptic quadric `Q^-(5, q)` in PG(5, q), two of them
    adjacent when the line through them lies on the quadric, are a strongly
    regular graph (the generalised quadrangle GQ(q, q^2)); its eigenvalue
    `-(q^2 + 1)` has multiplicity `q (q^3 + 1) / (q + 1)`, and the
    projection on that eigenspace places the points at inner products
    `-1/q` (adjacent) and `1/q^2`.

    Args:
        order: the field order `q`: 2, 3, 4, 5 or 7 (the prime powers
            tested; q = 7 gives 2752 points in 301 dims).

    Returns:
        Float64 array of shape `((q + 1)(q^3 + 1), q (q^3 + 1) / (q + 1))`.

    Raises:
        ValueError: for any other `order`.

    Example:

    ```python
    >>> p = isotropic_points(3)
    >>> p.shape, sorted({round(float(x), 9) for x in (p @ p.T)[0, 1:]})
    ((112, 21), [-0.333333333, 0.111111111])
    ```
    """
    integer = isinstance(order, (int, np.integer)) and not isinstance(order, bool)
    if not integer or order not in _ORDERS:
        raise ValueError(
            f"`order` must be one of the prime powers {_ORDERS}. "
            f"Received: order={order!r}"
        )
    return _isotropic(int(order))


def _isotropic(order: int) -> np.ndarray:
    add, mul = _field(order)
    # x^2 + x + c without a root makes x4^2 + x4 x5 + c x5^2 anisotropic.
    values = {int(add[mul[t, t], t]) for t in range(order)}  # t^2 + t
    constant = next(c for c in range(1, order) if all(add[v, c] for v in values))
    vectors = np.array(list(itertools.product(range(order), repeat=6)))
    leading = vectors[np.arange(len(vectors)), np.argmax(vectors != 0, axis=1)]
    vectors = vectors[leading == 1]  # one vector per projective point

    def quadratic(x):
        total = add[mul[x[:, 0], x[:, 1]], mul[x[:, 2], x[:, 3]]]
        total = add[total, mul[x[:, 4], add[x[:, 4], x[:, 5]]]]
        return add[total, mul[constant, mul[x[:, 5], x[:, 5]]]]

    points = vectors[quadratic(vectors) == 0]
    # Bilinear form B(x, y) = Q(x + y) - Q(x) - Q(y).
    two = add[1, 1]
    if order == len(add) and all(order % p for p in range(2, order)):
        # A prime field: one exact float matrix product, then mod q.
        matrix = np.zeros((6, 6))
        matrix[[0, 1, 2, 3, 4, 5, 4, 5], [1, 0, 3, 2, 4, 5, 5, 4]] = [
            *[1.0] * 4,
            2.0,
            2.0 * constant,
            1.0,
            1.0,
        ]
        form = np.rint(points @ matrix @ points.T).astype(np.int64) % order
    else:
        terms = [(0, 1, 1), (1, 0, 1), (2, 3, 1), (3, 2, 1), (4, 4, two)]
        terms += [(4, 5, 1), (5, 4, 1), (5, 5, mul[two, constant])]
        form = np.zeros((len(points), len(points)), dtype=np.int64)
        for i, j, factor in terms:
            term = mul[points[:, i, None], points[None, :, j]]
            form = add[form, mul[factor, term]]
    gram = np.where(form == 0, -1.0 / order, 1.0 / order**2)
    np.fill_diagonal(gram, 1.0)
    return _factor(gram, order * (order**3 + 1) // (order + 1))


def _factor(gram: np.ndarray, rank: int) -> np.ndarray:
    # All nonzero eigenvalues equal N / rank (the Gram matrix is a multiple
    # of a projection), so an orthonormal basis Q of its range gives points
    # sqrt(N / rank) Q with exactly this Gram matrix.
    sketch = gram @ np.random.default_rng(0).standard_normal((len(gram), rank))
    basis, _ = np.linalg.qr(sketch)
    return _unit(basis * math.sqrt(len(gram) / rank))


def _project_away(points: np.ndarray, directions: np.ndarray) -> np.ndarray:
    # Complete QR: the trailing columns span the complement of `directions`.
    basis, _ = np.linalg.qr(directions.T, mode="complete")
    return _unit(points @ basis[:, directions.shape[0] :])


def _unit(points: np.ndarray) -> np.ndarray:
    return points / np.linalg.norm(points, axis=1, keepdims=True)


def _isotropic_entry(order: int) -> SharpConfiguration:
    count = (order + 1) * (order**3 + 1)
    return SharpConfiguration(
        f"isotropic subspaces {count} points",
        count,
        order * (order**3 + 1) // (order + 1),
        (-1.0 / order, 1.0 / order**2),
        3,
        True,
        functools.partial(_isotropic, order),
    )


_ROOT5 = 1.0 / math.sqrt(5.0)
_CONFIGURATIONS = (
    SharpConfiguration(
        "icosahedron", 12, 3, (-1.0, -_ROOT5, _ROOT5), 5, True, lattices.icosahedron
    ),
    SharpConfiguration(
        "600-cell",
        120,
        4,
        tuple(
            sorted(
                [-1.0, -0.5, 0.0, 0.5]
                + [s * v for s in (1, -1) for v in (_GOLDEN / 2, 0.5 / _GOLDEN)]
            )
        ),
        11,
        False,
        lattices.cell600,
    ),
    SharpConfiguration("hemicube 16 points", 16, 5, (-0.6, 0.2), 3, True, _hemicube),
    SharpConfiguration(
        "E6 27 points", 27, 6, (-0.5, 0.25), 4, True, lattices.e6_points
    ),
    SharpConfiguration(
        "E7 56 points", 56, 7, (-1.0, -1 / 3, 1 / 3), 5, True, lattices.e7_points
    ),
    SharpConfiguration(
        "E8 roots", 240, 8, (-1.0, -0.5, 0.0, 0.5), 7, True, lattices.e8_roots
    ),
    _isotropic_entry(3),
    SharpConfiguration(
        "McLaughlin subconstituent 162 points",
        162,
        21,
        (-2 / 7, 1 / 7),
        3,
        True,
        functools.partial(_mclaughlin_slice, 1 / 6),
    ),
    SharpConfiguration(
        "Higman-Sims 100 points", 100, 22, (-4 / 11, 1 / 11), 3, True, _higman_sims
    ),
    SharpConfiguration(
        "McLaughlin 275 points", 275, 22, (-0.25, 1 / 6), 4, True, _mclaughlin
    ),
    SharpConfiguration(
        "isotropic subspaces 891 points",
        891,
        22,
        (-0.5, -0.125, 0.25),
        5,
        True,
        _unitary_891,
    ),
    SharpConfiguration(
        "equiangular lines 552 points",
        552,
        23,
        (-1.0, -0.2, 0.2),
        5,
        True,
        _equiangular_552,
    ),
    SharpConfiguration(
        "Leech kissing slice 4600 points",
        4600,
        23,
        (-1.0, -1 / 3, 0.0, 1 / 3),
        7,
        True,
        _kissing_4600,
    ),
    SharpConfiguration(
        "Leech lattice minimal vectors",
        196_560,
        24,
        (-1.0, -0.5, -0.25, 0.0, 0.25, 0.5),
        11,
        True,
        lattices.leech_minimal_vectors,
    ),
    _isotropic_entry(4),
    _isotropic_entry(5),
    _isotropic_entry(7),
)
