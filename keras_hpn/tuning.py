"""Hyperparameter search for Hyperspherical Prototype Networks (keras-tuner).

`HPNHyperModel` puts an `L2NormalizedProjection` head on a backbone you
give and searches the output dimensionality, the prototype placement, the
learning rate and, for classification with regression on one output, the
task weight `t` of `MultiTaskLoss`. `objective` names a metric Keras logs
with the direction a tuner must optimise it in;
`HPNHyperModel.tuner_objective` is what to pass as a tuner's `objective`.

keras-tuner is an optional dependency: `pip install "keras-hpn[tuning]"`
(keras-tuner, with `tensorboard`, which keras-tuner 1.4 needs at import on
TensorFlow, and `six`, which it needs elsewhere).
"""

from __future__ import annotations

import inspect
import numbers
from collections.abc import Callable, Sequence

import keras
import numpy as np

from keras_hpn.layers import L2NormalizedProjection
from keras_hpn.losses import MultiTaskLoss, PrototypeCosineLoss
from keras_hpn.metrics import (
    InvalidLabels,
    InvalidTargets,
    PrototypeAccuracy,
    RegressionMAE,
)
from keras_hpn.prototypes import METHODS, hyperspherical, multitask
from keras_hpn.utils.validation import check_positive, check_range, check_size

try:
    import keras_tuner
except ImportError:  # the optional extra is missing: fail when used, not at import
    keras_tuner = None

_HyperModel = object if keras_tuner is None else keras_tuner.HyperModel

# Metric names keras_hpn logs, and whether a tuner should maximise them.
_DIRECTIONS = {
    "prototype_accuracy": "max",
    "regression_mae": "min",
    "regression_range_mae": "min",
    "loss": "min",
}


@keras.saving.register_keras_serializable(package="keras_hpn")
class RangeMAE(RegressionMAE):
    """`RegressionMAE` over the width of the target range: a unit-free MAE.

    `MAE / (upper - lower)`: 0.01 is an error of 1% of the range, whatever
    the units of the target, so it can be added to an accuracy (a fraction
    too). `HPNHyperModel` logs it as `regression_range_mae` and the
    multi-task objective uses it.

    Args:
        lower: the target value of the lower prototype (as in the loss).
        upper: the target value of the upper prototype (as in the loss).
        upper_prototype: the direction `p_u`; `None` means `e_0`.
        target_column: if given, the targets are `y_true[..., target_column]`.
        name: name of the metric.
        dtype: dtype of the metric's state.

    Example:

    ```python
    metric = keras_hpn.tuning.RangeMAE(lower=0.0, upper=10.0)
    metric.update_state([10.0, 4.0], np.array([[1.0, 0.0], [0.0, 1.0]]))
    float(metric.result())  # predictions 10 and 5: MAE 0.5 over a range of 10
    # 0.05
    ```
    """

    def __init__(
        self,
        lower: float,
        upper: float,
        upper_prototype=None,
        target_column: int | None = None,
        name: str = "regression_range_mae",
        dtype=None,
    ):
        super().__init__(lower, upper, upper_prototype, target_column, name, dtype)

    def result(self):
        return super().result() / (self.upper - self.lower)


def _require_keras_tuner():
    if keras_tuner is None:
        raise ImportError(
            'keras_hpn.tuning needs keras-tuner: `pip install "keras-hpn[tuning]"` '
            "(keras-tuner with `tensorboard` and `six`)."
        )


