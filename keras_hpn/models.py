"""Task models: a backbone with a hyperspherical head, in keras-hub's style.

Each task model is a `keras.Model` built functionally from a backbone (any
`keras.Model` or layer: a `keras.applications` model, a keras-hub
`Backbone`, a user's own), a pooling of 4-D (or 3-D) feature maps, optional
dropout and an `L2NormalizedProjection`. Its output is the unit vector `z`
that the HPN losses train; its `compile()` has working defaults; its
methods decode `z` into what a user wants (class ids, cosines, the top-k
classes with their names, targets in their units). The prototypes are
placed once, at construction, and kept in the model's config (or, when
large, in its weights file; see `keras_hpn.saving`), so a saved `.keras`
file loads after `import keras_hpn` without placing them again.
"""

from __future__ import annotations

from collections.abc import Sequence

import keras
import numpy as np

from keras_hpn import saving
from keras_hpn.decoding import class_scores, decode_regression, predict_classes
from keras_hpn.layers import L2NormalizedProjection
from keras_hpn.losses import (
    HypersphericalRegressionLoss,
    MultiTaskLoss,
    PrototypeCosineLoss,
)
from keras_hpn.metrics import (
    InvalidLabels,
    InvalidTargets,
    PrototypeAccuracy,
    RegressionMAE,
)
from keras_hpn.numerics import check_regression_range
from keras_hpn.prototypes import hyperspherical, multitask, semantic_prototypes
from keras_hpn.utils.validation import (
    check_seed,
    check_size,
    check_unit_vector,
    check_weight,
    default_axis,
)

__all__ = [
    "HPNClassifier",
    "HPNMultiTask",
    "HPNRegressor",
]

# Default output width: the regular simplex for up to 65 classes, 64 above.
MAX_DEFAULT_DIMS = 64
POOLINGS = ("avg", "max", "flatten", None)


def default_dims(num_classes: int) -> int:
    """`min(num_classes - 1, 64)`, at least 2: the simplex where it fits."""
    return max(2, min(num_classes - 1, MAX_DEFAULT_DIMS))


