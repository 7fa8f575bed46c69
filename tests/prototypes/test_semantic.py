import numpy as np
import pytest

from keras_hpn.prototypes import geometry, semantic
from keras_hpn.prototypes.optimize import largest_cosine

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


def test_triplets_use_true_nearest_neighbours():
    vectors = np.array([[1.0, 0.0], [0.9, 0.1], [0.0, 1.0], [-1.0, 0.2]])
    triplets = semantic.semantic_triplets(vectors, neighbours=1)
    # Class 0: nearest 1, then 2, then 3. Class 2: nearest 1 (0.11 > 0),
    # then 3 (0.196 / 1.02), then 0.
    assert [0, 1, 2] in triplets.tolist() and [0, 1, 3] in triplets.tolist()
    assert [t for t in triplets.tolist() if t[0] == 2] == [[2, 3, 1], [2, 3, 0]] or [
        t for t in triplets.tolist() if t[0] == 2
    ] == [[2, 1, 3], [2, 1, 0]]
    similarity = vectors @ vectors.T / np.outer(*[np.linalg.norm(vectors, axis=1)] * 2)
    anchor, near, far = triplets.T
    assert np.all(similarity[anchor, near] > similarity[anchor, far])


def test_ranking_objective_gradient_matches_finite_differences():
    rng = np.random.default_rng(0)
    points = rng.standard_normal((5, 3))
    triplets = np.array([[0, 1, 2], [3, 4, 0], [2, 0, 4]])
    objective = semantic.ranking_objective(triplets, 5, weight=0.7, temperature=0.3)
    gradient, _ = objective(points)
    numeric = np.zeros_like(points)
    step = 1e-6
    for index in np.ndindex(*points.shape):
        up, down = points.copy(), points.copy()
        up[index] += step
        down[index] -= step
        numeric[index] = (objective(up)[1] - objective(down)[1]) / (2 * step)
    np.testing.assert_allclose(gradient, numeric, atol=1e-7)


@pytest.mark.parametrize("dims", [5, 10])
def test_semantic_priors_follow_real_word_similarity(bundled_words, dims):
    vectors = semantic.class_vectors(GROUPED_NAMES, bundled_words)
    placed = semantic.semantic_prototypes(GROUPED_NAMES, bundled_words, dims, seed=0)
    plain = geometry.hyperspherical(len(GROUPED_NAMES), dims, seed=0)
    assert semantic.rank_correlation(placed, vectors) >= 0.5
    assert largest_cosine(placed) <= largest_cosine(plain) + 0.05
    np.testing.assert_allclose(np.linalg.norm(placed, axis=1), 1.0, atol=1e-12)


def test_semantic_priors_on_synthetic_groups():
    # 20 classes in 5 well separated groups of 4 in a 30-d word space.
    rng = np.random.default_rng(1)
    centres = rng.standard_normal((5, 30))
    vectors = np.repeat(centres, 4, axis=0) + 0.3 * rng.standard_normal((20, 30))
    placed = semantic.semantic_prototypes(None, vectors, 6, seed=0)  # K > 2D
    plain = geometry.hyperspherical(20, 6, seed=0)
    assert semantic.rank_correlation(placed, vectors) >= 0.5
    assert largest_cosine(placed) <= largest_cosine(plain) + 0.05


def test_semantic_deterministic_and_weight_checked():
    vectors = np.random.default_rng(2).standard_normal((8, 6))
    first = semantic.semantic_prototypes(None, vectors, 3, seed=1, steps=100)
    second = semantic.semantic_prototypes(None, vectors, 3, seed=1, steps=100)
    np.testing.assert_array_equal(first, second)
    with pytest.raises(ValueError, match="weight"):
        semantic.semantic_prototypes(None, vectors, 3, weight=-1.0)


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
