"""Representation analysis: class separation, linear CKA and linear probes.

The tools of Kornblith et al. (NeurIPS 2021), who found that losses which
separate classes more in the penultimate layer give features that transfer
worse. The maths is numpy (float64); only `features` and `SeparationLogger`
touch Keras, to read a layer's activations on any backend.
"""

from __future__ import annotations

import keras
import numpy as np

from keras_hpn.utils.validation import check_matrix, check_positive, check_size

# Below this total (squared chord) distance all examples point the same way,
# up to the rounding of normalising them.
_NO_SPREAD = 1e-24


def class_separation(features: object, labels: object) -> float:
    """Class separation `R^2 = 1 - dbar_within / dbar_total` of a representation.

    The distance is the cosine distance `d(a, b) = 1 - cos(a, b)`. Averaging
    follows the definition of Kornblith et al. (2021): every class counts the
    same, whatever its size, and the pairs include each example with itself:

    ```
    dbar_within = 1/K     sum_k          1/(N_k^2)    sum_{m,n in k} d(x_m, x_n)
    dbar_total  = 1/K^2   sum_{j,k}      1/(N_j N_k)  sum_{m in j, n in k} d(x_m, x_n)
    ```

    With equally sized classes `dbar_total` is the plain mean over all
    `N^2` ordered pairs. `R^2` is 1 when every class collapses onto one
    direction (and the classes differ) and always in `[0, 1]`. Labels
    unrelated to the features give about `1/N_k`, not exactly 0, because
    self-pairs count: near 0 for large classes, but random features of 1,000
    classes of 10 examples each give about 0.11.

    It is computed through the class means `m_k` of the unit vectors, without
    forming the `N x N` distance matrix (memory grows with the largest class,
    not with `N^2`): `dbar_total - dbar_within` is the spread of the class
    means, `1/K sum_k ||m_k - mean_j m_j||^2`.

    A zero feature vector (e.g. a dead ReLU layer) has no direction: it is
    given cosine 0 with every vector, itself included, i.e. distance 1,
    the convention of normalising with a small epsilon used throughout this
    package. If every example points the same way (`dbar_total = 0`) there
    is nothing to separate and the result is 0.

    Args:
        features: array `(num_examples, dims)`, e.g. from `features`.
        labels: array `(num_examples,)` of class labels (any values
            `np.unique` can sort), with at least two distinct classes.

    Returns:
        `R^2` as a Python float in `[0, 1]`.

    Example:

    ```python
    >>> x = [[1.0, 0.0], [2.0, 0.0], [0.0, 1.0], [0.0, 3.0]]
    >>> class_separation(x, [0, 0, 1, 1])
    1.0
    >>> class_separation(x, [0, 1, 0, 1])
    0.0
    ```

    References:
        - Kornblith, Chen, Lee, Norouzi, "Why Do Better Loss Functions Lead
          to Less Transferable Features?", NeurIPS 2021.
    """
    x = _matrix(features, "features")
    classes = _class_index(labels, x.shape[0], "labels")
    order = np.argsort(classes, kind="stable")
    counts = np.bincount(classes)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    means = np.empty((counts.size, x.shape[1]))
    within = np.empty(counts.size)
    for k, (start, count) in enumerate(zip(starts, counts, strict=True)):
        units = _unit_rows(x[order[start : start + count]])
        means[k] = units.mean(axis=0)
        # Mean over ordered pairs of 1 - u_m.u_n = share of zero vectors
        # + mean squared distance to the class mean (exact, no cancellation).
        zero_share = np.mean(~units.any(axis=1))
        within[k] = zero_share + np.mean(np.sum((units - means[k]) ** 2, axis=1))
    between = np.mean(np.sum((means - means.mean(axis=0)) ** 2, axis=1))
    total = within.mean() + between
    if total <= _NO_SPREAD:
        return 0.0
    return float(np.clip(between / total, 0.0, 1.0))


