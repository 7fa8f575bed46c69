"""Real datasets that ship offline with scikit-learn, with fixed-seed splits."""

from __future__ import annotations

import dataclasses

import numpy as np


@dataclasses.dataclass(frozen=True)
class Split:
    """A train/test split: inputs `x_*` (float32) and targets `y_*`."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray


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

    if not 0.0 < test_size < 1.0:
        raise ValueError(
            f"`test_size` must be in (0, 1). Received: test_size={test_size}"
        )
    x, y = load_digits(return_X_y=True)
    x = (x / 16.0).astype("float32")
    x_train, x_test, y_train, y_test = train_test_split(
        x, y, test_size=test_size, random_state=seed, stratify=y
    )
    return Split(x_train, y_train.astype("int64"), x_test, y_test.astype("int64"))
