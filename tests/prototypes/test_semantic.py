import importlib.util
from pathlib import Path

import numpy as np
import pytest

from keras_hpn.prototypes import placement, semantic
from keras_hpn.prototypes.optimize.annealing import largest_cosine

pytestmark = pytest.mark.once  # backend-independent: first pass only

# 20 CIFAR-100 classes from 5 superclasses (trees, fish, vehicles, flowers,
# insects), with the bundled real MiniLM vectors.
GROUPED_NAMES = [
    "maple_tree",
    "oak_tree",
    "palm_tree",
    "pine_tree",
    "aquarium fish",
    "flatfish",
    "shark",
    "trout",
    "bus",
    "motorcycle",
    "pickup truck",
    "train",
    "orchid",
    "poppy",
    "rose",
    "tulip",
    "bee",
    "beetle",
    "butterfly",
    "caterpillar",
]


@pytest.fixture(scope="module")
def bundled_words():
    return semantic.load_word_vectors(semantic.BUNDLED_WORD_VECTORS)


def test_bundled_vectors_load(bundled_words):
    assert len(bundled_words) == 130  # CIFAR-100, CIFAR-10, digits, Fashion-MNIST
    assert bundled_words["maple_tree"].shape == (384,)


def test_multi_word_names_use_mean_of_words():
    words = {"maple": [1.0, 0.0], "tree": [0.0, 1.0], "fish": [2.0, 2.0]}
    vectors = semantic.class_vectors(["maple_tree", "Maple tree", "fish"], words)
    np.testing.assert_allclose(vectors, [[0.5, 0.5], [0.5, 0.5], [2.0, 2.0]])


def test_whole_name_preferred_over_words():
    words = {"maple_tree": [3.0, 0.0], "maple": [1.0, 0.0], "tree": [0.0, 1.0]}
    np.testing.assert_allclose(
        semantic.class_vectors(["maple tree"], words), [[3.0, 0.0]]
    )


def test_missing_names_all_listed():
    words = {"cat": [1.0, 0.0]}
    with pytest.raises(ValueError, match=r"2 class name\(s\).*'dog'.*'sea_lion'"):
        semantic.class_vectors(["cat", "dog", "sea_lion"], words)


def test_nan_vectors_refused():
    with pytest.raises(ValueError, match=r"NaN.*\['b'\]"):
        semantic.class_vectors(["a", "b"], {"a": [1.0, 0.0], "b": [np.nan, 1.0]})
    with pytest.raises(ValueError, match="NaN"):
        semantic.class_vectors(None, np.array([[1.0, np.inf], [0.0, 1.0]]))


def test_array_input_and_keyed_vectors_duck_type():
    array = np.array([[1.0, 0.0], [0.0, 1.0]])
    np.testing.assert_array_equal(semantic.class_vectors(None, array), array)

    class FakeKeyedVectors:
        key_to_index = {"cat": 0, "dog": 1}

        def __getitem__(self, word):
            return array[self.key_to_index[word]]

    np.testing.assert_array_equal(
        semantic.class_vectors(["dog", "cat"], FakeKeyedVectors()), array[::-1]
    )


def test_neighbour_distribution_by_hand():
    similarity = np.array([[1.0, 0.5, 0.0], [0.5, 1.0, 0.2], [0.0, 0.2, 1.0]])
    rows = semantic.neighbour_distribution(similarity, 0.5)
    # Row 0: exp(1) and exp(0) over the two others.
    np.testing.assert_allclose(rows[0], [0, np.e / (np.e + 1), 1 / (np.e + 1)])
    np.testing.assert_allclose(rows.sum(axis=1), 1.0)
    np.testing.assert_array_equal(np.diag(rows), 0.0)


