"""Runs the notebooks top to bottom and saves them with their outputs.

    python notebooks/execute.py                       # all five (`make notebooks`)
    python notebooks/execute.py 02_prototypes.ipynb   # some

Each notebook runs in a fresh Jupyter kernel (nbclient, ipykernel: the
`dev` extra), in a temporary folder, with this checkout's `keras_hpn` first
on the path, and is written back with its outputs, its plots as PNG. Its
metadata records the run (`keras_hpn_run`: seconds, machine, backend,
versions) and a digest of its code cells; the cell tagged `run-record`
says the same in words. `tests/test_notebooks.py` checks that the digest
matches the code cells, so saved outputs cannot belong to other code, and
runs the same cells in smoke mode.

The notebooks choose their configuration from the hardware: on a machine
without a GPU (this project's 2-core CPU) notebooks 01 and 05 train on
Fashion-MNIST at a size a CPU finishes, instead of CIFAR.
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import os
import platform
import runpy
import sys
import tempfile
import time
from pathlib import Path

NOTEBOOKS = Path(__file__).resolve().parent
ROOT = NOTEBOOKS.parent
RECORD_TAG = "run-record"
RECORD_KEY = "keras_hpn_run"
TIMEOUT = 1800  # seconds per cell


def code_cells(notebook: dict) -> list[str]:
    """The sources of the code cells after the install cell (which publishing
    rewrites), as they run."""
    sources = [
        cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
        for cell in notebook["cells"]
        if cell["cell_type"] == "code"
    ]
    return sources[1:]


def code_digest(notebook: dict) -> str:
    """SHA-256 of the code cells after the install cell, in order."""
    digest = hashlib.sha256()
    for source in code_cells(notebook):
        digest.update(source.encode("utf-8") + b"\0")
    return digest.hexdigest()


def record_text(run: dict) -> str:
    """The words of the `run-record` cell for the run described by `run`."""
    return (
        "**The outputs saved in this notebook** come from `make notebooks` "
        f"(`python notebooks/execute.py`) on {run['machine']}, "
        f"{run['backend']} backend, Keras {run['keras']}, keras-hpn "
        f"{run['keras_hpn']}, on {run['date']}: the whole notebook took "
        f"{run['seconds']:.0f} s."
    )


def _machine() -> str:
    cores = os.cpu_count() or 1
    try:
        import tensorflow as tf

        gpus = len(tf.config.list_physical_devices("GPU"))
    except ImportError:
        gpus = 0
    accelerators = f"{gpus} GPU(s)" if gpus else "no GPU"
    return f"{cores} CPU cores ({platform.machine()}), {accelerators}"


def rendered_text(notebook) -> str:
    """The notebook as Jupyter writes it: sources and texts as lists of lines."""
    import nbformat

    return nbformat.writes(notebook).rstrip("\n") + "\n"


def execute(path: Path, records_only: bool = False) -> float:
    """Runs the notebook at `path`, writes it back with its outputs and
    returns the seconds it took. With `records_only`, only rewrites its
    `run-record` cell from the recorded run (after a change of wording)."""
    import keras
    import nbclient
    import nbformat

    import keras_hpn

    rendered = runpy.run_path(str(NOTEBOOKS / "publish.py"))["rendered"]
    notebook = nbformat.read(path, as_version=4)
    records = [
        cell
        for cell in notebook.cells
        if RECORD_TAG in cell.get("metadata", {}).get("tags", [])
    ]
    if len(records) != 1 or records[0].cell_type != "markdown":
        raise ValueError(f"{path.name}: needs one markdown cell tagged {RECORD_TAG}")
    if records_only:
        records[0].source = record_text(notebook.metadata[RECORD_KEY])
        path.write_text(rendered_text(notebook), encoding="utf-8")
        return notebook.metadata[RECORD_KEY]["seconds"]
    with tempfile.TemporaryDirectory(prefix="keras-hpn-notebook-") as folder:
        client = nbclient.NotebookClient(
            notebook,
            timeout=TIMEOUT,
            kernel_name="python3",
            record_timing=False,
            resources={"metadata": {"path": folder}},
            # Only Python's own output: not TensorFlow's C++ log lines.
            extra_arguments=["--IPKernelApp.capture_fd_output=False"],
        )
        start = time.perf_counter()
        client.execute()
        seconds = time.perf_counter() - start
    run = {
        "seconds": round(seconds, 1),
        "machine": _machine(),
        "backend": os.environ.get("KERAS_BACKEND", "tensorflow"),
        "keras": keras.__version__,
        "keras_hpn": keras_hpn.__version__,
        "python": platform.python_version(),
        "date": datetime.date.today().isoformat(),
        "code_sha256": code_digest(notebook),
    }
    records[0].source = record_text(run)
    notebook.metadata[RECORD_KEY] = run
    path.write_text(rendered_text(notebook), encoding="utf-8")
    path.write_text(rendered(path, None), encoding="utf-8")
    return seconds


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="notebook file names (all if none)")
    parser.add_argument(
        "--records-only",
        action="store_true",
        help="rewrite the run-record cells from the recorded runs; run nothing",
    )
    args = parser.parse_args(argv)
    # The kernel imports this checkout's keras_hpn and prints no C++ log lines.
    os.environ["PYTHONPATH"] = os.pathsep.join(
        [str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]
    )
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    sys.path.insert(0, str(ROOT))
    paths = [NOTEBOOKS / name for name in args.names] or sorted(
        NOTEBOOKS.glob("*.ipynb")
    )
    total = 0.0
    for path in paths:
        print(f"== {path.name} ...", flush=True)
        seconds = execute(path, args.records_only)
        total += seconds
        print(f"== {path.name}: {seconds:.0f} s", flush=True)
    print(f"== {len(paths)} notebook(s) in {total:.0f} s")


if __name__ == "__main__":
    main()
