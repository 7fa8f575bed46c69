"""Semantic priors on CIFAR-100: what separation buys how much meaning.

Run from the repository root:

    PYTHONPATH=. python bench/semantic.py                # D = 10, 25, 50, plot
    PYTHONPATH=. python bench/semantic.py --dims 50 --plot /tmp/curve.png

For each dimension it places the 100 CIFAR-100 classes with
`semantic_prototypes` (bundled MiniLM name vectors, seed 0) for a range of
`weight` (the largest cosine the priors may add to the placement without
priors) and prints, against the largest cosine:

* the superclass gap: mean cosine between prototypes of the same
  superclass minus the mean between prototypes of different superclasses;
* the nearest-in-superclass share: the fraction of classes whose nearest
  prototype belongs to their own superclass.

The superclasses (CIFAR-100's public coarse labels) are used only here, to
judge the result; the method never sees them. The word vectors' own share is
printed for reference. The curve is saved as a plot (matplotlib).
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from keras_hpn.data import cifar_class_names
from keras_hpn.prototypes import hyperspherical, semantic

SUPERCLASSES = {
    "aquatic mammals": ["beaver", "dolphin", "otter", "seal", "whale"],
    "fish": ["aquarium_fish", "flatfish", "ray", "shark", "trout"],
    "flowers": ["orchid", "poppy", "rose", "sunflower", "tulip"],
    "food containers": ["bottle", "bowl", "can", "cup", "plate"],
    "fruit and vegetables": ["apple", "mushroom", "orange", "pear", "sweet_pepper"],
    "household electrical devices": [
        "clock",
        "keyboard",
        "lamp",
        "telephone",
        "television",
    ],
    "household furniture": ["bed", "chair", "couch", "table", "wardrobe"],
    "insects": ["bee", "beetle", "butterfly", "caterpillar", "cockroach"],
    "large carnivores": ["bear", "leopard", "lion", "tiger", "wolf"],
    "large man-made outdoor things": [
        "bridge",
        "castle",
        "house",
        "road",
        "skyscraper",
    ],
    "large natural outdoor scenes": ["cloud", "forest", "mountain", "plain", "sea"],
    "large omnivores and herbivores": [
        "camel",
        "cattle",
        "chimpanzee",
        "elephant",
        "kangaroo",
    ],
    "medium-sized mammals": ["fox", "porcupine", "possum", "raccoon", "skunk"],
    "non-insect invertebrates": ["crab", "lobster", "snail", "spider", "worm"],
    "people": ["baby", "boy", "girl", "man", "woman"],
    "reptiles": ["crocodile", "dinosaur", "lizard", "snake", "turtle"],
    "small mammals": ["hamster", "mouse", "rabbit", "shrew", "squirrel"],
    "trees": ["maple_tree", "oak_tree", "palm_tree", "pine_tree", "willow_tree"],
    "vehicles 1": ["bicycle", "bus", "motorcycle", "pickup_truck", "train"],
    "vehicles 2": ["lawn_mower", "rocket", "streetcar", "tank", "tractor"],
}
# The 100 fine classes in CIFAR-100's label order; the superclasses above
# group exactly these.
NAMES = cifar_class_names("cifar100")
assert sorted(NAMES) == sorted(
    name for group in SUPERCLASSES.values() for name in group
)
WEIGHTS = (0.0, 0.005, 0.01, 0.02, 0.04, 0.08)


def superclass_figures(
    points: np.ndarray, names: list[str]
) -> tuple[float, float, float]:
    """(largest cosine, superclass gap, nearest-in-superclass share) of `points`."""
    group_of = {
        name: index
        for index, group in enumerate(SUPERCLASSES.values())
        for name in group
    }
    groups = np.array([group_of[name] for name in names])
    unit = points / np.linalg.norm(points, axis=1, keepdims=True)
    cosines = unit @ unit.T
    np.fill_diagonal(cosines, -np.inf)
    same = groups[:, None] == groups[None, :]
    off = ~np.eye(len(names), dtype=bool)
    gap = cosines[same & off].mean() - cosines[~same].mean()
    share = np.mean(groups[cosines.argmax(axis=1)] == groups)
    return float(cosines.max()), float(gap), float(share)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dims", type=int, nargs="+", default=[10, 25, 50])
    parser.add_argument("--weights", type=float, nargs="+", default=list(WEIGHTS))
    parser.add_argument(
        "--plot", default="semantic_tradeoff.png", help="where to save the plot"
    )
    args = parser.parse_args()
    words = semantic.load_word_vectors(semantic.BUNDLED_WORD_VECTORS)
    vectors = semantic.class_vectors(NAMES, words)
    _, word_gap, word_share = superclass_figures(vectors, NAMES)
    print(
        f"word vectors themselves: superclass gap {word_gap:.4f}, "
        f"nearest-in-superclass share {word_share:.2f}"
    )
    print(
        f"{'D':>3} {'weight':>7} | {'largest cos':>11} {'gap':>7} {'share':>6} "
        "| seconds"
    )
    curves = {}
    for dims in args.dims:
        curves[dims] = []
        start = time.perf_counter()
        plain = hyperspherical(len(NAMES), dims, seed=0)
        placing = time.perf_counter() - start
        for weight in args.weights:
            start = time.perf_counter()
            points = semantic.semantic_prototypes(
                NAMES, words, dims, seed=0, weight=weight, plain=plain
            )
            # Each row's time includes the placement without priors it uses.
            seconds = time.perf_counter() - start + placing
            largest, gap, share = superclass_figures(points, NAMES)
            curves[dims].append((weight, largest, gap, share))
            print(
                f"{dims:>3} {weight:>7.3f} | {largest:>11.4f} {gap:>7.4f} "
                f"{share:>6.2f} | {seconds:.1f}",
                flush=True,
            )
    if args.plot:
        _plot(curves, word_share, args.plot)
        print(f"plot saved to {args.plot}")
    return 0


def _plot(curves: dict, word_share: float, path: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    for dims, rows in curves.items():
        rows = np.array(rows)
        left.plot(rows[:, 1], rows[:, 2], "o-", label=f"D = {dims}")
        right.plot(rows[:, 1], rows[:, 3], "o-", label=f"D = {dims}")
    right.axhline(word_share, color="k", linestyle=":", label="word vectors")
    left.set(xlabel="largest cosine", ylabel="superclass gap (mean cosine)")
    right.set(xlabel="largest cosine", ylabel="nearest prototype in superclass")
    for axis in (left, right):
        axis.legend(fontsize=8)
    figure.suptitle("CIFAR-100 semantic priors: separation traded for meaning")
    figure.tight_layout()
    figure.savefig(path, dpi=110)


if __name__ == "__main__":
    raise SystemExit(main())
