import io

import numpy as np
import pytest

from keras_hpn.prototypes import geometry, optimize
from keras_hpn.prototypes.progress import ProgressBar


def test_hpn_sgd_step_matches_hand_computation():
    # Three points on the circle; nearest of each by hand: 0<->1 (cos 0.8),
    # 2's nearest is 1 (cos 0.6 > 0).
    points = np.array([[1.0, 0.0], [0.8, 0.6], [0.0, 1.0]])
    # Gradient of mean_i p_i . p_n(i), n = (1, 0, 1):
    # row 0: p_1 + p_1 (0 is nearest of 1) ; row 1: p_0 + p_0 + p_2 ; row 2: p_1.
    gradient = np.array([[1.6, 1.2], [2.0, 1.0], [0.8, 0.6]]) / 3.0
    expected = points - 0.1 * gradient
    expected /= np.linalg.norm(expected, axis=1, keepdims=True)
    np.testing.assert_allclose(
        optimize.hpn_sgd_from(points, steps=1), expected, atol=1e-15
    )


def test_hpn_sgd_reproduces_the_paper_figure():
    # Faithful re-implementation, seed 300, 10,000 steps: 0.376 (DESIGN.md).
    points = optimize.hpn_sgd(100, 10, seed=300)
    assert optimize.largest_cosine(points) == pytest.approx(0.376, abs=0.002)


@pytest.mark.parametrize("dims, target", [(10, 0.340), (25, 0.116)])
def test_auto_beats_quality_targets_k100(dims, target):
    points = geometry.hyperspherical(100, dims, seed=0)
    np.testing.assert_allclose(np.linalg.norm(points, axis=1), 1.0, atol=1e-12)
    assert optimize.largest_cosine(points) <= target


@pytest.mark.slow
def test_auto_beats_quality_target_k1000_d64():
    points = geometry.hyperspherical(1000, 64, seed=0)
    assert optimize.largest_cosine(points) <= 0.150


def test_smooth_max_is_deterministic():
    first = optimize.smooth_max(40, 5, seed=7, steps=200)
    np.testing.assert_array_equal(first, optimize.smooth_max(40, 5, seed=7, steps=200))


def test_blocked_gradient_equals_single_block(monkeypatch):
    points = optimize._initial(2 * 30, 4, 0).reshape(2, 30, 4)
    whole, whole_max = optimize._smooth_max_gradient(points, 50.0, np.float64, 30)
    blocked, blocked_max = optimize._smooth_max_gradient(points, 50.0, np.float64, 7)
    np.testing.assert_allclose(blocked, whole, rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(blocked_max, whole_max)


def test_smooth_max_gradient_matches_finite_differences():
    points = optimize._initial(8, 3, 1)[None]
    beta = 20.0

    def value(p):
        gram = p @ p.T
        gram = gram[~np.eye(8, dtype=bool)]
        return np.log(np.sum(np.exp(beta * gram))) / beta

    gradient, _ = optimize._smooth_max_gradient(points, beta, np.float64, 8)
    step = 1e-6
    numeric = np.zeros((8, 3))
    for index in np.ndindex(8, 3):
        shifted = points[0].copy()
        shifted[index] += step
        back = points[0].copy()
        back[index] -= step
        numeric[index] = (value(shifted) - value(back)) / (2 * step)
    np.testing.assert_allclose(gradient[0], numeric, atol=1e-6)


def test_largest_cosine_blocked_equals_dense(monkeypatch):
    points = optimize._initial(50, 3, 2)
    gram = points @ points.T
    np.fill_diagonal(gram, -np.inf)
    monkeypatch.setattr(optimize, "BLOCK_BYTES", 8 * 50 * 7)
    assert optimize.largest_cosine(points) == pytest.approx(gram.max(), abs=1e-15)
    np.testing.assert_allclose(
        optimize.nearest_cosines(points), gram.max(axis=1), rtol=0, atol=1e-15
    )


def test_initial_shape_checked():
    with pytest.raises(ValueError, match="initial"):
        optimize.smooth_max(5, 3, initial=np.ones((4, 3)))


def test_default_steps():
    assert optimize.default_steps(100) == 1500
    assert optimize.default_steps(1000) == 1200
    assert optimize.default_steps(10_000) == 108


def test_progress_bar_draws_on_stream():
    stream = io.StringIO()
    bar = ProgressBar(4, "placing", stream=stream)
    for step in range(4):
        bar.update(step + 1, "x")
    bar.close()
    assert "placing [" in stream.getvalue() and "100%" in stream.getvalue()
