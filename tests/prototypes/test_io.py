import json

import numpy as np
import pytest

from keras_hpn.prototypes import io, placement
from keras_hpn.version import __version__

pytestmark = pytest.mark.once  # backend-independent: first pass only


def test_round_trip_with_metadata(tmp_path):
    points = placement.hyperspherical(12, 3, seed=5)
    path = tmp_path / "p.npz"
    io.save_prototypes(
        path, points, class_names=list("abcdefghijkl"), seed=5, method="auto"
    )
    loaded, names, metadata = io.load_prototypes(path)
    np.testing.assert_allclose(loaded, points, rtol=0, atol=1e-15)
    assert names == list("abcdefghijkl")
    assert metadata["method"] == "auto" and metadata["seed"] == 5
    assert metadata["dims"] == 3 and metadata["num_classes"] == 12
    assert metadata["keras_hpn_version"] == __version__
    assert metadata["largest_cosine"] == pytest.approx(
        float(np.max(points @ points.T - 2 * np.eye(12)))
    )


def test_placement_saved_with_its_method(tmp_path):
    placed = placement.place(240, 8, seed=0)
    metadata = io.save_prototypes(tmp_path / "p.npz", placed, method="auto")
    assert metadata["method"] == "auto" and metadata["method_used"] == "code"
    assert metadata["construction"] == "E8 roots"
    assert metadata["optimum"] == 0.5 and abs(metadata["gap"]) < 1e-12
    loaded, _, again = io.load_prototypes(tmp_path / "p.npz")
    np.testing.assert_allclose(loaded, placed.prototypes, rtol=0, atol=1e-15)
    assert again == metadata


def test_pickled_file_refused(tmp_path):
    path = tmp_path / "p.npz"
    np.savez(
        path,
        prototypes=np.eye(2),
        class_names=np.array([{"a": 1}, None]),
        metadata=np.asarray("{}"),
    )
    with pytest.raises(ValueError, match="pickle"):
        io.load_prototypes(path)


def test_non_unit_rows_refused(tmp_path):
    path = tmp_path / "p.npz"
    meta = json.dumps({"num_classes": 2, "dims": 2})
    np.savez(
        path,
        prototypes=np.array([[2.0, 0.0], [0.0, 1.0]]),
        class_names=np.array(["", ""]),
        metadata=np.asarray(meta),
    )
    with pytest.raises(ValueError, match=r"unit rows.*Rows \[0\]"):
        io.load_prototypes(path)


def test_shape_mismatch_and_missing_arrays_refused(tmp_path):
    path = tmp_path / "p.npz"
    meta = json.dumps({"num_classes": 3, "dims": 2})
    np.savez(
        path,
        prototypes=np.eye(2),
        class_names=np.array(["", ""]),
        metadata=np.asarray(meta),
    )
    with pytest.raises(ValueError, match="announces num_classes=3"):
        io.load_prototypes(path)
    np.savez(path, prototypes=np.eye(2))
    with pytest.raises(ValueError, match="lacks"):
        io.load_prototypes(path)


def test_save_checks_names():
    with pytest.raises(ValueError, match="class_names"):
        io.save_prototypes("unused.npz", np.eye(2), class_names=["a"])


def test_duplicate_names_are_found_in_linear_time(tmp_path):
    """`names.count` per name made this quadratic: about a minute here."""
    import time

    names = [f"class {i}" for i in range(60_000)] + ["class 7"]
    start = time.perf_counter()
    with pytest.raises(ValueError, match="Repeated: \\['class 7'\\]"):
        rows = np.random.default_rng(0).standard_normal((len(names), 2))
        io.save_prototypes(tmp_path / "p.npz", rows, class_names=names)
    assert time.perf_counter() - start < 5.0
