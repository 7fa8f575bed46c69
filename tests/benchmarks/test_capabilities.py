"""Items `incremental`, `openset` and `calibration` (issue 20), on digits."""

import dataclasses
import json

import numpy as np
import pytest

from keras_hpn import acceptance_threshold, data
from keras_hpn.benchmarks import report, suite, tasks
from keras_hpn.benchmarks.items import calibration, incremental, openset
from keras_hpn.benchmarks.models import Budget

pytestmark = pytest.mark.once  # backend-independent: first pass only

ITEMS = ["incremental", "openset", "calibration"]


def _tiny() -> suite.Settings:
    return dataclasses.replace(
        suite.Settings.quick("digits"),
        dims=(6,),
        classification=Budget(epochs=2, batch_size=64, learning_rate=0.01, hidden=32),
        task_sizes=(5,),
        replay=(20,),
    )


def test_items_run_from_the_suite_print_tables_and_plots(tmp_path, capsys):
    results = suite.run(_tiny(), items=ITEMS, out=tmp_path)
    printed = capsys.readouterr().out
    for title in (
        "Class-incremental Digits: each task trains 2 epochs",
        "HPN reserves all 10 prototypes (D = 6)",
        "2 x 5        20  hpn",
        "Open set: trained on Digits classes 0-4 (HPN D = 6)",
        "softmax max logit",
        "Calibration on the Digits test set: 15-bin ECE",
        "hpn softmax(cos / T)",
    ):
        assert title in printed
    stored = json.loads((tmp_path / "results.json").read_text())
    assert set(ITEMS) <= set(stored)
    for item in ITEMS:
        assert (tmp_path / f"{item}.png").stat().st_size > 1000

    labels = data.digits(seed=0).y_test
    halves = [np.mean(labels < 5), np.mean(labels >= 5)]
    # incremental: forgetting and final accuracy follow from the recorded
    # accuracies of each task just after learning it and at the end.
    for kind in ("hpn", "softmax", "cosine"):
        entry = results["incremental"][f"{kind}/5/20"]
        (matrix,) = entry["matrices"]
        assert [len(row) for row in matrix] == [1, 2]
        assert entry["forgetting"]["values"] == [
            pytest.approx(matrix[0][0] - matrix[1][0])
        ]
        # After the last task all 10 classes are seen: the final accuracy is
        # that over both tasks' test images, each task weighed by its images.
        assert entry["final"]["mean"] == pytest.approx(np.dot(halves, matrix[1]))
        assert entry["seen"][0]["mean"] == pytest.approx(matrix[0][0])

    # openset: the threshold accepts 95% of the held-out known images, so
    # about as many known test images; the ROC ends at (1, 1).
    for key in ("hpn/cosine", "softmax/probability", "softmax/logit", "cosine/cosine"):
        entry = results["openset"][key]
        assert 0.0 <= entry["auroc"]["mean"] <= 1.0
        assert 0.8 <= entry["tar"]["mean"] <= 1.0
        assert entry["roc"]["tpr"][-1] == pytest.approx(1.0)

    # calibration: the fitted temperature cannot raise the validation NLL,
    # and on test it lowers HPN's (cosines at temperature 1 are too flat).
    hpn = results["calibration"]["hpn"]
    assert hpn["temperature"]["mean"] < 1.0
    assert hpn["nll_after"]["mean"] < hpn["nll_before"]["mean"]
    for kind in calibration.KINDS:
        bins = results["calibration"][kind]["reliability"]["after"]
        count = np.asarray(bins["count"])
        assert len(count) == 15 and count.sum() == 450  # digits' test images
        # One seed: the library's ECE is the count-weighted gap of these bins.
        gap = np.abs(
            np.asarray(bins["confidence"], float) - np.asarray(bins["accuracy"], float)
        )
        ece = np.nansum(count * gap) / count.sum()
        assert results["calibration"][kind]["ece_after"]["mean"] == pytest.approx(ece)


def test_forgetting_of_a_hand_made_matrix():
    matrix = [[0.9], [0.5, 0.8], [0.3, 0.4, 0.7]]
    # (0.9 - 0.3) and (0.8 - 0.4): the last task is not counted.
    assert incremental.forgetting(matrix) == pytest.approx(0.5)
    assert incremental.forgetting([[0.6]]) == 0.0


