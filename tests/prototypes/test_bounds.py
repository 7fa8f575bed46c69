import math

import numpy as np
import pytest

from keras_hpn.prototypes import bounds

pytestmark = pytest.mark.once  # backend-independent: first pass only


@pytest.mark.parametrize(
    "dims, cosine, points",
    [
        (8, 0.5, 240),  # E8 roots
        (24, 0.5, 196_560),  # Leech lattice
        (3, 1 / math.sqrt(5), 12),  # icosahedron
        (7, 1 / 3, 56),
        (6, 1 / 4, 27),
        (23, 1 / 3, 4600),
        (22, 1 / 6, 275),
    ],
)
def test_levenshtein_bound_attained_by_tight_codes(dims, cosine, points):
    # Levenshtein (1979): these configurations meet the bound exactly.
    assert bounds.levenshtein_bound(dims, cosine) == pytest.approx(points, rel=1e-9)


@pytest.mark.parametrize("dims", [3, 10, 50])
def test_levenshtein_degrees_one_and_two_by_hand(dims):
    # Degree 1: (s - 1) / s for s <= -1/D (simplex bound); degree 2:
    # 2D (1 - s) / (1 - D s) for -1/D <= s <= 0 (cross-polytope at s = 0).
    for s in (-0.9, -0.5, -1.0 / dims - 1e-3):
        assert bounds.levenshtein_bound(dims, s) == pytest.approx((s - 1) / s)
    for s in (-1.0 / dims + 1e-3, -0.5 / dims, 0.0):
        assert bounds.levenshtein_bound(dims, s) == pytest.approx(
            2 * dims * (1 - s) / (1 - dims * s)
        )


@pytest.mark.parametrize("dims", [5, 10, 24])
def test_levenshtein_degree_three_by_hand(dims):
    # Degree 3: f(t) = (t - s)(1 + c (t + 1/D))^2 with the mean -1/D and the
    # variance (D - 1)/D^2 of the weight (1 - t)^(alpha+1) (1 + t)^alpha,
    # c = D (D s + 1)/(D - 1); sphere moments E t = 0, E t^2 = 1/D, E t^3 = 0.
    end = (math.sqrt(dims + 3) - 1) / (dims + 2)  # largest zero ending degree 3
    for s in (0.2 * end, 0.6 * end, 0.95 * end):
        c = dims * (dims * s + 1) / (dims - 1)
        u = 1 + c / dims
        expected = (
            (1 - s) * (u + c) ** 2 / (2 * u * c / dims - s * u * u - s * c * c / dims)
        )
        assert bounds.levenshtein_bound(dims, s) == pytest.approx(expected, rel=1e-10)


def test_levenshtein_in_two_dims_is_the_polygon():
    for points in (5, 7, 12):
        s = math.cos(2 * math.pi / points)
        assert bounds.levenshtein_bound(2, s) == pytest.approx(points, rel=1e-9)


@pytest.mark.parametrize(
    "num_classes, dims, expected",
    [(100, 10, 0.2784), (1000, 64, 0.0916), (100, 25, 0.0688), (10_000, 128, 0.0827)],
)
def test_levenshtein_cosine_inverts_the_bound(num_classes, dims, expected):
    cosine = bounds.levenshtein_cosine(num_classes, dims)
    assert round(cosine, 4) == expected
    assert bounds.levenshtein_bound(dims, cosine) >= num_classes - 1e-6
    assert bounds.levenshtein_bound(dims, cosine - 1e-6) < num_classes


def test_levenshtein_cosine_of_tight_codes():
    assert bounds.levenshtein_cosine(240, 8) == pytest.approx(0.5, abs=1e-12)
    assert bounds.levenshtein_cosine(196_560, 24) == pytest.approx(0.5, abs=1e-12)
    assert bounds.levenshtein_cosine(11, 10) == pytest.approx(-0.1, abs=1e-12)


def test_lower_bound_takes_the_strongest():
    # Levenshtein beats the degree-2 bound (80 / 980) and the cap bound here.
    assert bounds.lower_bound(100, 10) == pytest.approx(0.278446, abs=1e-6)
    assert bounds.linear_programming_cosine(100, 10) == pytest.approx(80 / 980)
    assert bounds.cap_packing_cosine(100, 10) < 0.0
    # In 3 dims with 100,000 points Levenshtein needs a degree above 400:
    # the cap bound stands alone.
    assert math.isnan(bounds.levenshtein_cosine(100_000, 3))
    assert bounds.lower_bound(100_000, 3) == pytest.approx(
        bounds.cap_packing_cosine(100_000, 3)
    )


def test_cap_bound_exact_on_circle():
    for num_classes in (5, 6, 9):
        assert bounds.cap_packing_cosine(num_classes, 2) == pytest.approx(
            math.cos(2 * math.pi / num_classes), abs=1e-6
        )


def test_known_optimum_ranges():
    assert bounds.known_optimum(100, 100) == pytest.approx(-1 / 99)
    assert bounds.known_optimum(100, 50) == 0.0
    assert bounds.known_optimum(7, 2) == pytest.approx(math.cos(2 * math.pi / 7))
    assert bounds.known_optimum(240, 8) == 0.5
    assert bounds.known_optimum(100, 49) is None
    # Every universally optimal configuration meets Levenshtein's bound or
    # lies above it.
    for (points, dims), cosine in bounds.UNIVERSALLY_OPTIMAL.items():
        assert bounds.levenshtein_cosine(points, dims) <= cosine + 1e-12


def test_cap_fraction_hemisphere():
    assert bounds.cap_fraction(math.pi / 2, 3) == pytest.approx(0.5)
    assert bounds.cap_fraction(math.pi, 7) == pytest.approx(1.0)


@pytest.mark.parametrize("cosine", [1.0, -1.5, np.inf])
def test_levenshtein_bound_refuses_cosine_outside_range(cosine):
    with pytest.raises(ValueError, match=r"`cosine` must lie in \[-1, 1\)"):
        bounds.levenshtein_bound(8, cosine)
