"""Saving and loading prototypes with their metadata in `.npz` (numpy only).

The file holds three arrays and nothing that needs pickle: `prototypes`
(float64, `(num_classes, dims)`), `class_names` (unicode, `(num_classes,)`,
empty strings when unnamed) and `metadata` (a JSON string: method asked
for, method that won and the construction it used, seed, dims, num_classes,
separation statistics with the lower bound and the gap, package version).
"""

from __future__ import annotations

import collections
import json
import os
from collections.abc import Sequence

import numpy as np

from keras_hpn.prototypes.separation import separation
from keras_hpn.utils.validation import check_prototypes
from keras_hpn.version import __version__

# Rows further than this from unit length are refused on load.
UNIT_NORM_TOLERANCE = 1e-6


def npz_path(path: str | os.PathLike) -> str:
    """The file that `save_prototypes(path, ...)` writes: `.npz` added if missing.

    Args:
        path: the path given to `save_prototypes`.

    Returns:
        The path as a string, ending in `.npz`.

    Example:

    ```python
    >>> npz_path("prototypes"), npz_path("p.npz")
    ('prototypes.npz', 'p.npz')
    ```
    """
    path = os.fspath(path)
    return path if path.endswith(".npz") else path + ".npz"


def save_prototypes(
    path: str | os.PathLike,
    prototypes: object,
    *,
    class_names: Sequence[str] | None = None,
    method: str | None = None,
    seed: int | None = None,
    overwrite: bool = True,
) -> dict:
    """Writes prototypes and their metadata to an `.npz` file.

    Args:
        path: destination; `.npz` is added if it is missing (see `npz_path`).
        prototypes: array-like of shape `(num_classes, dims)` (rows are
            normalised to unit length before saving), or a `Placement` from
            `place`, whose winning method and construction are recorded as
            `method_used` and `construction`.
        class_names: optional names, one per prototype.
        method: the method asked for (e.g. `"auto"`, `"semantic"`).
        seed: the seed used, if any.
        overwrite: whether an existing file may be replaced; with `False`
            an existing file is refused (`FileExistsError`) and kept.

    Returns:
        The metadata dict that was written.

    Example:

    ```python
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "p.npz"
    >>> meta = save_prototypes(path, np.eye(3), class_names=["a", "b", "c"])
    >>> meta["largest_cosine"]
    0.0
    ```
    """
    method_used = construction = None
    if hasattr(prototypes, "prototypes") and hasattr(prototypes, "construction"):
        method_used, construction = prototypes.method, prototypes.construction
        prototypes = prototypes.prototypes
    points = check_prototypes(prototypes)
    num_classes, dims = points.shape
    if class_names is None:
        names = [""] * num_classes
    else:
        if isinstance(class_names, (str, bytes)):
            raise ValueError(
                "`class_names` must be a list of names, one per prototype, not "
                f"one string. Received: class_names={class_names!r}"
            )
        names = [str(name) for name in class_names]
        counts = collections.Counter(names)
        repeated = sorted(name for name, count in counts.items() if name and count > 1)
        if repeated:
            raise ValueError(
                "`class_names` must name each class once; two classes with one "
                f"name cannot be told apart. Repeated: {repeated[:10]}"
            )
        if len(names) != num_classes:
            raise ValueError(
                f"`class_names` must hold one name per prototype ({num_classes}). "
                f"Received {len(names)} names."
            )
    summary = separation(points) if num_classes >= 2 else None
    metadata = {
        "num_classes": num_classes,
        "dims": dims,
        "method": method,
        "method_used": method_used,
        "construction": construction,
        "seed": None if seed is None else int(seed),
        "largest_cosine": None if summary is None else summary.largest_cosine,
        "smallest_angle": None if summary is None else summary.smallest_angle,
        "mean_nearest_cosine": None if summary is None else summary.mean_nearest_cosine,
        "optimum": None if summary is None else summary.optimum,
        "lower_bound": None if summary is None else summary.lower_bound,
        "gap": None if summary is None else summary.gap,
        "keras_hpn_version": __version__,
    }
    arrays = {
        "prototypes": points,
        "class_names": np.asarray(names, dtype=np.str_),
        "metadata": np.asarray(json.dumps(metadata)),
    }
    if overwrite:
        np.savez(npz_path(path), **arrays)
    else:  # "x": the file is created only if it does not exist, in one step
        with open(npz_path(path), "xb") as handle:
            np.savez(handle, **arrays)
    return metadata


