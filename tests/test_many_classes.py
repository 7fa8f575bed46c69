"""Many classes: chunked metrics, decoders and head equal the dense computation,
and 100,000 classes run in memory bounded by a chunk of classes."""

import os
import subprocess
import sys
import textwrap
import tracemalloc

import keras
import numpy as np
import pytest

import keras_hpn
from keras_hpn import decoding
from keras_hpn.layers import PrototypeHead
from keras_hpn.metrics import PrototypeAccuracy
from keras_hpn.utils.resources import check_memory


def unit_rows(count, dims, seed):
    rows = np.random.default_rng(seed).standard_normal((count, dims))
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def dense_rank(z, protos, labels):
    scores = z @ protos.T
    own = scores[np.arange(len(z)), labels][:, None]
    ids = np.arange(len(protos))[None, :]
    ahead = (scores > own) | ((scores == own) & (ids < labels[:, None]))
    return ahead.sum(axis=1)


def dense_top_k(z, protos, k):
    scores = z @ protos.T
    order = np.argsort(-scores, axis=1, kind="stable")[:, :k]
    return order, np.take_along_axis(scores, order, axis=1)


PROTOS = unit_rows(50, 6, seed=0)
Z = unit_rows(40, 6, seed=1).astype("float32").astype("float64")
LABELS = np.random.default_rng(2).integers(0, 50, 40)
# Ties: outputs exactly between two of the eye's prototypes.
EYE = np.eye(6)
TIES = np.array([[1.0, 1.0, 0, 0, 0, 0], [0, 0, 1.0, 0, 1.0, 1.0]])


@pytest.mark.parametrize("k", [1, 3, 10])
@pytest.mark.parametrize("chunk", [7, 50, 8192])
def test_chunked_accuracy_equals_the_dense_rank(k, chunk):
    metric = PrototypeAccuracy(PROTOS, k=k, chunk_size=chunk)
    metric.update_state(LABELS, Z.astype("float32"))
    expected = np.mean(dense_rank(Z, PROTOS, LABELS) < k)
    assert float(metric.result()) == pytest.approx(expected, abs=1e-7)
    assert 0.0 < expected < 1.0  # the data decide: neither all right nor all wrong


@pytest.mark.parametrize("chunk", [1, 2, 8192])
def test_chunked_accuracy_breaks_ties_towards_the_lower_class(chunk):
    metric = PrototypeAccuracy(EYE, chunk_size=chunk)
    metric.update_state(
        [0, 1, 2, 4], np.concatenate([TIES[:1], TIES[:1], TIES[1:], TIES[1:]])
    )
    assert float(metric.result()) == pytest.approx(0.5)  # 0 and 2 win their ties


@pytest.mark.parametrize("k", [1, 4])
def test_chunked_decoding_equals_dense(monkeypatch, k):
    monkeypatch.setattr(decoding, "CLASS_CHUNK", 7)
    monkeypatch.setattr(decoding, "BLOCK_BYTES", 8 * 7 * 3)  # 3 rows a block
    classes, scores = keras_hpn.predict_classes(Z, PROTOS, k=k, return_scores=True)
    order, values = dense_top_k(Z, PROTOS, k)
    np.testing.assert_array_equal(classes, order[:, 0] if k == 1 else order)
    np.testing.assert_allclose(scores, values[:, 0] if k == 1 else values, atol=1e-12)
    # Ties across chunk boundaries go to the lower class id, as argsort does.
    monkeypatch.setattr(decoding, "CLASS_CHUNK", 1)
    np.testing.assert_array_equal(
        keras_hpn.predict_classes(TIES, EYE, k=3),
        np.argsort(-(TIES @ EYE.T), axis=1, kind="stable")[:, :3],
    )


@pytest.mark.parametrize("chunk", [7, 8192])
def test_top_k_head_equals_the_dense_head(chunk):
    init = keras_hpn.initializers.PrototypeInitializer(PROTOS)
    dense = PrototypeHead(50, kernel_initializer=init)
    best = PrototypeHead(50, kernel_initializer=init, top_k=5, chunk_size=chunk)
    x = Z.astype("float32")
    scores = keras.ops.convert_to_numpy(dense(x))
    values, classes = (keras.ops.convert_to_numpy(t) for t in best(x))
    order = np.argsort(-scores, axis=1, kind="stable")[:, :5]
    np.testing.assert_array_equal(classes, order)
    np.testing.assert_allclose(values, np.take_along_axis(scores, order, 1), atol=1e-6)
    model = keras.Sequential([keras.Input((6,)), best])
    assert [tuple(o.shape) for o in model.outputs] == [(None, 5), (None, 5)]