def objective(metric: str, validation: bool = True) -> keras_tuner.Objective:
    """The `keras_tuner.Objective` of a metric `keras_hpn` logs, with its direction.

    Accuracies (`prototype_accuracy`, `top_k_prototype_accuracy`) are
    maximised; `regression_mae`, `regression_range_mae` (see `RangeMAE`) and
    `loss` are minimised. The name is the
    one Keras writes to the `fit` history: the metric's `name`, with the
    `val_` prefix for the validation data.

    Args:
        metric: a metric name such as `"prototype_accuracy"` or
            `"regression_mae"`, with or without the `val_` prefix.
        validation: whether to track the metric on the validation data
            (adds `val_` unless `metric` has it already).

    Returns:
        A `keras_tuner.Objective`.

    Example:

    ```python
    found = keras_hpn.tuning.objective("regression_mae")
    (found.name, found.direction)
    # ("val_regression_mae", "min")
    ```
    """
    _require_keras_tuner()
    if not isinstance(metric, str):
        raise ValueError(f"`metric` must be a string. Received: metric={metric!r}")
    base = metric[4:] if metric.startswith("val_") else metric
    if base.startswith("top_") and base.endswith("_prototype_accuracy"):
        direction = "max"
    elif base in _DIRECTIONS:
        direction = _DIRECTIONS[base]
    else:
        raise ValueError(
            "`metric` must be one of the metrics keras_hpn logs: "
            f"{sorted(_DIRECTIONS)} or 'top_<k>_prototype_accuracy', optionally "
            f"with the prefix 'val_'. Received: metric={metric!r}"
        )
    name = f"val_{base}" if validation or metric.startswith("val_") else base
    return keras_tuner.Objective(name, direction)


def _choices(value, name: str, kind, minimum=None) -> list:
    single = isinstance(value, str) or not isinstance(value, Sequence)
    values = [value] if single else list(value)
    if not values:
        raise ValueError(
            f"`{name}` must be a value or a non-empty sequence of values. "
            f"Received: {name}={value!r}"
        )
    for item in values:
        if isinstance(item, bool) or not isinstance(item, kind):
            raise ValueError(
                f"`{name}` must hold {kind.__name__} values. Received: {name}={value!r}"
            )
        if minimum is not None and not item >= minimum:
            raise ValueError(
                f"`{name}` must hold values of at least {minimum}. "
                f"Received: {name}={value!r}"
            )
    return values


def _takes_hp(backbone: Callable) -> bool:
    try:
        parameters = inspect.signature(backbone).parameters.values()
    except (TypeError, ValueError):  # builtins without a signature
        return True
    positional = [
        p
        for p in parameters
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD, p.VAR_POSITIONAL)
    ]
    return bool(positional)


