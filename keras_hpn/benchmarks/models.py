"""Networks and training runs shared by the benchmarks.

Every loss is trained on the same body (one hidden ReLU layer, named
`features`), the same optimiser and the same budget; only the head and the
loss differ:

* `hpn`: `L2NormalizedProjection(dims)` with `PrototypeCosineLoss`, the
  prototypes placed by `hyperspherical`;
* `hpn_semantic`: the same with prototypes given by the caller (semantic
  priors from the class names' word vectors);
* `softmax`: a linear `dims`-wide bottleneck (left out when `dims` equals
  the number of classes) and a linear layer of class logits, softmax
  cross-entropy;
* `cosine`: the same bottleneck, then logits `scale * cos(z, w_k)` against
  learned class weights (cosine softmax), softmax cross-entropy.
"""

from __future__ import annotations

import dataclasses
import math

import keras
import numpy as np
from keras import ops

from keras_hpn.decoding import decode_regression, predict_classes
from keras_hpn.layers import L2NormalizedProjection
from keras_hpn.losses import (
    HypersphericalRegressionLoss,
    MultiTaskLoss,
    PrototypeCosineLoss,
)
from keras_hpn.numerics import l2_normalize
from keras_hpn.prototypes import hyperspherical, multitask

CLASSIFIERS = ("hpn", "softmax", "cosine")
HPN_KINDS = ("hpn", "hpn_semantic")
KINDS = ("hpn", "hpn_semantic", "softmax", "cosine")


@dataclasses.dataclass(frozen=True)
class Budget:
    """How long each network trains.

    `min_steps`: a run on few examples repeats them until it makes at least
    this many updates over its `epochs` (0: plain epochs).
    """

    epochs: int = 20
    batch_size: int = 64
    learning_rate: float = 0.001
    hidden: int = 256
    min_steps: int = 0


@keras.saving.register_keras_serializable(package="keras_hpn_benchmarks")
class CosineLogits(keras.layers.Layer):
    """Logits `scale * cos(z, w_k)` against learned class weights."""

    def __init__(self, num_classes: int, scale: float = 16.0, **kwargs):
        super().__init__(**kwargs)
        self.num_classes = num_classes
        self.scale = scale

    def build(self, input_shape):
        self.kernel = self.add_weight(
            name="kernel", shape=(input_shape[-1], self.num_classes)
        )

    def call(self, inputs):
        weights = ops.transpose(l2_normalize(ops.transpose(self.kernel)))
        return self.scale * ops.matmul(l2_normalize(inputs), weights)

    def get_config(self) -> dict:
        config = super().get_config()
        config.update({"num_classes": self.num_classes, "scale": self.scale})
        return config


def body(input_dim: int, hidden: int) -> tuple[keras.KerasTensor, keras.KerasTensor]:
    """The shared body: one hidden ReLU layer named `features`.

    Returns:
        `(inputs, features)`, symbolic tensors of a functional model.
    """
    inputs = keras.Input((input_dim,))
    return inputs, keras.layers.Dense(hidden, activation="relu", name="features")(
        inputs
    )


def cnn_body(
    input_shape: tuple[int, ...], hidden: int
) -> tuple[keras.KerasTensor, keras.KerasTensor]:
    """A small CNN for 28x28 images: two 3x3 convolutions with max pooling,
    then a hidden ReLU layer named `features` (for a GPU; slow on a CPU)."""
    inputs = keras.Input(input_shape)
    x = keras.layers.Conv2D(32, 3, padding="same", activation="relu")(inputs)
    x = keras.layers.MaxPooling2D()(x)
    x = keras.layers.Conv2D(64, 3, padding="same", activation="relu")(x)
    x = keras.layers.MaxPooling2D()(x)
    x = keras.layers.Flatten()(x)
    return inputs, keras.layers.Dense(hidden, activation="relu", name="features")(x)


