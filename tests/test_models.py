"""Task models: fit, evaluate, decoded predictions, saving, frozen backbones."""

import os
import subprocess
import sys
import textwrap
import warnings

import keras
import numpy as np
import pytest
from sklearn.datasets import load_digits

import keras_hpn
from keras_hpn import losses
from keras_hpn.models import HPNClassifier, HPNMultiTask, HPNRegressor, default_dims

NAMES = tuple(f"digit {i}" for i in range(10))


@pytest.fixture(scope="module")
def digits():
    data = load_digits()
    # 384 = 6 full batches of 64: no second compile for a partial batch.
    images = (data.images[:384] / 16.0).astype("float32")[..., None]
    return images, data.target[:384]


def conv_backbone():
    return keras.Sequential(
        [
            keras.Input((8, 8, 1)),
            keras.layers.Conv2D(8, 3, padding="same", activation="relu"),
        ],
        name="tiny_conv",
    )


def dense_backbone(width=6):
    return keras.Sequential(
        [keras.Input((width,)), keras.layers.Dense(16, activation="relu")],
        name="tiny_dense",
    )


def weights(layer):
    return [np.array(w) for w in layer.get_weights()]


def test_classifier_fits_evaluates_and_decodes(digits):
    images, labels = digits
    keras.utils.set_random_seed(0)
    model = HPNClassifier(
        conv_backbone(), 10, pooling="flatten", seed=0, class_names=NAMES
    )
    model.compile(optimizer=keras.optimizers.Adam(0.01))
    model.fit(images, labels, epochs=4, batch_size=64, verbose=0)
    scores = model.evaluate(images, labels, batch_size=64, verbose=0, return_dict=True)
    assert scores["prototype_accuracy"] > 0.5  # chance is 0.1
    assert scores["invalid_labels"] == 0.0

    outputs = model.predict_outputs(images[:20])
    np.testing.assert_allclose(np.linalg.norm(outputs, axis=1), 1.0, rtol=1e-5)
    cosines = model.predict_cosines(images[:20])
    np.testing.assert_allclose(cosines, outputs @ model.prototypes.T, atol=1e-5)
    classes = model.predict_classes(images[:20])
    np.testing.assert_array_equal(classes, np.argmax(cosines, axis=1))
    ids, best, names = model.predict_top_k(images[:20], k=3)
    assert ids.shape == best.shape == names.shape == (20, 3)
    np.testing.assert_array_equal(ids[:, 0], classes)
    np.testing.assert_allclose(
        best, np.take_along_axis(cosines, ids, axis=1), atol=1e-12
    )
    assert (np.diff(best, axis=1) <= 0).all()
    assert names[0, 0] == f"digit {classes[0]}"
    assert names.tolist() == [[NAMES[i] for i in row] for row in ids]


def test_default_prototypes_are_the_seeded_placement():
    model = HPNClassifier(dense_backbone(), 10, seed=3)
    assert model.dims == 9  # the regular simplex fits
    np.testing.assert_array_equal(
        model.prototypes, keras_hpn.prototypes.hyperspherical(10, 9, seed=3)
    )
    assert model.output.shape == (None, 9)
    assert [default_dims(k) for k in (2, 3, 10, 65, 66, 1000)] == [2, 2, 9, 64, 64, 64]


def test_given_and_semantic_prototypes_are_used_as_they_are():
    given = keras_hpn.prototypes.hyperspherical(4, 3, seed=1)
    model = HPNClassifier(dense_backbone(), 4, prototypes=given)
    np.testing.assert_array_equal(model.prototypes, given)
    assert model.dims == 3
    vectors = np.random.default_rng(0).standard_normal((4, 8))
    semantic = HPNClassifier(dense_backbone(), 4, dims=3, word_vectors=vectors, seed=0)
    np.testing.assert_array_equal(
        semantic.prototypes,
        keras_hpn.prototypes.semantic_prototypes(None, vectors, 3, seed=0),
    )
    assert "word_vectors" not in semantic.get_config()


