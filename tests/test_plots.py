"""keras_hpn.plots draws headless: each figure holds the artists it should,
at the coordinates computed by hand."""

import json

import matplotlib
import numpy as np
import pytest

from keras_hpn import plots
from keras_hpn.prototypes import hyperspherical

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

pytestmark = pytest.mark.once  # numpy and matplotlib only


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _noisy_outputs(prototypes, labels, noise=0.2, seed=0):
    rng = np.random.default_rng(seed)
    return prototypes[labels] + noise * rng.standard_normal(
        (len(labels), prototypes.shape[1])
    )


def test_prototypes_on_the_circle():
    prototypes = np.array([[2.0, 0.0], [0.0, 1.0], [-1.0, -1.0]])
    figure = plots.plot_prototypes(prototypes, class_names=["a", "b", "c"])
    ax = figure.axes[0]
    (points,) = ax.collections
    unit = prototypes / np.linalg.norm(prototypes, axis=1, keepdims=True)
    np.testing.assert_allclose(points.get_offsets(), unit)
    assert [text.get_text() for text in ax.texts] == ["a", "b", "c"]
    # The circle, then one ray from the origin to each prototype.
    assert len(ax.lines) == 4
    np.testing.assert_allclose(np.hypot(*ax.lines[0].get_data()), 1.0)
    np.testing.assert_allclose(np.stack(ax.lines[3].get_data()).T[-1], unit[2])
    # Largest cosine: [1, 0] against [-1, -1] / sqrt 2 ... is -0.707; [0, 1]
    # against [1, 0] is 0.
    assert ax.get_title() == "3 prototypes in 2 dims, largest cosine 0.000"


def test_prototypes_on_the_sphere():
    prototypes = hyperspherical(12, 3, seed=0)
    figure = plots.plot_prototypes(prototypes)
    ax = figure.axes[0]
    assert ax.name == "3d"
    wireframe, points = ax.collections
    np.testing.assert_allclose(np.stack(points._offsets3d, axis=1), prototypes)
    assert [text.get_text() for text in ax.texts] == [str(i) for i in range(12)]
    assert len(ax.lines) == 12


def test_prototypes_in_high_dimensions_are_projected_onto_their_main_plane():
    # Four prototypes in the plane of the first two axes of 6 dims: the
    # projection keeps all their length, so they land on the circle.
    prototypes = np.zeros((4, 6))
    prototypes[:, :2] = [[1, 0], [0, 1], [-1, 0], [0, -1]]
    figure = plots.plot_prototypes(prototypes)
    ax = figure.axes[0]
    offsets = ax.collections[0].get_offsets()
    np.testing.assert_allclose(np.linalg.norm(offsets, axis=1), 1.0)
    # Cosines survive the projection: opposite pairs stay opposite.
    np.testing.assert_allclose(offsets[0] @ offsets[2], -1.0, atol=1e-12)
    assert ax.get_xlabel() == "principal direction 1 (50%)"
    assert ax.get_ylabel() == "principal direction 2 (50%)"


def test_many_prototypes_carry_no_names():
    figure = plots.plot_prototypes(hyperspherical(40, 5, seed=0))
    assert len(figure.axes[0].texts) == 0
    assert len(figure.axes[0].collections[0].get_offsets()) == 40


def test_outputs_with_their_prototypes_coloured_by_class():
    prototypes = np.eye(2)
    labels = np.array([0, 1, 1, 0, 1])
    outputs = np.array([[2.0, 0.1], [0.1, 3.0], [0.0, 1.0], [1.0, -0.2], [0.3, 0.9]])
    figure = plots.plot_outputs(outputs, labels, prototypes, class_names=["x", "y"])
    ax = figure.axes[0]
    first, second, stars = ax.collections
    unit = outputs / np.linalg.norm(outputs, axis=1, keepdims=True)
    np.testing.assert_allclose(first.get_offsets(), unit[labels == 0])
    np.testing.assert_allclose(second.get_offsets(), unit[labels == 1])
    np.testing.assert_allclose(stars.get_offsets(), prototypes)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        "x",
        "y",
        "prototypes",
    ]
    # Each class's points have that class's star colour.
    np.testing.assert_allclose(
        first.get_facecolor()[0, :3], stars.get_facecolor()[0, :3]
    )
    np.testing.assert_allclose(
        second.get_facecolor()[0, :3], stars.get_facecolor()[1, :3]
    )


def test_outputs_are_sampled_and_directionless_ones_left_out():
    prototypes = hyperspherical(5, 8, seed=0)
    labels = np.arange(300) % 5
    outputs = _noisy_outputs(prototypes, labels)
    outputs[0] = 0.0
    outputs[1, 2] = np.nan
    figure = plots.plot_outputs(outputs, labels, prototypes)
    shown = sum(len(c.get_offsets()) for c in figure.axes[0].collections[:-1])
    assert shown == 298
    figure = plots.plot_outputs(outputs, labels, prototypes, max_points=50, seed=1)
    ax = figure.axes[0]
    assert sum(len(c.get_offsets()) for c in ax.collections[:-1]) == 50
    assert ax.get_title() == "50 outputs and their prototypes"
    assert ax.get_xlabel().startswith("principal direction 1")


def test_outputs_on_the_sphere_need_3d_axes():
    prototypes = hyperspherical(4, 3, seed=0)
    labels = np.array([0, 1, 2, 3])
    figure = plots.plot_outputs(prototypes, labels, prototypes)
    assert figure.axes[0].name == "3d"
    _, flat = plt.subplots()
    with pytest.raises(ValueError, match="3-D axes"):
        plots.plot_outputs(prototypes, labels, prototypes, ax=flat)


