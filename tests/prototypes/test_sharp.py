import functools
import math

import numpy as np
import pytest
from scipy.special import eval_gegenbauer

from keras_hpn.prototypes import bounds, place, separation
from keras_hpn.prototypes.constructions import sharp, table

pytestmark = pytest.mark.once  # backend-independent: first pass only

# Cohn & Kumar 2007, Table 1: (N, D) -> the inner products between distinct
# points, as printed there (the isotropic family: -1/q, 1/q^2).
TABLE_1 = {
    (12, 3): [-1, -1 / math.sqrt(5), 1 / math.sqrt(5)],
    (16, 5): [-3 / 5, 1 / 5],
    (27, 6): [-1 / 2, 1 / 4],
    (56, 7): [-1, -1 / 3, 1 / 3],
    (240, 8): [-1, -1 / 2, 0, 1 / 2],
    (112, 21): [-1 / 3, 1 / 9],
    (162, 21): [-2 / 7, 1 / 7],
    (100, 22): [-4 / 11, 1 / 11],
    (275, 22): [-1 / 4, 1 / 6],
    (891, 22): [-1 / 2, -1 / 8, 1 / 4],
    (552, 23): [-1, -1 / 5, 1 / 5],
    (4600, 23): [-1, -1 / 3, 0, 1 / 3],
    (325, 52): [-1 / 4, 1 / 16],
    (756, 105): [-1 / 5, 1 / 25],
    (2752, 301): [-1 / 7, 1 / 49],
}
SHARP = [c for c in sharp.sharp_configurations() if c.num_points < 10_000]


@functools.cache
def distribution(configuration):
    """The inner products between distinct points and how often each occurs,
    after checking that each lies within 1e-12 of a listed one."""
    points = configuration.build()
    assert points.shape == (configuration.num_points, configuration.dims)
    np.testing.assert_allclose(np.linalg.norm(points, axis=1), 1.0, atol=1e-12)
    gram = points @ points.T
    np.fill_diagonal(gram, np.nan)
    counts = []
    for value in configuration.inner_products:
        counts.append(np.count_nonzero(np.abs(gram - value) < 1e-12))
    assert sum(counts) == len(points) * (len(points) - 1)
    return np.array(configuration.inner_products), np.array(counts), np.nanmax(gram)


@pytest.mark.parametrize("configuration", SHARP, ids=lambda c: c.name)
def test_inner_products_are_those_of_the_table(configuration):
    values, counts, largest = distribution(configuration)
    size = (configuration.num_points, configuration.dims)
    if size in TABLE_1:
        np.testing.assert_allclose(values, sorted(TABLE_1[size]), atol=1e-15)
    # Each listed product occurs, the same number of times for every point.
    assert (counts > 0).all()
    assert (counts % configuration.num_points == 0).all()
    # The largest product is the known optimum.
    assert largest == pytest.approx(bounds.known_optimum(*size), abs=1e-12)


@pytest.mark.parametrize("configuration", SHARP, ids=lambda c: c.name)
def test_design_strength(configuration):
    # A t-design: sum_{i,j} G_k(x_i . x_j) = 0 for the Gegenbauer polynomials
    # of degree 1..t (Delsarte, Goethals, Seidel 1977), and not for t + 1.
    values, counts, _ = distribution(configuration)
    values = np.append(values, 1.0)  # the diagonal
    counts = np.append(counts, configuration.num_points)
    alpha = (configuration.dims - 2) / 2.0

    def mean(degree):
        sums = counts @ eval_gegenbauer(degree, alpha, values)
        return sums / counts.sum() / eval_gegenbauer(degree, alpha, 1.0)

    # Sharp: m inner products and strength at least 2m - 1.
    strength = configuration.strength
    distances = len(configuration.inner_products)
    assert (strength >= 2 * distances - 1) == configuration.sharp
    for degree in range(1, strength + 1):
        assert abs(mean(degree)) < 1e-10
    assert abs(mean(strength + 1)) > 1e-6


