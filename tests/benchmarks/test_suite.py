import json

import numpy as np
import pytest

from keras_hpn.benchmarks import models, suite
from keras_hpn.benchmarks.models import Budget


@pytest.mark.slow
def test_quick_suite_runs_every_item_and_writes_results(tmp_path, capsys):
    results = suite.run(suite.Settings.quick(), out=tmp_path)
    printed = capsys.readouterr().out
    for title in (
        "by output dims",
        "share of training data",
        "Diabetes test MAE",
        "Wine multi-task",
        "Representations",
        "Training step time",
    ):
        assert title in printed
    stored = json.loads((tmp_path / "results.json").read_text())
    assert set(suite.ITEMS) <= set(stored)
    for name in ("dims", "fractions", "multitask", "representations"):
        assert (tmp_path / f"{name}.png").stat().st_size > 1000
    for entry in results["dims"].values():
        assert 0.0 <= entry["mean"] <= 1.0
    assert results["regression"]["hpn"]["mean"] > 0.0
    ratio = next(iter(results["cost"].values()))["ratio"]
    assert 0.2 < ratio < 5.0


def test_summary_mean_and_spread():
    summary = suite._summary([0.5, 0.7, 0.9])
    assert summary["mean"] == pytest.approx(0.7)
    assert summary["std"] == pytest.approx(0.2)


def test_count_runs_matches_the_grids():
    import keras

    settings = suite.Settings()
    backends = len({keras.backend.backend(), "tensorflow", "jax"})
    # 3 losses x 4 dims x 3 seeds, 2 x 3 x 3, 2 x 3, 2 x 5 x 3, 3 x 3, backends
    expected = 36 + 18 + 6 + 30 + 9 + backends
    assert suite.count_runs(settings, suite.ITEMS) == expected


def test_unknown_item_is_refused():
    with pytest.raises(ValueError, match="Unknown benchmark item"):
        suite.run(suite.Settings.quick(), items=["speed"], out=None, stream=None)


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


def test_softmax_head_adds_bottleneck_only_below_num_classes():
    small, _ = models.classifier("softmax", 64, 10, 3, 0, Budget())
    full, _ = models.classifier("softmax", 64, 10, 10, 0, Budget())
    assert [layer.name for layer in small.layers].count("bottleneck") == 1
    assert "bottleneck" not in [layer.name for layer in full.layers]
    hpn, protos = models.classifier("hpn", 64, 10, 3, 0, Budget())
    assert protos.shape == (10, 3) and tuple(hpn.output.shape) == (None, 3)


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
    assert "Cifar10 test accuracy by output dims" in capsys.readouterr().out
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
