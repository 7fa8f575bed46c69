import dataclasses
import json
import math
import os

import numpy as np
import pytest

from keras_hpn import data, prototypes
from keras_hpn.benchmarks import common, models, report, suite, tasks
from keras_hpn.benchmarks.items import published
from keras_hpn.benchmarks.models import Budget

pytestmark = pytest.mark.once  # backend-independent: first pass only

# Fashion-MNIST tests are skipped where the files are absent, unless
# KERAS_HPN_REQUIRE_DATA=1 (CI): then they run and fail on the loader's error
# (`require_fashion_mnist`), before anything could try to download.
needs_fashion_mnist = pytest.mark.skipif(
    not data.fashion_mnist_available()
    and os.environ.get("KERAS_HPN_REQUIRE_DATA") != "1",
    reason="Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist)",
)


def require_fashion_mnist():
    data.fashion_mnist(train_size=100, download=False)


@pytest.mark.slow
@needs_fashion_mnist
def test_quick_suite_runs_every_item_on_fashion_mnist(tmp_path, capsys):
    require_fashion_mnist()
    results = suite.run(suite.Settings.quick(), out=tmp_path)
    printed = capsys.readouterr().out
    for title in (
        "Fashion-MNIST test accuracy by output dims",
        "1,000 of the 60,000 training images per seed",
        "Fashion-MNIST test accuracy by share of training data",
        "1% (600)",
        "our runs next to published test accuracies",
        "published  MLP 256-128-100",
        "Representations (trained on Fashion-MNIST classes 0-4",
        "hpn vs softmax",
        "Diabetes test MAE",
        "Wine multi-task",
        "Training cost with metrics on",
    ):
        assert title in printed
    stored = json.loads((tmp_path / "results.json").read_text())
    assert set(suite.default_items(suite.Settings.quick())) <= set(stored)
    assert stored["dataset"] == "fashion_mnist"
    for name in ("dims", "fractions", "multitask", "representations", "cost"):
        assert (tmp_path / f"{name}.png").stat().st_size > 1000
    assert set(results["dims"]) == {f"{kind}/3" for kind in models.KINDS}
    for entry in [*results["dims"].values(), *results["fractions"].values()]:
        assert 0.0 <= entry["mean"] <= 1.0
    assert [results["fractions"][f"hpn/{f}"]["size"] for f in (0.01, 0.05)] == [
        600,
        3000,
    ]
    for pair in ("hpn/softmax", "hpn/cosine", "softmax/cosine"):
        assert 0.0 <= results["representations"]["cka"][pair]["mean"] <= 1.0
    assert results["regression"]["hpn"]["mean"] > 0.0
    cost = next(iter(results["cost"].values()))["classes"]["100"]
    # Same body; the heads: 512 x 128 + 128 against 512 x 100 + 100.
    body = 512 * 512 + 512
    assert cost["hpn"]["params"] == body + 512 * 128 + 128
    assert cost["softmax"]["params"] == body + 512 * 100 + 100
    assert 0.2 < cost["ratio"] < 5.0 and cost["hpn"]["ms_per_step"] > 0


@pytest.mark.slow
def test_quick_digits_items_run_as_before(capsys):
    settings = dataclasses.replace(
        suite.Settings.quick("digits"), dims=(10,), fractions=(0.25,)
    )
    results = suite.run(settings, items=["dims", "fractions"], out=None)
    printed = capsys.readouterr().out
    assert "Digits test accuracy by output dims (mean +- std over 1 seed)" in printed
    assert "25% (337)" in printed  # a share of digits' 1,347 training images
    assert set(results["dims"]) == {f"{kind}/10" for kind in models.CLASSIFIERS}
    # Two epochs already put digits well above chance (0.1) at D = 10.
    assert results["dims"]["softmax/10"]["mean"] > 0.3


