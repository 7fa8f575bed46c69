"""The base of the task models: backbone, pooling, projection, compile."""

from __future__ import annotations

import keras
import numpy as np

from keras_hpn.layers import L2NormalizedProjection

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
