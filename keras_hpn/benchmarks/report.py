"""Plain-text tables and PNG plots of benchmark results (`results.json`)."""

from __future__ import annotations

from pathlib import Path

from keras_hpn.benchmarks import report_capabilities
from keras_hpn.benchmarks.common import TITLES
from keras_hpn.benchmarks.items import cost
from keras_hpn.data.fashion import TRAIN_IMAGES as FASHION_TRAIN_IMAGES


def _dataset(results: dict) -> str:
    return results.get("dataset") or results["settings"].get("dataset", "digits")


def _title(results: dict) -> str:
    return TITLES.get(_dataset(results), _dataset(results))


def _kinds(entries: dict) -> list[str]:
    """Loss names in the order of the `"kind/value"` keys."""
    return list(dict.fromkeys(key.split("/")[0] for key in entries))


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" + ("" if count == 1 else "s")


def _cell(summary: dict, digits: int = 3) -> str:
    return f"{summary['mean']:.{digits}f} +- {summary['std']:.{digits}f}"


def _body(settings: dict) -> str:
    budget = settings["classification"]
    if settings.get("model") == "cnn":
        body = f"CNN body (2 conv + {budget['hidden']} ReLU)"
    else:
        body = f"MLP body ({budget['hidden']} ReLU)"
    return f"{body}, {_plural(budget['epochs'], 'epoch')}"


def _dims_table(results: dict) -> str:
    settings = results["settings"]
    dims, seeds = settings["dims"], len(settings["seeds"])
    detail = ""
    if _dataset(results) == "fashion_mnist":
        size = settings["train_size"] or FASHION_TRAIN_IMAGES
        detail = (
            f"; {_body(settings)}, {size:,} of the {FASHION_TRAIN_IMAGES:,} "
            "training images per seed"
        )
    lines = [
        f"{_title(results)} test accuracy by output dims (mean +- std over "
        f"{_plural(seeds, 'seed')}{detail})",
        "loss          " + "".join(f"{'D=' + str(d):>18}" for d in dims),
    ]
    entries = results["dims"]
    for kind in _kinds(entries):
        row = "".join(f"{_cell(entries[f'{kind}/{d}']):>18}" for d in dims)
        lines.append(f"{kind:<14}{row}")
    if "machine" in results:
        lines.append(_repeat_note(results["machine"]))
    return "\n".join(lines)


def _repeat_note(machine: dict) -> str:
    return (
        f"Repeats exactly with the same seeds, {machine['backend']} and "
        f"versions on {_plural(machine['threads'], 'CPU thread')}; another "
        "thread count rounds sums differently, which moves D <= 3 (chaotic "
        "training), not the rest."
    )


def _fractions_table(results: dict) -> str:
    settings = results["settings"]
    entries, fractions = results["fractions"], settings["fractions"]
    kinds = _kinds(entries)
    title = (
        f"{_title(results)} test accuracy by share of training data "
        f"(D = {max(settings['dims'])})"
    )
    if _dataset(results) == "fashion_mnist":
        budget = settings["classification"]
        title = title[:-1] + (
            f"; {_body(settings)}; a run on fewer images repeats them to make at "
            f"least {budget['min_steps']} updates)"
        )
    sizes = [entries[f"{kinds[0]}/{f}"].get("size") for f in fractions]
    header = "".join(
        f"{f'{f:.0%}' + (f' ({n:,})' if n else ''):>18}"
        for f, n in zip(fractions, sizes, strict=True)
    )
    lines = [title, "loss          " + header]
    for kind in kinds:
        row = "".join(f"{_cell(entries[f'{kind}/{f}']):>18}" for f in fractions)
        lines.append(f"{kind:<14}{row}")
    return "\n".join(lines)


def _published_table(results: dict) -> str:
    settings = results["settings"]
    published = results["published"]
    lines = [
        f"{_title(results)}: our runs next to published test accuracies",
        f"{'source':<11}{'model':<62}{'accuracy':>16}",
    ]
    dims = max(settings["dims"])
    if 1.0 in settings["fractions"] and "fractions" in results:
        entries = results["fractions"]
        keys = [key for key in entries if key.endswith("/1.0")]
        images = f"all {FASHION_TRAIN_IMAGES:,} images"
    elif "dims" in results:
        entries = results["dims"]
        keys = [key for key in entries if key.endswith(f"/{dims}")]
        images = f"{settings['train_size'] or FASHION_TRAIN_IMAGES:,} images"
    else:
        keys, entries = [], {}
    for key in keys:
        text = f"{key.split('/')[0]}, {_body(settings)}, D={dims}, {images}"
        lines.append(f"{'ours':<11}{text:<62}{_cell(entries[key]):>16}")
    for row in published["rows"]:
        text = row["model"]
        if row["preprocessing"] not in (None, "None"):
            text += f" ({row['preprocessing']})"
        if len(text) > 60:
            text = text[:57] + "..."
        lines.append(f"{'published':<11}{text:<62}{row['accuracy']:>16.4f}")
    note = f"published: {published['source']} (submitted figures, not re-run)"
    if published.get("checked_against"):
        note += f"; rows checked against {published['checked_against']}"
    lines.append(note)
    return "\n".join(lines)


