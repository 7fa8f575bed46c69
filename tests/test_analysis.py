import tracemalloc
import warnings

import keras
import numpy as np
import pytest

from keras_hpn.analysis import (
    SeparationLogger,
    class_separation,
    features,
    linear_cka,
    linear_probe,
)


def _direct_separation(x, labels):
    """Kornblith et al.'s R^2 as written: class-balanced, self-pairs included."""
    x = np.asarray(x, dtype=np.float64)
    labels = np.asarray(labels)

    def distance(a, b):
        norm = np.linalg.norm(a) * np.linalg.norm(b)
        return 1.0 - (a @ b / norm if norm > 0 else 0.0)

    groups = [x[labels == k] for k in np.unique(labels)]
    within = np.mean(
        [np.mean([[distance(a, b) for b in g] for a in g]) for g in groups]
    )
    total = np.mean(
        [
            np.mean([[distance(a, b) for b in h] for a in g])
            for g in groups
            for h in groups
        ]
    )
    return 1.0 - within / total


def _direct_cka(x, y):
    x = x - x.mean(axis=0)
    y = y - y.mean(axis=0)
    return np.linalg.norm(y.T @ x) ** 2 / (
        np.linalg.norm(x.T @ x) * np.linalg.norm(y.T @ y)
    )


class TestClassSeparation:
    def test_hand_computed_tiny_example(self):
        # Class 0 = {e0, e1}: ordered pair distances 0, 1, 1, 0 -> 1/2.
        # Class 1 = {e0}: 0. Within = (1/2 + 0) / 2 = 1/4.
        # Total over class blocks (00, 01, 10, 11) = (1/2 + 1/2 + 1/2 + 0) / 4
        # = 3/8, so R^2 = 1 - (1/4) / (3/8) = 1/3.
        x = [[1.0, 0.0], [0.0, 1.0], [1.0, 0.0]]
        assert class_separation(x, [0, 0, 1]) == pytest.approx(1.0 / 3.0, abs=1e-12)
        assert _direct_separation(x, [0, 0, 1]) == pytest.approx(1.0 / 3.0)

    def test_matches_double_loop_on_unbalanced_classes_with_a_zero_vector(self):
        rng = np.random.default_rng(0)
        x = rng.normal(size=(23, 4)) + np.repeat(np.eye(4)[:3], [5, 8, 10], axis=0)
        x[7] = 0.0  # a dead example: cosine 0 with everything, itself included
        labels = np.repeat([2, 5, 9], [5, 8, 10])
        assert class_separation(x, labels) == pytest.approx(
            _direct_separation(x, labels), abs=1e-12
        )

    def test_balanced_classes_total_is_the_plain_mean_over_all_pairs(self):
        rng = np.random.default_rng(1)
        x = rng.normal(size=(12, 3))
        labels = np.tile([0, 1, 2], 4)
        units = x / np.linalg.norm(x, axis=1, keepdims=True)
        total = np.mean(1.0 - units @ units.T)
        within = np.mean(
            [np.mean(1.0 - units[labels == k] @ units[labels == k].T) for k in range(3)]
        )
        assert class_separation(x, labels) == pytest.approx(1 - within / total)

    def test_collapsed_classes_give_one(self):
        directions = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 1.0], [-1.0, 0.5, 0.0]])
        labels = np.repeat([0, 1, 2], [4, 7, 3])
        scale = np.linspace(0.5, 3.0, labels.size)[:, None]  # length is ignored
        assert class_separation(directions[labels] * scale, labels) == pytest.approx(
            1.0, abs=1e-12
        )

    def test_random_labels_give_about_zero(self):
        rng = np.random.default_rng(2)
        x = rng.normal(size=(2000, 8)) + 1.0
        value = class_separation(x, rng.integers(0, 10, size=2000))
        assert 0.0 <= value < 0.02

    def test_is_in_unit_interval_and_label_values_do_not_matter(self):
        rng = np.random.default_rng(3)
        x = rng.normal(size=(60, 5))
        labels = rng.integers(0, 4, size=60)
        value = class_separation(x, labels)
        assert 0.0 <= value <= 1.0
        names = np.array(["cat", "dog", "eel", "fox"])[labels]
        assert class_separation(x, names) == pytest.approx(value, abs=1e-12)
        assert class_separation(x.astype("float32"), labels[:, None]) == (
            pytest.approx(value, abs=1e-6)
        )

    def test_zero_and_identical_features_are_finite(self):
        assert class_separation(np.zeros((6, 3)), [0, 0, 1, 1, 2, 2]) == 0.0
        assert class_separation(np.ones((6, 3)), [0, 0, 1, 1, 2, 2]) == 0.0
        huge = np.array([[1e300, 0.0], [1e300, 1e-300], [0.0, 1e300], [0.0, 2e300]])
        assert class_separation(huge, [0, 0, 1, 1]) == pytest.approx(1.0)

    def test_ten_thousand_examples_without_a_pairwise_matrix(self):
        rng = np.random.default_rng(4)
        labels = rng.integers(0, 10, size=10_000)
        x = rng.normal(size=(10_000, 16)) + 3.0 * np.eye(16)[labels]
        tracemalloc.start()
        value = class_separation(x, labels)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        assert 0.1 < value < 1.0
        assert peak < 20e6  # a 10k x 10k float64 matrix would be 800 MB

    @pytest.mark.parametrize(
        "x, labels, message",
        [
            (np.ones((4, 2)), [0, 1, 0], "`labels`.*4"),
            (np.ones((4, 2)), [0, 0, 0, 0], "`labels`.*2 distinct"),
            (np.ones(4), [0, 1, 0, 1], "`features`.*2-D"),
            (np.ones((4, 2, 1)), [0, 1, 0, 1], "`features`.*2-D"),
            ([[1.0, np.nan], [1.0, 0.0]], [0, 1], "`features`.*NaN"),
            (np.ones((2, 2)), [0.0, np.nan], "`labels`.*NaN"),
            (np.ones((2, 2)), [[0, 1]], "`labels`"),
            ([["a", "b"], ["c", "d"]], [0, 1], "`features`.*numeric"),
        ],
    )
    def test_bad_input(self, x, labels, message):
        with pytest.raises(ValueError, match=message):
            class_separation(x, labels)


