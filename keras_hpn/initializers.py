"""Keras initializer that fills a kernel with hyperspherical prototypes."""

from __future__ import annotations

import keras
import numpy as np

from keras_hpn.prototypes import check_prototypes, hyperspherical
from keras_hpn.prototypes.geometry import METHODS
from keras_hpn.prototypes.validation import check_seed


@keras.saving.register_keras_serializable(package="keras_hpn")
class PrototypeInitializer(keras.initializers.Initializer):
    """Fills a `(dims, num_classes)` kernel with class prototypes as columns.

    With this kernel, a layer that multiplies unit-length features by it
    outputs the cosine to every prototype (see `keras_hpn.layers.PrototypeHead`).
    Either pass the prototypes themselves, or let the initializer place them
    with `keras_hpn.prototypes.hyperspherical(num_classes, dims, seed=seed,
    method=method)`, where `(dims, num_classes)` is the requested shape: then
    the kernel equals the transpose of the prototypes that the same call
    gives the loss.

    Args:
        prototypes: optional array of shape `(num_classes, dims)`. Rows are
            rescaled to unit length.
        seed: integer seed passed to `hyperspherical` when `prototypes` is
            `None`; the same seed always gives the same kernel. With `None`
            the closed-form placements are left unrotated and the optimiser
            starts from a random point.
        method: placement method passed to `hyperspherical`.

    Example:

    ```python
    init = keras_hpn.initializers.PrototypeInitializer(seed=0)
    kernel = init(shape=(5, 10))  # dims=5, num_classes=10
    protos = keras_hpn.prototypes.hyperspherical(10, 5, seed=0)
    np.testing.assert_allclose(kernel, protos.T, atol=1e-6)
    ```
    """

    def __init__(
        self,
        prototypes: object | None = None,
        seed: int | None = None,
        method: str = "auto",
    ):
        if prototypes is not None:
            prototypes = check_prototypes(prototypes)
        if method not in METHODS:
            raise ValueError(
                f"`method` must be one of {METHODS}. Received: method={method!r}"
            )
        self.prototypes = prototypes
        self.seed = check_seed(seed)
        self.method = method

    def __call__(self, shape, dtype=None):
        shape = tuple(int(s) for s in shape)
        if len(shape) != 2:
            raise ValueError(
                "PrototypeInitializer fills a 2-D kernel of shape (dims, num_classes). "
                f"Received shape {shape}."
            )
        dims, num_classes = shape
        if self.prototypes is None:
            protos = hyperspherical(
                num_classes, dims, seed=self.seed, method=self.method
            )
        elif self.prototypes.shape != (num_classes, dims):
            raise ValueError(
                f"The kernel shape {shape} asks for {num_classes} prototypes of "
                f"dimension {dims}, but `prototypes` has shape "
                f"{self.prototypes.shape} (num_classes, dims)."
            )
        else:
            protos = self.prototypes
        dtype = keras.backend.standardize_dtype(dtype or keras.backend.floatx())
        return keras.ops.convert_to_tensor(np.ascontiguousarray(protos.T), dtype=dtype)

    def get_config(self) -> dict:
        return {
            "prototypes": None if self.prototypes is None else self.prototypes.tolist(),
            "seed": self.seed,
            "method": self.method,
        }