def classifier(
    kind: str,
    input_dim: int,
    num_classes: int,
    dims: int,
    seed: int,
    budget: Budget,
    make_body=None,
    prototypes: np.ndarray | None = None,
) -> tuple[keras.Model, np.ndarray | None]:
    """A compiled classifier of the given kind, and its prototypes (HPN only).

    `make_body()` may give another body as `(inputs, features)`; by default
    it is `body(input_dim, budget.hidden)`. `prototypes` (`num_classes x
    dims`) replace the placement of `hyperspherical`; `hpn_semantic` needs
    them.
    """
    if kind not in KINDS:
        raise ValueError(f"`kind` must be one of {KINDS}. Received: {kind!r}")
    if kind == "hpn_semantic" and prototypes is None:
        raise ValueError("`prototypes` must be given for kind 'hpn_semantic'.")
    keras.utils.set_random_seed(seed)
    inputs, features = (make_body or (lambda: body(input_dim, budget.hidden)))()
    optimizer = keras.optimizers.Adam(budget.learning_rate)
    if kind in HPN_KINDS:
        if prototypes is None:
            protos = hyperspherical(num_classes, dims, seed=seed)
        else:
            protos = np.asarray(prototypes)
        model = keras.Model(inputs, L2NormalizedProjection(dims)(features))
        model.compile(optimizer=optimizer, loss=loss_of(kind, protos))
        return model, protos
    if dims != num_classes:
        features = keras.layers.Dense(dims, name="bottleneck")(features)
    if kind == "softmax":
        logits = keras.layers.Dense(num_classes)(features)
    else:
        logits = CosineLogits(num_classes)(features)
    model = keras.Model(inputs, logits)
    model.compile(optimizer=optimizer, loss=loss_of(kind))
    return model, None


def loss_of(kind: str, prototypes: np.ndarray | None = None) -> keras.losses.Loss:
    """The loss of a classifier kind: the prototype cosine loss for HPN
    (with its `prototypes`), softmax cross-entropy on logits otherwise."""
    if kind in HPN_KINDS:
        return PrototypeCosineLoss(prototypes)
    return keras.losses.SparseCategoricalCrossentropy(from_logits=True)


def outputs_of(model: keras.Model, x, batch_size: int = 1024):
    """Model outputs as numpy, computed eagerly in batches.

    Unlike `model.predict`, this traces no prediction function, which on the
    small test sets here costs more than the prediction itself.
    """
    parts = []
    for start in range(0, len(x), batch_size):
        result = model(x[start : start + batch_size], training=False)
        parts.append(keras.tree.map_structure(keras.ops.convert_to_numpy, result))
    if isinstance(parts[0], (list, tuple)):
        return [np.concatenate(group) for group in zip(*parts, strict=True)]
    return np.concatenate(parts)


def predict(model: keras.Model, protos: np.ndarray | None, x: np.ndarray) -> np.ndarray:
    """Predicted classes of a classifier built by `classifier`."""
    outputs = outputs_of(model, x)
    if protos is not None:
        return predict_classes(outputs, protos)
    return np.argmax(outputs, axis=-1)


def train_classifier(
    kind: str,
    x_train: np.ndarray,
    y_train: np.ndarray,
    x_test: np.ndarray,
    y_test: np.ndarray,
    dims: int,
    seed: int,
    budget: Budget,
    make_body=None,
    prototypes: np.ndarray | None = None,
) -> tuple[float, keras.Model]:
    """Trains one classifier and returns `(test accuracy, model)`.

    `make_body` and `prototypes` go to `classifier`. With `budget.min_steps`,
    a small training set is repeated (in one shuffled array) so that the run
    makes at least that many updates.
    """
    num_classes = int(max(y_train.max(), y_test.max())) + 1
    model, protos = classifier(
        kind,
        x_train.shape[1],
        num_classes,
        dims,
        seed,
        budget,
        make_body=make_body,
        prototypes=prototypes,
    )
    repeats = repeats_for(len(y_train), budget)
    if repeats > 1:
        x_train, y_train = (
            np.concatenate([x_train] * repeats),
            np.tile(y_train, repeats),
        )
    model.fit(
        x_train,
        y_train,
        epochs=budget.epochs,
        batch_size=budget.batch_size,
        verbose=0,
    )
    accuracy = float(np.mean(predict(model, protos, x_test) == y_test))
    return accuracy, model


def repeats_for(num_examples: int, budget: Budget) -> int:
    """How often a training set of `num_examples` is repeated so that
    `budget.epochs` over it make at least `budget.min_steps` updates."""
    steps = budget.epochs * math.ceil(num_examples / budget.batch_size)
    if steps >= budget.min_steps:
        return 1
    return math.ceil(
        budget.min_steps * budget.batch_size / (budget.epochs * num_examples)
    )


