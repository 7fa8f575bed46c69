"""The numpy placement does not depend on the number of BLAS threads.

OpenBLAS splits a matrix product differently for 1 and 2 threads, which
changes its rounding; the placement used to end 10 degrees apart for
`hyperspherical(300, 10, seed=0)`. Two fresh processes, one per thread
count, must now return bit-identical prototypes.
"""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

pytestmark = pytest.mark.once  # backend-independent: first pass only

ROOT = Path(__file__).resolve().parents[2]

# Imports keras_hpn.prototypes without keras_hpn/__init__ (which loads Keras):
# the prototypes package never needs it, and the subprocess starts faster.
SCRIPT = textwrap.dedent(
    """
    import sys, types
    package = types.ModuleType("keras_hpn")
    package.__path__ = [sys.argv[1] + "/keras_hpn"]
    sys.modules["keras_hpn"] = package
    import numpy as np
    from keras_hpn.prototypes import placement
    from keras_hpn.prototypes.optimize import annealing as optimize
    from keras_hpn.prototypes.optimize import blocks

    auto = placement.hyperspherical(300, 10, seed=0)
    # Blocks of 75 rows: the large-K path (row blocks spread over threads).
    blocks.BLOCK_BYTES = 75 * 4 * 300
    np.savez(
        sys.argv[2],
        auto=auto,
        blocked=optimize.smooth_max(300, 10, seed=1, steps=20, restarts=1),
        keras_loaded=np.array("keras" in sys.modules),
    )
    """
)


def test_same_prototypes_with_one_and_two_blas_threads(tmp_path):
    processes = {}
    for threads in ("1", "2"):
        env = {
            **os.environ,
            "OPENBLAS_NUM_THREADS": threads,
            "OMP_NUM_THREADS": threads,
            "MKL_NUM_THREADS": threads,
        }
        processes[threads] = subprocess.Popen(
            [sys.executable, "-c", SCRIPT, str(ROOT), str(tmp_path / threads)],
            env=env,
        )
    for process in processes.values():
        assert process.wait(timeout=300) == 0
    one, two = np.load(tmp_path / "1.npz"), np.load(tmp_path / "2.npz")
    assert not one["keras_loaded"]
    for name in ("auto", "blocked"):
        assert one[name].dtype == np.float64
        np.testing.assert_array_equal(one[name], two[name], err_msg=name)