@pytest.mark.parametrize("configuration", SHARP, ids=lambda c: c.name)
def test_sharp_ones_meet_levenshtein_bound(configuration):
    bound = bounds.levenshtein_cosine(configuration.num_points, configuration.dims)
    if configuration.sharp:
        assert bound == pytest.approx(configuration.largest_cosine, abs=1e-9)
    else:  # the 600-cell: optimal (Andreev 1999), but above the bound
        assert bound < configuration.largest_cosine - 1e-3


def test_leech_sampled():
    configuration = sharp.sharp_configuration(196_560, 24)
    points = configuration.build()
    rows = np.random.default_rng(0).choice(len(points), 64, replace=False)
    products = points[rows] @ points.T
    products[np.arange(len(rows)), rows] = np.nan
    values = np.unique(np.round(products[~np.isnan(products)], 12))
    np.testing.assert_allclose(values, configuration.inner_products, atol=1e-12)
    bound = bounds.levenshtein_cosine(196_560, 24)
    assert bound == pytest.approx(0.5, abs=1e-9)


def test_two_constructions_of_the_isotropic_points_agree():
    # q = 2 is the Schlaefli graph's 27 points; q = 3 the McLaughlin points
    # at cosine -1/4 with one of them, projected away from it.
    assert sharp.isotropic_points(2).shape == (27, 6)
    for points, values in [
        (sharp.isotropic_points(2), [-1 / 2, 1 / 4]),
        (sharp._mclaughlin_slice(-0.25), [-1 / 3, 1 / 9]),
    ]:
        gram = points @ points.T
        found = np.unique(np.round(gram[~np.eye(len(gram), dtype=bool)], 12))
        np.testing.assert_allclose(found, values, atol=1e-12)
    assert sharp._mclaughlin_slice(-0.25).shape == (112, 21)


@pytest.mark.parametrize(
    "num_classes, dims, value", [(100, 22, 1 / 11), (275, 22, 1 / 6), (16, 5, 0.2)]
)
def test_place_reaches_the_optimum(num_classes, dims, value):
    placed = place(num_classes, dims, seed=0)
    assert placed.method == "code"
    summary = separation(placed)
    assert summary.largest_cosine == pytest.approx(value, abs=1e-12)
    assert summary.optimal
    assert "optimal" in str(summary)


def test_subsets_and_padded_versions_are_candidates():
    subset = {c.name: c for c in table.constructions(60, 22)}["Higman-Sims 100 points"]
    assert subset.largest_cosine == pytest.approx(1 / 11)
    assert not subset.optimal
    assert subset.build().shape == (60, 22)
    padded = table.best_construction(100, 23)
    assert padded.name == "Higman-Sims 100 points, zero-padded from 22 dims"
    points = padded.build()
    assert points.shape == (100, 23)
    np.testing.assert_array_equal(points[:, 22], 0.0)
    assert table.best_construction(275, 22).optimal


def test_separation_optimal_only_within_tolerance():
    points = sharp.sharp_configuration(100, 22).build()
    assert separation(points).optimal
    moved = points.copy()
    moved[0] += 1e-6 * moved[np.argmax(moved[1:] @ moved[0]) + 1]
    assert not separation(moved).optimal
    # Below the cap on Levenshtein's polynomial degree the bound decides;
    # a random placement is not optimal.
    random = np.random.default_rng(0).standard_normal((40, 5))
    assert not separation(random).optimal


def test_unknown_sizes_refused():
    with pytest.raises(ValueError, match=r"num_points=5 points in dims=5"):
        sharp.sharp_configuration(5, 5)
    with pytest.raises(ValueError, match=r"prime powers \(2, 3, 4, 5, 7\)"):
        sharp.isotropic_points(6)
    with pytest.raises(ValueError, match=r"order=8"):
        sharp.isotropic_points(8)
