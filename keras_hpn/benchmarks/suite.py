"""The benchmark suite: the paper's comparisons, representations and cost.

`keras-hpn benchmark` runs it. Each item trains every loss on the same body
with the same budget for several seeds and reports mean and spread; results
are printed as tables and written to `results.json` and PNG plots.
"""

from __future__ import annotations

import dataclasses
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from keras_hpn import data
from keras_hpn.benchmarks import models
from keras_hpn.benchmarks.models import Budget


@dataclasses.dataclass(frozen=True)
class Settings:
    """What the suite runs; `Settings.quick()` is the CI smoke mode."""

    seeds: tuple[int, ...] = (0, 1, 2)
    dims: tuple[int, ...] = (2, 3, 5, 10)
    fractions: tuple[float, ...] = (0.1, 0.25, 1.0)
    weights: tuple[float, ...] = (0.01, 0.1, 0.25, 0.5, 0.9)
    classification: Budget = Budget(epochs=15, batch_size=64, learning_rate=0.001)
    regression: Budget = Budget(epochs=30, batch_size=64, learning_rate=0.01, hidden=64)
    multitask: Budget = Budget(epochs=30, batch_size=16, learning_rate=0.01, hidden=64)
    cost_steps: int = 20
    cost_backends: tuple[str, ...] = ("tensorflow", "jax")

    @classmethod
    def quick(cls) -> Settings:
        """Tiny budgets that exercise every item in seconds."""
        return cls(
            seeds=(0,),
            dims=(2, 10),
            fractions=(0.25, 1.0),
            weights=(0.1, 0.9),
            classification=Budget(epochs=2, batch_size=128),
            regression=Budget(epochs=2, batch_size=64, learning_rate=0.01, hidden=16),
            multitask=Budget(epochs=2, batch_size=32, learning_rate=0.005, hidden=16),
            cost_steps=4,
            cost_backends=(),
        )


ITEMS = ("dims", "fractions", "regression", "multitask", "representations", "cost")


class Progress:
    """Counts finished runs and prints one line for each."""

    def __init__(self, total: int, stream=None):
        self.total, self.done, self.stream = total, 0, stream
        self.start = time.perf_counter()

    def step(self, text: str) -> None:
        self.done += 1
        if self.stream is not None:
            elapsed = time.perf_counter() - self.start
            print(
                f"[{self.done:>3}/{self.total}] {elapsed:6.0f} s  {text}",
                file=self.stream,
                flush=True,
            )


def _summary(values: Sequence[float]) -> dict:
    values = [float(v) for v in values]
    spread = statistics.stdev(values) if len(values) > 1 else 0.0
    return {"mean": statistics.mean(values), "std": spread, "values": values}


def classification_vs_dims(settings: Settings, progress: Progress) -> dict:
    """Test accuracy on digits per loss and output dimensionality."""
    results = {}
    for kind in models.CLASSIFIERS:
        for dims in settings.dims:
            accuracies = []
            for seed in settings.seeds:
                split = data.digits(seed=seed)
                accuracy, _ = models.train_classifier(
                    kind,
                    split.x_train,
                    split.y_train,
                    split.x_test,
                    split.y_test,
                    dims,
                    seed,
                    settings.classification,
                )
                accuracies.append(accuracy)
                progress.step(
                    f"dims  {kind:<8} D={dims:<3} seed {seed}: {accuracy:.4f}"
                )
            results[f"{kind}/{dims}"] = _summary(accuracies)
    return results


def classification_vs_fraction(settings: Settings, progress: Progress) -> dict:
    """Test accuracy when training on a share of the digits training set."""
    results = {}
    dims = max(settings.dims)
    for kind in ("hpn", "softmax"):
        for fraction in settings.fractions:
            accuracies = []
            for seed in settings.seeds:
                split = data.digits(seed=seed)
                count = max(10, int(round(fraction * len(split.y_train))))
                chosen = np.random.default_rng(seed).permutation(len(split.y_train))[
                    :count
                ]
                accuracy, _ = models.train_classifier(
                    kind,
                    split.x_train[chosen],
                    split.y_train[chosen],
                    split.x_test,
                    split.y_test,
                    dims,
                    seed,
                    settings.classification,
                )
                accuracies.append(accuracy)
                progress.step(
                    f"share {kind:<8} {fraction:>4.0%} seed {seed}: {accuracy:.4f}"
                )
            results[f"{kind}/{fraction}"] = _summary(accuracies)
    return results


