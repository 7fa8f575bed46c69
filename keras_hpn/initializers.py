"""Keras initializer that fills a kernel with hyperspherical prototypes."""

from __future__ import annotations

import keras
import numpy as np

from keras_hpn import saving
from keras_hpn.prototypes import METHODS, hyperspherical
from keras_hpn.utils.validation import check_seed

__all__ = [
    "PrototypeInitializer",
]


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

    Once it has placed prototypes, the initializer keeps them and its config
    holds them (see `keras_hpn.saving`), so a saved model never runs the
    placement again when it is loaded. Give each layer its own initializer.

    Args:
        prototypes: optional array of shape `(num_classes, dims)`. Rows are
            rescaled to unit length.
        seed: integer seed (>= 0) passed to `hyperspherical` when
            `prototypes` is `None`; the same seed always gives the same
            kernel. With `None` the closed-form placements are left unrotated
            and the optimiser starts from a random point.
        method: placement method passed to `hyperspherical`.

    Example:

    ```python
    init = keras_hpn.initializers.PrototypeInitializer(seed=0)
    kernel = init(shape=(5, 10))  # dims=5, num_classes=10
    protos = keras_hpn.prototypes.hyperspherical(10, 5, seed=0)
    np.testing.assert_allclose(kernel, protos.T, atol=1e-6)
    np.testing.assert_array_equal(init.get_config()["prototypes"], protos)
    ```
    """

    prototypes = saving.StoredPrototypes()

    def __init__(
        self,
        prototypes: object | None = None,
        seed: int | None = None,
        method: str = "auto",
    ):
        if method not in METHODS:
            raise ValueError(
                f"`method` must be one of {METHODS}. Received: method={method!r}"
            )
        self.prototypes = prototypes
        self.seed = check_seed(seed)
        self.method = method

    @property
    def pending(self) -> bool:
        """Whether the prototypes are only referenced, awaiting a weights file."""
        return saving.pending(self, "prototypes")

    def __call__(self, shape, dtype=None):
        shape = tuple(int(s) for s in shape)
        if len(shape) != 2:
            raise ValueError(
                "PrototypeInitializer fills a 2-D kernel of shape (dims, num_classes). "
                f"Received shape {shape}."
            )
        dims, num_classes = shape
        dtype = keras.backend.standardize_dtype(dtype or keras.backend.floatx())
        known = saving.shape_of(self, "prototypes")
        if known is None:
            self.prototypes = hyperspherical(
                num_classes, dims, seed=self.seed, method=self.method
            )
        elif known != (num_classes, dims):
            raise ValueError(
                f"The kernel shape {shape} asks for {num_classes} prototypes of "
                f"dimension {dims}, but `prototypes` has shape {known} "
                "(num_classes, dims)."
            )
        elif self.pending:
            # The kernel comes from a weights file (see keras_hpn.saving); NaN
            # makes a kernel that never gets them impossible to overlook.
            return keras.ops.full(shape, float("nan"), dtype=dtype)
        return keras.ops.convert_to_tensor(
            np.ascontiguousarray(self.prototypes.T), dtype=dtype
        )

    def get_config(self) -> dict:
        return {
            "prototypes": saving.config_of(self, "prototypes"),
            "seed": self.seed,
            "method": self.method,
        }
