import keras
import numpy as np
import pytest
from keras.src import testing

import keras_hpn
from keras_hpn.initializers import PrototypeInitializer
from keras_hpn.layers import L2NormalizedProjection, PrototypeHead

to_numpy = keras.ops.convert_to_numpy


class TestL2NormalizedProjection:
    def test_matches_hand_computation(self):
        kernel = np.array([[1.0, 2.0], [0.0, -1.0], [3.0, 0.0]], dtype="float32")
        bias = np.array([0.5, -0.5], dtype="float32")
        layer = L2NormalizedProjection(2)
        layer.build((None, 3))
        layer.set_weights([kernel, bias])
        x = np.array([[1.0, 1.0, 1.0], [0.0, 2.0, 0.0]], dtype="float32")
        raw = x @ kernel + bias  # [[4.5, 0.5], [0.5, -2.5]]
        expected = raw / np.linalg.norm(raw, axis=1, keepdims=True)
        np.testing.assert_allclose(to_numpy(layer(x)), expected, rtol=1e-6)

    def test_keras_layer_contract(self):
        layer = L2NormalizedProjection(4, use_bias=False, name="proj")
        x = np.random.default_rng(0).standard_normal((3, 7, 5)).astype("float32")
        y = to_numpy(layer(x))
        assert tuple(y.shape) == (3, 7, 4)
        assert layer.compute_output_shape((None, 7, 5)) == (None, 7, 4)
        assert len(layer.trainable_weights) == 1
        np.testing.assert_allclose(np.linalg.norm(y, axis=-1), 1.0, rtol=1e-5)

    def test_zero_output_is_finite(self, gradient):
        layer = L2NormalizedProjection(3, kernel_initializer="zeros")
        x = np.ones((2, 4), dtype="float32")
        np.testing.assert_array_equal(to_numpy(layer(x)), np.zeros((2, 3)))
        assert np.isfinite(gradient(layer, x)).all()

    def test_mixed_precision_normalises_in_float32(self):
        keras.mixed_precision.set_global_policy("mixed_float16")
        layer = L2NormalizedProjection(3)
        # Squared norms of these outputs overflow float16 (max 65504).
        y = layer(np.full((2, 4), 300.0, dtype="float32"))
        assert keras.backend.standardize_dtype(y.dtype) == "float16"
        np.testing.assert_allclose(
            np.linalg.norm(keras.ops.convert_to_numpy(y).astype("float32"), axis=-1),
            1.0,
            rtol=1e-2,
        )

    @pytest.mark.parametrize("units", [0, 1, -3, 2.5, "5"])
    def test_bad_units(self, units):
        with pytest.raises(ValueError, match="units"):
            L2NormalizedProjection(units)

    def test_config_round_trip(self):
        layer = L2NormalizedProjection(
            6, use_bias=False, kernel_regularizer="l2", epsilon=1e-8, name="z"
        )
        clone = L2NormalizedProjection.from_config(layer.get_config())
        assert clone.get_config() == layer.get_config()
        restored = keras.layers.deserialize(keras.layers.serialize(layer))
        assert isinstance(restored, L2NormalizedProjection) and restored.units == 6


