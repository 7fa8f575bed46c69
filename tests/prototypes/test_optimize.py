import io
import time

import numpy as np
import pytest

from keras_hpn.prototypes import placement
from keras_hpn.prototypes.constructions import table as constructions
from keras_hpn.prototypes.optimize import annealing as optimize
from keras_hpn.prototypes.optimize import blocks, paper
from keras_hpn.utils.progress import ProgressBar

pytestmark = pytest.mark.once  # backend-independent: first pass only


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
        paper.hpn_sgd_from(points, steps=1), expected, atol=1e-15
    )


def test_hpn_sgd_reproduces_the_paper_figure():
    # Faithful re-implementation, seed 300, 10,000 steps: 0.376 (DESIGN.md).
    points = paper.hpn_sgd(100, 10, seed=300)
    assert optimize.largest_cosine(points) == pytest.approx(0.376, abs=0.002)


# Best known values of the table (log-sum-exp + L-BFGS); the target
# is to come within 0.1% of them.
@pytest.mark.parametrize("dims, best_known", [(10, 0.33466), (25, 0.11072)])
def test_auto_reaches_best_known_values_k100(dims, best_known):
    points = placement.hyperspherical(100, dims, seed=0)
    np.testing.assert_allclose(np.linalg.norm(points, axis=1), 1.0, atol=1e-12)
    assert optimize.largest_cosine(points) <= best_known * 1.001


def test_optimiser_started_from_a_code_never_loses_it():
    code = constructions.best_construction(1000, 64).build()
    placed = optimize.smooth_max(1000, 64, initial=code, steps=3)
    assert optimize.largest_cosine(placed) <= 0.125 + 1e-9


def test_smooth_max_is_deterministic():
    first = optimize.smooth_max(40, 5, seed=7, steps=200)
    np.testing.assert_array_equal(first, optimize.smooth_max(40, 5, seed=7, steps=200))


def test_restarts_improve_and_polish_never_worsens():
    one = optimize.smooth_max(40, 5, seed=1, steps=300, restarts=1)
    many = optimize.smooth_max(40, 5, seed=1, steps=300, restarts=8)
    assert optimize.largest_cosine(many) <= optimize.largest_cosine(one) + 1e-12
    start = optimize.random_start(40, 5, 3)
    polished = optimize.polish(start, steps=50)
    assert optimize.largest_cosine(polished) <= optimize.largest_cosine(start)