def linear_cka(x: object, y: object) -> float:
    """Linear centred kernel alignment (CKA) of two representations.

    With `X` and `Y` centred over examples (column means removed),
    `CKA = ||Y^T X||_F^2 / (||X^T X||_F ||Y^T Y||_F)`. It compares what two
    layers (or two models) compute on the same examples: it is 1 for
    representations equal up to a rotation and an isotropic scaling, is
    symmetric, lies in `[0, 1]`, and is near 0 for independent
    representations when `num_examples` is much larger than the widths.
    Computed in float64, in feature space or, when that is smaller, with the
    `num_examples x num_examples` Gram matrices.

    Args:
        x: array `(num_examples, p)`.
        y: array `(num_examples, q)`, the same examples in the same order.

    Returns:
        CKA as a Python float in `[0, 1]`.

    Example:

    ```python
    rng = np.random.default_rng(0)
    x = rng.normal(size=(100, 5))
    rotation, _ = np.linalg.qr(rng.normal(size=(5, 5)))
    round(linear_cka(x, 3.0 * x @ rotation), 12)
    # 1.0
    ```

    References:
        - Kornblith, Norouzi, Lee, Hinton, "Similarity of Neural Network
          Representations Revisited", ICML 2019.
        - Kornblith, Chen, Lee, Norouzi, "Why Do Better Loss Functions Lead
          to Less Transferable Features?", NeurIPS 2021.
    """
    x = _centred(_matrix(x, "x"), "x")
    y = _centred(_matrix(y, "y"), "y")
    if x.shape[0] != y.shape[0]:
        raise ValueError(
            "`x` and `y` must hold the same examples (same number of rows). "
            f"Received: x with {x.shape[0]} rows, y with {y.shape[0]} rows."
        )
    n, p, q = x.shape[0], x.shape[1], y.shape[1]
    if p * q + p * p + q * q <= 2 * n * n:
        cross = np.sum((y.T @ x) ** 2)
        norm_x = np.linalg.norm(x.T @ x)
        norm_y = np.linalg.norm(y.T @ y)
    else:
        gram_x, gram_y = x @ x.T, y @ y.T
        cross = np.sum(gram_x * gram_y)
        norm_x, norm_y = np.linalg.norm(gram_x), np.linalg.norm(gram_y)
    return float(np.clip(cross / (norm_x * norm_y), 0.0, 1.0))