class _HPNTask(keras.Model):
    """A backbone, pooling, dropout and an `L2NormalizedProjection(dims)`."""

    def __init__(
        self,
        backbone,
        dims: int,
        pooling: str | None,
        dropout: float,
        head_dtype,
        input_shape,
        **kwargs,
    ):
        if not isinstance(backbone, keras.layers.Layer):
            raise ValueError(
                "`backbone` must be a `keras.Model` or `keras.layers.Layer`. "
                f"Received: backbone={backbone!r}"
            )
        if pooling not in POOLINGS:
            raise ValueError(
                f"`pooling` must be one of {POOLINGS}. Received: pooling={pooling!r}"
            )
        if (
            isinstance(dropout, bool)
            or not isinstance(dropout, (int, float, np.floating, np.integer))
            or not 0.0 <= float(dropout) < 1.0
        ):
            raise ValueError(
                f"`dropout` must be a number in [0, 1). Received: dropout={dropout!r}"
            )
        inputs = _backbone_inputs(backbone, input_shape)
        features = backbone(inputs)
        if isinstance(features, (dict, list, tuple)):
            raise ValueError(
                "`backbone` must return one tensor (a feature map or a feature "
                f"vector). It returned a {type(features).__name__}; wrap it to pick "
                "the features."
            )
        features = _pooled(features, pooling, head_dtype)
        if dropout:
            features = keras.layers.Dropout(
                float(dropout), dtype=head_dtype, name="dropout"
            )(features)
        outputs = L2NormalizedProjection(dims, dtype=head_dtype, name="projection")(
            features
        )
        super().__init__(inputs=inputs, outputs=outputs, **kwargs)
        self.backbone = backbone
        self.dims = dims
        self.pooling = pooling
        self.dropout = float(dropout)
        self.head_dtype = head_dtype
        self._input_shape_arg = None if input_shape is None else tuple(input_shape)

    def compile(
        self,
        optimizer="adam",
        loss="auto",
        metrics="auto",
        weighted_metrics="auto",
        **kwargs,
    ) -> None:
        """Configures training; `"auto"` picks the HPN default of each argument.

        Args:
            optimizer: any Keras optimizer or its name.
            loss: `"auto"` for the task's HPN loss over the model's prototypes
                (or range), or any loss.
            metrics: `"auto"` for the task's accuracy / MAE metrics, or a list.
            weighted_metrics: `"auto"` for the counters of invalid labels or
                targets (they skip rows of `sample_weight` 0), or a list.
            **kwargs: other arguments of `keras.Model.compile`.
        """
        loss, metrics, weighted_metrics = (
            default() if value == "auto" else value
            for value, default in (
                (loss, self._default_loss),
                (metrics, self._default_metrics),
                (weighted_metrics, self._default_weighted_metrics),
            )
        )
        super().compile(
            optimizer=optimizer,
            loss=loss,
            metrics=metrics,
            weighted_metrics=weighted_metrics,
            **kwargs,
        )

    def compile_from_config(self, config) -> None:
        # Keras skips an overridden `compile` when loading; this one takes
        # the saved loss, metrics and optimizer as they are.
        config = keras.saving.deserialize_keras_object(config)
        self.compile(**config)
        if getattr(self, "optimizer", None) is not None and self.built:
            self.optimizer.build(self.trainable_variables)

    def predict_outputs(self, x, batch_size=None, verbose=0, **kwargs) -> np.ndarray:
        """The unit output vectors `z` of `x`, shape `(batch, dims)`."""
        return np.asarray(
            keras.Model.predict(
                self, x, batch_size=batch_size, verbose=verbose, **kwargs
            )
        )

    def get_config(self) -> dict:
        return {
            "name": self.name,
            "trainable": self.trainable,
            "backbone": keras.layers.serialize(self.backbone),
            "dims": self.dims,
            "pooling": self.pooling,
            "dropout": self.dropout,
            "head_dtype": self.head_dtype
            if self.head_dtype is None or isinstance(self.head_dtype, str)
            else keras.dtype_policies.serialize(self.head_dtype),
            "input_shape": None
            if self._input_shape_arg is None
            else list(self._input_shape_arg),
        }

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        frozen = None
        if isinstance(config["backbone"], dict):
            frozen = config["backbone"].get("config", {}).get("trainable") is False
            config["backbone"] = keras.layers.deserialize(config["backbone"])
        model = cls(**config)
        if frozen:
            # `deserialize` leaves the backbone's layers trainable (a Sequential
            # forgets the flag, a keras-hub Backbone keeps only its own): freeze
            # them before `compile_from_config` builds the optimizer. Through
            # True, since TensorFlow skips setting an attribute to its value.
            model.backbone.trainable = True
            model.backbone.trainable = False
        return model


class _ClassPrototypes(_HPNTask):
    """A task model holding class prototypes, saved with it."""

    prototypes = saving.StoredPrototypes()

    def save_own_variables(self, store) -> None:
        super().save_own_variables(store)
        saving.save_arrays(self, store, ("prototypes",))

    def load_own_variables(self, store) -> None:
        saving.load_arrays(self, store, ("prototypes",))
        super().load_own_variables(
            {key: store[key] for key in store.keys() if key != "prototypes"}
        )

    def _class_names_of(self, ids: np.ndarray):
        if self.class_names is None:
            return None
        names = np.array([*self.class_names, None], dtype=object)
        return names[ids]  # id -1 (no class) reads the trailing None


