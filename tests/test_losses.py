import warnings

import keras
import numpy as np
import pytest

import keras_hpn
from keras_hpn.losses import (
    HypersphericalRegressionLoss,
    InvalidLabelWarning,
    MultiTaskLoss,
    PrototypeCosineLoss,
)
from keras_hpn.targets import class_labels

PROTOS = keras_hpn.prototypes.hyperspherical(10, 5, seed=0)


def per_example(loss, y_true, y_pred):
    return keras.ops.convert_to_numpy(
        loss.call(
            keras.ops.convert_to_tensor(y_true, "float32"),
            keras.ops.convert_to_tensor(y_pred, "float32"),
        )
    )


@pytest.fixture
def float64():
    """floatx float64 for one test; skipped where JAX has no float64."""
    if keras.backend.backend() == "jax":
        import jax

        if not jax.config.read("jax_enable_x64"):
            pytest.skip("JAX without x64 computes float64 in float32")
    keras.config.set_floatx("float64")
    yield
    keras.config.set_floatx("float32")


def numpy_cosine(z, p):
    z = np.asarray(z, dtype=np.float64)
    return (
        np.sum(z * p, axis=-1) / np.linalg.norm(z, axis=-1) / np.linalg.norm(p, axis=-1)
    )


class TestPrototypeCosineLoss:
    def test_outputs_on_their_prototypes_give_zero(self):
        loss = PrototypeCosineLoss(PROTOS)
        assert float(loss(np.arange(10), 3.0 * PROTOS)) == pytest.approx(0.0, abs=1e-6)

    def test_opposite_prototype_gives_four_per_example(self):
        values = per_example(PrototypeCosineLoss(PROTOS), np.arange(10), -PROTOS)
        np.testing.assert_allclose(values, 4.0, rtol=1e-6)

    def test_matches_hand_computation(self):
        rng = np.random.default_rng(1)
        z = rng.standard_normal((8, 5))
        labels = rng.integers(0, 10, 8)
        expected = (1.0 - numpy_cosine(z, PROTOS[labels])) ** 2
        values = per_example(PrototypeCosineLoss(PROTOS), labels, z)
        np.testing.assert_allclose(values, expected, rtol=1e-5, atol=1e-6)
        # Column labels (batch, 1) and the mean reduction agree with it.
        loss = PrototypeCosineLoss(PROTOS)
        assert float(loss(labels[:, None], z)) == pytest.approx(
            expected.mean(), rel=1e-5
        )

    def test_sample_weight_is_applied_per_example(self):
        z = np.stack([PROTOS[0], -PROTOS[1]])  # losses 0 and 4
        loss = PrototypeCosineLoss(PROTOS)
        value = loss(np.array([0, 1]), z, sample_weight=np.array([1.0, 0.25]))
        assert float(value) == pytest.approx((0.0 + 4.0 * 0.25) / 2, rel=1e-6)

    def test_rows_are_normalised(self):
        scaled = PrototypeCosineLoss(PROTOS * np.arange(1, 11)[:, None])
        np.testing.assert_allclose(scaled.prototypes, PROTOS, atol=1e-12)

    def test_zero_output_has_finite_loss_and_gradient(self, gradient):
        loss = PrototypeCosineLoss(PROTOS)
        z = np.zeros((2, 5), dtype="float32")
        values = per_example(loss, np.array([0, 3]), z)
        np.testing.assert_allclose(values, 1.0)  # cos = 0
        grad = gradient(
            lambda v: loss.call(keras.ops.convert_to_tensor([0.0, 3.0]), v), z
        )
        assert np.all(np.isfinite(grad))

    @pytest.mark.parametrize("labels", [[0, 10], [-1, 2], [0.5, 1], [np.nan, 1]])
    def test_bad_labels_warn_by_default_and_raise_when_strict(self, labels):
        y = np.array(labels, dtype="float32")
        with pytest.warns(InvalidLabelWarning, match=r"1 of 2 labels.*\[0, 10\)"):
            PrototypeCosineLoss(PROTOS)(y, PROTOS[:2])
        with pytest.raises(ValueError, match=r"1 of 2 labels.*\[0, 10\)"):
            PrototypeCosineLoss(PROTOS, invalid_labels="raise")(y, PROTOS[:2])
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            PrototypeCosineLoss(PROTOS, invalid_labels="ignore")(y, PROTOS[:2])

    def test_every_eager_call_is_checked_not_only_the_first(self):
        # Issue 17: after a clean first call, bad labels returned 0.0 silently.
        loss = PrototypeCosineLoss(PROTOS, invalid_labels="raise")
        z = np.stack([-PROTOS[0], -PROTOS[1]])  # loss 4 each
        assert float(loss(np.array([0, 1]), z)) == pytest.approx(4.0, rel=1e-6)
        with pytest.raises(ValueError, match=r"2 of 2 labels.*e\.g\. -1"):
            loss(np.array([-1, 10]), z)
        warned = PrototypeCosineLoss(PROTOS)
        warned(np.array([0, 1]), z)
        with pytest.warns(InvalidLabelWarning, match="2 of 2 labels"):
            assert float(warned(np.array([-1, 10]), z)) == 0.0  # still masked

    @pytest.mark.parametrize("label", [2**32 + 3, 2**31 + 1, 16_777_217])
    def test_large_integer_labels_never_alias_a_class(self, label):
        # Issue 17 item 6: int64 2**32 + 3 wrapped to 3 on JAX; 16,777,217
        # became 16,777,216 in float32. Invalid for any small K.
        protos = keras_hpn.prototypes.hyperspherical(4, 3, seed=0)
        loss = PrototypeCosineLoss(protos, invalid_labels="raise")
        y = np.array([label, 1], dtype="int64")
        with pytest.raises(ValueError, match="1 of 2 labels"):
            loss(y, protos[[3, 1]])
        metric = keras_hpn.metrics.InvalidLabels(4)
        metric.update_state(y, protos[[3, 1]])
        assert float(metric.result()) == 1.0

    def test_labels_compare_exactly_beyond_float32(self):
        # 16,777,217 is a class id of 20,000,000 classes, 16,777,216 another.
        labels, valid = class_labels(
            keras.ops.convert_to_tensor(np.array([16_777_217, 20_000_000])),
            keras.ops.zeros((2, 3)),
            20_000_000,
        )
        np.testing.assert_array_equal(keras.ops.convert_to_numpy(valid), [1, 0])
        assert int(keras.ops.convert_to_numpy(labels)[0]) == 16_777_217

    def test_invalid_labels_mode_is_checked_and_serialised(self):
        with pytest.raises(ValueError, match="invalid_labels.*'loud'"):
            PrototypeCosineLoss(PROTOS, invalid_labels="loud")
        loss = PrototypeCosineLoss(PROTOS, invalid_labels="raise")
        config = loss.get_config()
        assert config["invalid_labels"] == "raise"
        assert PrototypeCosineLoss.from_config(config).invalid_labels == "raise"

    @pytest.mark.parametrize("bad", [12.0, -1.0, 2.5, np.nan])
    def test_bad_labels_are_masked_with_zero_gradient_when_compiled(
        self, bad, compiled, gradient
    ):
        loss = PrototypeCosineLoss(PROTOS)
        y = keras.ops.convert_to_tensor([3.0, bad])
        z = np.stack([-PROTOS[3], PROTOS[1]]).astype("float32")
        values = keras.ops.convert_to_numpy(
            compiled(lambda y, z: loss.call(y, z))(y, keras.ops.convert_to_tensor(z))
        )
        np.testing.assert_allclose(values, [4.0, 0.0], rtol=1e-6)
        grad = gradient(lambda v: loss.call(y, v), z)
        assert np.isfinite(grad).all()
        np.testing.assert_array_equal(grad[1], 0.0)
        assert np.abs(grad[0]).max() > 0

    def test_zero_sample_weight_masks_unknown_labels_exactly(self):
        loss = PrototypeCosineLoss(PROTOS)
        z = np.stack([-PROTOS[0], PROTOS[1], PROTOS[2]])
        value = loss(np.array([0, -1, 99]), z, sample_weight=np.array([1.0, 0, 0]))
        assert float(value) == pytest.approx(4.0 / 3, rel=1e-6)

    @pytest.mark.parametrize("scale", [1e20, 1e30])
    def test_huge_outputs_normalise_without_overflow(self, scale, gradient):
        loss = PrototypeCosineLoss(PROTOS)
        z = (scale * np.stack([PROTOS[0], -PROTOS[1]])).astype("float32")
        np.testing.assert_allclose(per_example(loss, [0, 1], z), [0.0, 4.0], atol=1e-5)
        y = keras.ops.convert_to_tensor([0.0, 1.0])
        grad = gradient(lambda v: loss.call(y, v), z)
        assert np.isfinite(grad).all()

    def test_float64_outputs_of_1e200(self):
        loss = PrototypeCosineLoss(PROTOS)
        z = keras.ops.convert_to_tensor(1e-200 * np.stack([PROTOS[0], -PROTOS[1]]))
        if keras.backend.standardize_dtype(z.dtype) != "float64":
            pytest.skip("this backend runs without float64 (JAX without x64)")
        z = z * 1e200 * 1e200  # built in float64: 1e200 does not fit float32
        y = keras.ops.convert_to_tensor([0.0, 1.0], "float64")
        values = keras.ops.convert_to_numpy(loss.call(y, z))
        np.testing.assert_allclose(values, [0.0, 4.0], atol=1e-9)

    def test_one_hot_labels_are_refused_even_when_batch_equals_classes(self):
        loss = PrototypeCosineLoss(PROTOS)
        with pytest.raises(ValueError, match="one-hot.*argmax"):
            loss(np.eye(10), PROTOS)
        with pytest.raises(ValueError, match="one-hot"):
            loss(np.eye(10)[:3], PROTOS[:3])

    @pytest.mark.parametrize(
        "y, column, message",
        [
            (np.zeros((4, 2)), None, "label_column"),
            (np.zeros((4, 2)), 5, "label_column=5"),
            (np.zeros(4), 0, r"column 0"),
            (np.zeros((3,)), None, "batch sizes differ"),
        ],
    )
    def test_label_shapes_that_would_broadcast_are_refused(self, y, column, message):
        loss = PrototypeCosineLoss(PROTOS, label_column=column)
        with pytest.raises(ValueError, match=message):
            loss(y, PROTOS[:4])

    @pytest.mark.parametrize("column", ["a", 1.5, -1, True])
    def test_label_column_must_be_a_column_index(self, column):
        with pytest.raises(ValueError, match="label_column"):
            PrototypeCosineLoss(PROTOS, label_column=column)

    def test_output_width_mismatch_names_both(self):
        with pytest.raises(ValueError, match=r"width 4.*dimension 5"):
            PrototypeCosineLoss(PROTOS)(np.array([0]), np.ones((1, 4)))

    @pytest.mark.parametrize(
        "prototypes, message",
        [
            (np.ones(5), "2-D"),
            (np.ones((2, 3, 4)), "2-D"),
            (np.array([[1.0, np.nan], [0.0, 1.0]]), "NaN"),
            (np.array([[1.0, np.inf], [0.0, 1.0]]), "NaN or infinite"),
            (np.array([[1.0, 0.0], [0.0, 0.0]]), "zero row"),
            (np.array([[1.0, 0.0]]), "at least 2"),
            (np.array([[1.0], [-1.0]]), "2 dimensions"),
            (np.array([[1.0, 0.0], [2.0, 0.0]]), "same direction"),
        ],
    )
    def test_bad_prototypes_are_refused(self, prototypes, message):
        with pytest.raises(ValueError, match=message):
            PrototypeCosineLoss(prototypes)

    def test_serialisation_round_trip(self):
        loss = PrototypeCosineLoss(PROTOS, label_column=0, name="cls")
        restored = keras.losses.deserialize(keras.losses.serialize(loss))
        assert isinstance(restored, PrototypeCosineLoss)
        np.testing.assert_array_equal(restored.prototypes, loss.prototypes)
        assert restored.label_column == 0 and restored.name == "cls"