def capped_loss(
    points: np.ndarray,
    target: np.ndarray,
    cap: float,
    temperature: float,
    sharpness: float,
) -> float:
    """`KL(target || q) + sum_{i != j} softplus(b (c_ij - cap)) / b`, with `q`
    the `neighbour_distribution` of the cosines `c` and the KL divergence
    averaged over the rows: the objective `semantic._capped_gradient` is the
    gradient of."""
    num_classes = points.shape[0]
    off = ~np.eye(num_classes, dtype=bool)
    cosines = points @ points.T
    neighbours = semantic.neighbour_distribution(cosines, temperature)
    excess = sharpness * (cosines[off] - cap)
    divergence = (
        np.sum(target[off] * (np.log(target[off]) - np.log(neighbours[off])))
        / num_classes
    )
    return float(divergence + np.sum(np.logaddexp(0.0, excess)) / sharpness)


def test_capped_gradient_matches_finite_differences():
    rng = np.random.default_rng(0)
    points = rng.standard_normal((6, 3))
    target = semantic.neighbour_distribution(rng.uniform(size=(6, 6)), 0.2)
    arguments = (target, 0.1, 0.3, 7.0)  # cap, temperature, sharpness
    off = ~np.eye(6, dtype=bool)
    gradient = semantic._capped_gradient(points, *arguments, off)
    numeric = np.zeros_like(points)
    step = 1e-6
    for index in np.ndindex(*points.shape):
        up, down = points.copy(), points.copy()
        up[index] += step
        down[index] -= step
        numeric[index] = (
            capped_loss(up, *arguments) - capped_loss(down, *arguments)
        ) / (2 * step)
    np.testing.assert_allclose(gradient, numeric, atol=1e-6)


@pytest.mark.parametrize("dims", [5, 10])
def test_semantic_priors_follow_real_word_similarity(bundled_words, dims):
    vectors = semantic.class_vectors(GROUPED_NAMES, bundled_words)
    placed = semantic.semantic_prototypes(GROUPED_NAMES, bundled_words, dims, seed=0)
    plain = placement.hyperspherical(len(GROUPED_NAMES), dims, seed=0)
    assert semantic.rank_correlation(placed, vectors) >= 0.5
    assert largest_cosine(placed) <= largest_cosine(plain) + 0.04
    np.testing.assert_allclose(np.linalg.norm(placed, axis=1), 1.0, atol=1e-12)


def test_semantic_priors_on_synthetic_groups():
    # 20 classes in 5 well separated groups of 4 in a 30-d word space.
    rng = np.random.default_rng(1)
    centres = rng.standard_normal((5, 30))
    vectors = np.repeat(centres, 4, axis=0) + 0.3 * rng.standard_normal((20, 30))
    placed = semantic.semantic_prototypes(None, vectors, 6, seed=0)  # K > 2D
    plain = placement.hyperspherical(20, 6, seed=0)
    assert largest_cosine(placed) <= largest_cosine(plain) + 0.04
    # Every class's nearest prototype lies in its own group (measured: 20 of
    # 20, against 3 of 20 without priors), and a group's prototypes are
    # closer to each other than to the rest (gap 0.37, against -0.01).
    groups = np.arange(20) // 4
    gram = placed @ placed.T
    np.fill_diagonal(gram, -np.inf)
    np.testing.assert_array_equal(groups[gram.argmax(axis=1)], groups)
    same = (groups[:, None] == groups[None, :]) & np.isfinite(gram)
    assert gram[same].mean() - gram[groups[:, None] != groups[None, :]].mean() > 0.3
    assert semantic.rank_correlation(placed, vectors) > 0.4


def test_weight_zero_is_the_placement_without_priors(bundled_words):
    placed = semantic.semantic_prototypes(
        GROUPED_NAMES, bundled_words, 5, seed=3, weight=0.0
    )
    np.testing.assert_array_equal(placed, placement.hyperspherical(20, 5, seed=3))


def test_semantic_deterministic_and_weight_checked():
    vectors = np.random.default_rng(2).standard_normal((8, 6))
    first = semantic.semantic_prototypes(None, vectors, 3, seed=1, steps=100)
    second = semantic.semantic_prototypes(None, vectors, 3, seed=1, steps=100)
    np.testing.assert_array_equal(first, second)
    with pytest.raises(ValueError, match="weight"):
        semantic.semantic_prototypes(None, vectors, 3, weight=-1.0)
    with pytest.raises(ValueError, match="temperature"):
        semantic.semantic_prototypes(None, vectors, 3, temperature=0.0)


