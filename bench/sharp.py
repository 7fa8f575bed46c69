"""Every sharp configuration of Cohn and Kumar's table, placed by `place(K, D)`.

Run from the repository root:

    PYTHONPATH=. python bench/sharp.py                    # every row
    PYTHONPATH=. python bench/sharp.py --max-points 5000  # without the Leech row

For each (K, D) of Cohn and Kumar's Table 1 (Universally optimal
distribution of points on spheres, J. Amer. Math. Soc. 20, 2007) it prints
the optimum (`known_optimum`), Levenshtein's bound, the largest cosine of
`place(K, D, seed=0)` (the default, `method="auto"`) measured by
`separation`, the seconds `place` took, the method that won, and whether
`separation` calls the placement optimal (within 1e-9 of a proven bound).
The infinite families (polygons, simplices, cross-polytopes) are shown by
two members each; the isotropic-subspace family by q = 3, 4, 5, 7 (q = 2 is
the Schlaefli row). Exit status 1 if a row is not exact.
"""

from __future__ import annotations

import argparse
import os
import platform
import time

from keras_hpn.prototypes import known_optimum, levenshtein_cosine, place, separation
from keras_hpn.prototypes.constructions import sharp

FAMILIES = [
    ("regular pentagon", 5, 2),
    ("regular 17-gon", 17, 2),
    ("regular simplex", 4, 3),
    ("regular simplex", 101, 100),
    ("cross-polytope", 6, 3),
    ("cross-polytope", 200, 100),
]


def rows(max_points: int) -> list[tuple[str, int, int]]:
    found = [(c.name, c.num_points, c.dims) for c in sharp.sharp_configurations()]
    return [row for row in FAMILIES + found if row[1] <= max_points]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--max-points", type=int, default=196_560, help="leave out larger K"
    )
    args = parser.parse_args()
    print(
        f"machine: {platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} CPUs, Python {platform.python_version()}"
    )
    header = (
        f"| {'configuration':<36} | {'K':>6} | {'D':>3} | {'optimum':>9} | "
        f"{'Levenshtein':>11} | {'ours':>9} | {'ours - optimum':>14} | "
        f"{'place s':>7} | {'optimal':>7} | method"
    )
    print(header)
    print("|" + "|".join("-" * len(part) for part in header.split("|")[1:]))
    exact = True
    for name, num_classes, dims in rows(args.max_points):
        start = time.perf_counter()
        placed = place(num_classes, dims, seed=0)
        seconds = time.perf_counter() - start
        summary = separation(placed)
        optimum = known_optimum(num_classes, dims)
        bound = levenshtein_cosine(num_classes, dims)
        difference = summary.largest_cosine - optimum
        exact &= abs(difference) <= 1e-9 and summary.optimal
        print(
            f"| {name:<36} | {num_classes:>6} | {dims:>3} | {optimum:>9.6f} | "
            f"{round(bound, 6) + 0.0:>11.6f} | {summary.largest_cosine:>9.6f} | "
            f"{difference:>14.1e} | {seconds:>7.2f} | {summary.optimal!s:>7} | "
            f"{placed.description}",
            flush=True,
        )
    print("all rows exact" if exact else "NOT EXACT")
    return 0 if exact else 1


if __name__ == "__main__":
    raise SystemExit(main())