def test_default_compile_uses_the_model_prototypes():
    model = HPNClassifier(dense_backbone(), 4, dims=3, seed=0)
    model.compile()
    assert isinstance(model.loss, losses.PrototypeCosineLoss)
    np.testing.assert_array_equal(model.loss.prototypes, model.prototypes)
    assert isinstance(model.optimizer, keras.optimizers.Adam)
    model.compile(optimizer="sgd", loss="mse", metrics=None, weighted_metrics=None)
    assert model.loss == "mse"
    assert isinstance(model.optimizer, keras.optimizers.SGD)


def test_a_plain_layer_backbone_with_input_shape():
    model = HPNClassifier(keras.layers.Dense(8), 3, input_shape=(5,), seed=0)
    assert model.predict_cosines(np.ones((2, 5), "float32")).shape == (2, 3)
    flat = HPNClassifier(conv_backbone(), 3, pooling="flatten", dropout=0.25)
    assert [layer.name for layer in flat.layers[-3:]] == [
        "pooling",
        "dropout",
        "projection",
    ]
    assert flat.get_layer("projection").kernel.shape == (8 * 8 * 8, 2)


def test_head_dtype_keeps_the_head_in_float32_under_mixed_precision():
    backbone = keras.Sequential(
        [keras.Input((6,)), keras.layers.Dense(16, dtype="mixed_float16")]
    )
    for head_dtype in ("float32", keras.DTypePolicy("float32")):
        model = HPNClassifier(backbone, 3, dims=2, head_dtype=head_dtype)
        again = HPNClassifier.from_config(model.get_config())
        for built in (model, again):
            assert built.get_layer("projection").dtype_policy.name == "float32"
            assert keras.backend.standardize_dtype(built.output.dtype) == "float32"
    outputs = model.predict_outputs(np.ones((2, 6), "float32"))
    assert outputs.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(outputs, axis=1), 1.0, rtol=1e-6)


def test_frozen_backbone_stage_then_unfrozen(digits, tmp_path):
    images, labels = digits
    keras.utils.set_random_seed(0)
    model = HPNClassifier(conv_backbone(), 10, seed=0)
    model.backbone.trainable = False
    model.compile()
    backbone, head = weights(model.backbone), weights(model.get_layer("projection"))
    model.fit(images[:64], labels[:64], epochs=1, batch_size=32, verbose=0)
    for before, after in zip(backbone, weights(model.backbone), strict=True):
        np.testing.assert_array_equal(before, after)
    assert any(
        not np.array_equal(b, a)
        for b, a in zip(head, weights(model.get_layer("projection")), strict=True)
    )
    model.save(tmp_path / "frozen.keras")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # e.g. optimizer variables that do not fit
        loaded = keras.saving.load_model(tmp_path / "frozen.keras")
    assert loaded.backbone.trainable is False
    assert len(loaded.trainable_weights) == 2  # the projection's kernel and bias
    model.backbone.trainable = True
    model.compile(optimizer=keras.optimizers.Adam(1e-4))
    model.fit(images[:64], labels[:64], epochs=1, batch_size=32, verbose=0)
    assert any(
        not np.array_equal(b, a)
        for b, a in zip(backbone, weights(model.backbone), strict=True)
    )


def regression_data():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((256, 6)).astype("float32")
    y = 10.0 + 5.0 * np.tanh(x[:, 0] + 0.5 * x[:, 1])
    return x, y


def test_regressor_predicts_in_target_units():
    x, y = regression_data()
    keras.utils.set_random_seed(0)
    model = HPNRegressor(dense_backbone(), lower=y.min(), upper=y.max())
    model.compile(optimizer=keras.optimizers.Adam(0.01))
    model.fit(x, y, epochs=5, batch_size=32, verbose=0)
    predicted = model.predict(x)
    np.testing.assert_allclose(
        predicted,
        keras_hpn.decode_regression(model.predict_outputs(x), y.min(), y.max()),
    )
    assert ((predicted >= y.min()) & (predicted <= y.max())).all()
    error = np.abs(predicted - y).mean()
    assert error < 0.5 * np.abs(y - y.mean()).mean()  # better than the mean
    scores = model.evaluate(x, y, verbose=0, return_dict=True)
    np.testing.assert_allclose(scores["regression_mae"], error, rtol=1e-4)
    assert scores["invalid_targets"] == 0.0


