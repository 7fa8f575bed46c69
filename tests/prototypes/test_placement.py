import collections
import sys

import numpy as np
import pytest

from keras_hpn.prototypes import placement
from keras_hpn.prototypes.optimize.annealing import largest_cosine
from keras_hpn.utils import validation

pytestmark = pytest.mark.once  # backend-independent: first pass only


def gram_off_diagonal(points):
    gram = points @ points.T
    return gram[~np.eye(len(points), dtype=bool)]


@pytest.mark.parametrize("num_classes, dims", [(2, 2), (3, 2), (5, 4), (10, 20)])
def test_simplex_every_pair_at_minus_one_over_k_minus_one(num_classes, dims):
    points = placement.simplex(num_classes, dims, seed=1)
    np.testing.assert_allclose(np.linalg.norm(points, axis=1), 1.0, atol=1e-12)
    np.testing.assert_allclose(
        gram_off_diagonal(points), -1.0 / (num_classes - 1), atol=1e-12
    )


def test_cross_polytope_pairs_orthogonal_or_opposite():
    points = placement.cross_polytope(7, 4, seed=3)
    cosines = gram_off_diagonal(points)
    assert np.all(np.isclose(cosines, 0.0, atol=1e-12) | np.isclose(cosines, -1.0))
    assert largest_cosine(points) == pytest.approx(0.0, abs=1e-12)


@pytest.mark.parametrize(
    "num_classes, dims, optimum", [(100, 100, -1.0 / 99), (100, 50, 0.0)]
)
def test_auto_reaches_known_optimum_in_closed_form(num_classes, dims, optimum):
    points = placement.hyperspherical(num_classes, dims, seed=0)
    assert points.dtype == np.float64
    assert abs(largest_cosine(points) - optimum) < 1e-6


def test_seed_rotates_and_is_deterministic():
    first = placement.hyperspherical(10, 5, seed=4)
    np.testing.assert_array_equal(first, placement.hyperspherical(10, 5, seed=4))
    assert not np.allclose(first, placement.hyperspherical(10, 5, seed=5))


def test_auto_dispatch_by_size():
    # 11 = D + 1 classes in 10 dims: simplex; 20 = 2D: cross-polytope.
    assert largest_cosine(placement.hyperspherical(11, 10, seed=0)) == pytest.approx(
        -0.1, abs=1e-12
    )
    assert largest_cosine(placement.hyperspherical(20, 10, seed=0)) == pytest.approx(
        0.0, abs=1e-12
    )


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"num_classes": 1, "dims": 3}, "num_classes"),
        ({"num_classes": 5, "dims": 1}, "dims"),
        ({"num_classes": 5, "dims": 3, "method": "magic"}, "method"),
        ({"num_classes": 2.5, "dims": 3}, "num_classes"),
    ],
)
def test_bad_sizes_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        placement.hyperspherical(**kwargs)


def test_closed_forms_refuse_too_many_classes():
    with pytest.raises(ValueError, match="simplex"):
        placement.simplex(5, 3)
    with pytest.raises(ValueError, match="cross-polytope"):
        placement.cross_polytope(7, 3)


def test_multitask_classes_orthogonal_to_regression_axis():
    classes, axis = placement.multitask(6, 4, seed=0)
    np.testing.assert_allclose(classes @ axis, 0.0, atol=1e-12)
    assert classes.shape == (6, 4)
    # 6 classes in the 3 remaining dims: the cross-polytope, optimum 0.
    assert largest_cosine(classes) == pytest.approx(0.0, abs=1e-12)


def test_random_rotation_is_orthogonal():
    rotation = placement.random_rotation(6, seed=2)
    np.testing.assert_allclose(rotation @ rotation.T, np.eye(6), atol=1e-12)


def exact_largest_cosine(points):
    # Float64 cosines of the whole matrix (no blocks), for the exact check.
    gram = points @ points.T
    np.fill_diagonal(gram, -np.inf)
    return float(gram.max())


