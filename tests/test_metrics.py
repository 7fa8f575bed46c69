import keras
import numpy as np
import pytest

import keras_hpn
from keras_hpn.metrics import (
    InvalidLabels,
    InvalidTargets,
    PrototypeAccuracy,
    RegressionMAE,
)

PROTOS = np.eye(4)


class TestPrototypeAccuracy:
    def test_top1_counts_nearest_prototype(self):
        metric = PrototypeAccuracy(PROTOS)
        z = np.array(
            [[0.9, 0.1, 0, 0], [0, 0.2, 0.8, 0], [0, 0, 0.1, 1.0], [1, 2, 0, 0]]
        )
        metric.update_state(np.array([0, 2, 2, 0]), z)  # right, right, wrong, wrong
        assert float(metric.result()) == pytest.approx(0.5)

    def test_top_k_and_sample_weight(self):
        metric = PrototypeAccuracy(PROTOS, k=2)
        z = np.array([[0.5, 0.3, 0.2, 0.0], [0.5, 0.3, 0.2, 0.0]])
        metric.update_state([1, 2], z, sample_weight=[3.0, 1.0])
        assert float(metric.result()) == pytest.approx(0.75)
        assert metric.name == "top_2_prototype_accuracy"

    def test_ties_break_towards_lower_class(self):
        metric = PrototypeAccuracy(PROTOS)
        metric.update_state([0, 1], np.array([[1.0, 1.0, 0, 0], [1.0, 1.0, 0, 0]]))
        assert float(metric.result()) == pytest.approx(0.5)
        np.testing.assert_array_equal(
            keras_hpn.predict_classes([[1.0, 1.0, 0, 0]], PROTOS), [0]
        )

    def test_label_column_for_multitask_targets(self):
        metric = PrototypeAccuracy(PROTOS, label_column=0)
        metric.update_state(
            np.array([[3, 17.5], [1, -2.0]]), np.array([[0, 0, 0, 1.0]] * 2)
        )
        assert float(metric.result()) == pytest.approx(0.5)

    @pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
    def test_non_finite_outputs_are_never_correct(self, bad):
        protos = keras_hpn.prototypes.hyperspherical(10, 5, seed=0)
        for k in (1, 3):
            metric = PrototypeAccuracy(protos, k=k)
            z = protos[:4].astype("float32")
            z[:, 0] = bad  # one non-finite entry per row
            metric.update_state([0, 1, 2, 3], np.full((4, 5), bad, "float32"))
            metric.update_state([0, 1, 2, 3], z)
            assert float(metric.result()) == 0.0

    @pytest.mark.parametrize("chunk_size", [1, 8192])
    def test_zero_outputs_are_never_correct(self, chunk_size):
        # A zero output scored every class 0 and was read as class 0.
        for k in (1, 3):
            metric = PrototypeAccuracy(PROTOS, k=k, chunk_size=chunk_size)
            metric.update_state(
                [0, 0, 1], np.array([[0.0] * 4, [0.0] * 4, [0, 1, 0, 0]])
            )
            assert float(metric.result()) == pytest.approx(1 / 3)

    def test_invalid_labels_are_never_correct(self):
        metric = PrototypeAccuracy(PROTOS)
        z = np.eye(4)[[0, 0, 0, 1]]
        metric.update_state([0, -1, 2.5, 1], z)  # the middle two are invalid
        assert float(metric.result()) == pytest.approx(0.5)

    @pytest.mark.parametrize("scale", [1e20, 1e35])
    def test_huge_outputs_are_ranked_like_their_directions(self, scale):
        protos = keras_hpn.prototypes.hyperspherical(10, 5, seed=0)
        z = (scale * protos[[3, 1, 4, 1]]).astype("float32")
        metric = PrototypeAccuracy(protos)
        metric.update_state([3, 1, 4, 0], z)
        assert float(metric.result()) == pytest.approx(0.75)
        np.testing.assert_array_equal(
            keras_hpn.predict_classes(z, protos), [3, 1, 4, 1]
        )

    def test_float64_floatx(self):
        keras.config.set_floatx("float64")
        try:
            metric = PrototypeAccuracy(PROTOS, k=2)
            metric.update_state([0, 3], np.eye(4)[[0, 1]])
            assert float(metric.result()) == pytest.approx(0.5)
            mae = RegressionMAE(0.0, 1.0)
            mae.update_state([1.0], np.array([[1.0, 0.0]]))
            assert float(mae.result()) == pytest.approx(0.0)
        finally:
            keras.config.set_floatx("float32")

    def test_label_column_out_of_range_is_refused(self):
        with pytest.raises(ValueError, match="label_column=5"):
            PrototypeAccuracy(PROTOS, label_column=5).update_state(
                np.zeros((2, 2)), np.eye(4)[:2]
            )

    def test_errors(self):
        with pytest.raises(ValueError, match="k"):
            PrototypeAccuracy(PROTOS, k=5)
        with pytest.raises(ValueError, match=r"width 3.*dimension 4"):
            PrototypeAccuracy(PROTOS).update_state([0], np.ones((1, 3)))

    def test_config_round_trip(self):
        metric = PrototypeAccuracy(PROTOS, k=3, label_column=0)
        restored = keras.metrics.deserialize(keras.metrics.serialize(metric))
        assert (restored.k, restored.label_column, restored.name) == (
            3,
            0,
            "top_3_prototype_accuracy",
        )