def regression(settings: Settings, progress: Progress) -> dict:
    """Test MAE on diabetes: hyperspherical regression against MSE."""
    results = {}
    for kind in ("hpn", "mse"):
        errors = []
        for seed in settings.seeds:
            mae = models.train_regressor(
                kind, data.diabetes(seed=seed), seed, settings.regression
            )
            errors.append(mae)
            progress.step(f"regr  {kind:<8} seed {seed}: MAE {mae:.2f}")
        results[kind] = _summary(errors)
    return results


def multitask(settings: Settings, progress: Progress) -> dict:
    """Accuracy and MAE on wine (cultivar + alcohol) for each task weight."""
    results = {}
    for kind in ("hpn", "softmax_mse"):
        for weight in settings.weights:
            accuracies, errors = [], []
            for seed in settings.seeds:
                accuracy, mae = models.train_multitask(
                    kind, data.wine(seed=seed), weight, seed, settings.multitask
                )
                accuracies.append(accuracy)
                errors.append(mae)
                progress.step(
                    f"multi {kind:<11} t={weight:<4} seed {seed}: "
                    f"acc {accuracy:.3f} MAE {mae:.3f}"
                )
            results[f"{kind}/{weight}"] = {
                "accuracy": _summary(accuracies),
                "mae": _summary(errors),
            }
    return results


def representations(settings: Settings, progress: Progress) -> dict:
    """Class separation of the features and transfer to unseen classes.

    Each loss trains on digits 0-4; R^2 is measured on the test images of
    those classes; a linear probe on the frozen features then learns digits
    5-9 (Kornblith et al., 2021).
    """
    from keras_hpn import analysis

    results = {}
    for kind in models.CLASSIFIERS:
        separations, probes, accuracies = [], [], []
        for seed in settings.seeds:
            split = data.digits(seed=seed)
            seen_train, seen_test = split.y_train < 5, split.y_test < 5
            accuracy, model = models.train_classifier(
                kind,
                split.x_train[seen_train],
                split.y_train[seen_train],
                split.x_test[seen_test],
                split.y_test[seen_test],
                5,
                seed,
                settings.classification,
            )
            seen = analysis.features(model, split.x_test[seen_test], layer="features")
            separation = analysis.class_separation(seen, split.y_test[seen_test])
            probe = analysis.linear_probe(
                analysis.features(model, split.x_train[~seen_train], layer="features"),
                split.y_train[~seen_train],
                analysis.features(model, split.x_test[~seen_test], layer="features"),
                split.y_test[~seen_test],
            )
            separations.append(separation)
            probes.append(probe)
            accuracies.append(accuracy)
            progress.step(
                f"repr  {kind:<8} seed {seed}: acc {accuracy:.3f} R^2 {separation:.3f} "
                f"probe {probe:.3f}"
            )
        results[kind] = {
            "accuracy": _summary(accuracies),
            "separation": _summary(separations),
            "probe": _summary(probes),
        }
    return results


def step_time_ratio(steps: int, batch_size: int = 64, rounds: int = 15) -> dict:
    """Training-step time of HPN over softmax cross-entropy, side by side.

    Both models have the same body and a 10-wide head. After a warm-up they
    train in alternating rounds of `steps` steps on the same batches (HPN
    first in odd rounds, softmax first in even ones, so drifts in machine
    load hit both alike), and the ratio of the median round times is
    reported.
    """
    import keras

    split = data.digits(seed=0)
    x, y = split.x_train[: batch_size * 8], split.y_train[: batch_size * 8]
    budget = Budget()
    compiled = {
        kind: models.classifier(kind, 64, 10, 10, 0, budget)[0]
        for kind in ("hpn", "softmax")
    }
    batches = [
        (x[i : i + batch_size], y[i : i + batch_size])
        for i in range(0, len(y), batch_size)
    ]

    def timed(model) -> float:
        start = time.perf_counter()
        for step in range(steps):
            xb, yb = batches[step % len(batches)]
            model.train_on_batch(xb, yb)
        return time.perf_counter() - start

    for model in compiled.values():
        timed(model)  # compile and warm up
    times = {"hpn": [], "softmax": []}
    for round_index in range(rounds):
        order = ("hpn", "softmax") if round_index % 2 == 0 else ("softmax", "hpn")
        for kind in order:
            times[kind].append(timed(compiled[kind]))
    ratio = statistics.median(times["hpn"]) / statistics.median(times["softmax"])
    return {
        "backend": keras.backend.backend(),
        "ratio": ratio,
        "hpn_ms_per_step": 1000 * statistics.median(times["hpn"]) / steps,
        "softmax_ms_per_step": 1000 * statistics.median(times["softmax"]) / steps,
    }