def test_class_scores_refuses_what_cannot_fit(monkeypatch):
    from keras_hpn.utils import resources as validation

    monkeypatch.setattr(validation, "available_memory", lambda: 1000)
    with pytest.raises(ValueError, match=r"GiB.*predict_classes"):
        keras_hpn.class_scores(np.ones((100, 6)), PROTOS)
    with pytest.raises(ValueError, match="needs about"):
        check_memory(2000, "this")


def test_decoding_100000_classes_never_builds_the_full_score_matrix():
    protos = unit_rows(100_000, 32, seed=3)
    z = unit_rows(512, 32, seed=4)
    labels = np.arange(512) * 97
    z[::2] = protos[labels[::2]]  # half of the outputs sit on their prototype
    tracemalloc.start()
    classes = keras_hpn.predict_classes(z, protos, k=5)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    dense_bytes = 8 * 512 * 100_000  # 410 MB
    # Validating the prototypes copies them (26 MB) a few times; the scores
    # themselves stay within one 64 MB block.
    assert peak < 4 * protos.nbytes + 2 * decoding.BLOCK_BYTES < dense_bytes
    np.testing.assert_array_equal(classes[::2, 0], labels[::2])


@pytest.mark.slow
def test_accuracy_at_100000_classes_stays_within_a_chunk_of_memory():
    """Resident memory grows by far less than one dense score matrix."""
    code = textwrap.dedent(
        """
        import numpy as np, keras, keras_hpn
        from keras_hpn.benchmarks.common import peak_mb, reset_peak
        rng = np.random.default_rng(0)
        protos = rng.standard_normal((100_000, 32))
        protos /= np.linalg.norm(protos, axis=1, keepdims=True)
        labels = rng.integers(0, 100_000, 2048)
        z = protos[labels].astype("float32")
        metric = keras_hpn.metrics.PrototypeAccuracy(protos, k=5)
        metric.update_state(labels[:8], z[:8])  # warm up: constants, kernels
        # The peak restarts here: a child process inherits its parent's peak
        # in `ru_maxrss`, which would hide any growth below pytest's own.
        before = reset_peak()
        metric.update_state(labels, z)
        print(float(metric.result()), peak_mb() - before)
        """
    )
    env = dict(os.environ, KERAS_BACKEND=keras.backend.backend())
    done = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    accuracy, grown_mb = map(float, done.stdout.split()[-2:])
    assert accuracy == 1.0
    dense_mb = 2048 * 100_000 * 4 / 2**20  # 781 MB of float32 scores
    assert grown_mb < dense_mb / 2, grown_mb  # dense: 1.2 to 4.7 GB grown


def test_loss_and_metric_share_one_copy_of_large_prototypes():
    protos = unit_rows(20_000, 8, seed=3)  # 160,000 numbers: stored by reference
    loss = keras_hpn.losses.PrototypeCosineLoss(protos)
    metric = PrototypeAccuracy(protos.copy())
    assert loss.prototypes is metric.prototypes
    small = unit_rows(10, 8, seed=3)
    assert keras_hpn.losses.PrototypeCosineLoss(small).prototypes is not (
        PrototypeAccuracy(small).prototypes
    )


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc is Linux's")
def test_checking_100000_prototypes_needs_about_one_copy():
    from keras_hpn.benchmarks.common import peak_mb, reset_peak
    from keras_hpn.utils.validation import check_prototypes

    raw = np.random.default_rng(0).standard_normal((100_000, 128))
    before = reset_peak()
    checked = check_prototypes(raw)
    grown = peak_mb() - before
    copy_mb = raw.nbytes / 2**20  # 98 MB: the unit rows it returns
    # Sorting whole rows for the duplicate check took two copies more.
    assert grown < 1.5 * copy_mb, grown
    assert checked.shape == raw.shape
