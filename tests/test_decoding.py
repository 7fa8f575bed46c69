import numpy as np
import pytest

from keras_hpn import class_scores, decode_regression, predict_classes

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
