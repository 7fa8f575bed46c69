"""The classification data of the image items, per seed, and how to train on it.

`dims`, `fractions` and `representations` run on Fashion-MNIST (the
headline) or on scikit-learn's digits; this module hides the difference:
the split a seed draws, the body that fits the inputs, and the prototypes
of `hpn_semantic` (the bundled MiniLM vectors of the class names).
"""

from __future__ import annotations

import functools

import numpy as np

from keras_hpn import data
from keras_hpn.benchmarks import models
from keras_hpn.benchmarks.common import Settings

DIGIT_NAMES = tuple("zero one two three four five six seven eight nine".split())
# Held-out images of `split(..., validation=True)` (thresholds, temperatures).
FASHION_VALIDATION = 1000
DIGITS_VALIDATION = 0.15


def class_names(settings: Settings) -> tuple[str, ...]:
    """Class names by class id (they select the word vectors of the priors)."""
    if settings.dataset == "digits":
        return DIGIT_NAMES
    return tuple(data.fashion_mnist_class_names())


def split(
    settings: Settings, seed: int, share: float | None = None, validation: bool = False
) -> data.Split:
    """The split of one seed: `settings.train_size` training images, or
    `share` of the whole training set when given.

    `validation`: also hold out training images as `x_val`, `y_val`
    (stratified): on Fashion-MNIST 1,000 images drawn before the training
    subsample, so that the training set keeps its size; on digits 15% of
    the training set."""
    if settings.dataset == "digits":
        whole = data.digits(seed=seed)
        if validation:
            return _held_out(whole, DIGITS_VALIDATION, seed)
        if share is None:
            return whole
        count = max(10, int(round(share * len(whole.y_train))))
        chosen = np.random.default_rng(seed).permutation(len(whole.y_train))[:count]
        return data.Split(
            whole.x_train[chosen], whole.y_train[chosen], whole.x_test, whole.y_test
        )
    return data.fashion_mnist(
        seed=seed,
        train_size=settings.train_size if share is None else share,
        validation_size=FASHION_VALIDATION if validation else 0,
        flatten=settings.model == "mlp",
        source=settings.data_dir,
    )


def _held_out(split: data.Split, share: float, seed: int) -> data.Split:
    """`split` with a stratified `share` of its training set moved to validation."""
    from sklearn.model_selection import train_test_split

    x_train, x_val, y_train, y_val = train_test_split(
        split.x_train,
        split.y_train,
        test_size=share,
        random_state=seed,
        stratify=split.y_train,
    )
    return data.Split(x_train, y_train, split.x_test, split.y_test, x_val, y_val)


def body_maker(settings: Settings, x: np.ndarray):
    """`make_body` for `models.classifier`: the MLP or the CNN for inputs `x`."""
    hidden = settings.classification.hidden
    if settings.model == "cnn":
        return lambda: models.cnn_body(x.shape[1:], hidden)
    return lambda: models.body(x.shape[1], hidden)


@functools.lru_cache(maxsize=64)
def semantic(names: tuple[str, ...], dims: int, seed: int) -> np.ndarray:
    """Prototypes with semantic priors from the bundled MiniLM class-name vectors."""
    from keras_hpn.prototypes import BUNDLED_WORD_VECTORS, semantic_prototypes

    return semantic_prototypes(list(names), BUNDLED_WORD_VECTORS, dims, seed=seed)


def train(
    settings: Settings,
    kind: str,
    split: data.Split,
    dims: int,
    seed: int,
    classes: np.ndarray | None = None,
):
    """Trains one loss on `split` and returns `(test accuracy, model)`.

    `classes`: masks `(train, test)` of the examples to use (the classes
    of the representations item); `None` uses all.
    """
    x_train, y_train, x_test, y_test = (
        split.x_train,
        split.y_train,
        split.x_test,
        split.y_test,
    )
    if classes is not None:
        train_mask, test_mask = classes
        x_train, y_train = x_train[train_mask], y_train[train_mask]
        x_test, y_test = x_test[test_mask], y_test[test_mask]
    prototypes = None
    if kind == "hpn_semantic":
        names = class_names(settings)[: int(max(y_train.max(), y_test.max())) + 1]
        prototypes = semantic(tuple(names), dims, seed)
    return models.train_classifier(
        kind,
        x_train,
        y_train,
        x_test,
        y_test,
        dims,
        seed,
        settings.classification,
        make_body=body_maker(settings, x_train),
        prototypes=prototypes,
    )
