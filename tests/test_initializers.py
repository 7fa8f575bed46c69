import keras
import numpy as np
import pytest

import keras_hpn
from keras_hpn.initializers import PrototypeInitializer


def test_kernel_is_transposed_prototypes_and_deterministic():
    first = keras.ops.convert_to_numpy(PrototypeInitializer(seed=3)((6, 20)))
    again = keras.ops.convert_to_numpy(PrototypeInitializer(seed=3)((6, 20)))
    expected = keras_hpn.prototypes.hyperspherical(20, 6, seed=3)
    np.testing.assert_allclose(first, expected.T, atol=1e-7)
    np.testing.assert_array_equal(first, again)
    other = keras.ops.convert_to_numpy(PrototypeInitializer(seed=4)((6, 20)))
    assert not np.allclose(first, other)


def test_explicit_prototypes_and_dtype():
    protos = np.array([[3.0, 4.0], [0.0, 1.0], [-1.0, 0.0]])
    kernel = PrototypeInitializer(protos)((2, 3), dtype="float16")
    assert keras.backend.standardize_dtype(kernel.dtype) == "float16"
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(kernel).astype("float32"),
        [[0.6, 0.0, -1.0], [0.8, 1.0, 0.0]],
        rtol=1e-3,
    )


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"method": "spiral"}, "method"),
        ({"seed": 1.5}, "seed"),
        ({"prototypes": [[np.nan, 1.0], [1.0, 0.0]]}, "NaN"),
    ],
)
def test_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        PrototypeInitializer(**kwargs)


def test_bad_shape():
    with pytest.raises(ValueError, match="2-D"):
        PrototypeInitializer(seed=0)((3, 4, 5))


def test_config_round_trip():
    init = PrototypeInitializer(np.eye(3), seed=7, method="simplex")
    restored = keras.initializers.deserialize(keras.initializers.serialize(init))
    assert isinstance(restored, PrototypeInitializer)
    assert (restored.seed, restored.method) == (7, "simplex")
    np.testing.assert_array_equal(restored.prototypes, np.eye(3))
