import numpy as np
import pytest

from keras_hpn import data

pytestmark = pytest.mark.once  # backend-independent: first pass only


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


def test_wine_holds_out_alcohol_as_the_regression_target():
    from sklearn.datasets import load_wine

    split, again = data.wine(seed=0), data.wine(seed=0)
    np.testing.assert_array_equal(split.x_train, again.x_train)
    assert split.x_train.shape == (133, 12) and split.x_test.shape == (45, 12)
    assert split.y_train.shape == (133, 2) and split.y_train.dtype == np.float32
    assert split.x_train.dtype == np.float32
    raw = load_wine()
    # Column 0 of y: the cultivar, stratified (59/71/48 wines in all).
    np.testing.assert_array_equal(
        np.bincount(split.y_train[:, 0].astype(int))
        + np.bincount(split.y_test[:, 0].astype(int)),
        [59, 71, 48],
    )
    np.testing.assert_allclose(
        np.bincount(split.y_test[:, 0].astype(int)),
        0.25 * np.array([59, 71, 48]),
        atol=1,
    )
    # Column 1: the alcohol content, no longer an input.
    targets = np.concatenate([split.y_train[:, 1], split.y_test[:, 1]])
    np.testing.assert_allclose(np.sort(targets), np.sort(raw.data[:, 0]), rtol=1e-6)
    assert (targets.min(), targets.max()) == pytest.approx((11.03, 14.83))
    # Inputs standardised with the training statistics: exactly on train only.
    np.testing.assert_allclose(split.x_train.mean(axis=0), 0.0, atol=1e-5)
    np.testing.assert_allclose(split.x_train.std(axis=0), 1.0, atol=1e-5)
    assert np.abs(split.x_test.mean(axis=0)).max() > 1e-3
    # The rows: sklearn's stratified split of the indices with the same seed.
    from sklearn.model_selection import train_test_split

    train_rows, test_rows = train_test_split(
        np.arange(178), test_size=0.25, random_state=0, stratify=raw.target
    )
    np.testing.assert_allclose(split.y_train[:, 1], raw.data[train_rows, 0], rtol=1e-6)
    np.testing.assert_array_equal(split.y_test[:, 0], raw.target[test_rows])
    inputs = raw.data[:, 1:]
    mean, std = inputs[train_rows].mean(axis=0), inputs[train_rows].std(axis=0)
    np.testing.assert_allclose(
        split.x_test, (inputs[test_rows] - mean) / std, rtol=1e-5, atol=1e-5
    )
    assert not np.array_equal(split.y_test, data.wine(seed=1).y_test)


def test_diabetes_split_and_standardisation():
    from sklearn.datasets import load_diabetes

    split = data.diabetes(seed=0)
    assert split.x_train.shape == (331, 10) and split.x_test.shape == (111, 10)
    assert split.y_train.shape == (331,) and split.y_train.dtype == np.float32
    raw = load_diabetes(scaled=False)
    targets = np.concatenate([split.y_train, split.y_test])
    np.testing.assert_array_equal(np.sort(targets), np.sort(raw.target))
    assert (targets.min(), targets.max()) == (25.0, 346.0)
    np.testing.assert_allclose(split.x_train.mean(axis=0), 0.0, atol=1e-5)
    np.testing.assert_allclose(split.x_train.std(axis=0), 1.0, atol=1e-5)
    # Sex (column 1) takes two values, which standardise to two values.
    assert len(np.unique(split.x_train[:, 1])) == 2
    np.testing.assert_array_equal(split.x_train, data.diabetes(seed=0).x_train)
    assert not np.array_equal(split.y_test, data.diabetes(seed=1).y_test)


@pytest.mark.parametrize("loader", [data.wine, data.diabetes])
def test_bad_test_size_of_wine_and_diabetes(loader):
    with pytest.raises(ValueError, match="test_size=0"):
        loader(test_size=0)