def test_schedules_cover_the_ten_classes_in_order():
    assert incremental.schedule(2) == [[0, 1], [2, 3], [4, 5], [6, 7], [8, 9]]
    assert incremental.schedule(5) == [[0, 1, 2, 3, 4], [5, 6, 7, 8, 9]]
    assert incremental.schedule(4)[-1] == [8, 9]


@pytest.mark.parametrize("kind", ["softmax", "cosine"])
def test_a_grown_head_keeps_the_old_classes_weights(kind):
    small = incremental._grown(kind, None, 2)
    small.build((None, 3))
    grown = incremental._grown(kind, small, 5)
    for old, new in zip(small.get_weights(), grown.get_weights(), strict=True):
        assert new.shape[-1] == 5
        np.testing.assert_array_equal(new[..., :2], old)


def test_false_accepts_at_95_percent_true_accepts():
    known = np.arange(1, 101) / 100.0  # 0.01 ... 1.00
    # 95 of 100 accepted: the 95th best score, 1.00 - 0.94.
    assert openset.threshold(known) == pytest.approx(0.06)
    assert np.mean(known >= openset.threshold(known)) == 0.95
    unknown = np.array([0.0, 0.05, 0.06, 0.5])
    # Accepted: 0.06 (at the threshold) and 0.5.
    assert openset.false_accepts(known, unknown) == 0.5
    # 0.7 of 10 scores: the 7th best (as the library rounds).
    assert openset.threshold(np.arange(10.0), accept=0.7) == 3.0


def test_threshold_rule_is_the_librarys_for_cosines():
    rng = np.random.default_rng(0)
    outputs, protos = rng.normal(size=(101, 4)), np.eye(4)
    cosines = openset.score("hpn", "cosine", outputs, protos)
    for accept in (0.5, 0.9, 0.95, 1.0):
        assert openset.threshold(cosines, accept) == pytest.approx(
            acceptance_threshold(outputs, protos, accept), abs=1e-12
        )


def test_known_scores_of_each_head():
    logits = np.array([[2.0, 0.0, 0.0], [1.0, 1.0, 1.0]])
    probability = openset.score("softmax", "probability", logits)
    np.testing.assert_allclose(probability, [np.e**2 / (np.e**2 + 2), 1 / 3])
    np.testing.assert_allclose(openset.score("softmax", "logit", logits), [2.0, 1.0])
    np.testing.assert_allclose(
        openset.score("cosine", "cosine", 16.0 * logits / 2.0, scale=16.0), [1.0, 0.5]
    )
    outputs = np.array([[3.0, 4.0], [-1.0, 0.0]])
    cosine = openset.score("hpn", "cosine", outputs, np.eye(2))
    np.testing.assert_allclose(cosine, [0.8, 0.0])


def test_opt_in_items_stay_out_of_the_default_run():
    for dataset in ("fashion_mnist", "digits"):
        default = suite.default_items(suite.Settings.default(dataset))
        assert not set(suite.OPT_IN) & set(default)
    assert set(suite.OPT_IN) <= set(suite.ITEMS)


def test_tables_of_stored_results_without_rerunning():
    # A results.json of one seed reads back into the same tables.
    results = {
        "settings": dataclasses.asdict(_tiny()),
        "dataset": "digits",
        "calibration": {
            "dims": 6,
            "bins": 15,
            "softmax": {
                name: {"mean": value, "std": 0.0, "values": [value]}
                for name, value in (
                    ("accuracy", 0.9),
                    ("temperature", 1.5),
                    ("ece_before", 0.05),
                    ("ece_after", 0.02),
                    ("nll_before", 0.4),
                    ("nll_after", 0.3),
                )
            },
        },
    }
    table = report.tables(results)
    assert "softmax(logits / T)" in table and "1.5000 +- 0.0000" in table
    assert "hpn softmax" not in table
    assert calibration.KINDS == ("hpn", "softmax")


def test_validation_is_carved_from_the_training_set():
    settings = suite.Settings.quick("digits")
    whole = tasks.split(settings, seed=0)
    held = tasks.split(settings, seed=0, validation=True)
    # 15% of digits' 1,347 training images (scikit-learn rounds up), by class.
    assert len(held.y_val) == 203 and len(held.y_train) == 1347 - 203
    np.testing.assert_array_equal(held.x_test, whole.x_test)
    train_rows = {row.tobytes() for row in held.x_train}
    assert not any(row.tobytes() in train_rows for row in held.x_val)
    assert np.bincount(held.y_val, minlength=10).min() >= 18
