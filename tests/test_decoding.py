import numpy as np
import pytest

from keras_hpn import (
    acceptance_threshold,
    class_scores,
    decode_regression,
    predict_classes,
)

pytestmark = pytest.mark.once  # backend-independent: first pass only


def test_predict_classes_top_k():
    protos = np.eye(3)
    z = np.array([[0.2, 0.5, 0.3], [3.0, -1.0, 2.0]])
    np.testing.assert_array_equal(predict_classes(z, protos), [1, 0])
    np.testing.assert_array_equal(predict_classes(z, protos, k=2), [[1, 2], [0, 2]])


def test_class_scores_are_cosines():
    scores = class_scores([[3.0, 4.0]], [[1.0, 0.0], [0.0, 2.0]])
    np.testing.assert_allclose(scores, [[0.6, 0.8]])


def test_zero_output_has_no_class():
    # No direction, no class: a zero output was class 0 (ties to the lower id).
    z = [[0.0, 0.0], [0.0, 2.0]]
    np.testing.assert_array_equal(predict_classes(z, np.eye(2)), [-1, 1])
    classes, scores = predict_classes(z, np.eye(2), k=2, return_scores=True)
    np.testing.assert_array_equal(classes, [[-1, -1], [1, 0]])
    assert np.isnan(scores[0]).all()
    np.testing.assert_array_equal(class_scores(z, np.eye(2)), [[np.nan] * 2, [0, 1]])
    # Regression reads it as the loss does: cosine 0, the middle of the range.
    np.testing.assert_array_equal(decode_regression(z, 0.0, 10.0), [5.0, 5.0])


def test_decode_regression_inverts_target_mapping():
    lower, upper = -3.0, 9.0
    targets = np.array([-3.0, 0.0, 4.5, 9.0])
    r = 2 * (targets - lower) / (upper - lower) - 1
    z = np.stack([r, np.sqrt(1 - r**2)], axis=1)  # cos(z, e_0) = r
    np.testing.assert_allclose(decode_regression(z, lower, upper), targets, atol=1e-12)


def test_width_mismatch_and_bad_range():
    with pytest.raises(ValueError, match=r"width 3.*dimension 2"):
        predict_classes(np.ones((1, 3)), np.eye(2))
    with pytest.raises(ValueError, match="lower"):
        decode_regression(np.ones((1, 2)), 1.0, 0.0)


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_non_finite_outputs_have_no_class(bad):
    z = np.array([[bad, 0.0, 0.0], [0.0, 1.0, 0.0]])
    np.testing.assert_array_equal(predict_classes(z, np.eye(3)), [-1, 1])
    np.testing.assert_array_equal(
        predict_classes(z, np.eye(3), k=2), [[-1, -1], [1, 0]]
    )
    assert np.isnan(class_scores(z, np.eye(3))[0]).all()
    assert np.isnan(decode_regression(z, 0.0, 1.0)[0])


def test_huge_outputs_decode_like_their_directions():
    z = np.array([[3e200, 4e200], [-1e300, 0.0]])
    np.testing.assert_allclose(class_scores(z, np.eye(2)), [[0.6, 0.8], [-1.0, 0.0]])
    np.testing.assert_allclose(decode_regression(z, 0.0, 10.0), [8.0, 0.0])


def test_k_larger_than_the_classes_is_refused():
    with pytest.raises(ValueError, match="at most the number of prototypes"):
        predict_classes(np.ones((1, 2)), np.eye(2), k=3)


def test_one_dimensional_regression_is_refused():
    with pytest.raises(ValueError, match="dims"):
        decode_regression(np.ones((2, 1)), 0.0, 1.0)


def _best_cosines(cosines):
    """Outputs on the plane whose largest cosine with `np.eye(2)` is each value."""
    cosines = np.asarray(cosines, dtype=float)
    return np.stack([cosines, np.sqrt(1.0 - cosines**2)], axis=1)


def test_min_cosine_rejects_what_scores_below():
    z = _best_cosines([0.95, 0.8])  # cosines with e_1: 0.312, 0.6
    np.testing.assert_array_equal(
        predict_classes(z, np.eye(2), min_cosine=0.9), [0, -1]
    )
    np.testing.assert_array_equal(predict_classes(z, np.eye(2), min_cosine=0.8), [0, 0])
    classes, scores = predict_classes(
        z, np.eye(2), k=2, return_scores=True, min_cosine=0.5
    )
    # Each entry below 0.5 reads -1; the scores stay the cosines.
    np.testing.assert_array_equal(classes, [[0, -1], [0, 1]])
    np.testing.assert_allclose(scores, [[0.95, np.sqrt(1 - 0.95**2)], [0.8, 0.6]])
    # A row with no direction stays -1 whatever the threshold.
    np.testing.assert_array_equal(
        predict_classes([[0.0, 0.0]], np.eye(2), min_cosine=-1.0), [-1]
    )


@pytest.mark.parametrize(
    "accept, expected", [(0.75, 0.85), (0.7, 0.85), (1.0, 0.8), (0.25, 0.95)]
)
def test_acceptance_threshold_is_the_mth_best_cosine(accept, expected):
    z = _best_cosines([0.8, 0.95, 0.85, 0.9])
    threshold = acceptance_threshold(z, np.eye(2), accept=accept)
    assert threshold == pytest.approx(expected, abs=1e-12)
    accepted = predict_classes(z, np.eye(2), min_cosine=threshold) >= 0
    assert accepted.mean() >= accept
    assert accepted.sum() == int(np.ceil(accept * 4 - 1e-9))


def test_acceptance_threshold_of_tenths_is_not_rounded_up():
    # 0.7 * 10 is 7.000000000000001 in floats: still the 7th best, not the 8th.
    z = _best_cosines(np.linspace(0.99, 0.9, 10))
    assert acceptance_threshold(z, np.eye(2), accept=0.7) == pytest.approx(0.93)


def test_outputs_with_no_direction_count_as_rejected():
    z = np.vstack([[[0.0, 0.0]], _best_cosines([0.9, 0.8, 0.75])])
    assert acceptance_threshold(z, np.eye(2), accept=0.75) == pytest.approx(0.75)
    with pytest.raises(ValueError, match="Only 3 of the 4"):
        acceptance_threshold(z, np.eye(2), accept=1.0)