class TestLinearCKA:
    def test_matches_the_direct_formula_in_both_code_paths(self):
        rng = np.random.default_rng(0)
        for n, p, q in [(50, 4, 6), (6, 40, 30)]:  # feature space, Gram space
            x = rng.normal(size=(n, p))
            y = x[:, :1] @ rng.normal(size=(1, q)) + rng.normal(size=(n, q))
            assert linear_cka(x, y) == pytest.approx(_direct_cka(x, y), abs=1e-12)

    def test_one_for_itself_rotations_and_isotropic_scaling(self):
        rng = np.random.default_rng(1)
        x = rng.normal(size=(80, 6))
        rotation, _ = np.linalg.qr(rng.normal(size=(6, 6)))
        assert linear_cka(x, x) == pytest.approx(1.0, abs=1e-12)
        assert linear_cka(x, x @ rotation) == pytest.approx(1.0, abs=1e-12)
        assert linear_cka(x, -7.5 * x + 2.0) == pytest.approx(1.0, abs=1e-12)
        assert linear_cka(x, 1e-150 * x) == pytest.approx(1.0, abs=1e-12)

    def test_symmetric_and_in_unit_interval(self):
        rng = np.random.default_rng(2)
        for _ in range(5):
            x = rng.normal(size=(30, 3))
            y = np.tanh(x @ rng.normal(size=(3, 5))) + 0.3 * rng.normal(size=(30, 5))
            value = linear_cka(x, y)
            assert 0.0 <= value <= 1.0
            assert linear_cka(y, x) == pytest.approx(value, abs=1e-14)

    def test_near_zero_for_independent_representations(self):
        rng = np.random.default_rng(3)
        x = rng.normal(size=(5000, 5))
        y = rng.normal(size=(5000, 4))
        assert linear_cka(x, y) < 0.01

    def test_not_invariant_to_anisotropic_scaling(self):
        rng = np.random.default_rng(4)
        x = rng.normal(size=(100, 3))
        assert linear_cka(x, x * [1.0, 1.0, 10.0]) < 0.9

    @pytest.mark.parametrize(
        "x, y, message",
        [
            (np.eye(4), np.eye(3), "`x` and `y`.*4 rows.*3 rows"),
            (np.ones(4), np.eye(4), "`x`.*2-D"),
            (np.eye(4), np.full((4, 2), np.nan), "`y`.*NaN"),
            (np.ones((4, 2)), np.eye(4), "`x`.*same for every example"),
        ],
    )
    def test_bad_input(self, x, y, message):
        with pytest.raises(ValueError, match=message):
            linear_cka(x, y)


