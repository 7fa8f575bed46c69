"""A model's outputs and prototypes in TensorBoard's embedding projector.

`export_projector` writes the files the projector reads from a log folder:
the vectors (`tensors.tsv`), one row of metadata per vector
(`metadata.tsv`) and `projector_config.pbtxt`, which names them. The
config is written as text, so neither TensorFlow nor TensorBoard is needed
to export; `tensorboard --logdir FOLDER` then shows the outputs and the
prototypes on one sphere (*Projector* tab), where they can be coloured and
searched by class. `ProjectorExport` does the same at the end of training.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path

import keras
import numpy as np

from keras_hpn.utils.validation import check_prototypes

__all__ = ["ProjectorExport", "export_projector"]

TENSORS = "tensors.tsv"
METADATA = "metadata.tsv"
CONFIG = "projector_config.pbtxt"


def _field(text: str) -> str:
    """`text` as one TSV field: tabs and line breaks would split it."""
    return " ".join(str(text).split()) or "_"


def export_projector(
    directory: str | os.PathLike,
    outputs: object,
    labels: object,
    prototypes: object | None = None,
    class_names: Sequence[str] | None = None,
    tensor_name: str = "keras_hpn",
) -> Path:
    """Writes outputs (and prototypes) for TensorBoard's embedding projector.

    The vectors go into `tensors.tsv`, the outputs first, then the
    prototypes; `metadata.tsv` has a header and two columns, `class` (the
    class name) and `point` (`output` or `prototype`); the projector colours
    and filters by either. `projector_config.pbtxt` names both files
    (relative paths, so the folder can be moved). Existing files of those
    names in `directory` are replaced.

    Args:
        directory: the log folder; created when missing. Run
            `tensorboard --logdir directory` and open the *Projector* tab.
        outputs: array `(num_examples, dims)`, e.g. from `model.predict`.
        labels: integer array `(num_examples,)` of class ids.
        prototypes: array `(num_classes, dims)`, the prototypes of the
            loss, added after the outputs; `None` writes the outputs only.
        class_names: one name per class; `None` writes the class ids.
        tensor_name: the name the projector shows for the embedding.

    Returns:
        The path of `projector_config.pbtxt`.

    Example:

    ```python
    import tempfile

    folder = tempfile.mkdtemp()
    export_projector(
        folder, np.array([[1.0, 0.0], [0.6, 0.8]]), np.array([0, 1]), np.eye(2),
        class_names=["cat", "dog"],
    ).name
    # "projector_config.pbtxt"
    (Path(folder) / "metadata.tsv").read_text().splitlines()[-1]
    # "dog\\tprototype"
    ```
    """
    vectors = np.asarray(outputs, dtype=np.float64)
    if vectors.ndim != 2 or vectors.shape[0] == 0:
        raise ValueError(
            "`outputs` must be a non-empty array of shape (num_examples, dims). "
            f"Received shape {vectors.shape}."
        )
    classes = np.asarray(labels)
    if classes.shape != (len(vectors),) or not np.issubdtype(classes.dtype, np.integer):
        raise ValueError(
            f"`labels` must be an integer array of shape ({len(vectors)},), one "
            f"class id per output. Received shape {classes.shape} and dtype "
            f"{classes.dtype}."
        )
    if classes.min() < 0:
        raise ValueError(f"`labels` must be class ids >= 0; found {classes.min()}.")
    points = ["output"] * len(vectors)
    num_classes = int(classes.max()) + 1
    if prototypes is not None:
        protos = check_prototypes(prototypes)
        if protos.shape[1] != vectors.shape[1]:
            raise ValueError(
                f"`prototypes` have {protos.shape[1]} dims but `outputs` "
                f"{vectors.shape[1]}; both must come from the same head."
            )
        if num_classes > len(protos):
            raise ValueError(
                f"`labels` hold class id {num_classes - 1}, but there are only "
                f"{len(protos)} prototypes."
            )
        num_classes = len(protos)
        vectors = np.concatenate([vectors, protos])
        classes = np.concatenate([classes, np.arange(num_classes)])
        points += ["prototype"] * num_classes
    if class_names is None:
        names = [str(index) for index in range(num_classes)]
    else:
        names = [_field(name) for name in class_names]
        if len(names) < num_classes:
            raise ValueError(
                f"`class_names` has {len(names)} names for {num_classes} classes; "
                "give one name per class, in class order."
            )
    if not isinstance(tensor_name, str) or not tensor_name:
        raise ValueError(
            f"`tensor_name` must be a non-empty string. Received: {tensor_name!r}"
        )
    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    # 17 significant digits: float64 values read back exactly.
    np.savetxt(folder / TENSORS, vectors, fmt="%.17g", delimiter="\t")
    rows = ["class\tpoint"] + [
        f"{names[index]}\t{point}" for index, point in zip(classes, points, strict=True)
    ]
    (folder / METADATA).write_text("\n".join(rows) + "\n", encoding="utf-8")
    config = folder / CONFIG
    config.write_text(
        "embeddings {\n"
        f"  tensor_name: {json.dumps(tensor_name)}\n"
        f'  tensor_path: "{TENSORS}"\n'
        f'  metadata_path: "{METADATA}"\n'
        "}\n",
        encoding="utf-8",
    )
    return config


class ProjectorExport(keras.callbacks.Callback):
    """Exports a model's outputs on `x` for TensorBoard's projector after `fit`.

    At the end of training the callback predicts `x` and calls
    `export_projector` with the prototypes, by default those of the model's
    compiled loss (`model.loss.prototypes`, as `PrototypeCosineLoss` and
    `HPNClassifier.compile` hold them).

    Args:
        directory: the log folder, as in `export_projector`.
        x: inputs to embed (e.g. a held-out split).
        y: integer array `(num_examples,)` of their class ids.
        prototypes: array `(num_classes, dims)`; `None` takes them from the
            compiled loss (the outputs only when it has none).
        class_names: one name per class; `None` writes the class ids.
        batch_size: batch size of the prediction.

    Example:

    ```python
    import tempfile

    split = keras_hpn.data.digits(seed=0)
    prototypes = keras_hpn.prototypes.hyperspherical(10, 3, seed=0)
    model = keras.Sequential(
        [keras.Input((64,)), keras_hpn.layers.L2NormalizedProjection(3)]
    )
    model.compile("adam", keras_hpn.losses.PrototypeCosineLoss(prototypes))
    folder = tempfile.mkdtemp()
    export = ProjectorExport(folder, split.x_test[:50], split.y_test[:50])
    model.fit(split.x_train, split.y_train, epochs=1, callbacks=[export], verbose=0)
    len((Path(folder) / "tensors.tsv").read_text().splitlines())
    # 60
    ```
    """

    def __init__(
        self,
        directory: str | os.PathLike,
        x: object,
        y: object,
        prototypes: object | None = None,
        class_names: Sequence[str] | None = None,
        batch_size: int = 256,
    ):
        super().__init__()
        self.directory = Path(directory)
        self.x = x
        self.y = np.asarray(y)
        self.prototypes = prototypes
        self.class_names = class_names
        self.batch_size = batch_size
        self.config_path: Path | None = None

    def on_train_end(self, logs=None):
        prototypes = self.prototypes
        if prototypes is None:
            prototypes = getattr(getattr(self.model, "loss", None), "prototypes", None)
        outputs = self.model.predict(self.x, batch_size=self.batch_size, verbose=0)
        self.config_path = export_projector(
            self.directory,
            keras.ops.convert_to_numpy(outputs),
            self.y,
            None if prototypes is None else keras.ops.convert_to_numpy(prototypes),
            self.class_names,
        )