@pytest.mark.parametrize(
    "num_classes, dims, construction",
    [
        (1000, 64, "extended BCH [64, 10, 28]"),
        (10_000, 128, "extended BCH [128, 15, 56]"),
    ],
)
def test_auto_takes_the_code_at_the_issues_targets(num_classes, dims, construction):
    placed = placement.place(num_classes, dims, seed=0)
    assert placed.method == "code"
    assert placed.construction == construction
    assert placed.prototypes.shape == (num_classes, dims)
    if num_classes <= 1000:
        assert exact_largest_cosine(placed.prototypes) <= 0.125 + 1e-9
    else:
        # Blocked float64 cosines (the full matrix would take 800 MB).
        assert largest_cosine(placed.prototypes) <= 0.125 + 1e-9
    # Unrotated, the +-1 words' inner products are exact integers: n - 2d,
    # with d = 28 of 64 and 56 of 128 (row blocks of 1,000 keep memory low).
    words = (placement.place(num_classes, dims).prototypes * np.sqrt(dims)).round()
    largest = -dims
    for start in range(0, num_classes, 1000):
        gram = words[start : start + 1000] @ words.T
        gram[np.arange(len(gram)), np.arange(start, start + len(gram))] = -dims
        largest = max(largest, int(gram.max()))
    assert largest == dims - 2 * (dims * 7 // 16)


@pytest.mark.parametrize(
    "num_classes, dims, optimum", [(240, 8, 0.5), (12, 3, 0.2**0.5), (9, 2, None)]
)
def test_auto_reaches_proven_optima(num_classes, dims, optimum):
    if optimum is None:
        optimum = np.cos(2 * np.pi / num_classes)
    placed = placement.place(num_classes, dims, seed=1)
    assert placed.method == "code"
    assert exact_largest_cosine(placed.prototypes) == pytest.approx(optimum, abs=1e-12)


def test_auto_records_what_it_compared():
    placed = placement.place(20, 6, seed=0)
    assert placed.method == "optimize"
    assert set(placed.candidates) == {
        "code: E6 27 points",
        "code+optimize: E6 27 points",
        "optimize",
    }
    assert placed.candidates["optimize"] == pytest.approx(
        largest_cosine(placed.prototypes)
    )
    assert placed.candidates["optimize"] < placed.candidates["code: E6 27 points"]


def test_code_method_refuses_where_no_code_fits():
    with pytest.raises(ValueError, match=r"num_classes=1000 prototypes in dims=4"):
        placement.hyperspherical(1000, 4, method="code")


def test_too_many_classes_refused_up_front():
    with pytest.raises(ValueError, match=r"num_classes=10000000000 .* GiB"):
        placement.hyperspherical(10**10, 256)


def _argument_checks(run) -> collections.Counter:
    """How often `run()` calls each shared argument check, by argument name."""
    checks = {
        function.__code__: name
        for name, function in vars(validation).items()
        if name.startswith("check_") and callable(function)
    }
    calls = collections.Counter()

    def profile(frame, event, arg):
        if event == "call" and frame.f_code in checks:
            argument = frame.f_locals.get("name", frame.f_code.co_varnames[0])
            calls[f"{checks[frame.f_code]}({argument})"] += 1

    sys.setprofile(profile)
    try:
        run()
    finally:
        sys.setprofile(None)
    return calls


@pytest.mark.parametrize(
    "run",
    [
        lambda: placement.hyperspherical(1000, 64, seed=0),
        lambda: placement.place(100, 10, seed=0),
    ],
    ids=["hyperspherical(1000, 64)", "place(100, 10)"],
)
def test_each_public_argument_is_checked_once(run):
    """The public function checks; the implementations behind it trust it
    (`hyperspherical(1000, 64, seed=0)` used to run `check_size` 20 times)."""
    assert _argument_checks(run) == {
        "check_size(num_classes)": 1,
        "check_size(dims)": 1,
        "check_seed(seed)": 1,
        "check_max_seconds(value)": 1,
    }