def test_multitask_predicts_classes_and_targets():
    x, y = regression_data()
    labels = (x[:, 2] > 0).astype(int) + (x[:, 3] > 0)
    keras.utils.set_random_seed(0)
    model = HPNMultiTask(
        dense_backbone(),
        3,
        y.min(),
        y.max(),
        weight=0.5,
        seed=0,
        class_names=list("abc"),
    )
    assert model.dims == 3 and abs(model.prototypes[:, 0]).max() == 0.0
    model.compile(optimizer=keras.optimizers.Adam(0.01))
    both = np.stack([labels, y], axis=1)
    model.fit(x, both, epochs=5, batch_size=32, verbose=0)
    classes, targets = model.predict(x)
    outputs = model.predict_outputs(x)
    part = outputs.astype("float64")
    part[:, 0] = 0.0
    np.testing.assert_array_equal(
        classes, keras_hpn.predict_classes(part, model.prototypes)
    )
    np.testing.assert_allclose(
        targets, keras_hpn.decode_regression(outputs, y.min(), y.max())
    )
    scores = model.evaluate(x, both, verbose=0, return_dict=True)
    np.testing.assert_allclose(
        scores["prototype_accuracy"], (classes == labels).mean(), atol=1e-6
    )
    np.testing.assert_allclose(
        scores["regression_mae"], np.abs(targets - y).mean(), rtol=1e-4
    )
    assert scores["prototype_accuracy"] > 0.5  # chance is below 0.4
    ids, _, names = model.predict_top_k(x[:4], k=2)
    np.testing.assert_array_equal(ids[:, 0], classes[:4])
    assert names.tolist() == [["abc"[i] for i in row] for row in ids]


@pytest.fixture(scope="module")
def trained_models():
    """A classifier, a regressor and a multi-task model, one epoch each."""
    x, y = regression_data()
    labels = (x[:, 0] > 0).astype(int)
    keras.utils.set_random_seed(0)
    built = {
        "classifier": (
            HPNClassifier(
                dense_backbone(), 4, dims=3, seed=0, class_names=list("wxyz")
            ),
            labels,
        ),
        "regressor": (HPNRegressor(dense_backbone(), y.min(), y.max(), dims=3), y),
        "multitask": (
            HPNMultiTask(dense_backbone(), 2, y.min(), y.max(), seed=0),
            np.stack([labels, y], axis=1),
        ),
    }
    for model, target in built.values():
        model.compile()
        model.fit(x, target, epochs=1, batch_size=64, verbose=0)
    return x, {name: model for name, (model, _) in built.items()}


def test_save_and_load_in_one_process_predicts_the_same(trained_models, tmp_path):
    x, models = trained_models
    for name, model in models.items():
        model.save(tmp_path / f"{name}.keras")
        loaded = keras.saving.load_model(tmp_path / f"{name}.keras")
        assert type(loaded) is type(model)
        np.testing.assert_array_equal(
            loaded.predict_outputs(x), model.predict_outputs(x)
        )
        np.testing.assert_array_equal(
            getattr(loaded, "prototypes", 0), getattr(model, "prototypes", 0)
        )
        assert type(loaded.loss) is type(model.loss)
        assert getattr(loaded, "class_names", 0) == getattr(model, "class_names", 0)
    # The restored compile trains on.
    loaded.fit(x[:8], np.stack(loaded.predict(x[:8]), axis=1), verbose=0)