@needs_fashion_mnist
def test_semantic_priors_train_on_fashion_mnist():
    require_fashion_mnist()
    settings = common.Settings.quick()
    split = tasks.split(settings, seed=0)
    assert split.x_train.shape == (1000, 784)
    accuracy, model = tasks.train(settings, "hpn_semantic", split, 2, seed=0)
    assert 0.0 <= accuracy <= 1.0 and tuple(model.output.shape) == (None, 2)
    protos = tasks.semantic(tuple(data.fashion_mnist_class_names()), 2, 0)
    # The loss holds the priors: "t_shirt/top" nearer "shirt" than "trouser".
    np.testing.assert_allclose(model.loss.prototypes, protos, atol=1e-6)
    assert protos[0] @ protos[6] > protos[0] @ protos[1]


def test_summary_mean_and_spread():
    summary = common.summary([0.5, 0.7, 0.9])
    assert summary["mean"] == pytest.approx(0.7)
    assert summary["std"] == pytest.approx(0.2)
    assert common.summary([0.4])["std"] == 0.0


def test_count_runs_matches_the_grids():
    import keras

    backends = len({keras.backend.backend(), "tensorflow", "jax"})
    fashion = suite.Settings()
    assert fashion == suite.Settings.default("fashion_mnist", "mlp")
    # 4 losses x 4 dims x 3 seeds, 2 x 3 shares x 3, 0, 3 x 3, 2 x 3, 2 x 5 x 3
    expected = 48 + 18 + 0 + 9 + 6 + 30 + backends
    assert suite.count_runs(fashion, suite.default_items(fashion)) == expected
    digits = suite.Settings.default("digits")
    assert "published" not in suite.default_items(digits)
    # 3 losses x 4 dims x 3 seeds, 2 x 3 x 3, 3 x 3, 2 x 3, 2 x 5 x 3
    expected = 36 + 18 + 9 + 6 + 30 + backends
    assert suite.count_runs(digits, suite.default_items(digits)) == expected


def test_unknown_or_misplaced_items_are_refused():
    with pytest.raises(ValueError, match="Unknown benchmark item"):
        suite.run(suite.Settings.quick(), items=["speed"], out=None, stream=None)
    with pytest.raises(ValueError, match=r"need dataset='fashion_mnist'"):
        suite.run(
            suite.Settings.quick("digits"), items=["published"], out=None, stream=None
        )


def test_settings_are_checked():
    with pytest.raises(ValueError, match="`dataset` must be one of"):
        common.Settings(dataset="mnist")
    with pytest.raises(ValueError, match="`model='cnn'` needs images"):
        common.Settings.default("digits", "cnn")
    with pytest.raises(ValueError, match="`losses` must be among"):
        common.Settings(losses=("hpn", "triplet"))
    with pytest.raises(ValueError, match=r"`task_sizes` must be .* from 1 to 10"):
        common.Settings(task_sizes=(2, 0))
    with pytest.raises(ValueError, match=r"`replay` must be .* >= 0"):
        common.Settings(replay=(-20,))
    cnn = common.Settings.default("fashion_mnist", "cnn")
    assert cnn.train_size is None and cnn.classification.epochs == 15


def test_small_training_sets_repeat_until_min_steps():
    budget = Budget(epochs=3, batch_size=128, min_steps=300)
    for examples in (600, 6000, 60000, 1000, 10):
        repeats = models.repeats_for(examples, budget)
        steps = budget.epochs * math.ceil(repeats * examples / budget.batch_size)
        assert steps >= budget.min_steps
        # One copy fewer would not reach min_steps batches' worth of examples.
        fewer = budget.epochs * (repeats - 1) * examples
        assert repeats == 1 or fewer < budget.min_steps * budget.batch_size
    assert models.repeats_for(60000, budget) == 1
    assert models.repeats_for(600, Budget(epochs=3, batch_size=128)) == 1


def test_cosine_logits_are_scaled_cosines():
    import keras

    layer = models.CosineLogits(3, scale=2.0)
    layer.build((None, 2))
    kernel = np.array([[1.0, 0.0, 3.0], [0.0, 2.0, 4.0]], dtype="float32")
    layer.kernel.assign(kernel)
    z = np.array([[3.0, 4.0]], dtype="float32")
    expected = 2.0 * np.array([[0.6, 0.8, (9.0 + 16.0) / 25.0]])
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(layer(z)), expected, rtol=1e-5
    )