def test_cosines_to_own_and_nearest_other_prototype():
    prototypes = np.eye(3)
    outputs = np.array([[1.0, 0.0, 0.0], [0.6, 0.8, 0.0], [0.0, 0.0, -1.0]])
    labels = np.array([0, 0, 2])
    # own: 1, 0.6, -1; nearest other: 0, 0.8, 0.
    figure = plots.plot_cosines(outputs, labels, prototypes, bins=4)
    ax = figure.axes[0]
    heights = [bar.get_height() for bar in ax.patches]
    assert heights[:4] == [1, 0, 0, 2]  # bins [-1,-.5), [-.5,0), [0,.5), [.5,1]
    assert heights[4:] == [0, 0, 2, 1]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        "own prototype",
        "nearest other prototype",
    ]
    assert ax.get_title() == "3 outputs: own prototype nearer for 33.3%"


def test_cosine_share_is_the_accuracy():
    prototypes = hyperspherical(10, 5, seed=0)
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 10, 400)
    outputs = _noisy_outputs(prototypes, labels, noise=0.5)
    accuracy = np.mean(
        np.argmax(outputs @ prototypes.T, axis=1) == labels
    )  # float64 ties are impossible here
    figure = plots.plot_cosines(outputs, labels, prototypes, title=None)
    assert figure.axes[0].get_title().endswith(f"{accuracy:.1%}")
    assert sum(bar.get_height() for bar in figure.axes[0].patches[:40]) == 400


def _floats(data):
    return np.asarray(data, dtype=np.float64)  # error bars keep object arrays


RESULTS = {
    "dataset": "digits",
    "settings": {"dims": [2, 5, 10], "fractions": [0.1, 1.0]},
    "dims": {
        "hpn/2": {"mean": 0.5, "std": 0.1},
        "hpn/5": {"mean": 0.8, "std": 0.05},
        "hpn/10": {"mean": 0.9, "std": 0.01},
        "softmax/2": {"mean": 0.6, "std": 0.0},
        "softmax/5": {"mean": 0.85, "std": 0.02},
        "softmax/10": {"mean": 0.95, "std": 0.01},
    },
    "fractions": {
        "hpn/0.1": {"mean": 0.7, "std": 0.02},
        "hpn/1.0": {"mean": 0.9, "std": 0.01},
    },
}


def test_accuracy_against_dims_from_results_json(tmp_path):
    (tmp_path / "results.json").write_text(json.dumps(RESULTS))
    for source in (tmp_path, tmp_path / "results.json", RESULTS):
        figure = plots.plot_accuracy(source)
        ax = figure.axes[0]
        hpn, softmax = ax.containers
        np.testing.assert_array_equal(_floats(hpn.lines[0].get_xdata()), [2, 5, 10])
        np.testing.assert_allclose(_floats(hpn.lines[0].get_ydata()), [0.5, 0.8, 0.9])
        np.testing.assert_allclose(
            _floats(softmax.lines[0].get_ydata()), [0.6, 0.85, 0.95]
        )
        assert [t.get_text() for t in ax.get_xticklabels()] == ["2", "5", "10"]
        assert [t.get_text() for t in ax.get_legend().get_texts()] == [
            "hpn",
            "softmax",
        ]
        assert ax.get_title() == "digits: accuracy vs output dimensions"
        plt.close(figure)


def test_accuracy_against_training_data_share():
    figure = plots.plot_accuracy(RESULTS, against="fractions", title="t")
    ax = figure.axes[0]
    (hpn,) = ax.containers
    np.testing.assert_allclose(_floats(hpn.lines[0].get_ydata()), [0.7, 0.9])
    assert [t.get_text() for t in ax.get_xticklabels()] == ["10%", "100%"]
    assert ax.get_xlabel() == "share of training data" and ax.get_title() == "t"


def test_plots_draw_on_given_axes():
    figure, (left, right) = plt.subplots(1, 2)
    prototypes = hyperspherical(4, 2, seed=0)
    assert plots.plot_prototypes(prototypes, ax=left) is figure
    assert plots.plot_cosines(prototypes, np.arange(4), prototypes, ax=right) is figure
    assert len(figure.axes) == 2


def test_the_benchmark_report_plots_through_plot_accuracy(tmp_path):
    from keras_hpn.benchmarks import report

    written = report.plot(RESULTS, tmp_path)
    assert [path.name for path in written] == ["dims.png", "fractions.png"]
    assert all(path.stat().st_size > 1000 for path in written)


def test_a_missing_matplotlib_is_named(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(ImportError, match=r"keras-hpn\[plots\]"):
        plots.plot_cosines(np.eye(2), np.arange(2), np.eye(2))


def test_keras_hpn_imports_without_matplotlib():
    """matplotlib is an extra: without it `import keras_hpn` works and a plot
    names the extra to install."""
    import os
    import subprocess
    import sys

    code = (
        "import sys\n"
        "sys.modules['matplotlib'] = None  # as if not installed\n"
        "import keras_hpn\n"
        "try:\n"
        "    keras_hpn.plots.plot_prototypes([[1.0, 0.0], [0.0, 1.0]])\n"
        "except ImportError as error:\n"
        "    print(error)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=300,
        env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3"),
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert 'pip install "keras-hpn[plots]"' in done.stdout
