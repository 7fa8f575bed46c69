"""What the benchmark items share: their settings and summaries.

Progress lines come from the package's one printer,
`keras_hpn.utils.progress.ProgressBar` (its `step`).
"""

from __future__ import annotations

import dataclasses
import os
import platform
import resource
import statistics
from collections.abc import Sequence

from keras_hpn.benchmarks.models import CLASSIFIERS, KINDS, Budget
from keras_hpn.utils.resources import workers

DATASETS = ("fashion_mnist", "digits")
MODELS = ("mlp", "cnn")
TITLES = {
    "fashion_mnist": "Fashion-MNIST",
    "digits": "Digits",
    "cifar10": "CIFAR-10",
    "cifar100": "CIFAR-100",
}


@dataclasses.dataclass(frozen=True)
class Settings:
    """What the suite runs: `Settings.default(dataset, model)` for results,
    `Settings.quick(dataset, model)` for the CI smoke mode.

    `dataset` feeds the image items (`dims`, `fractions`, `representations`,
    `incremental`, `openset`, `calibration`); `regression` and `multitask`
    always use diabetes and wine. `train_size` is the number of training
    images each seed draws (stratified) for every image item but `fractions`
    (`None`: all of them); `fractions` are
    shares of the whole training set. `data_dir` is a folder holding the
    Fashion-MNIST files (`None`: Debian's folder, then the Keras cache).
    `task_sizes` are the classes per task of the `incremental` item's
    schedules (5 tasks of 2, 2 tasks of 5) and `replay` the images per old
    class it keeps to replay (0: none).
    """

    dataset: str = "fashion_mnist"
    model: str = "mlp"
    seeds: tuple[int, ...] = (0, 1, 2)
    dims: tuple[int, ...] = (2, 3, 5, 10)
    losses: tuple[str, ...] = KINDS
    fraction_losses: tuple[str, ...] = ("hpn", "softmax")
    fractions: tuple[float, ...] = (0.01, 0.1, 1.0)
    train_size: int | None = 10_000
    classification: Budget = Budget(
        epochs=3, batch_size=256, learning_rate=0.002, min_steps=120
    )
    weights: tuple[float, ...] = (0.01, 0.1, 0.25, 0.5, 0.9)
    regression: Budget = Budget(epochs=30, batch_size=64, learning_rate=0.01, hidden=64)
    multitask: Budget = Budget(epochs=30, batch_size=16, learning_rate=0.01, hidden=64)
    cost_classes: tuple[int, ...] = (100, 10_000)
    cost_rounds: int = 9
    cost_backends: tuple[str, ...] = ("tensorflow", "jax")
    cost_in_process: bool = False
    task_sizes: tuple[int, ...] = (2, 5)
    replay: tuple[int, ...] = (0, 20)
    data_dir: str | None = None

    def __post_init__(self):
        if self.dataset not in DATASETS:
            raise ValueError(
                f"`dataset` must be one of {DATASETS}. Received: {self.dataset!r}"
            )
        if self.model not in MODELS:
            raise ValueError(
                f"`model` must be one of {MODELS}. Received: {self.model!r}"
            )
        if self.model == "cnn" and self.dataset != "fashion_mnist":
            raise ValueError(
                "`model='cnn'` needs images: use dataset='fashion_mnist'. "
                f"Received: dataset={self.dataset!r}"
            )
        if any(not 1 <= size <= 10 for size in self.task_sizes):
            raise ValueError(
                "`task_sizes` must be classes per task, from 1 to 10. "
                f"Received: {self.task_sizes}"
            )
        if any(count < 0 for count in self.replay):
            raise ValueError(
                f"`replay` must be images per old class, >= 0. Received: {self.replay}"
            )
        unknown = [kind for kind in self.losses if kind not in KINDS]
        if unknown:
            raise ValueError(f"`losses` must be among {KINDS}. Received: {unknown}")

    @classmethod
    def default(cls, dataset: str = "fashion_mnist", model: str = "mlp") -> Settings:
        """The settings of the published runs (docs/benchmarks.md).

        Fashion-MNIST with the MLP fits `make run` on 2 CPU cores: 10,000
        training images per seed for `dims` and `representations`, 3 epochs
        of batch 256 (120 updates); a smaller training set (the 1% and 10%
        shares, the 5 classes of `representations`) is repeated to make as
        many. The CNN (a GPU's job) trains on all 60,000 images for 15
        epochs. The digits grids are those of the original scikit-learn
        suite.
        """
        if dataset == "digits":
            return cls(
                dataset="digits",
                model=model,
                losses=CLASSIFIERS,
                fractions=(0.1, 0.25, 1.0),
                train_size=None,
                classification=Budget(epochs=15, batch_size=64, learning_rate=0.001),
            )
        if model == "cnn":
            return cls(
                dataset=dataset,
                model="cnn",
                train_size=None,
                classification=Budget(
                    epochs=15, batch_size=128, learning_rate=0.001, min_steps=2000
                ),
            )
        return cls(dataset=dataset, model=model)

    @classmethod
    def quick(cls, dataset: str = "fashion_mnist", model: str = "mlp") -> Settings:
        """Tiny budgets that exercise every item in seconds (not results)."""
        shared = {
            "dataset": dataset,
            "model": model,
            "seeds": (0,),
            "weights": (0.1, 0.9),
            "regression": Budget(
                epochs=2, batch_size=64, learning_rate=0.01, hidden=16
            ),
            "multitask": Budget(
                epochs=2, batch_size=32, learning_rate=0.005, hidden=16
            ),
            "cost_classes": (100,),
            "cost_rounds": 3,
            "cost_backends": (),
            "cost_in_process": True,
            "task_sizes": (5,),
            "replay": (20,),
        }
        if dataset == "digits":
            return cls(
                **shared,
                dims=(2, 10),
                losses=CLASSIFIERS,
                fractions=(0.25, 1.0),
                train_size=None,
                classification=Budget(epochs=2, batch_size=128),
            )
        return cls(
            **shared,
            dims=(3,),
            fractions=(0.01, 0.05),
            train_size=1000,
            classification=Budget(epochs=1, batch_size=128, hidden=32, min_steps=10),
        )

    @property
    def title(self) -> str:
        """The dataset's name as the tables print it."""
        return TITLES[self.dataset]


