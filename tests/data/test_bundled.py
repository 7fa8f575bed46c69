import numpy as np
import pytest

from keras_hpn import data


def test_digits_split_is_fixed_by_seed_and_stratified():
    first, again, other = data.digits(seed=3), data.digits(seed=3), data.digits(seed=4)
    np.testing.assert_array_equal(first.x_train, again.x_train)
    assert not np.array_equal(first.y_test, other.y_test)
    assert first.x_train.shape == (1347, 64) and first.x_test.shape == (450, 64)
    assert first.x_train.dtype == np.float32
    assert 0.0 <= first.x_train.min() and first.x_train.max() <= 1.0
    # Stratified: each class keeps a quarter of its images in the test set.
    from sklearn.datasets import load_digits

    per_class = np.bincount(load_digits().target)
    np.testing.assert_allclose(np.bincount(first.y_test), 0.25 * per_class, atol=1)


def test_bad_test_size():
    with pytest.raises(ValueError, match="test_size"):
        data.digits(test_size=1.5)
