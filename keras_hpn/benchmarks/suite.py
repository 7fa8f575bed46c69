"""The benchmark suite: the paper's comparisons, representations and cost,
and (when named) what fixed prototypes give beyond accuracy: classes added
later, rejecting the unknown, calibrated probabilities.

`keras-hpn benchmark` runs it. Each item (one module in
`keras_hpn.benchmarks.items`) trains every loss on the same body with the
same budget for several seeds and reports mean and spread; results are
printed as tables and written to `results.json` and PNG plots. The image
items run on Fashion-MNIST by default (`Settings.default("digits")` runs
them on scikit-learn's digits instead).
"""

from __future__ import annotations

import dataclasses
import json
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from keras_hpn.benchmarks import models, report
from keras_hpn.benchmarks.common import Settings, machine
from keras_hpn.benchmarks.items import (
    ITEMS,
    OPT_IN,
    calibration,
    cost,
    dims,
    fractions,
    incremental,
    multitask,
    openset,
    published,
    regression,
    representations,
)
from keras_hpn.utils.progress import ProgressBar

__all__ = ["ITEMS", "OPT_IN", "Settings", "check_out", "count_runs", "run", "run_cifar"]

RESULTS = "results.json"

RUNNERS = {
    "dims": dims,
    "fractions": fractions,
    "published": published,
    "representations": representations,
    "regression": regression,
    "multitask": multitask,
    "cost": cost,
    "incremental": incremental,
    "openset": openset,
    "calibration": calibration,
}
FASHION_ONLY = ("published",)


def default_items(settings: Settings) -> list[str]:
    """The items a plain run of `settings` runs: all that fit its dataset,
    except those of `OPT_IN`, which run when named."""
    return [
        item
        for item in ITEMS
        if item not in OPT_IN
        and (item not in FASHION_ONLY or settings.dataset == "fashion_mnist")
    ]


def count_runs(settings: Settings, items: Sequence[str]) -> int:
    """How many progress lines the chosen items print."""
    return sum(RUNNERS[item].runs(settings) for item in items)


def check_out(out: str | os.PathLike, overwrite: bool = False) -> Path:
    """Makes sure results can be written to the folder `out`, before any work.

    Creates the folder when it is missing.

    Args:
        out: the folder for `results.json` and the plots.
        overwrite: whether a `results.json` already in `out` may be replaced.

    Returns:
        The folder, as a `Path`.

    Raises:
        ValueError: `out` is a file or lies under one, cannot be created or
            written, or holds a `results.json` and `overwrite` is `False`.

    Example:

    ```python
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp()) / "results"
    >>> check_out(folder).is_dir()
    True
    ```
    """
    directory = Path(out)
    received = f"Received: out={str(out)!r}"
    for place in (directory, *directory.parents):
        if place.exists() and not place.is_dir():
            what = "is a file" if place == directory else f"lies under the file {place}"
            raise ValueError(
                f"`out` must be a folder for {RESULTS} and the plots. {received}, "
                f"which {what}."
            )
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise ValueError(
            f"`out` must be a folder that can be created. {received}: {error}"
        ) from None
    if not os.access(directory, os.W_OK | os.X_OK):
        raise ValueError(f"`out` must be a writable folder. {received}")
    if (directory / RESULTS).exists() and not overwrite:
        raise ValueError(
            f"`out` already holds {RESULTS} from an earlier run, which would be "
            f"lost. {received}. Choose another folder, move the file away, or "
            "pass overwrite=True (`--overwrite` on the command line)."
        )
    return directory