class TestHypersphericalRegressionLoss:
    def test_matches_hand_computation(self):
        loss = HypersphericalRegressionLoss(lower=10.0, upper=20.0)
        z = np.array([[1.0, 0.0], [0.0, 2.0], [-1.0, 0.0], [1.0, 1.0]])
        y = np.array([20.0, 15.0, 10.0, 10.0])
        # r = 1, 0, -1, -1; cosines 1, 0, -1, 1/sqrt(2)
        expected = np.array([0.0, 0.0, 0.0, (-1.0 - 2**-0.5) ** 2])
        np.testing.assert_allclose(per_example(loss, y, z), expected, atol=1e-6)

    def test_custom_upper_prototype(self):
        loss = HypersphericalRegressionLoss(0.0, 1.0, upper_prototype=[0.0, 3.0])
        z = np.array([[0.0, 1.0], [1.0, 0.0]])
        np.testing.assert_allclose(
            per_example(loss, [1.0, 0.0], z), [0.0, 1.0], atol=1e-6
        )

    def test_from_targets_uses_training_range(self):
        loss = HypersphericalRegressionLoss.from_targets(np.array([3.0, -1.0, 7.5]))
        assert (loss.lower, loss.upper) == (-1.0, 7.5)

    @pytest.mark.parametrize("lower, upper", [(1.0, 1.0), (2.0, 1.0), (0.0, np.nan)])
    def test_bad_range(self, lower, upper):
        with pytest.raises(ValueError, match="lower|upper"):
            HypersphericalRegressionLoss(lower, upper)

    def test_nan_target_is_masked_and_reported(self, gradient):
        loss = HypersphericalRegressionLoss(0.0, 1.0)
        with pytest.warns(InvalidLabelWarning, match="1 of 2 regression targets"):
            loss(np.array([np.nan, 1.0]), np.eye(2))
        strict = HypersphericalRegressionLoss(0.0, 1.0, invalid_targets="raise")
        with pytest.raises(ValueError, match="NaN or infinite"):
            strict(np.array([np.nan, 1.0]), np.eye(2))
        y = keras.ops.convert_to_tensor([np.nan, 1.0])
        z = np.array([[0.0, 1.0], [0.0, 1.0]], "float32")
        values = keras.ops.convert_to_numpy(loss.call(y, z))
        np.testing.assert_allclose(values, [0.0, 1.0], atol=1e-6)
        grad = gradient(lambda v: loss.call(y, v), z)
        np.testing.assert_array_equal(grad[0], 0.0)
        assert np.isfinite(grad).all()
        # Masked by weight: no error, exactly nothing.
        masked = HypersphericalRegressionLoss(0.0, 1.0)
        value = masked(np.array([np.nan, 1.0]), z, sample_weight=[0.0, 1.0])
        assert float(value) == pytest.approx(0.5, rel=1e-6)

    def test_targets_outside_the_range_warn_once_or_clip(self):
        loss = HypersphericalRegressionLoss(0.0, 1.0)
        z = np.array([[1.0, 0.0]])
        with pytest.warns(UserWarning, match="outside.*clip_targets"):
            assert float(loss(np.array([3.0]), z)) == pytest.approx(16.0)
        clipped = HypersphericalRegressionLoss(0.0, 1.0, clip_targets=True)
        assert float(clipped(np.array([3.0]), z)) == pytest.approx(0.0, abs=1e-6)

    def test_range_too_narrow_for_its_offset_in_float32_is_refused(self):
        # Near 1.7e9 float32 values are 128 apart: `fit` would hand the loss
        # targets rounded to a few values (perfect outputs had loss 0.466).
        lower, upper = 1.7e9, 1.7e9 + 100
        with pytest.raises(ValueError, match=r"lower=1700000000\.0.*128 apart"):
            HypersphericalRegressionLoss(lower, upper)
        with pytest.raises(ValueError, match="y - 1700000000.0"):
            HypersphericalRegressionLoss.from_targets([lower, upper])
        with pytest.raises(ValueError, match="floatx"):
            keras_hpn.metrics.RegressionMAE(lower, upper)
        # Years (spacing 1.2e-4 over 600) and the same range at 0 are fine.
        HypersphericalRegressionLoss(1400.0, 2000.0)
        HypersphericalRegressionLoss(0.0, 100.0)

    def test_offset_is_removed_before_the_float32_cast(self):
        # Near 1e5 float32 targets are 0.0078 apart (accepted: 7.8e-5 of the
        # range); float64 targets map exactly, also on JAX.
        lower, upper = 1e5, 1e5 + 100
        t = lower + np.array([0.5, 12.3456, 37.0001, 50.0, 81.2501, 99.5])
        r = 2 * (t - lower) / (upper - lower) - 1
        z = np.stack([r, np.sqrt(1 - r**2)], axis=1).astype("float32")
        # The loss object gets `y_true` in its dtype from Keras' `Loss.__call__`
        # (and `fit` casts `y` to floatx), so float64 targets reach only the
        # functional form (and metrics) as they are.
        loss = keras_hpn.losses.hyperspherical_regression_loss(t, z, lower, upper)
        assert keras.ops.convert_to_numpy(loss).max() < 1e-12  # 1e-9 if cast first
        # The metric reads the error the loss trains on (0.001, not 0).
        r = 2 * (t + 0.001 - lower) / (upper - lower) - 1
        off = np.stack([r, np.sqrt(1 - r**2)], axis=1).astype("float32")
        metric = keras_hpn.metrics.RegressionMAE(lower, upper)
        metric.update_state(t, off)
        assert float(metric.result()) == pytest.approx(0.001, abs=2e-5)

    def test_large_offset_trains_on_exact_targets_in_float64(self, float64):
        lower, upper = 1.7e9, 1.7e9 + 100
        t = lower + np.array([0.0, 12.5, 37.0, 50.0, 81.25, 100.0])
        r = 2 * (t - lower) / (upper - lower) - 1
        z = np.stack([r, np.sqrt(1 - r**2)], axis=1)
        loss = HypersphericalRegressionLoss(lower, upper)
        assert float(loss(t, z)) < 1e-12  # was 0.466 (float32 cast first)
        metric = keras_hpn.metrics.RegressionMAE(lower, upper)
        metric.update_state(t + 0.5, z)
        assert float(metric.result()) == pytest.approx(0.5, abs=1e-6)  # was 0

    def test_targets_rounded_to_float32_at_the_bounds_do_not_warn(self):
        # 0.1 in float32 is 0.10000000149 > 0.1: within the range, no warning.
        loss = HypersphericalRegressionLoss(0.0, 0.1)
        z = np.array([[1.0, 0.0], [-1.0, 0.0]], "float32")
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            assert float(loss(np.float32([0.1, 0.0]), z)) < 1e-12
            # float64 targets: JAX without x64 rounds them to float32 too.
            fresh = HypersphericalRegressionLoss(0.0, 0.1)
            assert float(fresh(np.array([0.1, 0.0]), z)) < 1e-12
        outside = HypersphericalRegressionLoss(0.0, 0.1)
        with pytest.warns(UserWarning, match="outside"):
            outside(np.float32([0.1001, 0.0]), z)

    def test_one_dimensional_outputs_are_refused(self):
        loss = HypersphericalRegressionLoss(0.0, 1.0)
        with pytest.raises(ValueError, match="at least 2 dimensions"):
            loss(np.array([1.0]), np.array([[1.0]]))
        with pytest.raises(ValueError, match="at least 2 entries"):
            HypersphericalRegressionLoss(0.0, 1.0, upper_prototype=[1.0])

    def test_two_column_targets_need_a_target_column(self):
        loss = HypersphericalRegressionLoss(0.0, 1.0)
        with pytest.raises(ValueError, match="target_column"):
            loss(np.zeros((2, 2)), np.eye(2))

    @pytest.mark.parametrize("targets", [[], [1.0, np.nan]])
    def test_from_targets_refuses_empty_or_non_finite(self, targets):
        with pytest.raises(ValueError, match="targets"):
            HypersphericalRegressionLoss.from_targets(np.array(targets))

    def test_zero_output_finite(self, gradient):
        loss = HypersphericalRegressionLoss(0.0, 1.0)
        z = np.zeros((1, 3), dtype="float32")
        y = keras.ops.convert_to_tensor([1.0])
        assert np.isfinite(per_example(loss, [1.0], z)).all()
        assert np.isfinite(gradient(lambda v: loss.call(y, v), z)).all()

    def test_serialisation_round_trip(self):
        loss = HypersphericalRegressionLoss(-2.0, 5.0, upper_prototype=[0.0, 1.0])
        restored = keras.losses.deserialize(keras.losses.serialize(loss))
        assert (restored.lower, restored.upper) == (-2.0, 5.0)
        np.testing.assert_array_equal(restored.upper_prototype, [0.0, 1.0])