def test_blocked_gradient_equals_whole_sets():
    points = optimize.random_start(2 * 30, 4, 0).reshape(2, 30, 4)
    whole, whole_max = optimize._gradient(points, 50.0, 30)
    blocked, blocked_max = optimize._gradient(points, 50.0, 7)
    np.testing.assert_allclose(blocked, whole, rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(blocked_max, whole_max)


def test_smooth_max_gradient_matches_finite_differences():
    points = optimize.random_start(8, 3, 1)[None]
    beta = 20.0

    def value(p):
        gram = p @ p.T
        gram = gram[~np.eye(8, dtype=bool)]
        return np.log(np.sum(np.exp(beta * gram))) / beta

    gradient, _ = optimize._gradient(points, beta, 8)
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
    points = optimize.random_start(50, 3, 2)
    gram = points @ points.T
    np.fill_diagonal(gram, -np.inf)
    monkeypatch.setattr(blocks, "BLOCK_BYTES", 8 * 50 * 7)
    assert blocks.largest_cosine(points) == pytest.approx(gram.max(), abs=1e-15)
    np.testing.assert_allclose(
        blocks.nearest_cosines(points), gram.max(axis=1), rtol=0, atol=1e-15
    )


def test_too_large_refused_up_front_with_the_estimate():
    with pytest.raises(ValueError, match=r"num_classes=100000000 .* about \d+\.\d GiB"):
        optimize.smooth_max(10**8, 256, seed=0)


def test_backend_checked():
    with pytest.raises(ValueError, match="backend"):
        optimize.smooth_max(5, 3, backend="torch")


def test_initial_shape_checked():
    with pytest.raises(ValueError, match="initial"):
        optimize.smooth_max(5, 3, initial=np.ones((4, 3)))


def test_default_steps_and_restarts():
    assert optimize.default_steps(100) == 1500
    assert optimize.default_steps(1000) == 1200
    assert optimize.default_steps(10_000) == 108
    # 2e10 / (100^2 (10 + 16) 1500) = 51: capped at 32.
    assert optimize.default_restarts(100, 10) == 32
    # 2e10 / (300^2 (16 + 16) 1200) = 5.8.
    assert optimize.default_restarts(300, 16) == 5
    assert optimize.default_restarts(1000, 64) == 1


def test_progress_bar_draws_on_stream():
    stream = io.StringIO()
    bar = ProgressBar(4, "placing", stream=stream)
    for step in range(4):
        bar.update(step + 1, "x")
    bar.close()
    assert "placing [" in stream.getvalue() and "100%" in stream.getvalue()


def test_jax_backend_follows_the_numpy_steps():
    pytest.importorskip("jax")
    jax_backend = pytest.importorskip("keras_hpn.prototypes.optimize.jax_backend")
    import jax
    import jax.numpy as jnp

    points = optimize.random_start(2 * 50, 4, 0).reshape(2, 50, 4)
    expected, expected_max = optimize._gradient(points, 50.0, 50)
    for block in (50, 7):  # one block, and row blocks with padding
        function = jax_backend._gradient_function(jax, jnp, 50, block)
        gradient, largest = function(jnp.asarray(points, dtype=jnp.float32), 50.0)
        np.testing.assert_allclose(np.asarray(gradient), expected, atol=2e-6)
        np.testing.assert_allclose(np.asarray(largest), expected_max, atol=1e-6)
    numpy_run = optimize.smooth_max(60, 4, seed=0, steps=200, restarts=2)
    jax_run = optimize.smooth_max(60, 4, seed=0, steps=200, restarts=2, backend="jax")
    np.testing.assert_allclose(np.linalg.norm(jax_run, axis=1), 1.0, atol=1e-12)
    assert optimize.largest_cosine(jax_run) == pytest.approx(
        optimize.largest_cosine(numpy_run), abs=0.01
    )


def test_estimated_seconds_by_hand():
    # K = 2,000,000, D = 3: 100 steps, 1 start, no polish (its work is over
    # POLISH_WORK): 2e-10 s * 100 * (2e6)^2 * (3 + 16) = 1.52e6 s, 17.6 days.
    assert optimize.default_steps(2_000_000) == 100
    assert optimize.default_polish_steps(2_000_000, 3, 1) == 0
    assert optimize.estimated_seconds(2_000_000, 3) == pytest.approx(1.52e6)
    # K = 100, D = 10, 1000 steps, 2 starts: anneal 2 * 1000 * 100^2 * 26 =
    # 5.2e8, polish 500 steps of 2 sets: 500 * 2 * 100^2 * 170 = 1.7e9.
    assert optimize.estimated_seconds(100, 10, 1000, 2) == pytest.approx(2e-10 * 2.22e9)


def test_two_million_classes_in_3_dims_refused_at_once():
    # Issue 17: this once started an optimiser run of weeks, silently.
    start = time.perf_counter()
    for method in ("auto", "optimize"):
        with pytest.raises(
            ValueError,
            match=r"num_classes=2000000 prototypes in dims=3 .* about 18 days "
            r"on a CPU .* max_seconds=3600\. Use fewer classes",
        ):
            placement.place(2_000_000, 3, method=method)
    assert time.perf_counter() - start < 1.0


def test_max_seconds_refuses_a_run_and_none_allows_it():
    with pytest.raises(ValueError, match=r"about 0 s .* max_seconds=1e-06"):
        optimize.smooth_max(50, 3, seed=0, steps=10, restarts=1, max_seconds=1e-6)
    points = optimize.smooth_max(50, 3, seed=0, steps=10, restarts=1, max_seconds=None)
    assert points.shape == (50, 3)
    # place passes the limit on.
    with pytest.raises(ValueError, match="max_seconds=1e-06"):
        placement.place(50, 3, method="optimize", steps=10, max_seconds=1e-6)


def test_paper_optimiser_refused_up_front():
    # The K x K float64 cosine matrix of 2,000,000 classes: 29,104 GiB.
    with pytest.raises(ValueError, match=r"num_classes=2000000 .* GiB of memory"):
        placement.place(2_000_000, 3, method="hpn")
    # 5,000 classes in 64 dims, the paper's 10,000 steps:
    # 2e-10 * 1e4 * 5000^2 * 80 = 4,000 s, over the hour.
    with pytest.raises(ValueError, match=r"steps=10000 .* about 1\.1 hours"):
        paper.hpn_sgd(5000, 64, seed=0)
    with pytest.raises(ValueError, match="max_seconds"):
        paper.hpn_sgd_from(np.eye(3), steps=10**12)


@pytest.mark.parametrize(
    "run, label",
    [
        (lambda **kw: optimize.smooth_max(30, 3, seed=0, steps=20, **kw), "30"),
        (lambda **kw: paper.hpn_sgd(20, 3, seed=0, steps=20, **kw), "20"),
    ],
)
def test_runs_estimated_long_show_a_progress_bar(monkeypatch, capsys, run, label):
    monkeypatch.setattr(optimize, "VERBOSE_SECONDS", 0.0, raising=False)
    run()
    assert f"placing {label} prototypes [" in capsys.readouterr().err
    run(verbose=False)
    assert capsys.readouterr().err == ""
    monkeypatch.setattr(optimize, "VERBOSE_SECONDS", 1e9, raising=False)
    run()
    assert capsys.readouterr().err == ""