def load_prototypes(path: str | os.PathLike) -> tuple[np.ndarray, list[str], dict]:
    """Reads prototypes saved by `save_prototypes`, never unpickling anything.

    Args:
        path: the `.npz` file; a path without the suffix that does not exist
            is read with `.npz` added, as `save_prototypes` wrote it.

    Returns:
        A tuple `(prototypes, class_names, metadata)`: float64 array of shape
        `(num_classes, dims)` with unit rows, the list of names (empty
        strings where unnamed) and the metadata dict.

    Raises:
        ValueError: if an array is missing, has the wrong shape or type, a row
            is not unit length, or the metadata does not match the array.

    Example:

    ```python
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "p.npz"
    >>> _ = save_prototypes(path, np.eye(2), method="manual")
    >>> prototypes, names, meta = load_prototypes(path)
    >>> prototypes.shape, meta["method"]
    ((2, 2), 'manual')
    ```
    """
    if not os.path.exists(path) and os.path.exists(npz_path(path)):
        path = npz_path(path)
    try:
        archive = np.load(path, allow_pickle=False)
    except (ValueError, EOFError, OSError) as error:
        if isinstance(error, FileNotFoundError):
            raise
        raise ValueError(
            f"{path} is not a prototype file (an .npz archive written by "
            f"`save_prototypes`; read with allow_pickle=False). ({error})"
        ) from error
    if not isinstance(archive, np.lib.npyio.NpzFile):
        raise ValueError(
            f"{path} holds a single array ({getattr(archive, 'shape', '?')}), not a "
            "prototype file. Load it with `np.load` and pass the array, or write "
            "it with `save_prototypes` to keep names and metadata."
        )
    with archive:
        missing = {"prototypes", "class_names", "metadata"} - set(archive.files)
        if missing:
            raise ValueError(
                f"{path} is not a prototype file: it lacks {sorted(missing)}. "
                f"Found arrays {sorted(archive.files)}."
            )
        raw = archive["prototypes"]
        names = archive["class_names"]
        metadata_text = archive["metadata"]
    if raw.ndim != 2 or not np.issubdtype(raw.dtype, np.floating):
        raise ValueError(
            f"`prototypes` in {path} must be a 2-D float array. Received dtype "
            f"{raw.dtype} and shape {raw.shape}."
        )
    prototypes = check_prototypes(raw)
    norms = np.linalg.norm(raw.astype(np.float64), axis=1)
    off = np.flatnonzero(np.abs(norms - 1.0) > UNIT_NORM_TOLERANCE)
    if off.size:
        raise ValueError(
            f"`prototypes` in {path} must have unit rows (within "
            f"{UNIT_NORM_TOLERANCE}). Rows {off[:10].tolist()} have norms "
            f"{norms[off[:10]].round(6).tolist()}."
        )
    if names.dtype.kind != "U" or names.shape != (raw.shape[0],):
        raise ValueError(
            f"`class_names` in {path} must be {raw.shape[0]} strings, one per "
            f"prototype. Received dtype {names.dtype} and shape {names.shape}."
        )
    if metadata_text.dtype.kind != "U" or metadata_text.shape != ():
        raise ValueError(f"`metadata` in {path} must be one JSON string.")
    try:
        metadata = json.loads(str(metadata_text))
    except json.JSONDecodeError as error:
        raise ValueError(f"`metadata` in {path} is not valid JSON ({error}).") from None
    if not isinstance(metadata, dict):
        raise ValueError(
            f"`metadata` in {path} must be a JSON object. Received "
            f"{type(metadata).__name__}: {str(metadata_text)[:80]!r}"
        )
    if (metadata.get("num_classes"), metadata.get("dims")) != raw.shape:
        raise ValueError(
            f"The metadata in {path} announces num_classes="
            f"{metadata.get('num_classes')}, dims={metadata.get('dims')} but the "
            f"prototypes have shape {raw.shape}."
        )
    return prototypes, names.tolist(), metadata