@pytest.mark.slow
def test_saved_models_load_in_a_fresh_process_with_identical_predictions(
    trained_models, tmp_path
):
    x, models = trained_models
    # 300 x 64 prototypes are too large for the config: the weights file holds them.
    large = np.random.default_rng(1).standard_normal((300, 64))
    large /= np.linalg.norm(large, axis=1, keepdims=True)
    models = {**models, "large": HPNClassifier(dense_backbone(), 300, prototypes=large)}
    models["large"].compile()
    assert set(models["large"].get_config()["prototypes"]) == {"sha256", "shape"}
    np.save(tmp_path / "x.npy", x)
    np.save(tmp_path / "prototypes.npy", large)
    for name, model in models.items():
        model.save(tmp_path / f"{name}.keras")
        np.save(tmp_path / f"{name}.npy", model.predict_outputs(x))
    code = f"""
        import keras_hpn, keras, numpy as np
        x = np.load({str(tmp_path / "x.npy")!r})
        for name in ("classifier", "regressor", "multitask", "large"):
            model = keras.saving.load_model({str(tmp_path)!r} + f"/{{name}}.keras")
            same = np.array_equal(
                model.predict_outputs(x), np.load({str(tmp_path)!r} + f"/{{name}}.npy")
            )
            print(name, type(model).__name__, same)
        given = np.load({str(tmp_path / "prototypes.npy")!r})
        print(np.array_equal(model.prototypes, given))
        """
    env = dict(os.environ, KERAS_BACKEND=keras.backend.backend())
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.split("\n")[-6:-1] == [
        "classifier HPNClassifier True",
        "regressor HPNRegressor True",
        "multitask HPNMultiTask True",
        "large HPNClassifier True",
        "True",
    ]


def test_a_keras_hub_backbone(tmp_path):
    keras_hub = pytest.importorskip("keras_hub")
    keras.utils.set_random_seed(0)
    # The smallest ResNet keras-hub builds: random weights, no preset download.
    backbone = keras_hub.models.ResNetBackbone(
        input_conv_filters=[64],
        input_conv_kernel_sizes=[3],
        stackwise_num_filters=[64],
        stackwise_num_blocks=[1],
        stackwise_num_strides=[1],
        block_type="basic_block",
        use_pre_activation=False,
        image_shape=(16, 16, 3),
    )
    model = HPNClassifier(backbone, 3, seed=0, class_names=["a", "b", "c"])
    rng = np.random.default_rng(0)
    images = rng.random((12, 16, 16, 3)).astype("float32")
    labels = np.arange(12) % 3
    model.backbone.trainable = False
    model.compile()
    frozen = weights(model.backbone)
    model.fit(images, labels, epochs=1, batch_size=6, verbose=0)
    for before, after in zip(frozen, weights(model.backbone), strict=True):
        np.testing.assert_array_equal(before, after)
    ids, cosines, names = model.predict_top_k(images, k=3)
    assert sorted(ids[0]) == [0, 1, 2] and names.shape == (12, 3)
    model.save(tmp_path / "hub.keras")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loaded = keras.saving.load_model(tmp_path / "hub.keras")
    assert loaded.backbone.trainable is False
    assert type(loaded.backbone) is keras_hub.models.ResNetBackbone
    np.testing.assert_array_equal(
        loaded.predict_outputs(images), model.predict_outputs(images)
    )


