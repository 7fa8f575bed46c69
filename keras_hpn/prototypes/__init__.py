"""Prototype geometry on the unit hypersphere, in numpy (no Keras import).

Where things live: `placement` (`place`, `hyperspherical`, `Placement`,
the closed forms), `constructions/` (fields, codes, lattices and the table
of candidates), `optimize/` (the annealing, the paper's SGD, row blocks,
the JAX backend), `bounds`, `separation`, `semantic` (priors from word
vectors) and `io` (`.npz` files).
"""

from keras_hpn.prototypes.bounds import (
    known_optimum,
    levenshtein_bound,
    levenshtein_cosine,
    lower_bound,
)
from keras_hpn.prototypes.constructions.table import (
    best_construction as best_construction,
)
from keras_hpn.prototypes.io import load_prototypes, npz_path, save_prototypes
from keras_hpn.prototypes.optimize.annealing import EFFORTS, MAX_SECONDS
from keras_hpn.prototypes.optimize.annealing import smooth_max as smooth_max
from keras_hpn.prototypes.optimize.blocks import largest_cosine as largest_cosine
from keras_hpn.prototypes.optimize.paper import hpn_sgd
from keras_hpn.prototypes.placement import (
    METHODS,
    Placement,
    cross_polytope,
    hyperspherical,
    multitask,
    place,
    random_rotation,
    simplex,
)
from keras_hpn.prototypes.semantic import (
    BUNDLED_WORD_VECTORS,
    class_vectors,
    load_word_vectors,
    rank_correlation,
    semantic_prototypes,
)
from keras_hpn.prototypes.separation import Separation, separation
from keras_hpn.utils.validation import check_prototypes as check_prototypes

# The public API. Also importable from here, for code written before they
# left it: `best_construction`, `check_prototypes`, `largest_cosine` and
# `smooth_max` (homes: `constructions.table`, `keras_hpn.utils.validation`,
# `optimize.blocks`, `optimize.annealing`).
__all__ = [
    "BUNDLED_WORD_VECTORS",
    "EFFORTS",
    "MAX_SECONDS",
    "METHODS",
    "Placement",
    "Separation",
    "class_vectors",
    "cross_polytope",
    "hpn_sgd",
    "hyperspherical",
    "known_optimum",
    "levenshtein_bound",
    "levenshtein_cosine",
    "load_prototypes",
    "load_word_vectors",
    "lower_bound",
    "multitask",
    "npz_path",
    "place",
    "random_rotation",
    "rank_correlation",
    "save_prototypes",
    "semantic_prototypes",
    "separation",
    "simplex",
]