@keras.saving.register_keras_serializable(package="keras_hpn")
class HPNClassifier(_ClassPrototypes):
    """An image (or any input) classifier: a backbone with an HPN head.

    The head pools the backbone's features (`pooling` on a 4-D feature map,
    average over time on a 3-D one), applies `dropout` and projects onto the
    unit sphere with `L2NormalizedProjection(dims)`; `fit` trains that
    output towards fixed class prototypes with `PrototypeCosineLoss`. The
    prototypes are placed once: by `keras_hpn.prototypes.hyperspherical(
    num_classes, dims, seed=seed)`, or given (`prototypes=`), or with
    semantic priors (`class_names=` and `word_vectors=`, through
    `keras_hpn.prototypes.semantic_prototypes`). They are saved with the
    model, so loading never places them again.

    Two-stage fine-tuning: set `model.backbone.trainable = False`, compile
    and fit the head; then set it back to `True`, compile (with a lower
    learning rate) and fit again.

    Args:
        backbone: a `keras.Model` with defined inputs (a `keras.applications`
            model, a keras-hub `Backbone`, a `keras.Sequential` starting with
            `keras.Input`), or any layer together with `input_shape`. It
            returns one tensor: a feature vector, a 3-D sequence or a 4-D
            feature map.
        num_classes: number of classes `K`, at least 2.
        dims: output width `D`, at least 2; `None` means `min(K - 1, 64)`
            (at least 2): the regular simplex, the optimal placement, up to
            65 classes. Must match `prototypes` when both are given.
        prototypes: optional array `(num_classes, dims)` to use as they are.
        class_names: optional class names in class order: returned by
            `predict_top_k`, and with `word_vectors` the source of the
            semantic priors.
        word_vectors: optional word vectors for `class_names` (anything
            `semantic_prototypes` takes); not saved: the placed prototypes are.
        pooling: `"avg"`, `"max"` or `"flatten"` for a 4-D feature map;
            `None` when the backbone already returns vectors.
        dropout: dropout rate before the projection, in `[0, 1)`.
        head_dtype: dtype (policy) of the head layers, e.g. `"float32"` under
            mixed precision; `None` follows the global policy.
        seed: seed of the placement (`None`: see `hyperspherical`).
        input_shape: the input shape (without batch) when `backbone` is a
            layer or a model with no defined inputs.
        **kwargs: `keras.Model` arguments (`name`, ...).

    Example:

    ```python
    backbone = keras.Sequential([keras.Input((8,)), keras.layers.Dense(16)])
    model = keras_hpn.models.HPNClassifier(backbone, num_classes=3, seed=0)
    model.compile()
    x = np.random.default_rng(0).random((6, 8)).astype("float32")
    model.fit(x, np.array([0, 1, 2, 0, 1, 2]), epochs=1, verbose=0)
    model.predict_classes(x).shape
    # (6,)
    ```
    """

    def __init__(
        self,
        backbone,
        num_classes: int,
        dims: int | None = None,
        prototypes=None,
        class_names: Sequence[str] | None = None,
        word_vectors=None,
        pooling: str | None = "avg",
        dropout: float = 0.0,
        head_dtype=None,
        seed: int | None = None,
        input_shape=None,
        **kwargs,
    ):
        num_classes = check_size(num_classes, "num_classes", 2)
        seed = check_seed(seed)
        names = _check_names(class_names, num_classes)
        _keep_prototypes(
            self,
            _class_prototypes(num_classes, dims, prototypes, names, word_vectors, seed),
        )
        dims = saving.shape_of(self, "prototypes")[1]
        super().__init__(
            backbone, dims, pooling, dropout, head_dtype, input_shape, **kwargs
        )
        self.num_classes = num_classes
        self.class_names = names
        self.seed = seed

    def _default_loss(self):
        return PrototypeCosineLoss(self.prototypes)

    def _default_metrics(self):
        return [PrototypeAccuracy(self.prototypes)]

    def _default_weighted_metrics(self):
        return [InvalidLabels(self.num_classes)]

    def predict_classes(self, x, batch_size=None, verbose=0) -> np.ndarray:
        """Class ids of `x`, shape `(batch,)`; `-1` for an output with no direction.

        Args:
            x: inputs, as for `predict`.
            batch_size: as for `predict`.
            verbose: as for `predict`.

        Returns:
            Integer array of class ids.
        """
        return predict_classes(
            self.predict_outputs(x, batch_size, verbose), self.prototypes
        )

    def predict_cosines(self, x, batch_size=None, verbose=0) -> np.ndarray:
        """Cosine of each output with every class prototype, `(batch, K)`.

        Args:
            x: inputs, as for `predict`.
            batch_size: as for `predict`.
            verbose: as for `predict`.

        Returns:
            Float array of cosines (NaN rows for outputs with no direction).
        """
        return class_scores(
            self.predict_outputs(x, batch_size, verbose), self.prototypes
        )

    def predict_top_k(self, x, k: int = 5, batch_size=None, verbose=0):
        """The `k` best classes of each input, best first.

        Args:
            x: inputs, as for `predict`.
            k: how many classes, from 1 to `num_classes`.
            batch_size: as for `predict`.
            verbose: as for `predict`.

        Returns:
            A tuple `(ids, cosines, names)`, each of shape `(batch, k)`:
            integer class ids (`-1` for an output with no direction), their
            cosines, and their names (an object array; `None` for id `-1`),
            or `names=None` when the model has no `class_names`.
        """
        k = check_size(k, "k", 1, self.num_classes, "`num_classes`")
        ids, cosines = predict_classes(
            self.predict_outputs(x, batch_size, verbose),
            self.prototypes,
            k=k,
            return_scores=True,
        )
        ids, cosines = ids.reshape(-1, k), cosines.reshape(-1, k)
        return ids, cosines, self._class_names_of(ids)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "num_classes": self.num_classes,
            "prototypes": saving.config_of(self, "prototypes"),
            "class_names": None if self.class_names is None else list(self.class_names),
            "seed": self.seed,
        }