def cost(settings: Settings, progress: Progress) -> dict:
    """Step-time ratio on the active backend and, in subprocesses, the others."""
    import keras

    results = {}
    active = keras.backend.backend()
    for backend in dict.fromkeys([active, *settings.cost_backends]):
        if backend == active:
            measured = step_time_ratio(settings.cost_steps)
        else:
            measured = _measure_in_subprocess(backend, settings.cost_steps)
        results[backend] = measured
        if "ratio" in measured:
            text = f"ratio {measured['ratio']:.3f}"
        else:
            text = measured.get("error", "")
        progress.step(f"cost  {backend:<10}: {text}")
    return results


def _measure_in_subprocess(backend: str, steps: int) -> dict:
    code = (
        "import json; from keras_hpn.benchmarks.suite import step_time_ratio; "
        f"print(json.dumps(step_time_ratio({steps})))"
    )
    env = dict(os.environ, KERAS_BACKEND=backend, TF_CPP_MIN_LOG_LEVEL="3")
    try:
        done = subprocess.run(
            [sys.executable, "-c", code],
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
    except subprocess.TimeoutExpired:
        return {"backend": backend, "error": "timed out"}
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["failed"])[-1]
        return {"backend": backend, "error": last[:200]}
    return json.loads(done.stdout.strip().splitlines()[-1])


RUNNERS: dict[str, Callable[[Settings, Progress], dict]] = {
    "dims": classification_vs_dims,
    "fractions": classification_vs_fraction,
    "regression": regression,
    "multitask": multitask,
    "representations": representations,
    "cost": cost,
}


def _active_backend() -> str:
    import keras

    return keras.backend.backend()


def count_runs(settings: Settings, items: Sequence[str]) -> int:
    """How many progress lines the chosen items print."""
    seeds = len(settings.seeds)
    counts = {
        "dims": len(models.CLASSIFIERS) * len(settings.dims) * seeds,
        "fractions": 2 * len(settings.fractions) * seeds,
        "regression": 2 * seeds,
        "multitask": 2 * len(settings.weights) * seeds,
        "representations": len(models.CLASSIFIERS) * seeds,
        "cost": len(dict.fromkeys([_active_backend(), *settings.cost_backends])),
    }
    return sum(counts[item] for item in items)


def run(
    settings: Settings,
    items: Sequence[str] = ITEMS,
    out: str | os.PathLike | None = "hpn-results",
    stream="stdout",
) -> dict:
    """Runs the chosen items and writes `results.json` and plots into `out`.

    Args:
        settings: budgets, seeds and grids (`Settings()` or `Settings.quick()`).
        items: which of `ITEMS` to run.
        out: directory for `results.json` and the PNG plots; `None` writes
            nothing.
        stream: where progress lines and tables go: a text stream, `"stdout"`
            (the default, `sys.stdout` at call time) or `None` for silence.

    Returns:
        The results, keyed by item.

    Example:

    ```
    results = run(Settings.quick(), items=["regression"], out=None)
    results["regression"]["hpn"]["mean"]   # test MAE in target units
    ```
    """
    unknown = [item for item in items if item not in RUNNERS]
    if unknown:
        raise ValueError(f"Unknown benchmark item(s) {unknown}; choose from {ITEMS}.")
    import keras

    if stream == "stdout":
        stream = sys.stdout
    progress = Progress(count_runs(settings, items), stream)
    results: dict = {
        "settings": dataclasses.asdict(settings),
        "backend": keras.backend.backend(),
    }
    for item in items:
        results[item] = RUNNERS[item](settings, progress)
    results["seconds"] = time.perf_counter() - progress.start
    _report(results, out, stream)
    return results