def linear_probe(
    features_train: object,
    y_train: object,
    features_test: object,
    y_test: object,
    c: float = 1.0,
    max_iter: int = 1000,
    seed: int = 0,
) -> float:
    """Test accuracy of a linear classifier trained on frozen features.

    Features are standardised (mean and variance of the training features),
    then a multinomial logistic regression with an L2 penalty is fitted with
    scikit-learn (`LogisticRegression(C=c, solver="lbfgs")`). Kornblith et
    al. tune the penalty on a validation split; pass `c` to do the same.

    Args:
        features_train: array `(num_train, dims)` of frozen features.
        y_train: array `(num_train,)` of class labels, at least two classes.
        features_test: array `(num_test, dims)`.
        y_test: array `(num_test,)` of class labels.
        c: inverse strength of the L2 penalty (scikit-learn's `C`); smaller
            is stronger.
        max_iter: iterations of the L-BFGS solver.
        seed: `random_state` of the classifier (L-BFGS is deterministic; the
            seed is kept so that results are reproducible whatever the solver).

    Returns:
        Accuracy on the test set, a Python float in `[0, 1]`.

    Example:

    ```python
    split = keras_hpn.data.digits(seed=0)
    accuracy = linear_probe(split.x_train, split.y_train, split.x_test, split.y_test)
    accuracy > 0.9
    # True
    ```

    References:
        - Kornblith, Chen, Lee, Norouzi, "Why Do Better Loss Functions Lead
          to Less Transferable Features?", NeurIPS 2021.
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    x_train = _matrix(features_train, "features_train")
    x_test = _matrix(features_test, "features_test")
    if x_test.shape[1] != x_train.shape[1]:
        raise ValueError(
            "`features_test` must have as many columns as `features_train` "
            f"({x_train.shape[1]}). Received {x_test.shape[1]}."
        )
    _class_index(y_train, x_train.shape[0], "y_train")
    _class_index(y_test, x_test.shape[0], "y_test", min_classes=1)
    c = check_positive(c, "c")
    max_iter = check_size(max_iter, "max_iter", 1)
    probe = make_pipeline(
        StandardScaler(),
        LogisticRegression(C=c, max_iter=max_iter, random_state=seed),
    )
    probe.fit(x_train, np.ravel(y_train))
    return float(np.mean(probe.predict(x_test) == np.ravel(y_test)))


def features(
    model: keras.Model,
    x: object,
    layer: str | keras.layers.Layer | None = None,
    batch_size: int = 256,
) -> np.ndarray:
    """Activations of one layer of a Keras model, as numpy, computed batch-wise.

    Works for Functional models and for Sequential models whose input shape
    is known (built, or started with `keras.Input`), on every backend.

    Args:
        model: a Functional or built Sequential `keras.Model`.
        x: inputs the model accepts in `predict` (arrays, a dataset).
        layer: name of a layer of `model`, or the layer itself. `None` means
            the penultimate representation: the input of the model's last
            layer (what a final linear or prototype layer sees).
        batch_size: examples per batch.

    Returns:
        A numpy array `(num_examples, ...)` of the layer's outputs.

    Example:

    ```python
    inputs = keras.Input((3,))
    hidden = keras.layers.Dense(4, name="hidden")(inputs)
    model = keras.Model(inputs, keras.layers.Dense(2)(hidden))
    features(model, np.zeros((5, 3))).shape
    # (5, 4)
    ```

    References:
        - Kornblith, Chen, Lee, Norouzi, "Why Do Better Loss Functions Lead
          to Less Transferable Features?", NeurIPS 2021.
    """
    batch_size = check_size(batch_size, "batch_size", 1)
    extractor = _extractor(model, layer)
    return np.asarray(extractor.predict(x, batch_size=batch_size, verbose=0))


class SeparationLogger(keras.callbacks.Callback):
    """Logs the class separation `R^2` of a layer's features at each epoch end.

    At the end of every epoch the callback computes `features(model, x,
    layer)` (flattened to `(num_examples, -1)`) and `class_separation` of
    them with labels `y`, and writes the value into `logs[name]`. Place it
    before other callbacks that read it (`EarlyStopping`, `CSVLogger`);
    Keras' `History` and progress bar come last, so they show it.

    Args:
        x: inputs to compute features on (e.g. a held-out split); arrays.
        y: array `(num_examples,)` of class labels of `x`.
        layer: layer name or layer, as in `features`; `None` means the input
            of the model's last layer.
        name: key under which the value is written in `logs`.
        batch_size: batch size of the feature extraction.

    Example:

    ```python
    split = keras_hpn.data.digits(seed=0)
    inputs = keras.Input((64,))
    hidden = keras.layers.Dense(16, activation="relu")(inputs)
    model = keras.Model(inputs, keras.layers.Dense(10)(hidden))
    model.compile(
        "adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    )
    logger = SeparationLogger(split.x_test, split.y_test)
    history = model.fit(
        split.x_train, split.y_train, epochs=2, callbacks=[logger], verbose=0
    )
    len(history.history["class_separation"])
    # 2
    ```

    References:
        - Kornblith, Chen, Lee, Norouzi, "Why Do Better Loss Functions Lead
          to Less Transferable Features?", NeurIPS 2021.
    """

    def __init__(
        self,
        x: object,
        y: object,
        layer: str | keras.layers.Layer | None = None,
        name: str = "class_separation",
        batch_size: int = 256,
    ):
        super().__init__()
        if not isinstance(name, str) or not name:
            raise ValueError(f"`name` must be a non-empty string. Received: {name!r}")
        self.x = x
        self.y = np.ravel(np.asarray(y))
        shape = getattr(x, "shape", None)
        num_examples = shape[0] if shape else None
        _class_index(self.y, num_examples, "y")
        self.layer = layer
        self.name = name
        self.batch_size = check_size(batch_size, "batch_size", 1)
        self._extractor = None

    def on_train_begin(self, logs=None):
        self._extractor = _extractor(self.model, self.layer)

    def on_epoch_end(self, epoch, logs=None):
        if self._extractor is None:
            self._extractor = _extractor(self.model, self.layer)
        outputs = self._extractor.predict(self.x, batch_size=self.batch_size, verbose=0)
        outputs = np.asarray(outputs)
        value = class_separation(outputs.reshape(outputs.shape[0], -1), self.y)
        if logs is not None:
            logs[self.name] = value


def _matrix(value: object, name: str) -> np.ndarray:
    """`value` as a finite 2-D array of at least 2 examples (floats kept)."""
    return check_matrix(value, name, "num_examples", 2)


def _class_index(
    labels: object, num_examples: int | None, name: str, min_classes: int = 2
) -> np.ndarray:
    """Integer class ids `0..K-1` of `labels`, after checking them."""
    array = np.asarray(labels)
    if array.ndim == 2 and array.shape[1] == 1:
        array = array[:, 0]
    if array.ndim != 1:
        raise ValueError(
            f"`{name}` must be 1-D, one label per example. Received an array of "
            f"shape {array.shape}."
        )
    if num_examples is not None and array.shape[0] != num_examples:
        raise ValueError(
            f"`{name}` must have one label per example ({num_examples}). "
            f"Received {array.shape[0]} labels."
        )
    if np.issubdtype(array.dtype, np.floating) and not np.isfinite(array).all():
        raise ValueError(f"`{name}` holds NaN or infinite labels.")
    classes, index = np.unique(array, return_inverse=True)
    if classes.size < min_classes:
        raise ValueError(
            f"`{name}` must hold at least {min_classes} distinct classes. "
            f"Received {classes.size}: {classes.tolist()}."
        )
    return index.reshape(-1)


def _unit_rows(x: np.ndarray) -> np.ndarray:
    """Rows of `x` scaled to unit length in float64; zero rows stay zero."""
    x = np.asarray(x, dtype=np.float64)
    # Divide by the largest entry first so that huge features do not overflow.
    scale = np.max(np.abs(x), axis=1, keepdims=True)
    x = np.divide(x, scale, out=np.zeros_like(x), where=scale > 0)
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return np.divide(x, norms, out=np.zeros_like(x), where=norms > 0)


def _centred(x: np.ndarray, name: str) -> np.ndarray:
    """`x` in float64 with column means removed and unit Frobenius norm."""
    x = np.asarray(x, dtype=np.float64)
    x = x - x.mean(axis=0)
    norm = np.linalg.norm(x)
    if not norm > 0:
        raise ValueError(
            f"`{name}` is the same for every example (zero after centring); "
            "CKA is undefined for a constant representation."
        )
    # CKA ignores isotropic scale; dividing keeps the products in range.
    return x / norm


def _extractor(model: object, layer: object) -> keras.Model:
    """A model from `model`'s inputs to the output of `layer` (see `features`)."""
    if not isinstance(model, keras.Model):
        raise ValueError(
            f"`model` must be a keras.Model. Received: {type(model).__name__}"
        )
    # `input` keeps the structure a Functional model was built with (tensor,
    # list, dict), so the extractor takes the same `x` without a warning;
    # a Sequential model only has `inputs`.
    try:
        inputs = model.input
    except (AttributeError, ValueError):
        try:
            inputs = model.inputs
        except (AttributeError, ValueError):
            inputs = None
    if isinstance(inputs, list) and len(inputs) == 1:
        inputs = inputs[0]
    if inputs is None:
        raise ValueError(
            f"`model` ({model.name}) has no symbolic inputs: `features` needs a "
            "Functional model, or a Sequential model that is built (start it "
            "with `keras.Input`). Subclassed models cannot expose a layer."
        )
    if layer is None:
        if not model.layers:
            raise ValueError(f"`model` ({model.name}) has no layers.")
        output = model.layers[-1].input
        if isinstance(output, list | tuple | dict):
            raise ValueError(
                f"The last layer of `model` ({model.layers[-1].name}) has several "
                "inputs; pass `layer` to say which representation to read."
            )
    else:
        if isinstance(layer, str):
            try:
                target = model.get_layer(layer)
            except ValueError as error:
                raise ValueError(f"`layer`: {error}") from error
        elif isinstance(layer, keras.layers.Layer):
            if not any(candidate is layer for candidate in model.layers):
                raise ValueError(
                    f"`layer` ({layer.name}) is not a layer of `model` ({model.name})."
                )
            target = layer
        else:
            raise ValueError(
                "`layer` must be a layer name, a keras layer or None. "
                f"Received: {layer!r}"
            )
        output = target.output
    return keras.Model(inputs, output)