class HPNHyperModel(_HyperModel):
    """A keras-tuner `HyperModel`: an HPN head on your backbone, searched.

    Each trial builds `backbone`, appends
    `keras_hpn.layers.L2NormalizedProjection(dims)`, places the prototypes
    (`keras_hpn.prototypes.hyperspherical`, seeded by `seed`) and compiles
    with Adam and `PrototypeCosineLoss`, `PrototypeAccuracy` (logged as
    `prototype_accuracy`) and, in `weighted_metrics` (so that rows with
    `sample_weight=0` are not counted), `InvalidLabels` (`invalid_labels`,
    labels the loss had to skip and warned about; it should read 0). With
    `regression=(lower, upper)` the output serves classification and
    regression at once: the prototypes come from
    `keras_hpn.prototypes.multitask` (class prototypes orthogonal to the
    regression axis `e_0`), the loss is `MultiTaskLoss` with task weight `t`,
    `y` has shape `(batch, 2)` = `[class id, target]`, and
    `RegressionMAE(lower, upper, target_column=1)` is logged as
    `regression_mae` (in target units), `RangeMAE` as `regression_range_mae`
    (the same over `upper - lower`, unit-free) and `InvalidTargets` as
    `invalid_targets`;
    `class_weight` given to the search weights the class column (see
    `fit`).

    The hyperparameters, named as in `tuner.get_best_hyperparameters()`:

    - `dims`: the output dimensionality, `hp.Choice` over `dims`.
    - `method`: the prototype placement, `hp.Choice` over `methods` (see
      `keras_hpn.prototypes.hyperspherical`).
    - `learning_rate`: Adam's learning rate, `hp.Choice` over
      `learning_rates`.
    - `weight` (only with `regression`): the task weight `t` in
      `[weight_range[0], weight_range[1]]`, `hp.Float` (default: the middle).

    A single value instead of a sequence fixes the hyperparameter
    (`hp.Fixed`), so it is still recorded with each trial.

    Args:
        backbone: builds the body of the network, a fresh one on each call:
            either `backbone(hp) -> keras.Model`, to search the body's own
            hyperparameters with `hp`, or `backbone() -> keras.Model`, a
            fixed model-building function. The model must have a known
            input (built from `keras.Input`) and one output of features.
        num_classes: number of classes `K`, at least 2.
        dims: candidate output dimensionalities (at least 2; at least 3 with
            `regression`), or one fixed value.
        methods: candidate prototype placements (`"auto"`, `"hpn"`,
            `"optimize"`, ...), or one fixed method.
        learning_rates: candidate learning rates of Adam, or one fixed value.
        regression: `(lower, upper)`, the range of the regression targets,
            to train classification and regression on one output with
            `MultiTaskLoss`; `None` for classification only.
        weight_range: `(min, max)` of the task weight `t` within `[0, 1]`,
            or one fixed `t`; only used with `regression`.
        seed: seed of the prototype placement.
        name: name of the hypermodel.
        tunable: whether the backbone's hyperparameters are added to the
            search space (see `keras_tuner.HyperModel`).

    Example:

    ```python
    def backbone(hp):
        return keras.Sequential([
            keras.Input((64,)),
            keras.layers.Dense(hp.Choice("units", [32, 64]), activation="relu"),
        ])

    hypermodel = keras_hpn.tuning.HPNHyperModel(backbone, num_classes=10, dims=[3, 5])
    hp = keras_tuner.HyperParameters()
    model = hypermodel.build(hp)  # the first value of each choice
    model.output.shape
    # (None, 3)
    hypermodel.prototypes(hp).shape
    # (10, 3)
    hypermodel.tuner_objective().name
    # "val_prototype_accuracy"
    ```

    A search (not run here, it trains). Decode with the prototypes the best
    model was compiled with, which its checkpoint stores, rather than
    placing them again:

    ```
    tuner = keras_tuner.RandomSearch(
        hypermodel,
        objective=hypermodel.tuner_objective(),
        max_trials=10,
        seed=1,  # keras-tuner treats seed=0 as "no seed"
        directory="tuning",
        project_name="digits",
    )
    tuner.search(x_train, y_train, validation_data=(x_val, y_val), epochs=20)
    best = tuner.get_best_models()[0]
    classes = keras_hpn.predict_classes(best.predict(x_test), best.loss.prototypes)
    ```

    keras-tuner's `GridSearch` cannot resume an interrupted search
    (keras-team/keras-tuner#1055): use `RandomSearch`, which over a small
    discrete space tries every combination once, or
    `BayesianOptimization`.
    """

    def __init__(
        self,
        backbone: Callable[..., keras.Model],
        num_classes: int,
        dims: int | Sequence[int] = (10, 25, 50),
        methods: str | Sequence[str] = "auto",
        learning_rates: float | Sequence[float] = 1e-3,
        regression: tuple[float, float] | None = None,
        weight_range: float | tuple[float, float] = (0.0, 1.0),
        seed: int | None = 0,
        name: str | None = None,
        tunable: bool = True,
    ):
        _require_keras_tuner()
        super().__init__(name=name, tunable=tunable)
        if not callable(backbone):
            raise ValueError(
                "`backbone` must be a callable that builds a keras.Model, "
                f"`backbone(hp)` or `backbone()`. Received: backbone={backbone!r}"
            )
        self.backbone = backbone
        self.num_classes = check_size(num_classes, "num_classes", 2)
        self.regression = (
            None if regression is None else check_range(*_pair(regression))
        )
        self.dims = [
            int(d)
            for d in _choices(
                dims, "dims", numbers.Integral, 3 if self.regression else 2
            )
        ]
        self.methods = _choices(methods, "methods", str)
        for method in self.methods:
            if method not in METHODS:
                raise ValueError(
                    f"`methods` must hold methods from {METHODS}. "
                    f"Received: methods={methods!r}"
                )
        self.learning_rates = [
            check_positive(v, "learning_rates")
            for v in _choices(learning_rates, "learning_rates", numbers.Real)
        ]
        self.weight_range = _weight_range(weight_range)
        self.seed = seed
        self._prototype_cache: dict = {}

    def _hyperparameters(self, hp) -> tuple[int, str, float]:
        dims = (
            hp.Fixed("dims", self.dims[0])
            if len(self.dims) == 1
            else hp.Choice("dims", self.dims)
        )
        method = (
            hp.Fixed("method", self.methods[0])
            if len(self.methods) == 1
            else hp.Choice("method", self.methods)
        )
        rate = (
            hp.Fixed("learning_rate", self.learning_rates[0])
            if len(self.learning_rates) == 1
            else hp.Choice("learning_rate", self.learning_rates)
        )
        return dims, method, rate

    def _weight(self, hp) -> float:
        low, high = self.weight_range
        if low == high:
            return hp.Fixed("weight", low)
        # Default (first build, HyperParameters() examples): the middle of the range.
        return hp.Float(
            "weight", min_value=low, max_value=high, default=(low + high) / 2
        )

    def prototypes(self, hp) -> np.ndarray:
        """The class prototypes a trial with hyperparameters `hp` trains with.

        Args:
            hp: the trial's `keras_tuner.HyperParameters`, e.g.
                `tuner.get_best_hyperparameters()[0]`.

        Returns:
            Array `(num_classes, dims)` with unit rows; with `regression`
            they are orthogonal to the regression axis `e_0`. Decode
            `model.predict` outputs with `keras_hpn.predict_classes(z, P)`.
        """
        dims, method, _ = self._hyperparameters(hp)
        key = (dims, method)
        if key not in self._prototype_cache:
            if self.regression is None:
                protos = hyperspherical(
                    self.num_classes, dims, seed=self.seed, method=method
                )
            else:
                protos, _ = multitask(
                    self.num_classes, dims, seed=self.seed, method=method
                )
            self._prototype_cache[key] = protos
        return self._prototype_cache[key]

    def tuner_objective(self, validation: bool = True):
        """What to pass as a tuner's `objective`, with the right directions.

        Args:
            validation: whether to track the metrics on the validation data.

        Returns:
            `objective("prototype_accuracy")`, one `keras_tuner.Objective`,
            for classification; with `regression`, the list
            `[objective("prototype_accuracy"), objective("regression_range_mae")]`,
            which keras-tuner optimises as one multi-objective score
            (`-accuracy + MAE / (upper - lower)`, minimised). Both terms
            are fractions: a 1% gain in accuracy and an MAE smaller by 1%
            of the target range improve it equally, whatever the units of
            the target (the MAE in target units would swamp the accuracy
            on targets such as diabetes progression, 25 to 346). A single
            objective is not wrapped in a list: keras-tuner would report it
            as a negated `MultiObjective`.
        """
        if self.regression is None:
            return objective("prototype_accuracy", validation)
        return [
            objective("prototype_accuracy", validation),
            objective("regression_range_mae", validation),
        ]

    def build(self, hp) -> keras.Model:
        """Builds and compiles one trial's model.

        Args:
            hp: the trial's `keras_tuner.HyperParameters`.

        Returns:
            A compiled `keras.Model` whose output is the unit vector `z`.
        """
        dims, _, rate = self._hyperparameters(hp)
        protos = self.prototypes(hp)
        body = self.backbone(hp) if _takes_hp(self.backbone) else self.backbone()
        if not isinstance(body, keras.Model):
            raise ValueError(
                f"`backbone` must return a keras.Model. Received: {type(body).__name__}"
            )
        try:
            inputs, features = body.inputs, body.outputs
        except (AttributeError, ValueError):
            inputs = features = None
        if not inputs or not features or len(features) != 1:
            raise ValueError(
                "`backbone` must return a model with a known input (built from "
                "keras.Input) and one output of features. Received a model "
                f"with inputs={inputs} and outputs={features}."
            )
        outputs = L2NormalizedProjection(dims, name="hpn_projection")(features[0])
        model = keras.Model(inputs, outputs, name=body.name)
        # The invalid counts go in `weighted_metrics`: only those receive
        # `sample_weight`, so rows left out with weight 0 are not counted.
        if self.regression is None:
            loss = PrototypeCosineLoss(protos)
            metrics = [PrototypeAccuracy(protos)]
            counts = [InvalidLabels(self.num_classes)]
        else:
            lower, upper = self.regression
            loss = MultiTaskLoss(protos, lower, upper, weight=self._weight(hp))
            metrics = [
                PrototypeAccuracy(protos, label_column=0),
                RegressionMAE(lower, upper, target_column=1),
                RangeMAE(lower, upper, target_column=1),
            ]
            counts = [
                InvalidLabels(self.num_classes, label_column=0),
                InvalidTargets(target_column=1),
            ]
        model.compile(
            optimizer=keras.optimizers.Adam(learning_rate=rate),
            loss=loss,
            metrics=metrics,
            weighted_metrics=counts,
        )
        return model

    def fit(self, hp, model, *args, **kwargs):
        """Trains one trial's model: `model.fit(*args, **kwargs)`.

        With `regression`, `y` is `[class id, target]` per row, which Keras'
        `class_weight` would read as one-hot (weighting every row by its
        target column's class); here `class_weight` is applied to the class
        column instead, as a `sample_weight` (multiplied into any given).

        Args:
            hp: the trial's `keras_tuner.HyperParameters`.
            model: the model `build` returned.
            *args: the arguments of `model.fit`.
            **kwargs: the keyword arguments of `model.fit`.

        Returns:
            The `History` of `model.fit`.
        """
        class_weight = kwargs.get("class_weight")
        if self.regression is not None and class_weight is not None:
            kwargs = dict(kwargs)
            del kwargs["class_weight"]
            y = kwargs.get("y", args[1] if len(args) > 1 else None)
            if not isinstance(y, np.ndarray) or y.ndim != 2:
                raise ValueError(
                    "`class_weight` with `regression` needs `y` as a numpy array "
                    "`(batch, 2)` = [class id, target], to weight the class "
                    f"column. Received y of type {type(y).__name__}. Pass "
                    "per-example weights as `sample_weight` instead."
                )
            weights = class_sample_weight(y[:, 0], class_weight)
            given = kwargs.get("sample_weight")
            kwargs["sample_weight"] = (
                weights if given is None else weights * np.asarray(given)
            )
        return model.fit(*args, **kwargs)


