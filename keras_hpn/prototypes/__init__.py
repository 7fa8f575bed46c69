"""Prototype geometry on the unit hypersphere, in numpy (no Keras import)."""

from keras_hpn.prototypes.geometry import (
    cross_polytope,
    hyperspherical,
    multitask,
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
    "Separation",
    "check_prototypes",
    "class_vectors",
    "cross_polytope",
    "hpn_sgd",
    "hyperspherical",
    "known_optimum",
    "largest_cosine",
    "load_prototypes",
    "load_word_vectors",
    "lower_bound",
    "multitask",
    "random_rotation",
    "rank_correlation",
    "save_prototypes",
    "semantic_prototypes",
    "separation",
    "simplex",
    "smooth_max",
]