class TestLinearProbe:
    def test_high_accuracy_on_separable_classes(self):
        rng = np.random.default_rng(0)
        centres = 4.0 * rng.normal(size=(5, 10))
        y_train, y_test = rng.integers(0, 5, 300), rng.integers(0, 5, 200)
        x_train = centres[y_train] + rng.normal(size=(300, 10))
        x_test = centres[y_test] + rng.normal(size=(200, 10))
        assert linear_probe(x_train, y_train, x_test, y_test) > 0.97

    def test_chance_level_on_random_labels(self):
        rng = np.random.default_rng(1)
        x_train, x_test = rng.normal(size=(400, 8)), rng.normal(size=(2000, 8))
        y_train, y_test = rng.integers(0, 4, 400), rng.integers(0, 4, 2000)
        accuracy = linear_probe(x_train, y_train, x_test, y_test)
        assert abs(accuracy - 0.25) < 0.05

    def test_deterministic_and_regularisation_matters(self):
        rng = np.random.default_rng(2)
        x = rng.normal(size=(60, 30))
        y = (x[:, 0] > 0).astype(int)
        args = (x[:30], y[:30], x[30:], y[30:])
        assert linear_probe(*args) == linear_probe(*args)
        # A crushing penalty leaves only the intercept: the majority class.
        majority = np.mean(y[30:] == np.bincount(y[:30]).argmax())
        assert linear_probe(*args, c=1e-8) == pytest.approx(majority)

    @pytest.mark.parametrize(
        "kwargs, message",
        [
            ({"y_train": np.zeros(10)}, "`y_train`.*2 distinct"),
            ({"y_train": np.arange(9) % 2}, "`y_train`.*10"),
            ({"y_test": np.arange(9) % 2}, "`y_test`.*10"),
            ({"features_test": np.ones((10, 2))}, "`features_test`.*3"),
            ({"features_train": np.ones(10)}, "`features_train`.*2-D"),
            ({"c": 0.0}, "`c`"),
            ({"max_iter": 0}, "`max_iter`"),
        ],
    )
    def test_bad_input(self, kwargs, message):
        args = {
            "features_train": np.ones((10, 3)),
            "y_train": np.arange(10) % 2,
            "features_test": np.ones((10, 3)),
            "y_test": np.arange(10) % 2,
        }
        with pytest.raises(ValueError, match=message):
            linear_probe(**{**args, **kwargs})


def _model(seed=0):
    inputs = keras.Input((6,))
    hidden = keras.layers.Dense(
        8,
        activation="tanh",
        name="hidden",
        kernel_initializer=keras.initializers.GlorotUniform(seed),
    )(inputs)
    penultimate = keras.layers.Dense(
        5, name="penultimate", kernel_initializer=keras.initializers.GlorotUniform(seed)
    )(hidden)
    outputs = keras.layers.Dense(3, name="logits")(penultimate)
    return keras.Model(inputs, outputs)


def _data(n=90, seed=0):
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 3
    x = rng.normal(size=(n, 6)).astype("float32") + np.eye(6, dtype="float32")[y]
    return x, y


