import math

import numpy as np
import pytest

from keras_hpn.prototypes.constructions import codes, lattices

pytestmark = pytest.mark.once  # backend-independent: first pass only


def cosines(points):
    return np.unique(np.round((points @ points.T)[~np.eye(len(points), dtype=bool)], 9))


@pytest.mark.parametrize(
    "function, shape, values",
    [
        # Inner products of the configurations, by hand.
        (lattices.icosahedron, (12, 3), [-1, -1 / math.sqrt(5), 1 / math.sqrt(5)]),
        (lattices.e6_points, (27, 6), [-0.5, 0.25]),
        (lattices.e7_points, (56, 7), [-1, -1 / 3, 1 / 3]),
        (lattices.e8_roots, (240, 8), [-1, -0.5, 0, 0.5]),
        (lambda: lattices.d_roots(4), (24, 4), [-1, -0.5, 0, 0.5]),
    ],
)
def test_configuration_inner_products(function, shape, values):
    points = function()
    assert points.shape == shape
    np.testing.assert_allclose(np.linalg.norm(points, axis=1), 1.0, atol=1e-12)
    np.testing.assert_allclose(cosines(points), np.round(values, 9), atol=1e-9)


def test_600_cell():
    points = lattices.cell600()
    found = cosines(points)
    golden = (1 + math.sqrt(5)) / 2
    # Neighbours at 36 degrees: cos 36 = phi / 2, and no closer pair.
    assert len(np.unique(np.round(points, 9), axis=0)) == 120
    assert found.max() == pytest.approx(golden / 2)
    # Each vertex has 12 neighbours at 36 degrees.
    gram = points @ points.T
    np.testing.assert_array_equal(np.isclose(gram, golden / 2).sum(axis=1), 12)


def test_polygon():
    points = lattices.polygon(7)
    assert cosines(points).max() == pytest.approx(math.cos(2 * math.pi / 7))


def test_leech_vectors_lie_in_the_lattice():
    # Conway & Sloane, Ch. 4 Sec. 11: scaled by sqrt(8), the Leech lattice
    # holds the integer x whose entries all have the parity of some m, with
    # sum x_i = 4m (mod 8), and whose positions with x_i = 2 (mod 4) (m = 0)
    # or x_i = 1 (mod 4) (m = 1) form a Golay word. Its minimal norm is 32, so
    # two distinct minimal vectors u, v have |u - v|^2 >= 32, i.e.
    # u . v <= 16: largest cosine 1/2.
    vectors = lattices._leech_integral().astype(np.int64)
    assert vectors.shape == (196_560, 24)
    assert len(np.unique(vectors, axis=0)) == 196_560
    np.testing.assert_array_equal((vectors**2).sum(axis=1), 32)
    parity = vectors[:, :1] % 2
    assert np.all(vectors % 2 == parity)
    assert np.all(vectors.sum(axis=1) % 8 == (4 * parity[:, 0]) % 8)
    marked = np.where(parity == 0, vectors % 4 == 2, vectors % 4 == 1)
    as_int = 2 ** np.arange(24)
    golay = codes.golay_code().words(4096).astype(np.int64) @ as_int
    assert np.isin(marked.astype(np.int64) @ as_int, golay).all()


def test_leech_sampled_inner_products():
    # Small integers: float32 products are exact, and fast (200 MB here).
    vectors = lattices._leech_integral().astype(np.float32)
    rows = np.random.default_rng(0).choice(len(vectors), 256, replace=False)
    products = vectors[rows] @ vectors.T
    products[np.arange(len(rows)), rows] = -99
    assert products.max() == 16
    points = lattices.leech_minimal_vectors(100)
    np.testing.assert_allclose(np.linalg.norm(points, axis=1), 1.0)
