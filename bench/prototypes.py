"""Prototype placement: the paper's optimiser against ours, in one process.

Run from the repository root:

    PYTHONPATH=. python bench/prototypes.py            # full table + scale run
    PYTHONPATH=. python bench/prototypes.py --quick    # CI smoke test, seconds

For each (K, D) of the issue's table it runs the paper's algorithm (the
library's `hpn_sgd`: SGD lr 0.1 whose momentum buffer is reset every step,
renormalisation after each step, loss = mean row maximum of the off-diagonal
cosines; 10,000 steps, seed 300) and `hyperspherical(method="auto")` (seed 0),
and prints the largest cosine, the seconds and the time ratio ours / paper.
Then it places 10,000 prototypes in 128 dims and reports time, largest
cosine and peak memory.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import time
import tracemalloc

from keras_hpn.prototypes import hpn_sgd, hyperspherical, separation
from keras_hpn.prototypes.optimize import largest_cosine

# (K, D, target for method="auto"); None: the known optimum to 1e-6.
TABLE = [
    (100, 100, None),
    (100, 50, None),
    (100, 25, 0.116),
    (100, 10, 0.340),
    (1000, 64, 0.150),
]
QUICK_TABLE = [(100, 50, None), (100, 10, 0.340)]


def timed(function, *args, **kwargs):
    start = time.perf_counter()
    result = function(*args, **kwargs)
    return result, time.perf_counter() - start


def compare(table, paper_steps: int) -> bool:
    print(
        f"paper: hpn_sgd, {paper_steps} steps, seed 300; ours: "
        "hyperspherical(method='auto'), seed 0"
    )
    header = (
        f"{'K':>5} {'D':>4} | {'paper cos':>10} {'paper s':>8} | "
        f"{'ours cos':>10} {'ours s':>8} | {'ratio':>6} | target"
    )
    print(header)
    print("-" * len(header))
    all_met = True
    for num_classes, dims, target in table:
        paper, paper_seconds = timed(
            hpn_sgd, num_classes, dims, seed=300, steps=paper_steps
        )
        ours, our_seconds = timed(hyperspherical, num_classes, dims, seed=0)
        ours_value = largest_cosine(ours)
        optimum = separation(ours).optimum
        if target is None:
            met = abs(ours_value - optimum) <= 1e-6
            goal = f"optimum {optimum:.4f}"
        else:
            met = ours_value <= target
            goal = f"<= {target}"
        ratio = our_seconds / paper_seconds
        all_met &= met and ratio < 1
        print(
            f"{num_classes:>5} {dims:>4} | {largest_cosine(paper):>10.4f} "
            f"{paper_seconds:>8.3f} | {ours_value:>10.4f} {our_seconds:>8.3f} | "
            f"{ratio:>6.3f} | {goal} {'met' if met else 'MISSED'}",
            flush=True,
        )
    return all_met


def scale(num_classes: int, dims: int) -> None:
    tracemalloc.start()
    prototypes, seconds = timed(hyperspherical, num_classes, dims, seed=0, verbose=True)
    _, traced_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    peak_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"scale: K={num_classes}, D={dims}: {seconds:.1f} s, {separation(prototypes)}"
    )
    print(
        f"scale: peak numpy memory (tracemalloc) {traced_peak / 2**20:.0f} MiB, "
        f"peak process RSS {peak_rss:.0f} MiB (includes the Keras/TensorFlow "
        "import of keras_hpn)"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick",
        action="store_true",
        help="CI smoke test: small table, short paper run",
    )
    parser.add_argument(
        "--skip-scale", action="store_true", help="leave out the 10,000-class run"
    )
    args = parser.parse_args()
    print(
        f"machine: {platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} CPUs, Python {platform.python_version()}"
    )
    if args.quick:
        compare(QUICK_TABLE, paper_steps=10_000)
        scale(400, 16)
        return 0
    all_met = compare(TABLE, paper_steps=10_000)
    if not args.skip_scale:
        scale(10_000, 128)
    print("all targets met with time ratio < 1" if all_met else "TARGETS MISSED")
    return 0 if all_met else 1


if __name__ == "__main__":
    raise SystemExit(main())
