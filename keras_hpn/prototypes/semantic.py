"""Prototypes that follow the semantics of class names (numpy only).

Word vectors of the class names define which classes are alike. The paper
asks prototypes to keep the order of word similarities with a ranking loss
over triplets (its public code builds the triplets from loop indices instead
of the neighbours it computed). Here each class's neighbourhood in
word-vector space is matched by its neighbourhood among the prototypes
(stochastic neighbour embedding), under an explicit cap on the largest
cosine: the separation given up for semantics is chosen, not a side effect.
"""

from __future__ import annotations

import collections
import numbers
import os
import re
from collections.abc import Mapping, Sequence

import numpy as np

from keras_hpn.prototypes.optimize import blocks
from keras_hpn.prototypes.optimize.annealing import (
    largest_cosine,
    random_start,
    smooth_max,
)
from keras_hpn.prototypes.placement import hyperspherical
from keras_hpn.utils.resources import check_memory
from keras_hpn.utils.validation import check_prototypes, check_size

_WORD_SEPARATORS = re.compile(r"[\s_\-]+")

# 384-d MiniLM vectors of the CIFAR-100, CIFAR-10 and digit class names.
BUNDLED_WORD_VECTORS = os.path.join(
    os.path.dirname(__file__), "data", "class_names_minilm384.txt"
)