def test_rank_correlation_hand_value():
    # Pair cosines (01, 02, 12): (0.6, 0.0, 0.8) against (0.6, 0.8, 0.0):
    # ranks (2, 1, 3) against (2, 3, 1), d = (0, 2, 2) -> 1 - 6*8/(3*8) = -1.
    first = np.array([[1.0, 0.0], [0.6, 0.8], [0.0, 1.0]])
    second = np.array([[1.0, 0.0], [0.6, 0.8], [0.8, -0.6]])
    assert semantic.rank_correlation(first, second) == pytest.approx(-1.0)
    assert semantic.rank_correlation(first, first) == pytest.approx(1.0)


def test_load_word_vectors_bad_header(tmp_path):
    path = tmp_path / "v.txt"
    path.write_text("cat 1 0\n")
    with pytest.raises(ValueError, match="count dims"):
        semantic.load_word_vectors(path)


def test_real_gensim_keyed_vectors(bundled_words):
    gensim_models = pytest.importorskip("gensim.models")
    keyed = gensim_models.KeyedVectors.load_word2vec_format(
        semantic.BUNDLED_WORD_VECTORS, binary=False
    )
    names = GROUPED_NAMES[:8]
    np.testing.assert_allclose(
        semantic.class_vectors(names, keyed),
        semantic.class_vectors(names, bundled_words),
        atol=1e-6,
    )
    with pytest.raises(ValueError, match="zebrafinch"):
        semantic.class_vectors(["oak_tree", "zebrafinch"], keyed)


def _cifar100_benchmark():
    # The superclasses live in the benchmark only: the method never sees them.
    path = Path(__file__).resolve().parents[2] / "bench" / "semantic.py"
    spec = importlib.util.spec_from_file_location("bench_semantic", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _cifar100_figures(bundled_words, dims):
    bench = _cifar100_benchmark()
    placed = semantic.semantic_prototypes(bench.NAMES, bundled_words, dims, seed=0)
    plain = placement.hyperspherical(100, dims, seed=0)
    return bench.superclass_figures(placed, bench.NAMES), largest_cosine(plain)


def test_cifar100_priors_carry_meaning_in_50_dims(bundled_words):
    # Issue #9: gap >= 0.03 and share >= 0.5 with the largest cosine <= 0.05.
    (largest, gap, share), plain = _cifar100_figures(bundled_words, 50)
    assert plain == pytest.approx(0.0, abs=1e-12)
    assert largest <= 0.05
    assert gap >= 0.03
    assert share >= 0.5


@pytest.mark.slow
@pytest.mark.parametrize("dims", [10, 25])
def test_cifar100_same_trade_off_in_10_and_25_dims(bundled_words, dims):
    # The same trade-off: at most 0.05 above the placement without priors.
    (largest, gap, share), plain = _cifar100_figures(bundled_words, dims)
    assert largest <= plain + 0.05
    assert gap >= 0.03
    assert share >= 0.5


def test_plain_placement_given_equals_placed():
    words = {
        "oak": [1.0, 0.1, 0.0],
        "pine": [0.9, 0.2, 0.0],
        "shark": [0.0, 0.1, 1.0],
        "trout": [0.1, 0.0, 0.9],
    }
    placed = semantic.semantic_prototypes(list(words), words, 2, seed=0, steps=50)
    plain = placement.hyperspherical(4, 2, seed=0)
    given = semantic.semantic_prototypes(
        list(words), words, 2, seed=0, steps=50, plain=plain
    )
    np.testing.assert_array_equal(given, placed)
    with pytest.raises(ValueError, match=r"`plain` must have shape \(4, 2\)"):
        semantic.semantic_prototypes(list(words), words, 2, plain=plain[:3])