def _representations_table(results: dict) -> str:
    entries = results["representations"]
    kinds = [kind for kind in entries if kind != "cka"]
    lines = [
        f"Representations (trained on {_title(results)} classes 0-4; a probe "
        "learns 5-9 on frozen features)",
        f"loss     {'accuracy 0-4':>18}{'separation R^2':>18}{'probe acc 5-9':>18}",
    ]
    for kind in kinds:
        entry = entries[kind]
        lines.append(
            f"{kind:<9}{_cell(entry['accuracy']):>18}{_cell(entry['separation']):>18}"
            f"{_cell(entry['probe']):>18}"
        )
    if "cka" in entries:
        lines.append("linear CKA of the features on the test images of classes 5-9")
        for pair, summary in entries["cka"].items():
            lines.append(f"{pair.replace('/', ' vs '):<18}{_cell(summary):>18}")
    return "\n".join(lines)


def tables(results: dict) -> str:
    """Plain-text tables of every item in `results`."""
    parts = []
    if "dims" in results:
        parts.append(_dims_table(results))
    if "fractions" in results:
        parts.append(_fractions_table(results))
    if "published" in results:
        parts.append(_published_table(results))
    if "representations" in results:
        parts.append(_representations_table(results))
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
        for kind in _kinds(results["multitask"]):
            row = "".join(
                "{:>22}".format(
                    f"{results['multitask'][f'{kind}/{t}']['accuracy']['mean']:.3f} / "
                    f"{results['multitask'][f'{kind}/{t}']['mae']['mean']:.3f}"
                )
                for t in weights
            )
            lines.append(f"{kind:<13}{row}")
        parts.append("\n".join(lines))
    if "cost" in results:
        lines = [
            f"Training cost with metrics on, HPN (D = {cost.DIMS}) vs softmax "
            f"(K-wide head): {cost.FEATURES}-{cost.FEATURES} MLP, Adam, batch "
            f"{cost.BATCH}",
            f"{'backend':<11}{'K':>8}{'params hpn':>12}{'softmax':>12}"
            f"{'ms/step hpn':>13}{'softmax':>10}{'ratio':>8}"
            f"{'MB hpn':>9}{'softmax':>10}",
        ]
        for backend, entry in results["cost"].items():
            if "classes" not in entry:
                lines.append(f"{backend:<11} not measured: {entry.get('error')}")
                continue
            for classes, cell in entry["classes"].items():
                hpn, softmax = cell["hpn"], cell["softmax"]
                lines.append(
                    f"{backend:<11}{int(classes):>8,}{hpn['params']:>12,}"
                    f"{softmax['params']:>12,}{hpn['ms_per_step']:>13.2f}"
                    f"{softmax['ms_per_step']:>10.2f}{cell['ratio']:>8.3f}"
                    f"{hpn['memory_mb']:>9.0f}{softmax['memory_mb']:>10.0f}"
                )
        parts.append("\n".join(lines))
    parts.extend(report_capabilities.tables(results))
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
    title = _title(results)
    for item, key, xlabel, label, about in (
        ("dims", "dims", "output dimensions D", str, "output dimensions"),
        (
            "fractions",
            "fractions",
            "share of training data",
            "{:.0%}".format,
            "training data",
        ),
    ):
        if item in results:
            values = results["settings"][key]
            figure = _accuracy_plot(
                plt, results[item], values, xlabel, [label(v) for v in values]
            )
            figure.axes[0].set_title(f"{title}: accuracy vs {about}")
            written.append(_save(figure, directory / f"{item}.png"))
    if "multitask" in results:
        figure, (left, right) = plt.subplots(1, 2, figsize=(8, 3.5))
        weights = results["settings"]["weights"]
        for kind in _kinds(results["multitask"]):
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
            if kind == "cka":
                continue
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
            xlabel=f"class separation R^2 ({title} classes 0-4)",
            ylabel="probe accuracy (classes 5-9)",
        )
        axis.set_title("Separation vs transfer")
        axis.legend()
        written.append(_save(figure, directory / "representations.png"))
    measured = {
        backend: entry["classes"]
        for backend, entry in results.get("cost", {}).items()
        if "classes" in entry
    }
    if measured:
        figure, axis = plt.subplots(figsize=(5, 3.5))
        for backend, cells in measured.items():
            classes = [int(k) for k in cells]
            for kind, style in (("hpn", "o-"), ("softmax", "s--")):
                axis.plot(
                    classes,
                    [cells[k][kind]["ms_per_step"] for k in cells],
                    style,
                    label=f"{kind} ({backend})",
                )
        axis.set(
            xlabel="number of classes K",
            ylabel="ms per training step",
            xscale="log",
            yscale="log",
        )
        axis.set_title("Cost of a step as classes grow")
        axis.legend(fontsize="small")
        written.append(_save(figure, directory / "cost.png"))
    written.extend(report_capabilities.plot(results, directory, plt, _save))
    return written


def _save(figure, path: Path) -> Path:
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    import matplotlib.pyplot as plt

    plt.close(figure)
    return path


def _accuracy_plot(plt, entries: dict, values: list, xlabel: str, labels: list):
    """Test accuracy (mean and std over seeds) of each loss against `values`."""
    figure, axis = plt.subplots(figsize=(5, 3.5))
    for kind in _kinds(entries):
        points = [entries[f"{kind}/{value}"] for value in values]
        axis.errorbar(
            values,
            [p["mean"] for p in points],
            yerr=[p["std"] for p in points],
            marker="o",
            capsize=3,
            label=kind,
        )
    axis.set(xlabel=xlabel, ylabel="test accuracy", xscale="log")
    axis.minorticks_off()
    axis.set_xticks(values, labels)
    axis.legend()
    return figure
