"""Layers that put a network's output on the unit hypersphere."""

from __future__ import annotations

import keras
import numpy as np
from keras import ops

from keras_hpn import saving
from keras_hpn.initializers import PrototypeInitializer
from keras_hpn.numerics import SQUARED_NORM_EPSILON, has_direction, l2_normalize
from keras_hpn.utils.resources import CLASS_CHUNK
from keras_hpn.utils.validation import check_flag, check_positive, check_size

__all__ = [
    "L2NormalizedProjection",
    "PrototypeHead",
]


@keras.saving.register_keras_serializable(package="keras_hpn")
class L2NormalizedProjection(keras.layers.Layer):
    """A densely connected projection whose outputs have unit L2 norm.

    Computes `normalize(inputs @ kernel + bias)`, the output `z` of a
    Hyperspherical Prototype Network. The normalisation is computed in
    float32 (also under mixed precision) and a zero vector maps to zero with
    finite gradients, so training never sees NaN from this layer.

    Args:
        units: dimensionality `D` of the output, at least 2.
        use_bias: whether to add a bias before normalising.
        kernel_initializer: initializer of the `(input_dim, units)` kernel.
        bias_initializer: initializer of the bias.
        kernel_regularizer: optional regularizer of the kernel.
        bias_regularizer: optional regularizer of the bias.
        kernel_constraint: optional constraint of the kernel.
        bias_constraint: optional constraint of the bias.
        epsilon: squared norms below this count as zero.
        **kwargs: base layer arguments (`name`, `dtype`, ...).

    Call arguments:
        inputs: tensor of shape `(..., input_dim)`.

    Returns:
        Tensor of shape `(..., units)` with unit-length last axis.

    Example:

    ```python
    layer = keras_hpn.layers.L2NormalizedProjection(5)
    z = keras.ops.convert_to_numpy(layer(np.random.rand(4, 16).astype("float32")))
    np.testing.assert_allclose(np.linalg.norm(z, axis=-1), 1.0, rtol=1e-5)
    ```
    """

    def __init__(
        self,
        units: int,
        use_bias: bool = True,
        kernel_initializer="glorot_uniform",
        bias_initializer="zeros",
        kernel_regularizer=None,
        bias_regularizer=None,
        kernel_constraint=None,
        bias_constraint=None,
        epsilon: float = SQUARED_NORM_EPSILON,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.units = check_size(units, "units", 1)
        if self.units < 2:
            raise ValueError(
                "`units` must be at least 2. A unit vector in one dimension is +1 "
                "or -1: its gradient is zero, so the layer below could never "
                f"learn. Received: units={units}"
            )
        self.use_bias = check_flag(use_bias, "use_bias")
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.bias_initializer = keras.initializers.get(bias_initializer)
        self.kernel_regularizer = keras.regularizers.get(kernel_regularizer)
        self.bias_regularizer = keras.regularizers.get(bias_regularizer)
        self.kernel_constraint = keras.constraints.get(kernel_constraint)
        self.bias_constraint = keras.constraints.get(bias_constraint)
        self.epsilon = check_positive(epsilon, "epsilon")
        self.input_spec = keras.layers.InputSpec(min_ndim=2)

    def build(self, input_shape):
        input_dim = input_shape[-1]
        if input_dim is None:
            raise ValueError(
                "L2NormalizedProjection needs a known last input dimension. "
                f"Received input_shape={input_shape}."
            )
        self.kernel = self.add_weight(
            name="kernel",
            shape=(input_dim, self.units),
            initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
        )
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(
                name="bias",
                shape=(self.units,),
                initializer=self.bias_initializer,
                regularizer=self.bias_regularizer,
                constraint=self.bias_constraint,
            )
        self.input_spec = keras.layers.InputSpec(min_ndim=2, axes={-1: input_dim})

    def call(self, inputs):
        outputs = ops.matmul(inputs, self.kernel)
        if self.bias is not None:
            outputs = outputs + self.bias
        return ops.cast(l2_normalize(outputs, self.epsilon), self.compute_dtype)

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], self.units)

    def get_config(self) -> dict:
        config = super().get_config()
        config.update(
            {
                "units": self.units,
                "use_bias": self.use_bias,
                "kernel_initializer": keras.initializers.serialize(
                    self.kernel_initializer
                ),
                "bias_initializer": keras.initializers.serialize(self.bias_initializer),
                "kernel_regularizer": keras.regularizers.serialize(
                    self.kernel_regularizer
                ),
                "bias_regularizer": keras.regularizers.serialize(self.bias_regularizer),
                "kernel_constraint": keras.constraints.serialize(
                    self.kernel_constraint
                ),
                "bias_constraint": keras.constraints.serialize(self.bias_constraint),
                "epsilon": self.epsilon,
            }
        )
        return config


