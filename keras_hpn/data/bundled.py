"""Real datasets that ship offline with scikit-learn, with fixed-seed splits."""

from __future__ import annotations

import dataclasses

import numpy as np


@dataclasses.dataclass(frozen=True)
class Split:
    """A train/test split: inputs `x_*` (float32) and targets `y_*`.

    `x_val`, `y_val` hold a validation set where one was asked for (see
    `fashion_mnist`), else `None`.
    """

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    x_val: np.ndarray | None = None
    y_val: np.ndarray | None = None


def digits(seed: int = 0, test_size: float = 0.25) -> Split:
    """scikit-learn's handwritten digits: 1,797 8x8 images of 10 classes.

    Pixels are scaled from `[0, 16]` to `[0, 1]` and flattened to 64
    features; the split is stratified by class and fixed by `seed`.

    Args:
        seed: seed of the split.
        test_size: share of the examples held out for testing, in `(0, 1)`.

    Returns:
        A `Split` with integer labels `y_train`, `y_test`.

    Example:

    ```python
    >>> split = digits(seed=0)
    >>> split.x_train.shape, split.x_test.shape
    ((1347, 64), (450, 64))
    ```
    """
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    _check_test_size(test_size)
    x, y = load_digits(return_X_y=True)
    x = (x / 16.0).astype("float32")
    x_train, x_test, y_train, y_test = train_test_split(
        x, y, test_size=test_size, random_state=seed, stratify=y
    )
    return Split(x_train, y_train.astype("int64"), x_test, y_test.astype("int64"))


def _check_test_size(test_size: float) -> None:
    if not 0.0 < test_size < 1.0:
        raise ValueError(
            f"`test_size` must be in (0, 1). Received: test_size={test_size}"
        )


def _standardized(x_train: np.ndarray, x_test: np.ndarray):
    """Both sets standardised with the training set's mean and std (float32)."""
    mean = x_train.mean(axis=0)
    std = x_train.std(axis=0)
    std = np.where(std > 0, std, 1.0)  # a constant feature stays at zero
    return (
        ((x_train - mean) / std).astype("float32"),
        ((x_test - mean) / std).astype("float32"),
    )


def wine(seed: int = 0, test_size: float = 0.25) -> Split:
    """scikit-learn's wine: 178 wines of 3 cultivars, with alcohol as a target.

    The first chemical measurement, alcohol (in % by volume, 11.03 to
    14.83), is held out of the inputs and serves as the regression target,
    so one output can learn the cultivar and the alcohol together (as
    `keras_hpn.losses.MultiTaskLoss` expects). The other 12 measurements are
    the inputs, standardised with the training set's mean and standard
    deviation. The split is stratified by cultivar and fixed by `seed`.

    Args:
        seed: seed of the split.
        test_size: share of the examples held out for testing, in `(0, 1)`.

    Returns:
        A `Split` whose `y_train`, `y_test` are float32 arrays of shape
        `(n, 2)`: column 0 the cultivar id (0, 1 or 2), column 1 the
        alcohol content.

    Example:

    ```python
    >>> split = wine(seed=0)
    >>> split.x_train.shape, split.y_train.shape, split.x_test.shape
    ((133, 12), (133, 2), (45, 12))
    >>> sorted(set(split.y_train[:, 0].astype(int).tolist()))
    [0, 1, 2]
    ```
    """
    from sklearn.datasets import load_wine
    from sklearn.model_selection import train_test_split

    _check_test_size(test_size)
    x, labels = load_wine(return_X_y=True)
    y = np.stack([labels, x[:, 0]], axis=1).astype("float32")
    x_train, x_test, y_train, y_test = train_test_split(
        x[:, 1:], y, test_size=test_size, random_state=seed, stratify=labels
    )
    x_train, x_test = _standardized(x_train, x_test)
    return Split(x_train, y_train, x_test, y_test)


def diabetes(seed: int = 0, test_size: float = 0.25) -> Split:
    """scikit-learn's diabetes: 442 patients, 10 measurements, one regression target.

    The target is a measure of disease progression one year after baseline
    (25 to 346). The inputs are the raw measurements (age, sex, body mass
    index, blood pressure and six blood serum measurements), standardised
    with the training set's mean and standard deviation. The split is fixed
    by `seed`.

    Args:
        seed: seed of the split.
        test_size: share of the examples held out for testing, in `(0, 1)`.

    Returns:
        A `Split` with float32 targets `y_train`, `y_test` of shape `(n,)`.

    Example:

    ```python
    >>> split = diabetes(seed=0)
    >>> split.x_train.shape, split.y_train.shape, split.x_test.shape
    ((331, 10), (331,), (111, 10))
    ```
    """
    from sklearn.datasets import load_diabetes
    from sklearn.model_selection import train_test_split

    _check_test_size(test_size)
    x, y = load_diabetes(return_X_y=True, scaled=False)
    x_train, x_test, y_train, y_test = train_test_split(
        x, y.astype("float32"), test_size=test_size, random_state=seed
    )
    x_train, x_test = _standardized(x_train, x_test)
    return Split(x_train, y_train, x_test, y_test)
