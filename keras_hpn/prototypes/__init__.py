"""Prototype geometry on the unit hypersphere, in numpy (no Keras import)."""

from keras_hpn.prototypes.bounds import levenshtein_bound, levenshtein_cosine
from keras_hpn.prototypes.constructions import best_construction
from keras_hpn.prototypes.geometry import (
    Placement,
    cross_polytope,
    hyperspherical,
    multitask,
    place,
    random_rotation,
    simplex,
)
from keras_hpn.prototypes.io import load_prototypes, save_prototypes
from keras_hpn.prototypes.optimize import hpn_sgd, largest_cosine, smooth_max
from keras_hpn.prototypes.semantic import (
    class_vectors,
    load_word_vectors,
    rank_correlation,
    semantic_prototypes,
)
from keras_hpn.prototypes.separation import (
    Separation,
    known_optimum,
    lower_bound,
    separation,
)
from keras_hpn.prototypes.validation import check_prototypes

__all__ = [
    "Placement",
    "Separation",
    "best_construction",
    "check_prototypes",
    "class_vectors",
    "cross_polytope",
    "hpn_sgd",
    "hyperspherical",
    "known_optimum",
    "largest_cosine",
    "levenshtein_bound",
    "levenshtein_cosine",
    "load_prototypes",
    "load_word_vectors",
    "lower_bound",
    "multitask",
    "place",
    "random_rotation",
    "rank_correlation",
    "save_prototypes",
    "semantic_prototypes",
    "separation",
    "simplex",
    "smooth_max",
]
