"""Pictures of prototypes, of a model's outputs and of benchmark results.

matplotlib is the `plots` extra (`pip install "keras-hpn[plots]"`): this
module imports it only when a function is called, so `import keras_hpn`
works without it. Each function draws on the axes it is given, or on a new
figure, and returns the figure; nothing is shown or saved, so the functions
work headless (the Agg backend) as well as in a notebook.

Where the sphere has more than 3 dimensions, points are projected onto the
plane through the origin that keeps most of their squared length (the first
two principal directions of the uncentred points): the origin stays at the
centre and every unit vector lands inside the unit circle, at its edge when
it lies in the plane.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from keras_hpn.decoding import class_scores
from keras_hpn.utils.validation import check_prototypes, check_size

__all__ = ["plot_accuracy", "plot_cosines", "plot_outputs", "plot_prototypes"]

# Class names are written next to the points up to this many classes, and
# the legend lists the classes up to this many.
_MAX_NAMED = 30
_MAX_LEGEND = 20
_AGAINST = {
    "dims": ("output dimensions D", str),
    "fractions": ("share of training data", "{:.0%}".format),
}


def _pyplot():
    try:
        import matplotlib.pyplot as plt
    except ImportError as error:
        raise ImportError(
            "keras_hpn.plots needs matplotlib, which is not installed: "
            'pip install "keras-hpn[plots]"'
        ) from error
    return plt


def _colours(num_classes: int) -> np.ndarray:
    """One RGBA colour per class: tab10 or tab20 where they suffice."""
    from matplotlib import colormaps

    if num_classes <= 10:
        return colormaps["tab10"](np.arange(num_classes))
    if num_classes <= 20:
        return colormaps["tab20"](np.arange(num_classes))
    return colormaps["turbo"](np.linspace(0.0, 1.0, num_classes))


def _names(class_names: Sequence[str] | None, num_classes: int) -> list[str]:
    if class_names is None:
        return [str(index) for index in range(num_classes)]
    names = [str(name) for name in class_names]
    if len(names) != num_classes:
        raise ValueError(
            f"`class_names` has {len(names)} names for {num_classes} prototypes; "
            "give one name per prototype, in class order."
        )
    return names


def _projection(points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The 2 principal directions of the uncentred `points` (rows) and the
    share of their squared length each keeps."""
    _, singular, directions = np.linalg.svd(points, full_matrices=False)
    energy = singular**2
    return directions[:2], energy[:2] / max(float(energy.sum()), 1e-300)


def _axes(ax, dims: int, figsize: tuple[float, float]):
    """`ax`, or new axes (3-D for `dims == 3`), and their figure."""
    if ax is None:
        figure = _pyplot().figure(figsize=figsize)
        ax = figure.add_subplot(projection="3d" if dims == 3 else None)
    elif (dims == 3) != (getattr(ax, "name", "") == "3d"):
        wanted = "3-D axes (projection='3d')" if dims == 3 else "2-D axes"
        raise ValueError(
            f"Points of {dims} dimensions are drawn on {wanted}; `ax` is not."
        )
    return ax, ax.figure


def _frame(ax, dims: int, share: np.ndarray | None) -> None:
    """The unit circle or sphere, equal scales, and axis labels."""
    if dims == 3:
        u, v = np.mgrid[0 : 2 * np.pi : 25j, 0 : np.pi : 13j]
        ax.plot_wireframe(
            np.cos(u) * np.sin(v),
            np.sin(u) * np.sin(v),
            np.cos(v),
            color="lightgray",
            linewidth=0.4,
        )
        ax.set_box_aspect((1, 1, 1))
        ax.set_axis_off()
        return
    angle = np.linspace(0.0, 2 * np.pi, 181)
    ax.plot(np.cos(angle), np.sin(angle), color="lightgray", linewidth=1.0)
    ax.set_aspect("equal")
    ax.set(xlim=(-1.15, 1.15), ylim=(-1.15, 1.15))
    if share is None:
        ax.set(xlabel="$x_1$", ylabel="$x_2$")
    else:
        ax.set(
            xlabel=f"principal direction 1 ({share[0]:.0%})",
            ylabel=f"principal direction 2 ({share[1]:.0%})",
        )