def class_sample_weight(labels, class_weight: dict) -> np.ndarray:
    """Per-example weights `class_weight[label]` (1 for classes not named).

    Args:
        labels: integer class ids, one per example.
        class_weight: dict from class id to weight.

    Returns:
        float32 array of the shape of `labels`.
    """
    labels = np.asarray(labels)
    weights = np.ones(labels.shape, dtype="float32")
    for label, weight in class_weight.items():
        weights[labels == label] = weight
    return weights


def _pair(value) -> tuple:
    if not isinstance(value, Sequence) or len(value) != 2:
        raise ValueError(
            "`regression` must be a pair (lower, upper): the range of the "
            f"regression targets. Received: regression={value!r}"
        )
    return tuple(value)


def _weight_range(value) -> tuple[float, float]:
    pair = (value, value) if isinstance(value, numbers.Real) else value
    valid = (
        isinstance(pair, Sequence)
        and len(pair) == 2
        and all(
            isinstance(v, numbers.Real) and not isinstance(v, bool) and 0 <= v <= 1
            for v in pair
        )
        and pair[0] <= pair[1]
    )
    if not valid:
        raise ValueError(
            "`weight_range` must be a number in [0, 1] or a pair (min, max) "
            f"with 0 <= min <= max <= 1. Received: weight_range={value!r}"
        )
    return float(pair[0]), float(pair[1])