def run(
    settings: Settings,
    items: Sequence[str] | None = None,
    out: str | os.PathLike | None = "hpn-results",
    stream="stdout",
    overwrite: bool = False,
) -> dict:
    """Runs the chosen items and writes `results.json` and plots into `out`.

    `out` is checked before anything runs, and `results.json` is written
    again (atomically) as each item finishes, so that a crash or an
    interruption keeps the items already done.

    Args:
        settings: budgets, seeds and grids (`Settings.default(...)` or
            `Settings.quick(...)`).
        items: which of `ITEMS` to run; `None` runs `default_items(settings)`.
        out: directory for `results.json` and the PNG plots; `None` writes
            nothing.
        stream: where progress lines and tables go: a text stream, `"stdout"`
            (the default, `sys.stdout` at call time) or `None` for silence.
        overwrite: whether a `results.json` already in `out` may be
            replaced; by default such a folder is refused before any work.

    Returns:
        The results, keyed by item.

    Example:

    ```
    results = run(Settings.quick(), items=["regression"], out=None)
    results["regression"]["hpn"]["mean"]   # test MAE in target units
    ```
    """
    items = default_items(settings) if items is None else list(items)
    unknown = [item for item in items if item not in RUNNERS]
    if unknown:
        raise ValueError(f"Unknown benchmark item(s) {unknown}; choose from {ITEMS}.")
    wrong = [item for item in items if item in FASHION_ONLY]
    if wrong and settings.dataset != "fashion_mnist":
        raise ValueError(
            f"Item(s) {wrong} need dataset='fashion_mnist'. "
            f"Received: dataset={settings.dataset!r}"
        )
    directory = None if out is None else check_out(out, overwrite)
    import keras

    if stream == "stdout":
        stream = sys.stdout
    progress = ProgressBar(
        count_runs(settings, items), stream=stream, enabled=stream is not None
    )
    results: dict = {
        "settings": dataclasses.asdict(settings),
        "dataset": settings.dataset,
        "backend": keras.backend.backend(),
        "machine": machine(),
    }
    seconds = {}
    for item in items:
        start = time.perf_counter()
        results[item] = RUNNERS[item].run(settings, progress)
        seconds[item] = time.perf_counter() - start
        results["item_seconds"] = seconds
        if directory is not None:  # a later crash keeps this item
            _write_results(results, directory)
    results["seconds"] = time.perf_counter() - progress.start
    _report(results, directory, stream)
    return results


def run_cifar(
    name: str,
    settings: Settings,
    epochs: int | None = None,
    out: str | os.PathLike | None = "hpn-results",
    stream="stdout",
    quick: bool = False,
    overwrite: bool = False,
) -> dict:
    """Item `dims` on CIFAR with a ResNet; for GPUs.

    Args:
        name: `"cifar10"` or `"cifar100"`.
        settings: seeds are taken from here.
        epochs: training epochs (default 100; 1 in quick mode).
        out: directory for `results.json` and `dims.png`, or `None`.
        stream: as in `run`.
        quick: a tiny ResNet, one output width and one epoch (smoke test).
        overwrite: as in `run`.

    Returns:
        The results, with the accuracies under `"dims"`.
    """
    import keras

    from keras_hpn.benchmarks import cifar

    directory = None if out is None else check_out(out, overwrite)
    if stream == "stdout":
        stream = sys.stdout
    widths = cifar.DEFAULT_DIMS[name][-1:] if quick else cifar.DEFAULT_DIMS[name]
    spec = cifar.ResNetSpec(blocks=1, width=4) if quick else cifar.ResNetSpec()
    budget = models.Budget(epochs=epochs or (1 if quick else 100), batch_size=128)
    progress = ProgressBar(
        len(models.CLASSIFIERS) * len(widths) * len(settings.seeds),
        stream=stream,
        enabled=stream is not None,
    )
    results = {
        "settings": {
            **dataclasses.asdict(settings),
            "dataset": name,
            "dims": list(widths),
        },
        "dataset": name,
        "backend": keras.backend.backend(),
        "resnet": dataclasses.asdict(spec),
        "budget": dataclasses.asdict(budget),
    }
    results["dims"] = cifar.compare_dims(
        name, widths, settings.seeds, budget, spec, progress
    )
    results["seconds"] = time.perf_counter() - progress.start
    _report(results, directory, stream)
    return results


def _write_results(results: dict, directory: Path) -> Path:
    """Writes `results.json` atomically: a crash mid-write keeps the old file."""
    path = directory / RESULTS
    partial = directory / f".{RESULTS}.partial"
    partial.write_text(json.dumps(results, indent=2))
    os.replace(partial, path)
    return path


def _report(results: dict, directory: Path | None, stream) -> None:
    if directory is not None:  # before the tables and plots, which could fail
        _write_results(results, directory)
    if stream is not None:
        print(file=stream)
        print(report.tables(results), file=stream)
    if directory is not None:
        written = report.plot(results, directory)
        if stream is not None:
            names = ", ".join(str(path) for path in [directory / RESULTS, *written])
            print(f"\nwrote {names}", file=stream)