def test_reserved_classes_train_and_join_without_changing_the_network(tmp_path):
    x, _ = regression_data()
    labels = (x[:, 0] > 0).astype(int) + 2 * (x[:, 1] > 0)  # 4 classes
    keras.utils.set_random_seed(0)
    model = HPNClassifier(
        dense_backbone(), 2, reserve=3, seed=0, class_names=["a", "b"]
    )
    # 5 prototypes placed: the simplex of 5 classes, in 4 dimensions.
    np.testing.assert_array_equal(
        model.prototypes, keras_hpn.prototypes.hyperspherical(5, 4, seed=0)
    )
    assert (model.num_classes, model.reserve, model.num_placed) == (2, 3, 5)
    model.compile(optimizer=keras.optimizers.Adam(0.01))
    first = labels < 2
    model.fit(x[first], labels[first], epochs=3, batch_size=32, verbose=0)
    assert model.predict_cosines(x[:4]).shape == (4, 2)
    kernel = weights(model.get_layer("projection"))
    np.testing.assert_array_equal(model.add_classes(["c", "d"]), [2, 3])
    assert model.class_names == ("a", "b", "c", "d") and model.reserve == 1
    # The same network, the same compiled loss: it trains the new classes.
    assert [w.shape for w in weights(model.get_layer("projection"))] == [
        w.shape for w in kernel
    ]
    model.fit(x, labels, epochs=5, batch_size=32, verbose=0)
    scores = model.evaluate(x, labels, verbose=0, return_dict=True)
    assert scores["invalid_labels"] == 0.0
    classes = model.predict_classes(x)
    assert set(np.unique(classes)) <= {0, 1, 2, 3}
    assert (classes == labels).mean() > 0.5  # chance is 0.25
    cosines = model.predict_cosines(x)
    np.testing.assert_array_equal(classes, cosines.argmax(axis=1))
    # Saved and loaded: the reserve, the names and the decoding stay.
    model.save(tmp_path / "reserve.keras")
    loaded = keras.saving.load_model(tmp_path / "reserve.keras")
    assert (loaded.num_classes, loaded.reserve) == (4, 1)
    assert loaded.class_names == model.class_names
    np.testing.assert_array_equal(loaded.prototypes, model.prototypes)
    np.testing.assert_array_equal(loaded.predict_classes(x), classes)
    assert loaded.add_classes(["e"]).tolist() == [4] and loaded.reserve == 0


def test_rejection_and_probabilities_of_a_task_model(tmp_path):
    x, _ = regression_data()
    labels = (x[:, 0] > 0).astype(int)
    keras.utils.set_random_seed(0)
    model = HPNClassifier(dense_backbone(), 3, dims=3, seed=0)
    model.compile(optimizer=keras.optimizers.Adam(0.01))
    model.fit(x, labels, epochs=3, batch_size=32, verbose=0)
    cosines = model.predict_cosines(x)
    best = cosines.max(axis=1)
    threshold = model.acceptance_threshold(x, accept=0.5)
    assert threshold == np.sort(best)[::-1][int(np.ceil(0.5 * len(x))) - 1]
    classes = model.predict_classes(x, min_cosine=threshold)
    np.testing.assert_array_equal(classes == -1, best < threshold)
    ids, _, _ = model.predict_top_k(x, k=2, min_cosine=threshold)
    np.testing.assert_array_equal(ids[:, 0], classes)
    # Probabilities at the model's temperature, 1.0 until fitted.
    expected = np.exp(cosines) / np.exp(cosines).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(model.predict_probabilities(x), expected, rtol=1e-6)
    fitted = model.fit_temperature(x, labels)
    assert (
        model.temperature
        == fitted
        == keras_hpn.fit_temperature(model.predict_outputs(x), model.prototypes, labels)
    )
    np.testing.assert_allclose(
        model.predict_probabilities(x),
        keras_hpn.class_probabilities(
            model.predict_outputs(x), model.prototypes, fitted
        ),
    )
    model.save(tmp_path / "t.keras")
    assert keras.saving.load_model(tmp_path / "t.keras").temperature == fitted


def test_multitask_reserve_and_class_methods():
    x, y = regression_data()
    labels = (x[:, 2] > 0).astype(int)
    model = HPNMultiTask(dense_backbone(), 2, y.min(), y.max(), reserve=1, seed=0)
    assert model.prototypes.shape == (3, 3) and abs(model.prototypes[:, 0]).max() == 0
    model.compile()
    both = np.stack([np.where(x[:, 3] > 1, 2, labels), y], axis=1)  # some of 2
    model.fit(x, both, epochs=1, batch_size=64, verbose=0)
    assert set(np.unique(model.predict(x)[0])) <= {0, 1}
    assert model.add_classes(1).tolist() == [2]
    part = model.predict_outputs(x).astype("float64")
    part[:, 0] = 0.0
    np.testing.assert_array_equal(
        model.predict_classes(x, min_cosine=0.3),
        keras_hpn.predict_classes(part, model.prototypes, min_cosine=0.3),
    )
    fitted = model.fit_temperature(x, both)  # fit's targets: column 0 read
    assert fitted == keras_hpn.fit_temperature(part, model.prototypes, both[:, 0])
    assert model.get_config()["reserve"] == 0
