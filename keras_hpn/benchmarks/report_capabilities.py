"""Tables and plots of the items `incremental`, `openset` and `calibration`.

What fixed prototypes give beyond accuracy; `report.tables` and
`report.plot` call these for the items present in `results.json`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from keras_hpn.benchmarks.common import TITLES

LABELS = {
    "hpn/cosine": "hpn largest cosine",
    "softmax/probability": "softmax max probability",
    "softmax/logit": "softmax max logit",
    "cosine/cosine": "cosine largest cosine",
}


def _cell(summary: dict, digits: int = 3) -> str:
    return f"{summary['mean']:.{digits}f} +- {summary['std']:.{digits}f}"


def _setup(results: dict) -> str:
    settings = results["settings"]
    budget = settings["classification"]
    body = "CNN" if settings.get("model") == "cnn" else f"MLP ({budget['hidden']} ReLU)"
    seeds = len(settings["seeds"])
    return f"{body}, {seeds} seed" + ("" if seeds == 1 else "s")


def _title(results: dict) -> str:
    dataset = results.get("dataset") or results["settings"]["dataset"]
    return TITLES.get(dataset, dataset)


def _runs(entries: dict) -> list[tuple[str, int, int]]:
    """`(kind, task size, replay)` of the `"kind/size/replay"` keys, in order."""
    runs = []
    for key in entries:
        if key.count("/") == 2:
            kind, size, replay = key.split("/")
            runs.append((kind, int(size), int(replay)))
    return runs


def incremental_table(results: dict) -> str:
    entries = results["incremental"]
    epochs = results["settings"]["classification"]["epochs"]
    lines = [
        f"Class-incremental {_title(results)}: each task trains {epochs} "
        f"epoch{'' if epochs == 1 else 's'} on "
        f"its own classes (+ replay images per old class); {_setup(results)}; "
        f"HPN reserves all 10 prototypes (D = {entries['dims']}), softmax and "
        "cosine grow their head",
        f"{'tasks':<8}{'replay':>7}  {'loss':<9}{'final accuracy':>18}"
        f"{'forgetting':>18}",
    ]
    for kind, size, replay in _runs(entries):
        entry = entries[f"{kind}/{size}/{replay}"]
        tasks = len(entry["seen"])
        lines.append(
            f"{f'{tasks} x {size}':<8}{replay:>7}  {kind:<9}"
            f"{_cell(entry['final']):>18}{_cell(entry['forgetting']):>18}"
        )
    lines.append(
        "final: test accuracy over all 10 classes after the last task; "
        "forgetting: a task's accuracy just after learning it minus at the end"
    )
    return "\n".join(lines)


def openset_table(results: dict) -> str:
    entries = results["openset"]
    lines = [
        f"Open set: trained on {_title(results)} classes 0-4 (HPN D = "
        f"{entries['dims']}), scored on test classes 0-9; {_setup(results)}",
        f"{'score':<25}{'accuracy 0-4':>16}{'AUROC':>16}{'FAR at 95% TAR':>16}"
        f"{'test TAR':>16}",
    ]
    for key, label in LABELS.items():
        if key not in entries:
            continue
        entry = entries[key]
        lines.append(
            f"{label:<25}{_cell(entry['accuracy']):>16}{_cell(entry['auroc']):>16}"
            f"{_cell(entry['far']):>16}{_cell(entry['tar']):>16}"
        )
    lines.append(
        "AUROC: known 0-4 against unknown 5-9; FAR: share of 5-9 accepted at the "
        "threshold that accepts 95% of held-out known images (test TAR: of "
        "known test images)"
    )
    return "\n".join(lines)


def calibration_table(results: dict) -> str:
    entries = results["calibration"]
    lines = [
        f"Calibration on the {_title(results)} test set: {entries['bins']}-bin ECE "
        "and NLL before and after temperature scaling (T fitted on held-out "
        f"training images); {_setup(results)}",
        f"{'probabilities':<23}{'accuracy':>16}{'T':>18}{'ECE before':>16}"
        f"{'ECE after':>16}{'NLL before':>16}{'NLL after':>16}",
    ]
    labels = {"hpn": "hpn softmax(cos / T)", "softmax": "softmax(logits / T)"}
    for kind, label in labels.items():
        if kind not in entries:
            continue
        entry = entries[kind]
        lines.append(
            f"{label:<23}{_cell(entry['accuracy']):>16}"
            f"{_cell(entry['temperature'], 4):>18}"
            + "".join(
                f"{_cell(entry[name]):>16}"
                for name in ("ece_before", "ece_after", "nll_before", "nll_after")
            )
        )
    return "\n".join(lines)


def tables(results: dict) -> list[str]:
    """The tables of the items present in `results`."""
    parts = []
    for item, table in (
        ("incremental", incremental_table),
        ("openset", openset_table),
        ("calibration", calibration_table),
    ):
        if item in results:
            parts.append(table(results))
    return parts


def plot(results: dict, directory: Path, plt, save) -> list[Path]:
    """One PNG per item present in `results`; `save(figure, path)` writes it."""
    written = []
    title = _title(results)
    if "incremental" in results:
        entries = results["incremental"]
        runs = _runs(entries)
        panels = list(dict.fromkeys((size, replay) for _, size, replay in runs))
        figure, axes = plt.subplots(
            1, len(panels), figsize=(3.2 * len(panels), 3.2), squeeze=False
        )
        for axis, (size, replay) in zip(axes[0], panels, strict=True):
            for kind, *rest in runs:
                if tuple(rest) != (size, replay):
                    continue
                seen = entries[f"{kind}/{size}/{replay}"]["seen"]
                steps = range(1, len(seen) + 1)
                axis.errorbar(
                    steps,
                    [s["mean"] for s in seen],
                    yerr=[s["std"] for s in seen],
                    marker="o",
                    capsize=3,
                    label=kind,
                )
                axis.set_xticks(list(steps))
            axis.set(
                title=f"{len(seen)} tasks of {size}, replay {replay}",
                xlabel="tasks learned",
                ylim=(0, 1.02),
            )
        axes[0][0].set_ylabel("accuracy on classes seen")
        axes[0][0].legend(fontsize="small")
        figure.suptitle(f"{title}: class-incremental learning")
        written.append(save(figure, directory / "incremental.png"))
    if "openset" in results:
        figure, axis = plt.subplots(figsize=(4.5, 4))
        for key, label in LABELS.items():
            if key in results["openset"]:
                roc = results["openset"][key]["roc"]
                auroc = results["openset"][key]["auroc"]["mean"]
                axis.plot(roc["fpr"], roc["tpr"], label=f"{label} ({auroc:.3f})")
        axis.plot([0, 1], [0, 1], ":", color="grey")
        axis.set(
            xlabel="unknown (5-9) accepted",
            ylabel="known (0-4) accepted",
            title=f"{title}: open-set ROC (mean of seeds)",
        )
        axis.legend(fontsize="small")
        written.append(save(figure, directory / "openset.png"))
    if "calibration" in results:
        entries = results["calibration"]
        kinds = [kind for kind in ("hpn", "softmax") if kind in entries]
        figure, axes = plt.subplots(
            1, len(kinds), figsize=(3.6 * len(kinds), 3.6), squeeze=False
        )
        for axis, kind in zip(axes[0], kinds, strict=True):
            for when, style in (("before", "s--"), ("after", "o-")):
                bins = entries[kind]["reliability"][when]
                ece = entries[kind][f"ece_{when}"]["mean"]
                axis.plot(  # None (an empty bin) becomes NaN: a gap
                    np.asarray(bins["confidence"], dtype=float),
                    np.asarray(bins["accuracy"], dtype=float),
                    style,
                    label=f"{when} (ECE {ece:.3f})",
                )
            axis.plot([0, 1], [0, 1], ":", color="grey")
            axis.set(title=kind, xlabel="confidence", xlim=(0, 1), ylim=(0, 1))
            axis.legend(fontsize="small")
        axes[0][0].set_ylabel("accuracy")
        figure.suptitle(f"{title}: reliability before and after temperature scaling")
        written.append(save(figure, directory / "calibration.png"))
    return written