def summary(values: Sequence[float]) -> dict:
    """Mean, sample standard deviation (0 for one value) and the values."""
    values = [float(v) for v in values]
    spread = statistics.stdev(values) if len(values) > 1 else 0.0
    return {"mean": statistics.mean(values), "std": spread, "values": values}


def machine() -> dict:
    """What a run's exact figures depend on, for `results.json`.

    Seeded runs repeat bit for bit with the same backend, versions and CPU
    threads. The thread count matters: TensorFlow and XLA split sums over
    their threads, so another count rounds differently, and training at
    D = 2 or 3, which is chaotic, then ends elsewhere. Measured with seed 0
    on 10,000 Fashion-MNIST images: HPN at D = 2 reaches 0.328 with 1
    TensorFlow thread and 0.301 with 2, cosine softmax at D = 3 0.527 and
    0.487, JAX's HPN at D = 2 0.361 on 1 core and 0.280 on 2; at D = 10 the
    weights differ in their last bits and the accuracies are equal. `threads`
    is the CPUs this process may use; `TF_NUM_INTRAOP_THREADS` or `taskset`
    fix it.
    """
    import keras

    backend = keras.backend.backend()
    versions = {"keras": keras.__version__, "numpy": _version("numpy")}
    versions[backend] = _version(backend)
    processor = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("model name"):
                    processor = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return {
        "backend": backend,
        "processor": processor,
        "cpus": os.cpu_count(),
        "threads": workers(),
        "tf_intra_op_threads": os.environ.get("TF_NUM_INTRAOP_THREADS"),
        "versions": versions,
    }


def _version(module: str) -> str | None:
    from importlib import metadata

    try:
        return metadata.version(module)
    except metadata.PackageNotFoundError:
        return None


def _status_mb(field: str) -> float | None:
    """`VmHWM` (peak) or `VmRSS` (current) of this process in MB, Linux only."""
    try:
        with open("/proc/self/status", encoding="ascii") as handle:
            for line in handle:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def reset_peak() -> float:
    """Starts a new peak at the current resident memory; returns that memory.

    On Linux, writing 5 to `/proc/self/clear_refs` resets `VmHWM`. Elsewhere
    (or where that is refused) the baseline is the peak so far, and
    `ru_maxrss`, which only grows, measures what exceeds it. Never use
    `ru_maxrss` across an `exec` on Linux: a child process starts with its
    parent's peak, so after a long benchmark every figure read 0.
    """
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as handle:
            handle.write("5")
    except OSError:
        return peak_mb()
    current = _status_mb("VmRSS")
    return peak_mb() if current is None else current


def peak_mb() -> float:
    """The peak resident memory of this process in MB (since `reset_peak`)."""
    peak = _status_mb("VmHWM")
    if peak is not None:
        return peak
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