def _check_dims(dims: int) -> None:
    if dims < 2:
        raise ValueError(
            f"Points of {dims} dimension(s) cannot be drawn on a circle or "
            "sphere; they need at least 2 dimensions."
        )


def plot_prototypes(
    prototypes: object,
    class_names: Sequence[str] | None = None,
    ax=None,
    title: str | None = None,
):
    """Draws class prototypes on the unit circle (D = 2) or sphere (D = 3).

    Each prototype is a point coloured by its class, joined to the origin.
    With more than 3 dimensions the prototypes are projected onto the plane
    that keeps most of their squared length (see the module docstring), and
    the axis labels give the share each direction keeps. Class names are
    written next to the points for up to 30 classes.

    Args:
        prototypes: array `(num_classes, dims)`, `dims >= 2`; rows are
            normalised.
        class_names: one name per prototype; `None` writes the class ids.
        ax: matplotlib axes to draw on (3-D axes for `dims == 3`); `None`
            makes a new figure.
        title: the axes' title; `None` gives the number of prototypes,
            their dimensions and their largest cosine.

    Returns:
        The matplotlib `Figure`.

    Example:

    ```python
    figure = plot_prototypes(
        keras_hpn.prototypes.hyperspherical(6, 2, seed=0), class_names="abcdef"
    )
    len(figure.axes[0].collections[-1].get_offsets())
    # 6
    ```
    """
    points = check_prototypes(prototypes)
    num_classes, dims = points.shape
    _check_dims(dims)
    names = _names(class_names, num_classes)
    cosines = points @ points.T - 3.0 * np.eye(num_classes)  # diagonal out
    largest = float(cosines.max())
    ax, figure = _axes(ax, dims, (5.0, 5.0))
    share = None
    if dims > 3:
        directions, share = _projection(points)
        points = points @ directions.T
    _frame(ax, dims, share)
    colours = _colours(num_classes)
    origin = np.zeros(points.shape[1])
    for point, colour in zip(points, colours, strict=True):
        ax.plot(*np.stack([origin, point]).T, color=colour, linewidth=0.8)
    ax.scatter(*points.T, s=60, c=colours, edgecolors="black", linewidths=0.5)
    if num_classes <= _MAX_NAMED:
        for point, name in zip(points, names, strict=True):
            ax.text(*(point * 1.08), name, fontsize=8, ha="center", va="center")
    if title is None:
        title = f"{num_classes} prototypes in {dims} dims"
        if num_classes > 1:
            title += f", largest cosine {largest:.3f}"
    ax.set_title(title, fontsize=10)
    return figure


def _class_labels(labels: object, count: int, num_classes: int) -> np.ndarray:
    array = np.asarray(labels)
    if array.shape != (count,) or not (
        np.issubdtype(array.dtype, np.integer) or array.size == 0
    ):
        raise ValueError(
            f"`labels` must be an integer array of shape ({count},), one class id "
            f"per output. Received shape {array.shape} and dtype {array.dtype}."
        )
    outside = (array < 0) | (array >= num_classes)
    if outside.any():
        raise ValueError(
            f"`labels` must be class ids in [0, {num_classes}) (one per "
            f"prototype); found {sorted(set(array[outside].tolist()))[:5]}."
        )
    return array.astype(np.int64)


