"""Where the annealing should start: the measurements behind `schedule.start_betas`.

Run from the repository root:

    PYTHONPATH=. python bench/start_temperatures.py

For a few (K, D) it runs the optimiser's annealing (the float32 Adam steps of
`smooth_max`, then the float64 polish of `default_polish_steps(..., "best")`
steps) from 8 random starts (seed 0), all beginning at the same inverse
temperature, and counts the starts that end within 0.5% of the best known
largest cosine (the values and sources of `bench/optimiser.py`). The last
rows time a short run (108 steps, as `default_steps(10_000, 128)`) on 2,000
points in 64 dims, one start, without a polish.
"""

from __future__ import annotations

import time

import numpy as np

from bench.optimiser import ROWS, TOLERANCE
from keras_hpn.prototypes.optimize import annealing, blocks, schedule
from keras_hpn.prototypes.optimize.blocks import largest_cosine
from keras_hpn.utils.progress import ProgressBar

STARTS = 8
# (K, D, first inverse temperatures, steps).
CASES = [
    (100, 22, (10.0, 1.0), (1500, 6000)),
    (13, 3, (1.0, 300.0), (6000,)),
    (14, 3, (1.0, 300.0), (6000,)),
]
BEST_KNOWN = {(k, d): value for k, d, value, _ in ROWS}


def anneal(points: np.ndarray, first: float, steps: int) -> np.ndarray:
    plan = schedule.annealing_schedule(steps, (first, schedule.ANNEAL_BETAS[1]))
    bar = ProgressBar(steps, "", enabled=False)
    with blocks.deterministic():
        best, _ = annealing._anneal(points, plan, np.float32, bar)
    return best


def main() -> int:
    print(f"{STARTS} starts, seed 0; hits: starts within {TOLERANCE:.1%} of best")
    for num_classes, dims, firsts, step_counts in CASES:
        best_known = BEST_KNOWN[(num_classes, dims)]
        for steps in step_counts:
            for first in firsts:
                starts = annealing.random_start(STARTS * num_classes, dims, 0)
                starts = starts.reshape(STARTS, num_classes, dims)
                begin = time.perf_counter()
                best = anneal(starts, first, steps)
                polish = schedule.default_polish_steps(
                    num_classes, dims, STARTS, "best"
                )
                if polish:
                    best = annealing._polish(best, polish)
                ratios = sorted(largest_cosine(p) / best_known for p in best)
                hits = sum(ratio <= 1 + TOLERANCE for ratio in ratios)
                print(
                    f"K={num_classes:>3} D={dims:>2} beta from {first:>5g}, "
                    f"{steps:>5} steps: {hits} of {STARTS} hits, ratios "
                    f"{ratios[0]:.4f} to {ratios[-1]:.4f} "
                    f"({time.perf_counter() - begin:.1f} s)",
                    flush=True,
                )
    start = annealing.random_start(2000, 64, 0)[None]
    for first in (1.0, 10.0):
        best = anneal(start, first, 108)
        print(
            f"K=2000 D=64 beta from {first:>4g}, 108 steps, 1 start: largest "
            f"cosine {largest_cosine(best[0]):.4f}",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
