"""The projector export writes what TensorBoard's projector reads back."""

import numpy as np
import pytest

from keras_hpn.projector import ProjectorExport, export_projector


def _read_back(folder):
    """The files as TensorBoard's projector plugin reads them."""
    from google.protobuf import text_format
    from tensorboard.plugins.projector import projector_config_pb2, projector_plugin

    config_path = folder / "projector_config.pbtxt"
    config = text_format.Parse(
        config_path.read_text(), projector_config_pb2.ProjectorConfig()
    )
    (embedding,) = config.embeddings
    tensor = projector_plugin._read_tensor_tsv_file(
        projector_plugin._rel_to_abs_asset_path(embedding.tensor_path, config_path)
    )
    metadata_path = projector_plugin._rel_to_abs_asset_path(
        embedding.metadata_path, config_path
    )
    with open(metadata_path, encoding="utf-8") as file:
        rows = [line.rstrip("\n").split("\t") for line in file]
    return embedding, tensor, rows


@pytest.mark.once
def test_outputs_and_prototypes_read_back(tmp_path):
    outputs = np.array([[0.6, 0.8, 0.0], [1.0, 0.0, 0.0], [0.0, -0.28, 0.96]])
    labels = np.array([1, 0, 2])
    prototypes = np.eye(3)
    config = export_projector(
        tmp_path / "logs",
        outputs,
        labels,
        prototypes,
        class_names=["t-shirt", "ankle\tboot", "bag"],
        tensor_name="fashion",
    )
    assert config == tmp_path / "logs" / "projector_config.pbtxt"
    embedding, tensor, rows = _read_back(tmp_path / "logs")
    assert embedding.tensor_name == "fashion"
    np.testing.assert_allclose(tensor, np.concatenate([outputs, prototypes]))
    # Exact in float64: 17 significant digits.
    np.testing.assert_array_equal(
        np.loadtxt(tmp_path / "logs" / "tensors.tsv", delimiter="\t")[:3], outputs
    )
    assert rows == [
        ["class", "point"],
        ["ankle boot", "output"],  # the tab would have split the field
        ["t-shirt", "output"],
        ["bag", "output"],
        ["t-shirt", "prototype"],
        ["ankle boot", "prototype"],
        ["bag", "prototype"],
    ]


@pytest.mark.once
def test_outputs_alone_with_class_ids(tmp_path):
    export_projector(tmp_path, np.ones((2, 4)), np.array([3, 1]))
    _, tensor, rows = _read_back(tmp_path)
    assert tensor.shape == (2, 4)
    assert rows == [["class", "point"], ["3", "output"], ["1", "output"]]


def test_callback_exports_after_fit(tmp_path):
    import keras

    import keras_hpn

    split = keras_hpn.data.digits(seed=0)
    prototypes = keras_hpn.prototypes.hyperspherical(10, 3, seed=0)
    model = keras.Sequential(
        [keras.Input((64,)), keras_hpn.layers.L2NormalizedProjection(3)]
    )
    model.compile("adam", keras_hpn.losses.PrototypeCosineLoss(prototypes))
    export = ProjectorExport(
        tmp_path, split.x_test[:20], split.y_test[:20], class_names=list("abcdefghij")
    )
    model.fit(
        split.x_train[:64], split.y_train[:64], epochs=1, callbacks=[export], verbose=0
    )
    assert export.config_path == tmp_path / "projector_config.pbtxt"
    _, tensor, rows = _read_back(tmp_path)
    outputs = model.predict(split.x_test[:20], verbose=0)
    np.testing.assert_allclose(tensor[:20], outputs, atol=1e-6)
    np.testing.assert_allclose(tensor[20:], prototypes, atol=1e-6)
    assert [row[0] for row in rows[1:21]] == [
        "abcdefghij"[y] for y in split.y_test[:20]
    ]
    assert rows[21:] == [[name, "prototype"] for name in "abcdefghij"]