def train_regressor(
    kind: str, split, seed: int, budget: Budget, dims: int = 2
) -> float:
    """Trains `hpn` or `mse` regression and returns the test MAE (target units)."""
    keras.utils.set_random_seed(seed)
    inputs, features = body(split.x_train.shape[1], budget.hidden)
    optimizer = keras.optimizers.Adam(budget.learning_rate)
    y_train = np.asarray(split.y_train, dtype="float64")
    if kind == "hpn":
        loss = HypersphericalRegressionLoss.from_targets(y_train)
        model = keras.Model(inputs, L2NormalizedProjection(dims)(features))
        model.compile(optimizer=optimizer, loss=loss)
        model.fit(
            split.x_train,
            y_train,
            epochs=budget.epochs,
            batch_size=budget.batch_size,
            verbose=0,
        )
        outputs = outputs_of(model, split.x_test)
        predicted = decode_regression(outputs, loss.lower, loss.upper)
    elif kind == "mse":
        mean, std = y_train.mean(), y_train.std()
        model = keras.Model(inputs, keras.layers.Dense(1)(features))
        model.compile(optimizer=optimizer, loss="mse")
        model.fit(
            split.x_train,
            (y_train - mean) / std,
            epochs=budget.epochs,
            batch_size=budget.batch_size,
            verbose=0,
        )
        predicted = outputs_of(model, split.x_test)[:, 0] * std + mean
    else:
        raise ValueError(f"`kind` must be 'hpn' or 'mse'. Received: {kind!r}")
    return float(np.mean(np.abs(predicted - split.y_test)))


def train_multitask(
    kind: str, split, weight: float, seed: int, budget: Budget, dims: int = 4
) -> tuple[float, float]:
    """Class accuracy and target MAE of a joint model with task weight `weight`.

    `y_*` of `split` hold the class id in column 0 and the target in column 1.
    `hpn` uses `MultiTaskLoss` on one output; `softmax_mse` has a logits head
    and a regression head on the same body, with `loss_weights=[t, 1 - t]`
    and the target standardised with training statistics.
    """
    keras.utils.set_random_seed(seed)
    labels = split.y_train[:, 0].astype("int64")
    targets = split.y_train[:, 1].astype("float64")
    num_classes = int(labels.max()) + 1
    optimizer = keras.optimizers.Adam(budget.learning_rate)
    if kind == "hpn":
        lower, upper = float(targets.min()), float(targets.max())
        protos, _ = multitask(num_classes, dims, seed=seed)
        inputs, features = body(split.x_train.shape[1], budget.hidden)
        model = keras.Model(inputs, L2NormalizedProjection(dims)(features))
        model.compile(
            optimizer=optimizer, loss=MultiTaskLoss(protos, lower, upper, weight)
        )
        model.fit(
            split.x_train,
            split.y_train,
            epochs=budget.epochs,
            batch_size=budget.batch_size,
            verbose=0,
        )
        outputs = outputs_of(model, split.x_test)
        classes = predict_classes(outputs, protos)
        values = decode_regression(outputs, lower, upper)
    elif kind == "softmax_mse":
        mean, std = targets.mean(), targets.std()
        inputs, hidden = body(split.x_train.shape[1], budget.hidden)
        logits = keras.layers.Dense(num_classes, name="logits")(hidden)
        value = keras.layers.Dense(1, name="value")(hidden)
        model = keras.Model(inputs, [logits, value])
        model.compile(
            optimizer=optimizer,
            loss=[
                keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                keras.losses.MeanSquaredError(),
            ],
            loss_weights=[weight, 1.0 - weight],
        )
        model.fit(
            split.x_train,
            [labels, (targets - mean) / std],
            epochs=budget.epochs,
            batch_size=budget.batch_size,
            verbose=0,
        )
        logits_out, value_out = outputs_of(model, split.x_test)
        classes = np.argmax(logits_out, axis=-1)
        values = value_out[:, 0] * std + mean
    else:
        raise ValueError(f"`kind` must be 'hpn' or 'softmax_mse'. Received: {kind!r}")
    accuracy = float(np.mean(classes == split.y_test[:, 0]))
    mae = float(np.mean(np.abs(values - split.y_test[:, 1])))
    return accuracy, mae