def run_cifar(
    name: str,
    settings: Settings,
    epochs: int | None = None,
    out: str | os.PathLike | None = "hpn-results",
    stream="stdout",
    quick: bool = False,
) -> dict:
    """Item 1 (accuracy vs output dims) on CIFAR with a ResNet; for GPUs.

    Args:
        name: `"cifar10"` or `"cifar100"`.
        settings: seeds are taken from here.
        epochs: training epochs (default 100; 1 in quick mode).
        out: directory for `results.json` and `dims.png`, or `None`.
        stream: as in `run`.
        quick: a tiny ResNet, one output width and one epoch (smoke test).

    Returns:
        The results, with the accuracies under `"dims"`.
    """
    import keras

    from keras_hpn.benchmarks import cifar

    if stream == "stdout":
        stream = sys.stdout
    dims = cifar.DEFAULT_DIMS[name][-1:] if quick else cifar.DEFAULT_DIMS[name]
    spec = cifar.ResNetSpec(blocks=1, width=4) if quick else cifar.ResNetSpec()
    budget = Budget(epochs=epochs or (1 if quick else 100), batch_size=128)
    progress = Progress(
        len(models.CLASSIFIERS) * len(dims) * len(settings.seeds), stream
    )
    results = {
        "settings": {**dataclasses.asdict(settings), "dims": list(dims)},
        "dataset": name,
        "backend": keras.backend.backend(),
        "resnet": dataclasses.asdict(spec),
        "budget": dataclasses.asdict(budget),
    }
    results["dims"] = cifar.compare_dims(
        name, dims, settings.seeds, budget, spec, progress
    )
    results["seconds"] = time.perf_counter() - progress.start
    _report(results, out, stream)
    return results


def _report(results: dict, out, stream) -> None:
    if stream is not None:
        print(file=stream)
        print(tables(results), file=stream)
    if out is not None:
        directory = Path(out)
        directory.mkdir(parents=True, exist_ok=True)
        (directory / "results.json").write_text(json.dumps(results, indent=2))
        written = plot(results, directory)
        if stream is not None:
            names = ", ".join(
                str(path) for path in [directory / "results.json", *written]
            )
            print(f"\nwrote {names}", file=stream)


def _cell(summary: dict, digits: int = 3) -> str:
    return f"{summary['mean']:.{digits}f} +- {summary['std']:.{digits}f}"


def tables(results: dict) -> str:
    """Plain-text tables of every item in `results`."""
    seeds = len(results["settings"]["seeds"])
    parts = []
    if "dims" in results:
        dims = results["settings"]["dims"]
        lines = [
            f"{results.get('dataset', 'digits').capitalize()} test accuracy by "
            f"output dims (mean +- std over {seeds} seeds)",
            "loss     " + "".join(f"{'D=' + str(d):>18}" for d in dims),
        ]
        for kind in models.CLASSIFIERS:
            row = "".join(f"{_cell(results['dims'][f'{kind}/{d}']):>18}" for d in dims)
            lines.append(f"{kind:<9}{row}")
        parts.append("\n".join(lines))
    if "fractions" in results:
        fractions = results["settings"]["fractions"]
        lines = [
            "Digits test accuracy by share of training data (D = "
            f"{max(results['settings']['dims'])})",
            "loss     " + "".join(f"{f'{f:.0%}':>18}" for f in fractions),
        ]
        for kind in ("hpn", "softmax"):
            row = "".join(
                f"{_cell(results['fractions'][f'{kind}/{f}']):>18}" for f in fractions
            )
            lines.append(f"{kind:<9}{row}")
        parts.append("\n".join(lines))
    if "regression" in results:
        lines = ["Diabetes test MAE (target units, lower is better)"]
        for kind, summary in results["regression"].items():
            lines.append(f"{kind:<9}{_cell(summary, 2):>18}")
        parts.append("\n".join(lines))
    if "multitask" in results:
        weights = results["settings"]["weights"]
        lines = [
            "Wine multi-task: cultivar accuracy / alcohol MAE by task weight t",
            "loss         " + "".join(f"{'t=' + str(t):>22}" for t in weights),
        ]
        for kind in ("hpn", "softmax_mse"):
            row = "".join(
                "{:>22}".format(
                    f"{results['multitask'][f'{kind}/{t}']['accuracy']['mean']:.3f} / "
                    f"{results['multitask'][f'{kind}/{t}']['mae']['mean']:.3f}"
                )
                for t in weights
            )
            lines.append(f"{kind:<13}{row}")
        parts.append("\n".join(lines))
    if "representations" in results:
        lines = [
            "Representations (trained on digits 0-4; a probe learns 5-9 on frozen "
            "features)",
            f"loss     {'accuracy 0-4':>18}{'separation R^2':>18}{'probe acc 5-9':>18}",
        ]
        for kind, entry in results["representations"].items():
            lines.append(
                f"{kind:<9}{_cell(entry['accuracy']):>18}{_cell(entry['separation']):>18}"
                f"{_cell(entry['probe']):>18}"
            )
        parts.append("\n".join(lines))
    if "cost" in results:
        lines = ["Training step time, HPN / softmax cross-entropy (same model)"]
        for backend, entry in results["cost"].items():
            if "ratio" in entry:
                lines.append(
                    f"{backend:<11} ratio {entry['ratio']:.3f}  "
                    f"({entry['hpn_ms_per_step']:.2f} vs "
                    f"{entry['softmax_ms_per_step']:.2f} ms per step)"
                )
            else:
                lines.append(f"{backend:<11} not measured: {entry.get('error')}")
        parts.append("\n".join(lines))
    return "\n\n".join(parts)


