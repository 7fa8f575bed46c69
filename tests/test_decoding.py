import numpy as np
import pytest

from keras_hpn import class_scores, decode_regression, predict_classes


def test_predict_classes_top_k():
    protos = np.eye(3)
    z = np.array([[0.2, 0.5, 0.3], [3.0, -1.0, 2.0]])
    np.testing.assert_array_equal(predict_classes(z, protos), [1, 0])
    np.testing.assert_array_equal(predict_classes(z, protos, k=2), [[1, 2], [0, 2]])


def test_class_scores_are_cosines():
    scores = class_scores([[3.0, 4.0]], [[1.0, 0.0], [0.0, 2.0]])
    np.testing.assert_allclose(scores, [[0.6, 0.8]])


def test_zero_output_scores_zero():
    np.testing.assert_array_equal(class_scores([[0.0, 0.0]], np.eye(2)), [[0.0, 0.0]])


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
