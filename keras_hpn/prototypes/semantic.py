"""Prototypes that follow the semantics of class names (numpy only).

Word vectors of the class names define which classes are alike; a ranking
loss over triplets asks the prototypes to keep that order while the smooth
maximum of `optimize.smooth_max` keeps them spread over the sphere.

The paper's public code builds its triplets from loop indices instead of the
nearest neighbours it computed; here the triplets come from each class's true
nearest neighbours in word-vector space.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence

import numpy as np

from keras_hpn.prototypes.optimize import (
    ExtraObjective,
    _initial,
    default_steps,
    smooth_max,
)
from keras_hpn.prototypes.validation import check_size

_WORD_SEPARATORS = re.compile(r"[\s_\-]+")

# 384-d MiniLM vectors of the CIFAR-100, CIFAR-10 and digit class names.
BUNDLED_WORD_VECTORS = os.path.join(
    os.path.dirname(__file__), "data", "class_names_minilm384.txt"
)


def load_word_vectors(path: str | os.PathLike) -> dict[str, np.ndarray]:
    """Reads word vectors in word2vec text format, without gensim.

    The first line holds `count dims`; each following line a word and its
    `dims` numbers, separated by spaces.

    Args:
        path: path of the text file.

    Returns:
        A dict from word to float64 vector.

    Example:

    ```python
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "vectors.txt"
    >>> _ = path.write_text("2 3\\ncat 1 0 0\\ndog 0.9 0.1 0\\n")
    >>> sorted(load_word_vectors(path))
    ['cat', 'dog']
    ```
    """
    vectors: dict[str, np.ndarray] = {}
    with open(path, encoding="utf-8") as handle:
        header = handle.readline().split()
        if len(header) != 2 or not all(part.isdigit() for part in header):
            raise ValueError(
                f"`path` must be a word2vec text file whose first line is "
                f"'count dims'. Received first line {' '.join(header)!r} in {path}."
            )
        count, dims = int(header[0]), int(header[1])
        for line_number, line in enumerate(handle, start=2):
            parts = line.rstrip("\n").split(" ")
            if len(parts) < dims + 1:
                raise ValueError(
                    f"Line {line_number} of {path} must hold a word and {dims} "
                    f"numbers. Received {len(parts)} fields."
                )
            word = " ".join(parts[:-dims])
            vectors[word] = np.asarray(parts[-dims:], dtype=np.float64)
    if len(vectors) != count:
        raise ValueError(
            f"{path} announces {count} vectors in its header but holds {len(vectors)}."
        )
    return vectors


def class_vectors(
    class_names: Sequence[str] | None,
    word_vectors: object,
) -> np.ndarray:
    """Looks up one word vector per class name.

    A name is looked up as given, then with spaces and hyphens replaced by
    underscores (`"aquarium fish"` finds `aquarium_fish`), then in lower
    case; a name still not found is split into words at spaces, underscores
    and hyphens, and gets the mean of its words' vectors.

    Args:
        class_names: the class names, in class order. May be `None` when
            `word_vectors` is an array with one row per class.
        word_vectors: a gensim `KeyedVectors` (anything with `key_to_index`
            and item access), a mapping from word to vector, the path of a
            word2vec text file, or an array of shape `(num_classes, width)`.

    Returns:
        Float64 array of shape `(num_classes, width)`.

    Raises:
        ValueError: listing every name that could not be found, or naming
            the classes whose vectors hold NaN, infinite or all-zero values.

    Example:

    ```python
    >>> words = {"maple": [1.0, 0.0], "tree": [0.0, 1.0], "fish": [1.0, 1.0]}
    >>> class_vectors(["maple_tree", "fish"], words)
    array([[0.5, 0.5],
           [1. , 1. ]])
    ```
    """
    if isinstance(word_vectors, (str, os.PathLike)):
        word_vectors = load_word_vectors(word_vectors)
    if isinstance(word_vectors, np.ndarray) or (
        isinstance(word_vectors, (list, tuple)) and class_names is None
    ):
        vectors = np.asarray(word_vectors, dtype=np.float64)
        if vectors.ndim != 2:
            raise ValueError(
                "`word_vectors` given as an array must have shape "
                f"(num_classes, width). Received shape {vectors.shape}."
            )
        if class_names is not None and len(class_names) != vectors.shape[0]:
            raise ValueError(
                f"`word_vectors` has {vectors.shape[0]} rows but `class_names` "
                f"has {len(class_names)} names; they must match one to one."
            )
        names = (
            [str(index) for index in range(vectors.shape[0])]
            if class_names is None
            else list(class_names)
        )
        return _check_finite(vectors, names)
    if class_names is None:
        raise ValueError(
            "`class_names` is required when `word_vectors` is a mapping or "
            f"KeyedVectors. Received class_names=None with {type(word_vectors)}."
        )
    names = [str(name) for name in class_names]
    lookup = _lookup_function(word_vectors)
    found: list[np.ndarray] = []
    missing: list[str] = []
    for name in names:
        vector = _vector_for(name, lookup)
        if vector is None:
            missing.append(name)
        else:
            found.append(vector)
    if missing:
        raise ValueError(
            f"`word_vectors` has no vector for {len(missing)} class name(s) "
            f"(nor for all of their words): {missing}"
        )
    widths = {vector.shape for vector in found}
    if len(widths) != 1:
        raise ValueError(
            f"`word_vectors` must hold vectors of one length. Received shapes "
            f"{sorted(widths)}."
        )
    return _check_finite(np.stack(found), names)


def semantic_triplets(vectors: np.ndarray, neighbours: int = 5) -> np.ndarray:
    """Triplets `(i, j, k)`: class `j` is a true nearest neighbour of `i` in
    word-vector space and class `k` is less similar to `i` than `j` is.

    For each class `i` the other classes are ranked by cosine similarity of
    their word vectors; each of the `neighbours` most similar classes `j` is
    paired with every class `k` ranked after it.

    Args:
        vectors: float array of shape `(num_classes, width)`.
        neighbours: number of nearest neighbours per class, at least 1.

    Returns:
        Int array of shape `(num_triplets, 3)`.

    Example:

    ```python
    >>> vectors = np.array([[1.0, 0.0], [0.9, 0.1], [0.0, 1.0]])
    >>> semantic_triplets(vectors, neighbours=1)
    array([[0, 1, 2],
           [1, 0, 2],
           [2, 1, 0]])
    ```
    """
    neighbours = check_size(neighbours, "neighbours", 1)
    unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    similarity = unit @ unit.T
    num_classes = similarity.shape[0]
    triplets = []
    for anchor in range(num_classes):
        others = np.delete(np.arange(num_classes), anchor)
        # Stable sort: ties keep class order, so the triplets are reproducible.
        ranked = others[np.argsort(-similarity[anchor, others], kind="stable")]
        for position, near in enumerate(ranked[:neighbours]):
            fars = ranked[position + 1 :]
            fars = fars[similarity[anchor, fars] < similarity[anchor, near]]
            block = np.empty((fars.size, 3), dtype=np.int64)
            block[:, 0], block[:, 1], block[:, 2] = anchor, near, fars
            triplets.append(block)
    return np.concatenate(triplets) if triplets else np.empty((0, 3), np.int64)


def ranking_objective(
    triplets: np.ndarray,
    num_classes: int,
    *,
    weight: float = 1.0,
    temperature: float = 0.1,
) -> ExtraObjective:
    """The ranking loss over triplets, as an objective for `smooth_max`.

    For a triplet `(i, j, k)` the loss is the logistic
    `log(1 + exp(-(p_i . p_j - p_i . p_k) / temperature))`: near zero once
    `p_j` is clearly closer to `p_i` than `p_k` is, so a satisfied order stops
    pulling classes together (the paper's linear loss never stops).

    Args:
        triplets: int array of shape `(num_triplets, 3)`.
        num_classes: number of prototypes.
        weight: factor of the mean loss over triplets.
        temperature: scale of the cosine differences, > 0.

    Returns:
        A function of the points `(num_classes, dims)` returning
        `(gradient, value)` of `weight * mean loss`.

    Example:

    ```python
    >>> objective = ranking_objective(np.array([[0, 1, 2]]), 3)
    >>> gradient, value = objective(np.eye(3))
    >>> round(value, 6)  # log(2): p_1 and p_2 are equally far from p_0
    0.693147
    ```
    """
    anchor, near, far = np.asarray(triplets, dtype=np.int64).reshape(-1, 3).T
    near_index = anchor * num_classes + near
    far_index = anchor * num_classes + far
    count = max(len(anchor), 1)

    def objective(points: np.ndarray) -> tuple[np.ndarray, float]:
        gram = points @ points.T
        margin = (gram[anchor, near] - gram[anchor, far]) / temperature
        value = weight * float(np.logaddexp(0.0, -margin).mean())
        # d loss / d margin = -sigmoid(-margin); tanh form is overflow-free.
        slope = -weight * 0.5 * (1.0 - np.tanh(margin / 2.0)) / (temperature * count)
        coefficients = np.bincount(
            near_index, weights=slope, minlength=num_classes**2
        ) - np.bincount(far_index, weights=slope, minlength=num_classes**2)
        coefficients = coefficients.reshape(num_classes, num_classes)
        return (coefficients + coefficients.T) @ points, value

    return objective


def semantic_prototypes(
    class_names: Sequence[str] | None,
    word_vectors: object,
    dims: int,
    *,
    seed: int | None = None,
    weight: float = 0.2,
    neighbours: int = 10,
    steps: int | None = None,
    verbose: bool | None = None,
) -> np.ndarray:
    """Prototypes spread over the sphere that keep the order of word similarity.

    Minimises `smooth maximum of the cosines + weight * ranking loss` (see
    `optimize.smooth_max` and `ranking_objective`) from a start that projects
    the word vectors on their `dims` principal directions. The ranking loss
    uses the triplets of `semantic_triplets`.

    `weight` balances the two: `0` gives a placement without priors; the
    default `0.2` (with 10 neighbours) makes prototype similarities follow
    the word similarities (Spearman correlation over class pairs 0.6 to 0.8
    for 20 CIFAR-100 classes from 5 superclasses in 5 to 10 dims) while the
    largest cosine stays within 0.03 of the placement without priors. Larger
    weights follow the words more closely and separate less (weight 1:
    largest cosine up to 0.18 higher).

    Args:
        class_names: class names in class order (see `class_vectors`); `None`
            when `word_vectors` is an array with one row per class.
        word_vectors: gensim `KeyedVectors`, a mapping from word to vector,
            the path of a word2vec text file, or an array of shape
            `(num_classes, width)`.
        dims: dimensionality `D` of the prototypes, at least 2.
        seed: seed of the small random part of the start; the same arguments
            and seed give identical prototypes.
        weight: weight of the ranking loss, >= 0 (see above).
        neighbours: nearest neighbours per class used for the triplets.
        steps: optimisation steps; `None` uses `optimize.default_steps`.
        verbose: progress bar on stderr, see `optimize.smooth_max`.

    Returns:
        Float64 array of shape `(num_classes, dims)` with unit rows.

    Example:

    ```python
    >>> words = {"oak": [1.0, 0.1, 0.0], "pine": [0.9, 0.2, 0.0],
    ...          "shark": [0.0, 0.1, 1.0], "trout": [0.1, 0.0, 0.9]}
    >>> p = semantic_prototypes(list(words), words, 2, seed=0, steps=300)
    >>> bool(p[0] @ p[1] > p[0] @ p[2])
    True
    ```

    References:
        Mettes, van der Pol, Snoek. Hyperspherical Prototype Networks.
        NeurIPS 2019, Section 2.3 (semantic priors).
    """
    vectors = class_vectors(class_names, word_vectors)
    num_classes = check_size(vectors.shape[0], "number of classes", 2)
    dims = check_size(dims, "dims", 2)
    if not np.isfinite(weight) or weight < 0:
        raise ValueError(f"`weight` must be a number >= 0. Received: weight={weight}")
    neighbours = check_size(neighbours, "neighbours", 1)
    steps = (
        default_steps(num_classes) if steps is None else check_size(steps, "steps", 1)
    )
    start = _projected_start(vectors, dims, seed)
    if weight == 0:
        return smooth_max(
            num_classes, dims, steps=steps, initial=start, verbose=verbose
        )
    triplets = semantic_triplets(vectors, min(neighbours, num_classes - 2) or 1)
    objective = ranking_objective(triplets, num_classes, weight=weight)
    return smooth_max(
        num_classes,
        dims,
        steps=steps,
        initial=start,
        extra_objective=objective,
        verbose=verbose,
    )


def rank_correlation(prototypes: np.ndarray, vectors: np.ndarray) -> float:
    """Spearman correlation between prototype and word-vector cosines over pairs.

    Args:
        prototypes: array of shape `(num_classes, dims)`.
        vectors: array of shape `(num_classes, width)`, the class word vectors.

    Returns:
        Spearman's rank correlation over the `K (K - 1) / 2` class pairs
        (average ranks for ties).

    Example:

    ```python
    >>> v = np.array([[1.0, 0.0], [0.8, 0.6], [0.0, 1.0]])
    >>> rank_correlation(v, v)
    1.0
    ```
    """
    upper = np.triu_indices(len(prototypes), k=1)
    first = _cosines(np.asarray(prototypes, dtype=np.float64))[upper]
    second = _cosines(np.asarray(vectors, dtype=np.float64))[upper]
    first_ranks, second_ranks = _ranks(first), _ranks(second)
    first_ranks -= first_ranks.mean()
    second_ranks -= second_ranks.mean()
    return float(
        first_ranks
        @ second_ranks
        / np.sqrt((first_ranks @ first_ranks) * (second_ranks @ second_ranks))
    )


def _cosines(array: np.ndarray) -> np.ndarray:
    unit = array / np.linalg.norm(array, axis=1, keepdims=True)
    return unit @ unit.T


def _ranks(values: np.ndarray) -> np.ndarray:
    order = np.argsort(values, kind="stable")
    ranks = np.empty(values.size)
    ranks[order] = np.arange(values.size, dtype=np.float64)
    # Tied values share their mean rank.
    _, inverse, counts = np.unique(values, return_inverse=True, return_counts=True)
    sums = np.bincount(inverse, weights=ranks)
    return sums[inverse] / counts[inverse]


def _projected_start(vectors: np.ndarray, dims: int, seed: int | None) -> np.ndarray:
    centred = vectors - vectors.mean(axis=0)
    _, _, directions = np.linalg.svd(centred, full_matrices=False)
    projected = centred @ directions[:dims].T
    start = _initial(vectors.shape[0], dims, seed)
    projected = projected / (np.linalg.norm(projected, axis=1, keepdims=True) + 1e-12)
    # Few word-vector directions (or identical projections) leave the start
    # degenerate; a small random part breaks the ties.
    padded = np.zeros((vectors.shape[0], dims))
    padded[:, : projected.shape[1]] = projected
    start = padded + 0.05 * start
    return start / np.linalg.norm(start, axis=1, keepdims=True)


def _lookup_function(word_vectors: object):
    if hasattr(word_vectors, "key_to_index"):
        # gensim KeyedVectors, duck-typed so that gensim is never imported here.
        keys = word_vectors.key_to_index
        return lambda word: (
            np.asarray(word_vectors[word], dtype=np.float64) if word in keys else None
        )
    if isinstance(word_vectors, Mapping):
        return lambda word: (
            np.asarray(word_vectors[word], dtype=np.float64)
            if word in word_vectors
            else None
        )
    raise ValueError(
        "`word_vectors` must be gensim KeyedVectors, a mapping from word to "
        "vector, the path of a word2vec text file, or an array of shape "
        f"(num_classes, width). Received {type(word_vectors).__name__}."
    )


def _vector_for(name: str, lookup) -> np.ndarray | None:
    joined = _WORD_SEPARATORS.sub("_", name.strip())
    vector = _first_found(lookup, (name, joined, joined.lower()))
    if vector is not None:
        return vector
    words = [word for word in _WORD_SEPARATORS.split(name.strip()) if word]
    if len(words) < 2:
        return None
    vectors = [_first_found(lookup, (word, word.lower())) for word in words]
    if any(vector is None for vector in vectors):
        return None
    return np.mean(vectors, axis=0)


def _first_found(lookup, candidates: tuple[str, ...]) -> np.ndarray | None:
    for candidate in candidates:
        vector = lookup(candidate)
        if vector is not None:
            return vector
    return None


def _check_finite(vectors: np.ndarray, names: list[str]) -> np.ndarray:
    bad = ~np.isfinite(vectors).all(axis=1)
    if bad.any():
        raise ValueError(
            "`word_vectors` holds NaN or infinite values for class(es) "
            f"{[names[index] for index in np.flatnonzero(bad)]}."
        )
    zero = ~bad & (np.linalg.norm(vectors, axis=1) == 0)
    if zero.any():
        raise ValueError(
            "`word_vectors` holds all-zero vectors (no direction) for class(es) "
            f"{[names[index] for index in np.flatnonzero(zero)]}."
        )
    return vectors