@keras.saving.register_keras_serializable(package="keras_hpn")
class HPNRegressor(_HPNTask):
    """A regressor: a backbone with an HPN head, predicting in target units.

    The output `z` is trained with `HypersphericalRegressionLoss(lower,
    upper)`: the target `lower` points at `-p_u`, `upper` at the upper
    prototype `p_u` (`e_0` by default). `predict` decodes it with
    `keras_hpn.decode_regression`, so it returns targets; `predict_outputs`
    returns `z` itself.

    Args:
        backbone: as for `HPNClassifier`.
        lower: the target value of the lower prototype, e.g. the smallest
            training target.
        upper: the target value of the upper prototype, larger than `lower`.
        dims: output width, at least 2.
        upper_prototype: the direction `p_u` `(dims,)`; `None` means `e_0`.
        pooling: as for `HPNClassifier`.
        dropout: as for `HPNClassifier`.
        head_dtype: as for `HPNClassifier`.
        input_shape: as for `HPNClassifier`.
        **kwargs: `keras.Model` arguments (`name`, ...).

    Example:

    ```python
    backbone = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8)])
    model = keras_hpn.models.HPNRegressor(backbone, lower=0.0, upper=10.0)
    model.compile()
    x = np.random.default_rng(0).random((6, 4)).astype("float32")
    model.fit(x, np.linspace(0.0, 10.0, 6), epochs=1, verbose=0)
    bool(np.all((model.predict(x) >= 0.0) & (model.predict(x) <= 10.0)))
    # True
    ```
    """

    def __init__(
        self,
        backbone,
        lower: float,
        upper: float,
        dims: int = 2,
        upper_prototype=None,
        pooling: str | None = "avg",
        dropout: float = 0.0,
        head_dtype=None,
        input_shape=None,
        **kwargs,
    ):
        lower, upper = check_regression_range(lower, upper)
        dims = check_size(dims, "dims", 2)
        axis = (
            default_axis(dims)
            if upper_prototype is None
            else check_unit_vector(upper_prototype, "upper_prototype", dims)
        )
        super().__init__(
            backbone, dims, pooling, dropout, head_dtype, input_shape, **kwargs
        )
        self.lower, self.upper = lower, upper
        self.upper_prototype = None if upper_prototype is None else axis

    def _default_loss(self):
        return HypersphericalRegressionLoss(
            self.lower, self.upper, self.upper_prototype
        )

    def _default_metrics(self):
        return [RegressionMAE(self.lower, self.upper, self.upper_prototype)]

    def _default_weighted_metrics(self):
        return [InvalidTargets()]

    def predict(self, x, batch_size=None, verbose=0, **kwargs) -> np.ndarray:
        """Predictions in target units, shape `(batch,)`."""
        return decode_regression(
            self.predict_outputs(x, batch_size, verbose, **kwargs),
            self.lower,
            self.upper,
            self.upper_prototype,
        )

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "lower": self.lower,
            "upper": self.upper,
            "upper_prototype": None
            if self.upper_prototype is None
            else self.upper_prototype.tolist(),
        }