def _unit_outputs(outputs: object, dims: int) -> np.ndarray:
    array = np.asarray(outputs, dtype=np.float64)
    if array.ndim != 2 or array.shape[1] != dims:
        raise ValueError(
            f"`outputs` must have shape (num_examples, {dims}), the dims of the "
            f"prototypes. Received shape {array.shape}."
        )
    norms = np.linalg.norm(array, axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return array / norms


def plot_outputs(
    outputs: object,
    labels: object,
    prototypes: object,
    class_names: Sequence[str] | None = None,
    ax=None,
    title: str | None = None,
    max_points: int = 2000,
    seed: int = 0,
):
    """Draws a model's outputs with the prototypes, coloured by true class.

    Outputs are small dots, prototypes large stars of the same colour; a
    well-trained HPN shows each class as a cloud around its star. With more
    than 3 dimensions, outputs and prototypes are projected together onto
    the plane that keeps most of their squared length (see the module
    docstring). Outputs with no direction (zero, NaN or inf) are left out.

    Args:
        outputs: array `(num_examples, dims)`, e.g. from `model.predict`.
        labels: integer array `(num_examples,)` of true class ids.
        prototypes: array `(num_classes, dims)`, the prototypes of the loss.
        class_names: one name per prototype, for the legend (shown for up
            to 20 classes); `None` writes the class ids.
        ax: matplotlib axes to draw on (3-D axes for `dims == 3`); `None`
            makes a new figure.
        title: the axes' title; `None` gives the number of outputs shown.
        max_points: at most this many outputs are drawn, a random sample
            fixed by `seed` when there are more.
        seed: seed of that sample.

    Returns:
        The matplotlib `Figure`: one point collection per class present,
        then one for the prototypes.

    Example:

    ```python
    prototypes = np.eye(2)
    outputs = np.array([[0.9, 0.1], [0.8, -0.2], [0.1, 1.0]])
    figure = plot_outputs(outputs, np.array([0, 0, 1]), prototypes)
    len(figure.axes[0].collections)
    # 3
    ```
    """
    protos = check_prototypes(prototypes)
    num_classes, dims = protos.shape
    _check_dims(dims)
    names = _names(class_names, num_classes)
    unit = _unit_outputs(outputs, dims)
    classes = _class_labels(labels, len(unit), num_classes)
    max_points = check_size(max_points, "max_points", 1)
    kept = np.flatnonzero(np.isfinite(unit).all(axis=1))
    if len(kept) > max_points:
        rng = np.random.default_rng(seed)
        kept = np.sort(rng.choice(kept, size=max_points, replace=False))
    unit, classes = unit[kept], classes[kept]
    created = ax is None
    ax, figure = _axes(ax, dims, (6.0, 5.0))
    share = None
    if dims > 3:
        directions, share = _projection(np.concatenate([unit, protos]))
        unit, protos = unit @ directions.T, protos @ directions.T
    _frame(ax, dims, share)
    colours = _colours(num_classes)
    for index in np.unique(classes):
        chosen = unit[classes == index]
        ax.scatter(*chosen.T, s=6, color=colours[index], alpha=0.5, label=names[index])
    ax.scatter(
        *protos.T,
        s=220,
        marker="*",
        c=colours,
        edgecolors="black",
        linewidths=0.8,
        label="prototypes",
    )
    if num_classes <= _MAX_LEGEND:
        legend = ax.legend(fontsize=7, loc="center left", bbox_to_anchor=(1.0, 0.5))
        for handle in legend.legend_handles:
            handle.set_sizes([30.0])
            handle.set_alpha(1.0)
        legend.legend_handles[-1].set_facecolor("white")  # the prototypes
    ax.set_title(
        title if title is not None else f"{len(unit)} outputs and their prototypes",
        fontsize=10,
    )
    if created:
        figure.tight_layout()
    return figure


def plot_cosines(
    outputs: object,
    labels: object,
    prototypes: object,
    ax=None,
    bins: int = 40,
    title: str | None = None,
):
    """Histograms of the outputs' cosines to their own and nearest other prototype.

    An output is classified correctly when its own prototype's cosine beats
    every other's; the two histograms show by how much it does, over the
    data set. The title gives the share of outputs whose own cosine is the
    larger (the accuracy, ties aside). Outputs with no direction are left
    out.

    Args:
        outputs: array `(num_examples, dims)`, e.g. from `model.predict`.
        labels: integer array `(num_examples,)` of true class ids.
        prototypes: array `(num_classes, dims)`, at least 2 prototypes.
        ax: matplotlib axes to draw on; `None` makes a new figure.
        bins: histogram bins over `[-1, 1]`.
        title: the axes' title; `None` gives the share described above.

    Returns:
        The matplotlib `Figure`: two histograms of `bins` bars each, own
        prototype first.

    Example:

    ```python
    outputs = np.array([[1.0, 0.0], [0.6, 0.8], [0.0, 1.0]])
    figure = plot_cosines(outputs, np.array([0, 0, 1]), np.eye(2), bins=4)
    [bar.get_height() for bar in figure.axes[0].patches[:4]]
    # [0, 0, 0, 3]
    ```
    """
    protos = check_prototypes(prototypes)
    scores = class_scores(_unit_outputs(outputs, protos.shape[1]), protos)
    num_classes = scores.shape[1]
    if num_classes < 2:
        raise ValueError("`prototypes` must hold at least 2 classes to compare.")
    classes = _class_labels(labels, len(scores), num_classes)
    bins = check_size(bins, "bins", 1)
    rows = np.arange(len(scores))
    own = scores[rows, classes]
    others = scores.copy()
    others[rows, classes] = -np.inf
    nearest = others.max(axis=1)
    finite = np.isfinite(own)
    own, nearest = own[finite], nearest[finite]
    if ax is None:
        figure, ax = _pyplot().subplots(figsize=(6.0, 3.8))
    edges = np.linspace(-1.0, 1.0, bins + 1)
    ax.hist(own, bins=edges, alpha=0.6, color="C0", label="own prototype")
    ax.hist(nearest, bins=edges, alpha=0.6, color="C3", label="nearest other prototype")
    ax.set(xlabel="cosine", ylabel="outputs", xlim=(-1.0, 1.0))
    ax.legend(fontsize=8)
    if title is None:
        title = (
            f"{len(own)} outputs: own prototype nearer for "
            f"{float(np.mean(own > nearest)) if len(own) else 0.0:.1%}"
        )
    ax.set_title(title, fontsize=10)
    return ax.figure


def _read_results(results: dict | str | os.PathLike) -> dict:
    if isinstance(results, dict):
        return results
    path = Path(results)
    if path.is_dir():
        path = path / "results.json"
    if not path.is_file():
        raise ValueError(
            f"`results` must be a results dict, a results.json file or the folder "
            f"that holds it (`keras-hpn benchmark --out`); {path} does not exist."
        )
    return json.loads(path.read_text())


def _kinds(entries: dict) -> list[str]:
    """Loss names in the order of the `"kind/value"` keys."""
    return list(dict.fromkeys(key.split("/")[0] for key in entries))


def plot_accuracy(
    results: dict | str | os.PathLike,
    against: str = "dims",
    ax=None,
    title: str | None = None,
):
    """Test accuracy of each loss against output dims or training data share.

    Reads the results of `keras-hpn benchmark` (its `results.json`): each
    loss is a line of the mean over seeds, with the standard deviation as
    error bars, on a log-scaled axis of the values that were run.

    Args:
        results: the results dict, the path of a `results.json`, or the
            folder that holds it.
        against: `"dims"` (output dimensions, the `dims` item) or
            `"fractions"` (share of the training data, the `fractions`
            item).
        ax: matplotlib axes to draw on; `None` makes a new figure.
        title: the axes' title; `None` names the dataset and `against`.

    Returns:
        The matplotlib `Figure`: one error-bar container per loss.

    Example:

    ```python
    results = {
        "dataset": "digits",
        "settings": {"dims": [2, 5]},
        "dims": {
            "hpn/2": {"mean": 0.7, "std": 0.02},
            "hpn/5": {"mean": 0.9, "std": 0.01},
        },
    }
    figure = plot_accuracy(results)
    list(figure.axes[0].containers[0].lines[0].get_ydata())
    # [0.7, 0.9]
    ```
    """
    results = _read_results(results)
    if against not in _AGAINST:
        raise ValueError(
            f"`against` must be one of {sorted(_AGAINST)}. Received: {against!r}"
        )
    if against not in results:
        found = sorted(key for key in _AGAINST if key in results)
        raise ValueError(
            f"These results hold no {against!r} item (they hold {found}); run "
            f"`keras-hpn benchmark --items {against}`."
        )
    entries, values = results[against], results["settings"][against]
    xlabel, label = _AGAINST[against]
    if ax is None:
        figure, ax = _pyplot().subplots(figsize=(5.0, 3.5))
    for kind in _kinds(entries):
        points = [entries[f"{kind}/{value}"] for value in values]
        ax.errorbar(
            values,
            [point["mean"] for point in points],
            yerr=[point["std"] for point in points],
            marker="o",
            capsize=3,
            label=kind,
        )
    ax.set(xlabel=xlabel, ylabel="test accuracy", xscale="log")
    ax.minorticks_off()
    ax.set_xticks(values, [label(value) for value in values])
    ax.legend()
    if title is None:
        dataset = results.get("dataset") or results["settings"].get("dataset")
        about = "output dimensions" if against == "dims" else "training data"
        title = f"{dataset}: accuracy vs {about}" if dataset else f"accuracy vs {about}"
    ax.set_title(title)
    return ax.figure
