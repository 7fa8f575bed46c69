import numpy as np
import pytest

from keras_hpn.prototypes.bounds import lower_bound
from keras_hpn.prototypes.constructions import table as constructions
from keras_hpn.prototypes.optimize.annealing import largest_cosine

pytestmark = pytest.mark.once  # backend-independent: first pass only


@pytest.mark.parametrize(
    "num_classes, dims",
    [(1000, 64), (1000, 100), (1000, 127), (300, 16), (200, 8), (4000, 24), (500, 50)],
)
def test_every_construction_keeps_its_guarantee(num_classes, dims):
    found = constructions.constructions(num_classes, dims)
    assert found
    # Best first; ties (to 1e-12, e.g. 1/3 from a code and from a
    # configuration) in either order.
    values = [round(c.largest_cosine, 12) for c in found]
    assert values == sorted(values)
    bound = lower_bound(num_classes, dims)
    for construction in found:
        points = construction.build()
        assert points.shape == (num_classes, dims)
        np.testing.assert_allclose(np.linalg.norm(points, axis=1), 1.0, atol=1e-12)
        measured = largest_cosine(points)
        assert bound - 1e-9 <= measured <= construction.largest_cosine + 1e-12


def test_shortened_and_punctured_names_and_values():
    # [128, 15, 56] shortened once: 2^14 words of length 127, distance 56.
    best = constructions.best_construction(10_000, 127)
    assert best.name == "extended BCH [128, 15, 56], shortened by 1"
    assert best.largest_cosine == pytest.approx(1 - 2 * 56 / 127)
    padded = constructions.best_construction(1000, 100)
    assert padded.name == "extended BCH [64, 10, 28], zero-padded from 64 dims"
    assert padded.largest_cosine == 0.125


@pytest.mark.parametrize(
    "num_classes, dims, name, cosine",
    [
        (1000, 64, "extended BCH [64, 10, 28]", 0.125),
        (4096, 64, "Kerdock (64, 4096, 28)", 0.125),
        (10_000, 128, "extended BCH [128, 15, 56]", 0.125),
        (4096, 24, "Golay [24, 12, 8]", 1 / 3),
        (240, 8, "E8 roots", 0.5),
        (120, 4, "600-cell", (1 + 5**0.5) / 4),
    ],
)
def test_best_constructions(num_classes, dims, name, cosine):
    best = constructions.best_construction(num_classes, dims)
    assert best.name == name
    assert best.largest_cosine == pytest.approx(cosine)


def test_optimal_flags_where_the_bound_is_met():
    assert constructions.best_construction(240, 8).optimal
    assert constructions.best_construction(12, 3).optimal
    assert constructions.best_construction(7, 2).optimal
    assert not constructions.best_construction(200, 8).optimal


def test_no_code_with_enough_words():
    # In 4 dims the largest code builds 16 words and the 600-cell has 120.
    with pytest.raises(ValueError, match=r"num_classes=1000 .* dims=4"):
        constructions.best_construction(1000, 4)


def test_named_code_missing_for_dims():
    with pytest.raises(
        ValueError, match=r"'Kerdock' has no version with num_classes=300"
    ):
        constructions.named_construction("Kerdock", 300, 10)
    named = constructions.named_construction("Reed-Muller", 100, 32)
    assert named.name.startswith("Reed-Muller RM(2, 5)")


def test_reed_muller_in_128_dims_is_a_true_length_128_code():
    # Once a padded RM(2, 6) came back: the length-128 words had overflowed.
    named = constructions.named_construction("Reed-Muller", 300, 128)
    assert named.name == "Reed-Muller RM(2, 7) [128, 29, 32]"
    assert named.native_dims == 128 and named.largest_cosine == 1 - 2 * 32 / 128
    points = named.build()
    assert points.shape == (300, 128)
    cosines = points @ points.T - 2 * np.eye(300)
    assert cosines.max() == pytest.approx(named.largest_cosine, abs=1e-12)