@keras.saving.register_keras_serializable(package="keras_hpn")
class HPNMultiTask(_ClassPrototypes):
    """Classification and regression from one output, as in the paper.

    The regression axis is `e_0`; the class prototypes, placed by
    `keras_hpn.prototypes.multitask(num_classes, dims, seed=seed)` (or
    given), live in the subspace orthogonal to it. `fit` trains with
    `MultiTaskLoss` on `y` of shape `(batch, 2)`: column 0 the class id,
    column 1 the target. `predict` returns `(class ids, targets)`.

    Args:
        backbone: as for `HPNClassifier`.
        num_classes: number of classes `K`, at least 2.
        lower: the target value mapped to `-e_0`.
        upper: the target value mapped to `e_0`, larger than `lower`.
        weight: `t` in `[0, 1]`, the share of the classification loss.
        dims: output width, at least 3; `None` means one more than
            `HPNClassifier`'s default for `K` classes.
        prototypes: optional class prototypes `(num_classes, dims)`,
            orthogonal to `e_0`.
        class_names: optional class names in class order.
        pooling: as for `HPNClassifier`.
        dropout: as for `HPNClassifier`.
        head_dtype: as for `HPNClassifier`.
        seed: seed of the placement.
        input_shape: as for `HPNClassifier`.
        **kwargs: `keras.Model` arguments (`name`, ...).

    Example:

    ```python
    backbone = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8)])
    model = keras_hpn.models.HPNMultiTask(backbone, 3, lower=0.0, upper=1.0)
    model.compile()
    x = np.random.default_rng(0).random((6, 4)).astype("float32")
    y = np.stack([[0, 1, 2, 0, 1, 2], np.linspace(0.0, 1.0, 6)], axis=1)
    model.fit(x, y, epochs=1, verbose=0)
    classes, targets = model.predict(x)
    classes.shape == targets.shape == (6,)
    # True
    ```
    """

    def __init__(
        self,
        backbone,
        num_classes: int,
        lower: float,
        upper: float,
        weight: float = 0.5,
        dims: int | None = None,
        prototypes=None,
        class_names: Sequence[str] | None = None,
        pooling: str | None = "avg",
        dropout: float = 0.0,
        head_dtype=None,
        seed: int | None = None,
        input_shape=None,
        **kwargs,
    ):
        num_classes = check_size(num_classes, "num_classes", 2)
        lower, upper = check_regression_range(lower, upper)
        weight = check_weight(weight)
        seed = check_seed(seed)
        names = _check_names(class_names, num_classes)
        if prototypes is None:
            dims = (
                default_dims(num_classes) + 1
                if dims is None
                else check_size(dims, "dims", 3)
            )
            _keep_prototypes(self, multitask(num_classes, dims, seed=seed)[0])
        else:
            _keep_prototypes(self, _given(prototypes, num_classes, dims))
        # The loss checks that the prototypes are orthogonal to e_0.
        self._loss_of(lower, upper, weight)
        dims = saving.shape_of(self, "prototypes")[1]
        super().__init__(
            backbone, dims, pooling, dropout, head_dtype, input_shape, **kwargs
        )
        self.num_classes = num_classes
        self.lower, self.upper, self.weight = lower, upper, weight
        self.class_names = names
        self.seed = seed

    def _loss_of(self, lower, upper, weight) -> MultiTaskLoss:
        return MultiTaskLoss(self.prototypes, lower, upper, weight=weight)

    def _default_loss(self):
        return self._loss_of(self.lower, self.upper, self.weight)

    def _default_metrics(self):
        return [
            PrototypeAccuracy(self.prototypes, label_column=0),
            RegressionMAE(self.lower, self.upper, target_column=1),
        ]

    def _default_weighted_metrics(self):
        return [
            InvalidLabels(self.num_classes, label_column=0),
            InvalidTargets(target_column=1),
        ]

    def _class_part(self, outputs: np.ndarray) -> np.ndarray:
        """The part of each output orthogonal to the regression axis `e_0`."""
        part = np.array(outputs, dtype=np.float64)
        part[..., 0] = 0.0
        return part

    def predict(self, x, batch_size=None, verbose=0, **kwargs):
        """`(class ids, targets)` of `x`, each of shape `(batch,)`."""
        outputs = self.predict_outputs(x, batch_size, verbose, **kwargs)
        return (
            predict_classes(self._class_part(outputs), self.prototypes),
            decode_regression(outputs, self.lower, self.upper),
        )

    def predict_classes(self, x, batch_size=None, verbose=0) -> np.ndarray:
        """Class ids of `x`, shape `(batch,)`, from the part orthogonal to `e_0`."""
        return self.predict(x, batch_size, verbose)[0]

    def predict_cosines(self, x, batch_size=None, verbose=0) -> np.ndarray:
        """Cosines of the class part of each output with every prototype."""
        outputs = self.predict_outputs(x, batch_size, verbose)
        return class_scores(self._class_part(outputs), self.prototypes)

    def predict_top_k(self, x, k: int = 5, batch_size=None, verbose=0):
        """`(ids, cosines, names)` of the `k` best classes, as in `HPNClassifier`."""
        k = check_size(k, "k", 1, self.num_classes, "`num_classes`")
        ids, cosines = predict_classes(
            self._class_part(self.predict_outputs(x, batch_size, verbose)),
            self.prototypes,
            k=k,
            return_scores=True,
        )
        ids, cosines = ids.reshape(-1, k), cosines.reshape(-1, k)
        return ids, cosines, self._class_names_of(ids)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "num_classes": self.num_classes,
            "lower": self.lower,
            "upper": self.upper,
            "weight": self.weight,
            "prototypes": saving.config_of(self, "prototypes"),
            "class_names": None if self.class_names is None else list(self.class_names),
            "seed": self.seed,
        }