class TestPrototypeHead:
    def test_scores_are_cosines_and_argmax_is_the_class(self):
        protos = keras_hpn.prototypes.hyperspherical(7, 3, seed=2)
        head = PrototypeHead(7, kernel_initializer=PrototypeInitializer(protos))
        z = np.random.default_rng(0).standard_normal((5, 3))
        scores = keras.ops.convert_to_numpy(head(z.astype("float32")))
        expected = (z / np.linalg.norm(z, axis=1, keepdims=True)) @ protos.T
        np.testing.assert_allclose(scores, expected, rtol=1e-5, atol=1e-6)
        np.testing.assert_array_equal(
            np.argmax(scores, axis=-1), keras_hpn.predict_classes(z, protos)
        )

    def test_default_kernel_equals_hyperspherical_and_is_frozen(self):
        head = PrototypeHead(10, kernel_initializer=PrototypeInitializer(seed=4))
        head.build((None, 5))
        np.testing.assert_allclose(
            keras.ops.convert_to_numpy(head.kernel),
            keras_hpn.prototypes.hyperspherical(10, 5, seed=4).T,
            atol=1e-7,
        )
        assert head.trainable_weights == [] and len(head.non_trainable_weights) == 1

    def test_kernel_stays_fixed_during_training(self):
        head = PrototypeHead(4, kernel_initializer=PrototypeInitializer(seed=0))
        model = keras.Sequential([keras.Input((6,)), keras.layers.Dense(3), head])
        before = keras.ops.convert_to_numpy(head.kernel).copy()
        model.compile("sgd", "mse")
        x = np.random.default_rng(0).standard_normal((16, 6)).astype("float32")
        model.fit(x, np.ones((16, 4)), epochs=2, verbose=0)
        np.testing.assert_array_equal(keras.ops.convert_to_numpy(head.kernel), before)

    def test_prototype_shape_mismatch_names_both(self):
        head = PrototypeHead(5, kernel_initializer=PrototypeInitializer(np.eye(4)))
        with pytest.raises(ValueError, match=r"\(4, 5\).*\(4, 4\)"):
            head(np.ones((1, 4), dtype="float32"))

    def test_bad_num_classes(self):
        with pytest.raises(ValueError, match="num_classes"):
            PrototypeHead(1)

    @pytest.mark.parametrize("chunk_size", [1, 2, 8192])
    def test_rows_with_no_direction_have_no_class(self, chunk_size):
        # Zero, NaN and inf rows: NaN cosines and, with top_k, class -1.
        protos = np.eye(3)
        init = PrototypeInitializer(protos)
        z = np.array(
            [[0.0, 0.0, 0.0], [np.nan, 1.0, 0.0], [0.0, -np.inf, 0.0], [0.0, 3.0, 4.0]],
            "float32",
        )
        scores = to_numpy(PrototypeHead(3, kernel_initializer=init)(z))
        assert np.isnan(scores[:3]).all()
        np.testing.assert_allclose(scores[3], [0.0, 0.6, 0.8], atol=1e-6)
        head = PrototypeHead(3, kernel_initializer=init, top_k=2, chunk_size=chunk_size)
        cosines, classes = (to_numpy(t) for t in head(z))
        np.testing.assert_array_equal(classes, [[-1, -1]] * 3 + [[2, 1]])
        assert np.isnan(cosines[:3]).all()
        np.testing.assert_allclose(cosines[3], [0.8, 0.6], atol=1e-6)
        np.testing.assert_array_equal(
            keras_hpn.predict_classes(z, protos, k=2), classes
        )

    @pytest.mark.parametrize("chunk_size", [1, 2, 3, 4])
    def test_chunks_smaller_than_top_k_give_the_top_k(self, chunk_size):
        protos = keras_hpn.prototypes.hyperspherical(10, 4, seed=0)
        head = PrototypeHead(
            10,
            kernel_initializer=PrototypeInitializer(protos),
            top_k=5,
            chunk_size=chunk_size,
        )
        z = np.random.default_rng(1).standard_normal((6, 4))
        cosines, classes = (to_numpy(t) for t in head(z.astype("float32")))
        expected, scores = keras_hpn.predict_classes(z, protos, 5, return_scores=True)
        np.testing.assert_array_equal(classes, expected)
        np.testing.assert_allclose(cosines, scores, atol=1e-6)

    def test_config_round_trip(self):
        head = PrototypeHead(3, kernel_initializer=PrototypeInitializer(np.eye(3)))
        restored = keras.layers.deserialize(keras.layers.serialize(head))
        assert isinstance(restored, PrototypeHead) and restored.num_classes == 3
        np.testing.assert_array_equal(restored.kernel_initializer.prototypes, np.eye(3))


class TestKerasLayerContract(testing.TestCase):
    """Keras' own layer test: build, call, shapes, weights, serialisation,
    training, mixed precision (as keras-hub's layer tests run it)."""

    def test_l2_normalized_projection(self):
        self.run_layer_test(
            L2NormalizedProjection,
            init_kwargs={"units": 4},
            input_shape=(2, 3, 5),
            expected_output_shape=(2, 3, 4),
            expected_num_trainable_weights=2,
            expected_num_non_trainable_weights=0,
            expected_num_seed_generators=0,
            expected_num_losses=0,
            supports_masking=False,
        )

    def test_prototype_head(self):
        protos = keras_hpn.prototypes.hyperspherical(6, 3, seed=0)
        self.run_layer_test(
            PrototypeHead,
            init_kwargs={
                "num_classes": 6,
                "kernel_initializer": PrototypeInitializer(protos),
            },
            input_shape=(2, 3),
            expected_output_shape=(2, 6),
            expected_num_trainable_weights=0,
            expected_num_non_trainable_weights=1,
            expected_num_seed_generators=0,
            expected_num_losses=0,
            supports_masking=False,
        )
