import numpy as np
import pytest

from keras_hpn import (
    calibration,
    class_probabilities,
    class_scores,
    expected_calibration_error,
    fit_logit_temperature,
    fit_temperature,
    logit_probabilities,
    negative_log_likelihood,
)

pytestmark = pytest.mark.once  # backend-independent: first pass only


def _softmax(scores, temperature):
    exps = np.exp(np.asarray(scores) / temperature)
    return exps / exps.sum(axis=-1, keepdims=True)


def test_probabilities_by_hand():
    # Cosines 0.6 and 0.8 at T = 0.1: exp(6) and exp(8).
    p = class_probabilities([[3.0, 4.0]], np.eye(2), temperature=0.1)
    e2 = np.exp(2.0)
    np.testing.assert_allclose(p, [[1 / (1 + e2), e2 / (1 + e2)]], rtol=1e-12)
    p = logit_probabilities([[1.0, 2.0, 3.0]])
    e = np.exp([1.0, 2.0, 3.0])
    np.testing.assert_allclose(p, [e / e.sum()], rtol=1e-12)


def test_probabilities_at_extreme_temperatures_stay_finite():
    z = [[3.0, 4.0], [1.0, -1.0]]
    cold = class_probabilities(z, np.eye(2), temperature=1e-4)
    np.testing.assert_array_equal(cold, [[0.0, 1.0], [1.0, 0.0]])
    hot = class_probabilities(z, np.eye(2), temperature=1e6)
    np.testing.assert_allclose(hot, 0.5, atol=1e-6)
    np.testing.assert_array_equal(
        logit_probabilities([[1e308, 0.0]], temperature=1e-3), [[1.0, 0.0]]
    )


def test_rows_with_no_direction_have_no_probabilities():
    p = class_probabilities([[0.0, 0.0], [np.nan, 1.0], [1.0, 1.0]], np.eye(2))
    assert np.isnan(p[:2]).all()
    np.testing.assert_allclose(p[2], [0.5, 0.5])
    assert np.isnan(logit_probabilities([[np.inf, 0.0], [0.0, 0.0]])[0]).all()


def test_chunked_equals_direct_at_many_classes(monkeypatch):
    rng = np.random.default_rng(0)
    protos = rng.normal(size=(50, 6))
    z = rng.normal(size=(2, 9, 6))  # any leading shape
    expected = _softmax(class_scores(z, protos), 0.05)
    direct = class_probabilities(z, protos, temperature=0.05)
    # 7 classes at a time, 3 rows at a time: chunks and blocks that do not divide.
    monkeypatch.setattr(calibration, "CLASS_CHUNK", 7)
    monkeypatch.setattr(calibration, "BLOCK_BYTES", 8 * 7 * 3)
    chunked = class_probabilities(z, protos, temperature=0.05)
    assert chunked.shape == (2, 9, 50)
    np.testing.assert_allclose(direct, expected, rtol=1e-12)
    np.testing.assert_allclose(chunked, expected, rtol=1e-12)
    logits = rng.normal(size=(9, 50)) * 30
    np.testing.assert_allclose(
        logit_probabilities(logits, 2.0), _softmax(logits, 2.0), rtol=1e-12
    )


def test_more_classes_than_one_chunk():
    rng = np.random.default_rng(1)
    protos = rng.normal(size=(calibration.CLASS_CHUNK + 300, 8))
    z = rng.normal(size=(3, 8))
    p = class_probabilities(z, protos, temperature=0.02)
    np.testing.assert_allclose(p, _softmax(class_scores(z, protos), 0.02), rtol=1e-10)


def _drawn(scores, temperature, rng):
    """Labels drawn from the softmax of `scores / temperature`."""
    p = _softmax(scores, temperature)
    return (p.cumsum(axis=1) > rng.random((len(p), 1))).argmax(axis=1)


def _nll(scores, labels, temperature):
    return negative_log_likelihood(_softmax(scores, temperature), labels)


def test_fit_temperature_recovers_the_temperature_labels_were_drawn_at():
    rng = np.random.default_rng(0)
    protos = rng.normal(size=(5, 4))
    z = rng.normal(size=(20000, 4))
    cosines = class_scores(z, protos)
    labels = _drawn(cosines, 0.1, rng)
    fitted = fit_temperature(z, protos, labels)
    assert fitted == pytest.approx(0.1, rel=0.05)
    # It is the minimum of the likelihood, not merely near the truth.
    for step in (0.99, 1.01):
        assert _nll(cosines, labels, fitted) < _nll(cosines, labels, fitted * step)


def test_fit_logit_temperature_recovers_the_temperature():
    rng = np.random.default_rng(1)
    logits = rng.normal(size=(20000, 3)) * 4.0
    labels = _drawn(logits, 2.5, rng)
    fitted = fit_logit_temperature(logits, labels.astype("float32"))
    assert fitted == pytest.approx(2.5, rel=0.05)
    for step in (0.99, 1.01):
        assert _nll(logits, labels, fitted) < _nll(logits, labels, fitted * step)


def test_chunked_fit_equals_the_fit_on_stored_scores(monkeypatch):
    rng = np.random.default_rng(2)
    protos = rng.normal(size=(40, 6))
    z = rng.normal(size=(300, 6))
    labels = _drawn(class_scores(z, protos), 0.2, rng)
    stored = fit_temperature(z, protos, labels)
    monkeypatch.setattr(calibration, "CLASS_CHUNK", 9)
    monkeypatch.setattr(calibration, "BLOCK_BYTES", 8 * 9 * 50)
    assert fit_temperature(z, protos, labels) == pytest.approx(stored, rel=1e-9)


def test_fit_on_separable_data_stops_at_the_end_of_the_range():
    # Every label the best class by far: the likelihood rises as T falls.
    z = np.array([[1.0, 0.0], [0.0, 1.0]])
    assert fit_temperature(z, np.eye(2), [0, 1]) == 1e-4
    # Every label the worst class: uniform probabilities are the best fit.
    assert fit_temperature(z, np.eye(2), [1, 0]) == 1e4


def test_expected_calibration_error_by_hand():
    probabilities = [[0.9, 0.1], [0.2, 0.8], [0.5, 0.5], [0.3, 0.7]]
    labels = [0, 0, 0, 1]  # predictions 0, 1, 0 (tie to the lower id), 1
    # 2 bins: (0, 0.5] holds 0.5 (right), (0.5, 1] holds 0.9 (right), 0.8
    # (wrong), 0.7 (right): 1/4 * 0.5 + 3/4 * |2/3 - 0.8|.
    assert expected_calibration_error(probabilities, labels, bins=2) == (
        pytest.approx(0.25 * 0.5 + 0.75 * abs(2 / 3 - 0.8))
    )
    # 15 bins: each confidence alone (0.8 = 12/15 lies on an edge: lower bin).
    assert expected_calibration_error(probabilities, labels) == pytest.approx(
        (0.1 + 0.8 + 0.3 + 0.5) / 4
    )
    # Calibrated: confidence 0.5 and half right.
    assert expected_calibration_error([[0.5, 0.5]] * 2, [0, 1]) == 0.0


def test_negative_log_likelihood_by_hand():
    nll = negative_log_likelihood([[0.5, 0.5], [0.2, 0.8]], [0, 1])
    assert nll == pytest.approx(-(np.log(0.5) + np.log(0.8)) / 2)
    # A certain mistake is large but finite.
    assert negative_log_likelihood([[1.0, 0.0]], [1]) == pytest.approx(
        -np.log(np.finfo(np.float64).tiny)
    )