class TestFeatures:
    def test_named_layer_matches_a_sub_model(self):
        model = _model()
        x, _ = _data()
        sub_model = keras.Model(model.input, model.get_layer("hidden").output)
        expected = keras.ops.convert_to_numpy(sub_model(x))
        got = features(model, x, layer="hidden", batch_size=7)
        assert isinstance(got, np.ndarray) and got.shape == (90, 8)
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)
        by_layer = features(model, x, layer=model.get_layer("hidden"))
        np.testing.assert_allclose(by_layer, got, rtol=1e-5, atol=1e-6)

    def test_default_is_the_input_of_the_last_layer(self):
        model = _model()
        x, _ = _data()
        expected = features(model, x, layer="penultimate")
        np.testing.assert_allclose(features(model, x), expected, rtol=1e-6)

    def test_sequential_model_with_input_or_built_by_a_call(self):
        x, _ = _data(10)
        with_input = keras.Sequential(
            [keras.Input((6,)), keras.layers.Dense(4, name="a"), keras.layers.Dense(2)]
        )
        called = keras.Sequential(
            [keras.layers.Dense(4, name="a"), keras.layers.Dense(2)]
        )
        with pytest.raises(ValueError, match="`model`.*no symbolic inputs"):
            features(called, x)  # not built yet
        called(x[:1])
        for model in (with_input, called):
            expected = keras.ops.convert_to_numpy(model.get_layer("a")(x))
            np.testing.assert_allclose(
                features(model, x, batch_size=4), expected, rtol=1e-5, atol=1e-6
            )

    def test_bad_input(self):
        model = _model()
        x, _ = _data(10)
        with pytest.raises(ValueError, match="`layer`.*nope"):
            features(model, x, layer="nope")
        with pytest.raises(ValueError, match="`layer`.*not a layer of `model`"):
            features(model, x, layer=keras.layers.Dense(2))
        with pytest.raises(ValueError, match="`layer`"):
            features(model, x, layer=3)
        with pytest.raises(ValueError, match="`model`"):
            features("model", x)
        with pytest.raises(ValueError, match="`batch_size`"):
            features(model, x, batch_size=0)

        class Subclassed(keras.Model):
            def __init__(self):
                super().__init__()
                self.dense = keras.layers.Dense(2)

            def call(self, inputs):
                return self.dense(inputs)

        subclassed = Subclassed()
        subclassed(x)
        with pytest.raises(ValueError, match="`model`.*no symbolic inputs"):
            features(subclassed, x)


class TestSeparationLogger:
    def test_logs_the_separation_of_the_features_each_epoch(self):
        keras.utils.set_random_seed(0)
        model = _model()
        model.compile(
            keras.optimizers.Adam(0.05),
            keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        )
        x, y = _data()
        x_val, y_val = _data(60, seed=1)
        seen = []
        history = model.fit(
            x,
            y,
            epochs=3,
            batch_size=30,
            verbose=0,
            callbacks=[
                SeparationLogger(x_val, y_val),
                SeparationLogger(x_val, y_val, layer="hidden", name="sep_hidden"),
                keras.callbacks.LambdaCallback(
                    on_epoch_end=lambda epoch, logs: seen.append(dict(logs))
                ),
            ],
        )
        logged = history.history["class_separation"]
        assert len(logged) == 3 and len(history.history["sep_hidden"]) == 3
        assert all(0.0 <= value <= 1.0 for value in logged)
        assert [logs["class_separation"] for logs in seen] == logged
        assert logged[-1] == pytest.approx(
            class_separation(features(model, x_val), y_val), abs=1e-9
        )
        assert history.history["sep_hidden"][-1] == pytest.approx(
            class_separation(features(model, x_val, layer="hidden"), y_val), abs=1e-9
        )

    def test_bad_input(self):
        x, y = _data(10)
        with pytest.raises(ValueError, match="`y`.*10"):
            SeparationLogger(x, y[:9])
        with pytest.raises(ValueError, match="`y`.*2 distinct"):
            SeparationLogger(x, np.zeros(10))
        with pytest.raises(ValueError, match="`name`"):
            SeparationLogger(x, y, name="")
        with pytest.raises(ValueError, match="`batch_size`"):
            SeparationLogger(x, y, batch_size=0)


def test_probe_has_no_convergence_trouble_on_standardised_features():
    rng = np.random.default_rng(5)
    x = 1000.0 * rng.normal(size=(200, 20))
    y = (x[:, 0] + x[:, 1] > 0).astype(int)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert linear_probe(x[:150], y[:150], x[150:], y[150:]) > 0.8