def load_word_vectors(path: str | os.PathLike) -> dict[str, np.ndarray]:
    """Reads word vectors in word2vec text format, without gensim.

    The first line holds `count dims`; each following line a word (without
    spaces) and its `dims` numbers, separated by single spaces.

    Args:
        path: path of the text file.

    Returns:
        A dict from word to float64 vector.

    Raises:
        ValueError: for a binary file, a bad header, or a line that does not
            hold exactly a word and `dims` numbers (naming the file and the
            line number).

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
    with open(path, "rb") as handle:
        head = handle.read(4096)
    try:
        head.decode("utf-8")
        binary = b"\0" in head
    except UnicodeDecodeError as error:
        # A multi-byte character cut at the end of the block is still text.
        binary = error.start < len(head) - 4
    if binary:
        raise ValueError(
            f"`path` must be a word2vec *text* file; {path} looks binary. "
            "Load binary vectors with gensim (`KeyedVectors.load_word2vec_"
            "format(path, binary=True)`) and pass the `KeyedVectors`."
        )
    with open(path, encoding="utf-8") as handle:
        header = handle.readline().split()
        if len(header) != 2 or not all(part.isdigit() for part in header):
            raise ValueError(
                f"`path` must be a word2vec text file whose first line is "
                f"'count dims'. Received first line {' '.join(header)!r} in {path}."
            )
        count, dims = int(header[0]), int(header[1])
        for line_number, line in enumerate(handle, start=2):
            parts = line.rstrip().split(" ")
            if not line.strip():
                continue
            # Exactly: with more fields `cat 1 0 5` (dims 2) read as "cat 1".
            if len(parts) != dims + 1:
                raise ValueError(
                    f"Line {line_number} of {path} must hold a word (no spaces) "
                    f"and {dims} numbers, separated by single spaces. Received "
                    f"{len(parts)} fields: {line.rstrip()[:80]!r}."
                )
            word = parts[0]
            try:
                vectors[word] = np.asarray(parts[1:], dtype=np.float64)
            except ValueError:
                raise ValueError(
                    f"Line {line_number} of {path} must hold a word and {dims} "
                    f"numbers separated by single spaces. Received {line[:80]!r}."
                ) from None
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


def neighbour_distribution(similarity: np.ndarray, temperature: float) -> np.ndarray:
    """Row-wise softmax of a similarity matrix over the other classes.

    Row `i` is `exp(s_ij / t) / sum_{k != i} exp(s_ik / t)` with the diagonal
    left out: the chance that class `i` picks `j` as its neighbour.

    Args:
        similarity: array `(K, K)` of cosines.
        temperature: `t > 0`; small values concentrate each row on the
            nearest classes.

    Returns:
        Array `(K, K)` with zero diagonal and rows summing to 1.

    Example:

    ```python
    >>> np.round(neighbour_distribution(np.eye(3) + 0.5, 1.0), 3)
    array([[0. , 0.5, 0.5],
           [0.5, 0. , 0.5],
           [0.5, 0.5, 0. ]])
    ```
    """
    num_classes = similarity.shape[0]
    scaled = np.where(
        np.eye(num_classes, dtype=bool), -np.inf, similarity / temperature
    )
    scaled = np.exp(scaled - scaled.max(axis=1, keepdims=True))
    return scaled / scaled.sum(axis=1, keepdims=True)


def semantic_prototypes(
    class_names: Sequence[str] | None,
    word_vectors: object,
    dims: int,
    *,
    seed: int | None = None,
    weight: float = 0.04,
    temperature: float = 0.05,
    steps: int | None = None,
    verbose: bool | None = None,
    plain: np.ndarray | None = None,
) -> np.ndarray:
    """Prototypes spread over the sphere whose nearest neighbours follow the words.

    Semantics and separation are traded explicitly: `weight` is how much the
    largest cosine may exceed that of the placement without priors
    (`hyperspherical(K, D, seed=seed)`). Under that cap the prototypes are
    arranged so that each class's neighbours resemble its neighbours in
    word-vector space: the loss is the mean over classes of the
    Kullback-Leibler divergence between the neighbour distributions of the
    word vectors and of the prototypes (`neighbour_distribution` of their
    cosines, both at `temperature`, as in stochastic neighbour embedding);
    the cap is a softplus penalty on every pair above it, whose cap
    tightens from the start's largest cosine to the final one during the
    first 30% of the steps while its sharpness grows from 10 to 3,000. The
    start projects the word vectors on their `dims` principal directions;
    steps are Adam updates on the sphere in float64. The result never
    exceeds the cap: where the words cannot be fitted under it (a very small
    weight in few dimensions), they are spread again with
    `optimize.smooth_max` from where they ended, and if even that misses the
    cap the placement without priors is returned.

    On the bundled vectors of the 100 CIFAR-100 names with the default
    weight 0.04 (`bench/semantic.py`, seed 0): in 50 dims largest cosine
    0.038, prototypes of one superclass 0.040 closer (mean cosine) than those
    of different superclasses, and 57% of the classes have their nearest
    prototype in their superclass (the word vectors: 56%); in 25 dims
    0.148 / 0.126 / 61%, in 10 dims 0.369 / 0.292 / 54%. The superclasses
    are never given to the method.

    Args:
        class_names: class names in class order (see `class_vectors`); `None`
            when `word_vectors` is an array with one row per class.
        word_vectors: gensim `KeyedVectors`, a mapping from word to vector,
            the path of a word2vec text file, or an array of shape
            `(num_classes, width)`.
        dims: dimensionality `D` of the prototypes, at least 2.
        seed: seed of the placement without priors and of the small random
            part of the start; the same arguments and seed give identical
            prototypes.
        weight: the largest cosine the priors may add, `>= 0`; `0` returns
            the placement without priors.
        temperature: softmax temperature of both neighbour distributions,
            `> 0`.
        steps: optimisation steps; `None` uses 2,000.
        verbose: progress bar on stderr for the placement without priors,
            see `optimize.smooth_max`.
        plain: the placement without priors, `hyperspherical(K, dims,
            seed=seed)`, when it is already at hand (e.g. for several
            weights); `None` places it.

    Returns:
        Float64 array of shape `(num_classes, dims)` with unit rows.

    Raises:
        ValueError: for a class name given twice (listing the repeated
            names), a name without a vector, and bad sizes or settings.

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
        G. Hinton, S. Roweis. Stochastic neighbor embedding. NeurIPS 2002.
    """
    if class_names is not None and not isinstance(class_names, (str, bytes)):
        counts = collections.Counter(str(name) for name in class_names)
        repeated = sorted(name for name, count in counts.items() if count > 1)
        if repeated:
            raise ValueError(
                "`class_names` must name each class once; two classes with one "
                f"name would get one word vector. Repeated: {repeated[:10]}"
            )
    vectors = class_vectors(class_names, word_vectors)
    num_classes = check_size(vectors.shape[0], "number of classes", 2)
    dims = check_size(dims, "dims", 2)
    weight = _check_real(weight, "weight", "a number >= 0", lambda v: v >= 0)
    temperature = _check_real(
        temperature, "temperature", "a number > 0", lambda v: v > 0
    )
    steps = 2000 if steps is None else check_size(steps, "steps", 1)
    check_memory(
        # A handful of K x K float64 matrices per step.
        8 * 8 * num_classes**2,
        f"Semantic priors for {num_classes} classes",
    )
    if plain is None:
        plain = hyperspherical(num_classes, dims, seed=seed, verbose=verbose)
    else:
        plain = check_prototypes(plain, "plain")
        if plain.shape != (num_classes, dims):
            raise ValueError(
                f"`plain` must have shape ({num_classes}, {dims}), the placement "
                f"without priors. Received shape {plain.shape}."
            )
    if weight == 0:
        return plain
    cap = largest_cosine(plain) + weight
    with blocks.deterministic():
        target = neighbour_distribution(_cosines(vectors), temperature)
        start = _projected_start(vectors, dims, seed)
        # The softplus lets pairs end a little above its cap (measured: up to
        # 5e-4): aiming 2e-3 below keeps the promise.
        placed = _capped_embedding(start, target, cap - 2e-3, temperature, steps)
        if largest_cosine(placed) <= cap:
            return placed
        # The words could not be fitted under the cap: spread them again.
        spread = smooth_max(num_classes, dims, initial=placed, verbose=False)
        return spread if largest_cosine(spread) <= cap else plain


def _capped_embedding(
    points: np.ndarray,
    target: np.ndarray,
    cap: float,
    temperature: float,
    steps: int,
) -> np.ndarray:
    """Adam on KL(target || neighbours of the points) + softplus above the cap."""
    num_classes = points.shape[0]
    off = ~np.eye(num_classes, dtype=bool)
    start_max = float((points @ points.T)[off].max())
    tightening = max(1, int(0.3 * steps))
    caps = np.concatenate(
        [
            np.linspace(max(start_max, cap), cap, tightening),
            np.full(steps - tightening, cap),
        ]
    )
    sharpness = np.geomspace(10.0, 3000.0, steps)
    counts = np.arange(1, steps + 1)
    sizes = (
        np.geomspace(0.02, 2e-4, steps) * np.sqrt(1 - 0.99**counts) / (1 - 0.9**counts)
    )
    first = np.zeros_like(points)
    second = np.zeros_like(points)
    for step in range(steps):
        grad = _capped_gradient(
            points, target, caps[step], temperature, sharpness[step], off
        )
        grad -= np.sum(grad * points, axis=1, keepdims=True) * points
        first = 0.9 * first + 0.1 * grad
        second = 0.99 * second + 0.01 * grad * grad
        points = points - sizes[step] * first / (np.sqrt(second) + 1e-30)
        points /= np.linalg.norm(points, axis=1, keepdims=True)
    return points


def _capped_gradient(
    points: np.ndarray,
    target: np.ndarray,
    cap: float,
    temperature: float,
    sharpness: float,
    off: np.ndarray,
) -> np.ndarray:
    """Gradient of the capped neighbour loss
    `KL(target || q) + sum_{i != j} softplus(b (c_ij - cap)) / b`, with `q`
    the `neighbour_distribution` of the cosines `c`, the KL divergence
    averaged over the rows and `b` the sharpness; `off` masks the diagonal
    out. (The loss itself is never needed: its value is in the tests, which
    check this gradient against it.)"""
    num_classes = points.shape[0]
    cosines = points @ points.T
    neighbours = neighbour_distribution(cosines, temperature)
    # d KL / d c_ij = (q_ij - p_ij) / t, averaged over the K rows.
    coefficients = (neighbours - target) / (temperature * num_classes)
    excess = np.where(off, sharpness * (cosines - cap), -np.inf)
    # d softplus(b (c - cap)) / b / d c = sigmoid(b (c - cap)), overflow-free.
    coefficients += 0.5 * (1.0 + np.tanh(excess / 2.0))
    return (coefficients + coefficients.T) @ points


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
    prototypes = np.asarray(prototypes, dtype=np.float64)
    vectors = np.asarray(vectors, dtype=np.float64)
    if prototypes.ndim != 2 or vectors.ndim != 2 or len(prototypes) != len(vectors):
        raise ValueError(
            "`prototypes` and `vectors` must be 2-D arrays with one row per class "
            f"each. Received shapes {prototypes.shape} and {vectors.shape}."
        )
    if len(prototypes) < 3:
        raise ValueError(
            "A rank correlation over class pairs needs at least 3 classes. "
            f"Received {len(prototypes)}."
        )
    upper = np.triu_indices(len(prototypes), k=1)
    first = _cosines(prototypes)[upper]
    second = _cosines(vectors)[upper]
    first_ranks, second_ranks = _ranks(first), _ranks(second)
    first_ranks -= first_ranks.mean()
    second_ranks -= second_ranks.mean()
    return float(
        first_ranks
        @ second_ranks
        / np.sqrt((first_ranks @ first_ranks) * (second_ranks @ second_ranks))
    )


def _check_real(value: object, name: str, expected: str, accept) -> float:
    if (
        isinstance(value, (bool, np.bool_))
        or not isinstance(value, numbers.Real)
        or not np.isfinite(value)
        or not accept(value)
    ):
        raise ValueError(f"`{name}` must be {expected}. Received: {name}={value!r}")
    return float(value)


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
    start = random_start(vectors.shape[0], dims, seed)
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