def _keep_prototypes(model, prototypes) -> None:
    # Straight to the descriptor: Keras' and TensorFlow's attribute hooks
    # would read the attribute before it exists.
    object.__setattr__(model, "prototypes", prototypes)


def _backbone_inputs(backbone, input_shape):
    if input_shape is not None:
        try:
            shape = tuple(None if s is None else int(s) for s in input_shape)
        except (TypeError, ValueError):
            shape = None
        if not shape:
            raise ValueError(
                "`input_shape` must be a tuple of sizes without the batch axis, "
                f"e.g. (32, 32, 3). Received: input_shape={input_shape!r}"
            )
        return keras.Input(shape)
    if isinstance(backbone, keras.Model):
        try:
            inputs = backbone.inputs  # a Sequential has no `input` until called
        except (AttributeError, ValueError):
            inputs = None
        if inputs:
            return inputs[0] if len(inputs) == 1 else inputs
    raise ValueError(
        "`backbone` has no defined inputs (it is a layer, or a model built "
        "without `keras.Input`): pass `input_shape=`, the shape of one input "
        f"without the batch axis. Received: backbone={type(backbone).__name__}"
    )


def _pooled(features, pooling, dtype):
    rank = len(features.shape)
    if rank == 2:
        return features
    if rank == 3:
        return keras.layers.GlobalAveragePooling1D(dtype=dtype, name="pooling")(
            features
        )
    if rank != 4:
        raise ValueError(
            "`backbone` must return features of rank 2, 3 or 4 (batch first). "
            f"Received shape {tuple(features.shape)}."
        )
    if pooling is None:
        raise ValueError(
            "`backbone` returns a 4-D feature map "
            f"{tuple(features.shape)}: choose `pooling` ('avg', 'max' or 'flatten'). "
            "Received: pooling=None"
        )
    layer = {
        "avg": keras.layers.GlobalAveragePooling2D,
        "max": keras.layers.GlobalMaxPooling2D,
        "flatten": keras.layers.Flatten,
    }[pooling]
    return layer(dtype=dtype, name="pooling")(features)


def _check_names(class_names, num_classes: int) -> tuple[str, ...] | None:
    if class_names is None:
        return None
    if isinstance(class_names, str) or not all(
        isinstance(name, str) for name in class_names
    ):
        raise ValueError(
            "`class_names` must be a sequence of strings, one per class. "
            f"Received: class_names={class_names!r}"
        )
    names = tuple(class_names)
    if len(names) != num_classes:
        raise ValueError(
            f"`class_names` must hold one name per class ({num_classes}). "
            f"Received {len(names)} names."
        )
    return names


def _given(prototypes, num_classes: int, dims) -> np.ndarray:
    """Prototypes given by the user (or a config), checked against the sizes."""
    if isinstance(prototypes, dict):  # a reference from a config
        return prototypes
    protos = saving.from_config(prototypes, "prototypes")
    if protos.shape[0] != num_classes or (dims is not None and protos.shape[1] != dims):
        raise ValueError(
            f"`prototypes` must have shape (num_classes, dims) = ({num_classes}, "
            f"{'dims' if dims is None else dims}). Received shape {protos.shape}."
        )
    return protos


def _class_prototypes(num_classes, dims, prototypes, names, word_vectors, seed):
    if prototypes is not None:
        if word_vectors is not None:
            raise ValueError(
                "Pass either `prototypes` or `word_vectors` (to place prototypes "
                "with semantic priors), not both."
            )
        return _given(prototypes, num_classes, dims)
    dims = default_dims(num_classes) if dims is None else check_size(dims, "dims", 2)
    if word_vectors is not None:
        protos = semantic_prototypes(names, word_vectors, dims, seed=seed)
        if protos.shape[0] != num_classes:
            raise ValueError(
                f"`word_vectors` gave {protos.shape[0]} prototypes, but "
                f"num_classes={num_classes}."
            )
        return protos
    return hyperspherical(num_classes, dims, seed=seed)
