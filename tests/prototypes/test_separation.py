import math

import numpy as np
import pytest

from keras_hpn.prototypes import placement
from keras_hpn.prototypes.bounds import cap_fraction, known_optimum, lower_bound
from keras_hpn.prototypes.separation import separation

pytestmark = pytest.mark.once  # backend-independent: first pass only


def test_separation_of_hand_example():
    result = separation([[1.0, 0.0], [0.6, 0.8], [-1.0, 0.0]])
    assert result.largest_cosine == pytest.approx(0.6)
    assert result.smallest_angle == pytest.approx(math.degrees(math.acos(0.6)))
    # Nearest cosines: 0.6, 0.6, -0.6 -> mean 0.2.
    assert result.mean_nearest_cosine == pytest.approx(0.2)
    assert result.optimum == pytest.approx(-0.5)
    assert "largest cosine 0.600000" in str(result)


def test_known_optimum_ranges():
    assert known_optimum(100, 100) == pytest.approx(-1 / 99)
    assert known_optimum(100, 50) == 0.0
    assert known_optimum(100, 49) is None


def test_lower_bound_is_levenshtein():
    # The figures: Levenshtein proves at least 0.2784 and 0.0916.
    assert round(lower_bound(100, 10), 4) == 0.2784
    assert round(lower_bound(1000, 64), 4) == 0.0916
    # On the circle the bound is the regular polygon's cos(2 pi / K).
    for num_classes in (5, 6, 9):
        assert lower_bound(num_classes, 2) == pytest.approx(
            math.cos(2 * math.pi / num_classes), abs=1e-12
        )


@pytest.mark.parametrize("num_classes, dims", [(13, 3), (30, 4), (60, 6)])
def test_lower_bound_below_achieved(num_classes, dims):
    points = placement.hyperspherical(num_classes, dims, seed=0)
    result = separation(points)
    assert result.optimum is None
    assert result.lower_bound < result.largest_cosine
    assert result.gap == pytest.approx(result.largest_cosine - result.lower_bound)


def test_separation_of_an_optimum_has_zero_gap():
    result = separation(placement.place(12, 3, seed=0))
    assert result.optimum == pytest.approx(1 / math.sqrt(5))
    assert abs(result.gap) < 1e-12
    assert result.method == "code (icosahedron)"
    assert "(gap 0.000000), method code (icosahedron)" in str(result)


def test_cap_fraction_hemisphere():
    assert cap_fraction(math.pi / 2, 3) == pytest.approx(0.5)
    assert cap_fraction(math.pi, 7) == pytest.approx(1.0)


def test_separation_refuses_bad_input():
    with pytest.raises(ValueError, match="at least 2 rows"):
        separation([[1.0, 0.0]])
    with pytest.raises(ValueError, match="NaN"):
        separation([[1.0, np.nan], [0.0, 1.0]])