class TestRegressionMAE:
    def test_matches_hand_computation(self):
        metric = RegressionMAE(10.0, 20.0)
        z = np.array([[1.0, 0.0], [0.0, 5.0], [-1.0, 1.0]])
        # decoded: 20, 15, 10 + (1 - 1/sqrt 2) / 2 * 10
        decoded = np.array([20.0, 15.0, 10.0 + (1.0 - 2**-0.5) / 2.0 * 10.0])
        y = np.array([18.0, 15.0, 10.0])
        metric.update_state(y, z)
        assert float(metric.result()) == pytest.approx(
            np.abs(decoded - y).mean(), rel=1e-5
        )
        np.testing.assert_allclose(keras_hpn.decode_regression(z, 10.0, 20.0), decoded)

    def test_target_column_and_custom_prototype(self):
        metric = RegressionMAE(0.0, 4.0, upper_prototype=[0.0, 1.0], target_column=1)
        metric.update_state(
            np.array([[2, 4.0], [0, 1.0]]), np.array([[0, 1.0], [1, 0.0]])
        )
        assert float(metric.result()) == pytest.approx((0.0 + 1.0) / 2)

    def test_bad_range(self):
        with pytest.raises(ValueError, match="lower"):
            RegressionMAE(3.0, 3.0)

    def test_two_column_targets_without_target_column_are_refused(self):
        with pytest.raises(ValueError, match="target_column"):
            RegressionMAE(0.0, 1.0).update_state(np.zeros((2, 2)), np.eye(2))

    def test_nan_targets_are_left_out_and_zero_weights_mask_exactly(self):
        metric = RegressionMAE(0.0, 10.0)
        z = np.array([[1.0, 0.0], [1.0, 0.0], [1.0, 0.0]])  # predicts 10
        metric.update_state([8.0, np.nan, 0.0], z, sample_weight=[1.0, 1.0, 0.0])
        assert float(metric.result()) == pytest.approx(2.0)


class TestInvalidCounts:
    def test_invalid_labels_counts_what_the_loss_skips(self):
        metric = InvalidLabels(4)
        metric.update_state([0, 4, -1, 2.5, np.nan, 3], np.zeros((6, 2)))
        assert float(metric.result()) == 4.0
        metric.update_state([-1, 1], np.zeros((2, 2)), sample_weight=[0.0, 1.0])
        assert float(metric.result()) == 4.0  # weight 0: left out on purpose

    def test_invalid_rows_count_one_whatever_their_weight(self):
        metric = InvalidLabels(4)
        metric.update_state([-1, 9, 1], np.zeros((3, 2)), sample_weight=[100, 0.5, 1])
        assert float(metric.result()) == 2.0
        targets = InvalidTargets()
        targets.update_state([np.nan, np.inf, 1.0], np.zeros((3, 2)), [0.0, 3.0, 1.0])
        assert float(targets.result()) == 1.0

    @pytest.mark.parametrize("where, expected", [("weighted", 0.0), ("plain", 3.0)])
    def test_zero_weight_rows_in_fit_weighted_metrics_or_metrics(self, where, expected):
        # Issue 17 item 2: Keras gives `metrics=` no sample_weight, so only
        # `weighted_metrics=` can leave weight-0 rows out (as documented).
        y = np.array([-1.0, -1.0, -1.0, 1.0, 2.0, 3.0])
        weights = np.array([0.0, 0.0, 0.0, 1.0, 1.0, 1.0])
        model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(4)])
        metric = [InvalidLabels(4), InvalidTargets()]
        model.compile(
            "sgd",
            keras_hpn.losses.PrototypeCosineLoss(PROTOS),
            **{"weighted_metrics" if where == "weighted" else "metrics": metric},
        )
        result = model.evaluate(
            np.ones((6, 2)), y, sample_weight=weights, verbose=0, return_dict=True
        )
        assert result["invalid_labels"] == expected
        assert result["invalid_targets"] == 0.0

    def test_invalid_labels_in_a_column_and_config(self):
        metric = InvalidLabels(3, label_column=0)
        metric.update_state(np.array([[3, 1.0], [2, np.nan]]), np.zeros((2, 4)))
        assert float(metric.result()) == 1.0
        restored = keras.metrics.deserialize(keras.metrics.serialize(metric))
        assert (restored.num_classes, restored.label_column) == (3, 0)

    def test_invalid_targets(self):
        metric = InvalidTargets(target_column=1)
        metric.update_state(
            np.array([[0, 1.0], [1, np.nan], [2, -np.inf]]), np.zeros((3, 4))
        )
        assert float(metric.result()) == 2.0
        restored = keras.metrics.deserialize(keras.metrics.serialize(metric))
        assert restored.target_column == 1

    def test_config_round_trip(self):
        metric = RegressionMAE(-1.0, 1.0, target_column=1, name="mae")
        restored = keras.metrics.deserialize(keras.metrics.serialize(metric))
        assert (restored.lower, restored.upper, restored.target_column) == (
            -1.0,
            1.0,
            1,
        )