def plot(results: dict, directory: Path) -> list[Path]:
    """PNG plots of the items in `results`; none if matplotlib is missing."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return []
    written = []
    if "dims" in results:
        figure, axis = plt.subplots(figsize=(5, 3.5))
        dims = results["settings"]["dims"]
        for kind in models.CLASSIFIERS:
            entries = [results["dims"][f"{kind}/{d}"] for d in dims]
            axis.errorbar(
                dims,
                [e["mean"] for e in entries],
                yerr=[e["std"] for e in entries],
                marker="o",
                capsize=3,
                label=kind,
            )
        axis.set(xlabel="output dimensions D", ylabel="test accuracy", xscale="log")
        axis.minorticks_off()
        axis.set_xticks(dims, [str(d) for d in dims])
        dataset = results.get("dataset", "digits").capitalize()
        axis.set_title(f"{dataset}: accuracy vs output dimensions")
        axis.legend()
        written.append(_save(figure, directory / "dims.png"))
    if "fractions" in results:
        figure, axis = plt.subplots(figsize=(5, 3.5))
        fractions = results["settings"]["fractions"]
        for kind in ("hpn", "softmax"):
            entries = [results["fractions"][f"{kind}/{f}"] for f in fractions]
            axis.errorbar(
                fractions,
                [e["mean"] for e in entries],
                yerr=[e["std"] for e in entries],
                marker="o",
                capsize=3,
                label=kind,
            )
        axis.set(xlabel="share of training data", ylabel="test accuracy", xscale="log")
        axis.minorticks_off()
        axis.set_xticks(fractions, [f"{f:.0%}" for f in fractions])
        axis.set_title("Digits: accuracy vs training data")
        axis.legend()
        written.append(_save(figure, directory / "fractions.png"))
    if "multitask" in results:
        figure, (left, right) = plt.subplots(1, 2, figsize=(8, 3.5))
        weights = results["settings"]["weights"]
        for kind in ("hpn", "softmax_mse"):
            entries = [results["multitask"][f"{kind}/{t}"] for t in weights]
            left.plot(
                weights, [e["accuracy"]["mean"] for e in entries], "o-", label=kind
            )
            right.plot(weights, [e["mae"]["mean"] for e in entries], "o-", label=kind)
        left.set(xlabel="task weight t", ylabel="cultivar accuracy")
        right.set(xlabel="task weight t", ylabel="alcohol MAE")
        left.legend()
        figure.suptitle("Wine multi-task")
        written.append(_save(figure, directory / "multitask.png"))
    if "representations" in results:
        figure, axis = plt.subplots(figsize=(5, 3.5))
        for kind, entry in results["representations"].items():
            axis.errorbar(
                entry["separation"]["mean"],
                entry["probe"]["mean"],
                xerr=entry["separation"]["std"],
                yerr=entry["probe"]["std"],
                marker="o",
                capsize=3,
                label=kind,
            )
        axis.set(
            xlabel="class separation R^2 (digits 0-4)", ylabel="probe accuracy (5-9)"
        )
        axis.set_title("Separation vs transfer")
        axis.legend()
        written.append(_save(figure, directory / "representations.png"))
    return written


def _save(figure, path: Path) -> Path:
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    import matplotlib.pyplot as plt

    plt.close(figure)
    return path
