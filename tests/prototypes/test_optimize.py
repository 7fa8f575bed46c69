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
# is to come within 0.1% of them with effort="best" (about 9 s each).
@pytest.mark.slow
@pytest.mark.parametrize("dims, best_known", [(10, 0.33466), (25, 0.11072)])
def test_auto_reaches_best_known_values_k100(dims, best_known):
    points = placement.hyperspherical(100, dims, seed=0, effort="best")
    np.testing.assert_allclose(np.linalg.norm(points, axis=1), 1.0, atol=1e-12)
    assert optimize.largest_cosine(points) <= best_known * 1.001


# The paper's optimiser (seed 300, 10,000 steps) ends at 0.376 and 0.1335
# (docs/benchmarks.md); the default "fast" placement ends well below.
@pytest.mark.parametrize("dims, paper_value", [(10, 0.3766), (25, 0.1335)])
def test_default_placement_is_below_the_papers_value(dims, paper_value):
    points = placement.hyperspherical(100, dims, seed=0)
    assert optimize.largest_cosine(points) < paper_value - 0.01


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


def test_schedule_by_hand():
    # "fast": at most 1,000 steps; "best": 4 times the base steps (1,500 up
    # to 256 classes, 1,200 up to 3,000, then shrinking with K^2).
    assert optimize.default_steps(100, 10) == 1000
    assert optimize.default_steps(100, 10, "best") == 6000
    assert optimize.default_steps(1000, 64) == 1000
    assert optimize.default_steps(1000, 64, "best") == 4800
    # 1200 * (3000 / 10000)^2 = 108, below 1,000 at both efforts' base.
    assert optimize.default_steps(10_000, 128) == 108
    assert optimize.default_steps(10_000, 128, "best") == 432
    # "fast" starts fill 1e8: 1e8 // (10^2 (3 + 16) 1000) = 52 -> capped at
    # 32; 1e8 // (100^2 (10 + 16) 1000) = 0 -> 1.
    assert optimize.default_restarts(10, 3) == 32
    assert optimize.default_restarts(30, 3) == 5  # 1e8 // 1.71e7
    assert optimize.default_restarts(100, 10) == 1
    # "best" starts fill 2e10: 2e10 // (100^2 (22 + 16) 6000) = 8.
    assert optimize.default_restarts(100, 22, "best") == 8
    assert optimize.default_restarts(300, 16, "best") == 1  # 2e10 // 2.07e10
    assert optimize.default_restarts(1000, 64, "best") == 1
    assert optimize.default_polish_steps(100, 10) == 200
    assert optimize.default_polish_steps(100, 10, effort="best") == 500
    # Half the starts from beta = 1, the others over 10 ... 1000.
    np.testing.assert_allclose(
        optimize.start_betas(6), [1.0, 1.0, 1.0, 10.0, 100.0, 1000.0]
    )
    assert optimize.start_betas(1).tolist() == [1.0]


def test_fast_schedule_is_a_fraction_of_the_papers_work():
    # The paper's 10,000 steps cost K^2 (D + 16) each (the estimate of
    # `paper._check_sgd_cost`); one "fast" start of at most 1,000 steps and
    # its polish stay below a third of that wherever a single start runs.
    for num_classes, dims in [(100, 10), (100, 25), (300, 16), (1000, 64)]:
        assert optimize.default_restarts(num_classes, dims) == 1
        paper_seconds = (
            optimize.SECONDS_PER_WORK * 10_000 * num_classes**2 * (dims + 16)
        )
        assert optimize.estimated_seconds(num_classes, dims) < paper_seconds / 3


def test_effort_is_reproducible_by_seed_and_checked():
    # Same seed, same prototypes, at both efforts; the effort picks the
    # number of starts (here 32 at "best", 1e8 // (14^2 19 300) = 89 -> 32
    # at "fast" too: small problems get all their starts at both).
    for effort in optimize.EFFORTS:
        first = placement.place(14, 3, seed=3, steps=300, effort=effort)
        again = placement.place(14, 3, seed=3, steps=300, effort=effort)
        np.testing.assert_array_equal(first.prototypes, again.prototypes)
    with pytest.raises(ValueError, match=r"`effort` must be one of .* effort='max'"):
        optimize.smooth_max(12, 3, effort="max")


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
    assert optimize.default_steps(2_000_000, 3) == 100
    assert optimize.default_polish_steps(2_000_000, 3, 1) == 0
    assert optimize.estimated_seconds(2_000_000, 3) == pytest.approx(1.52e6)
    # K = 100, D = 10, 1000 steps, 2 starts: anneal 2 * 1000 * 100^2 * 26 =
    # 5.2e8, "fast" polish 200 steps of 2 sets: 200 * 2 * 100^2 * 170 = 6.8e8
    # ("best": 500 steps, 1.7e9).
    assert optimize.estimated_seconds(100, 10, 1000, 2) == pytest.approx(2e-10 * 1.2e9)
    assert optimize.estimated_seconds(100, 10, 1000, 2, "best") == pytest.approx(
        2e-10 * 2.22e9
    )


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