@keras.saving.register_keras_serializable(package="keras_hpn")
class PrototypeHead(keras.layers.Layer):
    """A frozen head that scores every class by its cosine to the prototype.

    The kernel, of shape `(dims, num_classes)`, holds one prototype per column
    and is never trained. The output is `cos(inputs, p_k)` for every class
    `k`, so `argmax` of it is the predicted class: put this layer on a
    trained HPN to get a model that classifies with no side file.

    All `K` cosines are the point of the default output, so it has
    `batch x K` entries. With many classes, ask for `top_k` instead: the
    classes are then scored in chunks of `chunk_size` and only the best `k`
    are kept, so memory is bounded by `batch x chunk_size`.

    Args:
        num_classes: number of classes `K`, at least 2.
        kernel_initializer: where the prototypes come from; defaults to
            `keras_hpn.initializers.PrototypeInitializer()`. Pass
            `PrototypeInitializer(prototypes=protos)` to use the prototypes the
            network was trained with.
        epsilon: squared input norms below this count as zero.
        top_k: `None` for all cosines, or `k` for the `k` best classes and
            their cosines.
        chunk_size: classes scored at once with `top_k` (any size >= 1,
            also below `top_k`).
        kernel_sha256: written by `get_config`, leave it `None`: the SHA-256
            of the kernel the head held when it was saved (its values in
            its dtype, see `keras_hpn.saving.exact_fingerprint`). Loading a kernel
            that differs from it (a damaged or mixed-up `.keras` file)
            raises a `ValueError` naming the layer.
        **kwargs: base layer arguments (`name`, `dtype`, ...).

    Call arguments:
        inputs: tensor of shape `(..., dims)`, need not be normalised.

    Returns:
        Tensor of shape `(..., num_classes)` of cosines in `[-1, 1]`; with
        `top_k`, a tuple `(cosines, classes)` of shape `(..., k)`, best first
        (`classes` int32). An input with no direction (all zero, or holding
        NaN or inf) has no class: its cosines are all NaN and, with `top_k`,
        its classes all `-1`. `argmax` reads a NaN row as class 0, so take
        classes from `top_k` or `keras_hpn.predict_classes`, which give `-1`.

    Example:

    ```python
    protos = keras_hpn.prototypes.hyperspherical(10, 5, seed=0)
    head = keras_hpn.layers.PrototypeHead(
        10,
        kernel_initializer=keras_hpn.initializers.PrototypeInitializer(protos),
    )
    scores = head(protos.astype("float32"))  # each prototype scores itself 1
    np.testing.assert_array_equal(np.argmax(scores, axis=-1), np.arange(10))
    best = keras_hpn.layers.PrototypeHead(
        10,
        kernel_initializer=keras_hpn.initializers.PrototypeInitializer(protos),
        top_k=3,
    )
    cosines, classes = best(protos[:2].astype("float32"))
    np.testing.assert_array_equal(np.asarray(classes)[:, 0], [0, 1])
    ```
    """

    def __init__(
        self,
        num_classes: int,
        kernel_initializer=None,
        epsilon: float = SQUARED_NORM_EPSILON,
        top_k: int | None = None,
        chunk_size: int = CLASS_CHUNK,
        kernel_sha256: str | None = None,
        **kwargs,
    ):
        kwargs.setdefault("trainable", False)
        super().__init__(**kwargs)
        self.num_classes = check_size(num_classes, "num_classes", 2)
        if kernel_initializer is None:
            kernel_initializer = PrototypeInitializer()
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        if isinstance(self.kernel_initializer, PrototypeInitializer):
            # Its own copy: the initializer records what it places.
            self.kernel_initializer = PrototypeInitializer.from_config(
                self.kernel_initializer.get_config()
            )
        self._awaiting_weights = False
        self.epsilon = check_positive(epsilon, "epsilon")
        self.top_k = (
            None
            if top_k is None
            else check_size(top_k, "top_k", 1, self.num_classes, "`num_classes`")
        )
        self.chunk_size = check_size(chunk_size, "chunk_size", 1)
        if kernel_sha256 is not None and not (
            isinstance(kernel_sha256, str)
            and len(kernel_sha256) == 64
            and all(c in "0123456789abcdef" for c in kernel_sha256)
        ):
            raise ValueError(
                "`kernel_sha256` must be None or 64 lowercase hex digits (set by "
                f"`get_config`). Received: kernel_sha256={kernel_sha256!r}"
            )
        # Checked against the kernel of the next weights loaded, then dropped.
        self._saved_sha256 = kernel_sha256

    def build(self, input_shape):
        dims = input_shape[-1]
        if dims is None:
            raise ValueError(
                "PrototypeHead needs a known last input dimension. "
                f"Received input_shape={input_shape}."
            )
        self.kernel = self.add_weight(
            name="kernel",
            shape=(dims, self.num_classes),
            initializer=self.kernel_initializer,
            trainable=False,
        )
        self._awaiting_weights = bool(getattr(self.kernel_initializer, "pending", 0))

    def load_own_variables(self, store) -> None:
        saving.guarded_load(self, store, lambda: self._load_kernel(store))

    def _load_kernel(self, store) -> None:
        if self._saved_sha256 is not None and "0" in store:
            found = saving.exact_fingerprint(np.asarray(store["0"]))
            if found != self._saved_sha256:
                raise ValueError(
                    f"Cannot load PrototypeHead {self.name!r}: its kernel (the "
                    "prototypes, entry `0` of its weights) has sha256 "
                    f"{found[:12]}..., but its config records "
                    f"{self._saved_sha256[:12]}...: the `.keras` file is damaged "
                    "or was assembled from two models."
                )
        super().load_own_variables(store)
        self._saved_sha256 = None
        self._awaiting_weights = False

    def _kernel_sha256(self) -> str | None:
        if not self.built or self._awaiting_weights:
            return self._saved_sha256
        return saving.exact_fingerprint(ops.convert_to_numpy(self.kernel))

    def call(self, inputs):
        if self._awaiting_weights:
            raise ValueError(
                "This PrototypeHead's prototypes are stored in the weights of the "
                "`.keras` file it came from, not in its config (they are too "
                "large for it), and no weights were loaded. Load the model with "
                "`keras.saving.load_model(path)`, or build the head with "
                "`PrototypeInitializer(prototypes)`."
            )
        unit = l2_normalize(inputs, self.epsilon)
        # A row with no direction has no class: NaN cosines, class -1.
        directed = ops.expand_dims(has_direction(unit), -1)
        if self.top_k is None:
            scores = ops.matmul(unit, ops.cast(self.kernel, "float32"))
            scores = ops.where(directed, scores, float("nan"))
            return ops.cast(scores, self.compute_dtype)
        best = classes = None
        for start in range(0, self.num_classes, self.chunk_size):
            block = ops.cast(self.kernel[:, start : start + self.chunk_size], "float32")
            scores = ops.matmul(unit, block)
            values, ids = ops.top_k(scores, min(self.top_k, scores.shape[-1]))
            ids = ops.cast(ids, "int32") + start
            if best is not None:
                # Earlier chunks first: on ties top_k keeps the lower class id.
                values = ops.concatenate([best, values], axis=-1)
                ids = ops.concatenate([classes, ids], axis=-1)
                # Chunks smaller than top_k: keep all until k are seen.
                values, order = ops.top_k(values, min(self.top_k, values.shape[-1]))
                ids = ops.take_along_axis(ids, order, axis=-1)
            best, classes = values, ids
        best = ops.where(directed, best, float("nan"))
        classes = ops.where(directed, classes, -1)
        return ops.cast(best, self.compute_dtype), classes

    def compute_output_shape(self, input_shape):
        if self.top_k is None:
            return (*input_shape[:-1], self.num_classes)
        shape = (*input_shape[:-1], self.top_k)
        return shape, shape

    def compute_output_spec(self, inputs):
        if self.top_k is None:
            return super().compute_output_spec(inputs)
        shape = (*inputs.shape[:-1], self.top_k)
        return (
            keras.KerasTensor(shape, dtype=self.compute_dtype),
            keras.KerasTensor(shape, dtype="int32"),
        )

    def get_config(self) -> dict:
        config = super().get_config()
        config.update(
            {
                "num_classes": self.num_classes,
                "kernel_initializer": keras.initializers.serialize(
                    self.kernel_initializer
                ),
                "epsilon": self.epsilon,
                "top_k": self.top_k,
                "chunk_size": self.chunk_size,
                "kernel_sha256": self._kernel_sha256(),
            }
        )
        return config