def test_heads_of_every_kind():
    small, _ = models.classifier("softmax", 64, 10, 3, 0, Budget())
    full, _ = models.classifier("softmax", 64, 10, 10, 0, Budget())
    assert [layer.name for layer in small.layers].count("bottleneck") == 1
    assert "bottleneck" not in [layer.name for layer in full.layers]
    hpn, protos = models.classifier("hpn", 64, 10, 3, 0, Budget())
    assert protos.shape == (10, 3) and tuple(hpn.output.shape) == (None, 3)
    given = prototypes.hyperspherical(10, 3, seed=7)
    _, used = models.classifier(
        "hpn_semantic", 64, 10, 3, 0, Budget(), prototypes=given
    )
    np.testing.assert_array_equal(used, given)
    with pytest.raises(ValueError, match="`prototypes` must be given"):
        models.classifier("hpn_semantic", 64, 10, 3, 0, Budget())


def test_cnn_body_takes_images():
    import keras

    inputs, features = models.cnn_body((28, 28, 1), 32)
    model = keras.Model(inputs, features)
    assert tuple(model.output.shape) == (None, 32)
    assert model.get_layer("features").output.shape[-1] == 32


def _summary(mean):
    return {"mean": mean, "std": 0.01, "values": [mean]}


def test_published_table_places_our_full_data_runs_next_to_published_ones():
    settings = common.Settings()
    results = {
        "settings": dataclasses.asdict(settings),
        "dataset": "fashion_mnist",
        "fractions": {
            f"{kind}/{share}": {**_summary(value), "size": int(share * 60000)}
            for kind, value in (("hpn", 0.85), ("softmax", 0.84))
            for share in settings.fractions
        },
        "published": published.run(settings, None),
    }
    lines = report.tables(results).splitlines()
    ours = [line for line in lines if line.startswith("ours")]
    assert len(ours) == 2 and "all 60,000 images" in ours[0] and "D=10" in ours[0]
    assert ours[0].endswith("0.850 +- 0.010")
    rows = [line for line in lines if line.startswith("published ")]
    assert len(rows) == len(published.ROWS)
    assert any("MLP 256-128-100" in row and row.endswith("0.8833") for row in rows)
    fractions = next(line for line in lines if "by share of training data" in line)
    assert "at least 120 updates" in fractions
    assert "1% (600)" in lines[lines.index(fractions) + 1]


@needs_fashion_mnist
def test_published_rows_are_in_the_shipped_readme():
    if not published.README.is_file():
        pytest.fail(f"{published.README} is missing, but the dataset is installed")
    table = published.readme_rows()
    assert len(table) > 20
    entry = published.run(common.Settings(), None)
    assert entry["checked_against"] == str(published.README)
    assert entry["not_found"] == []
    # A changed figure would not be found.
    changed = ("MLP 256-128-100", "None", 0.9, "@heitorrapela")
    assert not published._listed(changed, table)


@pytest.mark.slow
def test_cifar_item_runs_offline_under_mock_data(tmp_path, capsys):
    tfds = pytest.importorskip("tensorflow_datasets")
    settings = suite.Settings(seeds=(0,))
    with tfds.testing.mock_data(
        num_examples=16, policy=tfds.testing.MockPolicy.USE_CODE
    ):
        results = suite.run_cifar("cifar10", settings, out=tmp_path, quick=True)
    assert results["dataset"] == "cifar10" and results["settings"]["dims"] == [10]
    assert set(results["dims"]) == {"hpn/10", "softmax/10", "cosine/10"}
    for entry in results["dims"].values():
        assert 0.0 <= entry["mean"] <= 1.0
    assert "CIFAR-10 test accuracy by output dims" in capsys.readouterr().out
    assert (tmp_path / "dims.png").exists()


def test_resnet_body_is_resnet20_by_default():
    import keras

    from keras_hpn.benchmarks import cifar

    inputs, features = cifar.resnet_body(cifar.ResNetSpec())
    model = keras.Model(inputs, features)
    convolutions = [layer for layer in model.layers if "conv" in layer.name]
    # 1 stem + 3 stages x 3 blocks x 2, plus 2 projection shortcuts.
    assert len(convolutions) == 1 + 18 + 2
    assert tuple(features.shape) == (None, 64)