class TestMultiTaskLoss:
    protos, axis = keras_hpn.prototypes.multitask(4, 5, seed=0)

    def test_both_tasks_exact_gives_zero(self):
        loss = MultiTaskLoss(self.protos, 0.0, 1.0, weight=0.3)
        # Targets 0.75 and 0.25 map to r = +-0.5: cos(z, axis) = r, the rest
        # of z on the class prototype.
        side = np.sqrt(0.75)
        z = np.stack(
            [
                0.5 * self.axis + side * self.protos[1],
                -0.5 * self.axis + side * self.protos[3],
            ]
        )
        values = per_example(loss, [[1, 0.75], [3, 0.25]], z)
        np.testing.assert_allclose(values, 0.0, atol=1e-6)

    def test_invalid_class_id_warns_and_keeps_the_regression_term(self):
        side = np.sqrt(0.75)
        z = np.stack([0.5 * self.axis + side * self.protos[1]] * 2)
        y = np.array([[1, 0.75], [7, 0.75]])  # class 7 of 4: invalid
        loss = MultiTaskLoss(self.protos, 0.0, 1.0, weight=0.5)
        with pytest.warns(InvalidLabelWarning, match=r"1 of 2 labels.*e\.g\. 7"):
            assert float(loss(y, z)) == pytest.approx(0.0, abs=1e-6)
        strict = MultiTaskLoss(self.protos, 0.0, 1.0, invalid_targets="raise")
        with pytest.raises(ValueError, match="1 of 2 regression targets"):
            strict(np.array([[1, np.nan], [1, 0.75]]), z)
        config = strict.get_config()
        assert (config["invalid_labels"], config["invalid_targets"]) == (
            "warn",
            "raise",
        )

    def test_is_weighted_sum_of_the_two_losses(self):
        rng = np.random.default_rng(0)
        z = rng.standard_normal((6, 5))
        labels = rng.integers(0, 4, 6)
        targets = rng.uniform(0.0, 1.0, 6)
        t = 0.25
        orthogonal = z - np.outer(z @ self.axis, self.axis)
        classification = (1.0 - numpy_cosine(orthogonal, self.protos[labels])) ** 2
        regression = (2.0 * targets - 1.0 - numpy_cosine(z, self.axis)) ** 2
        loss = MultiTaskLoss(self.protos, 0.0, 1.0, weight=t)
        values = per_example(loss, np.stack([labels, targets], axis=1), z)
        np.testing.assert_allclose(
            values, t * classification + (1 - t) * regression, rtol=1e-5, atol=1e-6
        )

    @pytest.mark.parametrize("weight", [-0.1, 1.5, "half"])
    def test_weight_outside_unit_interval(self, weight):
        with pytest.raises(ValueError, match="weight"):
            MultiTaskLoss(self.protos, 0.0, 1.0, weight=weight)

    def test_prototypes_must_be_orthogonal_to_axis(self):
        with pytest.raises(ValueError, match="orthogonal"):
            MultiTaskLoss(PROTOS, 0.0, 1.0)

    @pytest.mark.parametrize("shape", [(2,), (2, 1)])
    def test_labels_only_are_refused(self, shape):
        loss = MultiTaskLoss(self.protos, 0.0, 1.0)
        with pytest.raises(ValueError, match=r"\(batch, 2\).*class id.*target"):
            loss(np.zeros(shape), np.ones((2, 5)))

    def test_bad_label_and_nan_target_each_lose_their_term(self, gradient):
        loss = MultiTaskLoss(self.protos, 0.0, 1.0, weight=0.25)
        z = np.stack([self.axis, self.axis]).astype("float32")
        # Row 0: class 7 invalid, target 1 exact (r = 1 = cos): loss 0.
        # Row 1: class 0 with orthogonal part 0 (cos 0, L_c = 1), NaN target.
        y = keras.ops.convert_to_tensor([[7.0, 1.0], [0.0, np.nan]])
        values = keras.ops.convert_to_numpy(loss.call(y, z))
        np.testing.assert_allclose(values, [0.0, 0.25], atol=1e-6)
        assert np.isfinite(gradient(lambda v: loss.call(y, v), z)).all()

    def test_bad_range_and_width(self):
        with pytest.raises(ValueError, match="lower"):
            MultiTaskLoss(self.protos, 1.0, 0.0)
        with pytest.raises(ValueError, match=r"width 3.*dimension 5"):
            MultiTaskLoss(self.protos, 0.0, 1.0)(np.array([[0, 0.5]]), np.ones((1, 3)))

    def test_zero_output_finite(self, gradient):
        loss = MultiTaskLoss(self.protos, 0.0, 1.0)
        y = keras.ops.convert_to_tensor([[2.0, 0.5]])
        z = np.zeros((1, 5), dtype="float32")
        assert np.isfinite(per_example(loss, [[2.0, 0.5]], z)).all()
        assert np.isfinite(gradient(lambda v: loss.call(y, v), z)).all()
        # Output exactly on the axis: its orthogonal part is zero.
        on_axis = np.array([self.axis], dtype="float32")
        assert np.isfinite(gradient(lambda v: loss.call(y, v), on_axis)).all()

    def test_serialisation_round_trip(self):
        loss = MultiTaskLoss(self.protos, 0.0, 2.0, weight=0.9)
        restored = keras.losses.deserialize(keras.losses.serialize(loss))
        assert restored.weight == 0.9 and restored.upper == 2.0
        np.testing.assert_allclose(restored.class_prototypes, self.protos)
        np.testing.assert_allclose(restored.regression_axis, self.axis)
