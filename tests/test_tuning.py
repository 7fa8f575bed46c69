"""keras-tuner searches over HPNs on real data (scikit-learn digits and wine)."""

import ast
import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
import pytest

keras_tuner = pytest.importorskip("keras_tuner")
from sklearn.model_selection import train_test_split  # noqa: E402

import keras_hpn  # noqa: E402
from keras_hpn import data, tuning  # noqa: E402
from keras_hpn.tuning import HPNHyperModel, objective  # noqa: E402

SEARCH_SCRIPT = Path(__file__).parent / "scripts" / "tuning_search.py"


class CountingBackbone:
    """A small MLP body that counts how often it is built."""

    def __init__(self, features: int):
        self.features = features
        self.calls = 0

    def __call__(self, hp):
        self.calls += 1
        return keras.Sequential(
            [
                keras.Input((self.features,)),
                keras.layers.Dense(hp.Choice("units", [32, 64]), activation="relu"),
            ]
        )


@pytest.fixture(scope="module")
def digits():
    return data.digits(seed=0)


def _trial_dirs(path):
    return sorted(p.name for p in path.iterdir() if p.name.startswith("trial_"))


def test_objective_names_and_directions():
    assert (
        objective("prototype_accuracy").name,
        objective("prototype_accuracy").direction,
    ) == (
        "val_prototype_accuracy",
        "max",
    )
    mae = objective("val_regression_mae")
    assert (mae.name, mae.direction) == ("val_regression_mae", "min")
    top = objective("top_5_prototype_accuracy", validation=False)
    assert (top.name, top.direction) == ("top_5_prototype_accuracy", "max")
    assert objective("loss").direction == "min"
    # A larger accuracy is better, a larger error is worse.
    assert objective("prototype_accuracy").better_than(0.9, 0.8)
    assert not mae.better_than(3.0, 2.0)
    with pytest.raises(ValueError, match="metric.*accuracy_typo"):
        objective("accuracy_typo")


def test_hypermodel_builds_what_it_says():
    backbone = CountingBackbone(64)
    hypermodel = HPNHyperModel(
        backbone, num_classes=10, dims=[3, 5], methods=["auto", "hpn"]
    )
    hp = keras_tuner.HyperParameters()
    hp.Fixed("dims", 5)
    model = hypermodel.build(hp)
    assert model.output.shape == (None, 5)
    assert backbone.calls == 1
    assert set(hp.values) == {"dims", "method", "learning_rate", "units"}
    assert hp.values["method"] == "auto" and hp.values["learning_rate"] == 1e-3
    np.testing.assert_array_equal(
        hypermodel.prototypes(hp), keras_hpn.prototypes.hyperspherical(10, 5, seed=0)
    )
    # The loss and the metric hold the same prototypes.
    np.testing.assert_allclose(model.loss.prototypes, hypermodel.prototypes(hp))
    single = hypermodel.tuner_objective()  # not a list: no MultiObjective
    assert (single.name, single.direction) == ("val_prototype_accuracy", "max")
    # A fixed model-building function without `hp`.
    fixed = HPNHyperModel(
        lambda: keras.Sequential([keras.Input((4,)), keras.layers.Dense(8)]),
        num_classes=3,
        dims=4,
    )
    assert fixed.build(keras_tuner.HyperParameters()).output.shape == (None, 4)


def test_multitask_hypermodel_searches_the_weight():
    hypermodel = HPNHyperModel(
        CountingBackbone(12), num_classes=3, dims=[4, 6], regression=(11.0, 15.0)
    )
    hp = keras_tuner.HyperParameters()
    model = hypermodel.build(hp)
    assert hp.values["weight"] == 0.5  # the default: the middle of [0, 1]
    assert isinstance(model.loss, keras_hpn.losses.MultiTaskLoss)
    assert (model.loss.lower, model.loss.upper, model.loss.weight) == (11.0, 15.0, 0.5)
    protos, axis = keras_hpn.prototypes.multitask(3, 4, seed=0)
    np.testing.assert_array_equal(hypermodel.prototypes(hp), protos)
    assert [(o.name, o.direction) for o in hypermodel.tuner_objective()] == [
        ("val_prototype_accuracy", "max"),
        ("val_regression_range_mae", "min"),
    ]
    # One value fixes t, and it is still recorded with the trial.
    fixed = keras_tuner.HyperParameters()
    model = HPNHyperModel(
        CountingBackbone(12), 3, dims=4, regression=(0.0, 1.0), weight_range=0.25
    ).build(fixed)
    assert model.loss.weight == fixed.values["weight"] == 0.25
    # t only exists with a regression task.
    plain = keras_tuner.HyperParameters()
    HPNHyperModel(CountingBackbone(12), num_classes=3, dims=4).build(plain)
    assert "weight" not in plain.values


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"num_classes": 1}, "num_classes=1"),
        ({"num_classes": 3, "dims": [1, 4]}, r"dims=\[1, 4\]"),
        ({"num_classes": 3, "dims": 2, "regression": (0.0, 1.0)}, "dims=2"),
        ({"num_classes": 3, "dims": []}, "dims"),
        ({"num_classes": 3, "methods": ["auto", "best"]}, "best"),
        ({"num_classes": 3, "learning_rates": -0.1}, "learning_rates=-0.1"),
        ({"num_classes": 3, "learning_rates": float("inf")}, "learning_rates=inf"),
        ({"num_classes": 3, "learning_rates": [1e-3, np.nan]}, "finite"),
        ({"num_classes": 3, "regression": (2.0, 1.0)}, "lower"),
        ({"num_classes": 3, "regression": 5.0}, "regression=5.0"),
        ({"num_classes": 3, "weight_range": (0.5, 1.5)}, "weight_range"),
    ],
)
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        HPNHyperModel(CountingBackbone(4), **kwargs)


def test_labels_beyond_num_classes_warn_and_are_counted(digits):
    # Issue 17: a search with num_classes=5 on labels 0..9 scored 0.22 in silence.
    hypermodel = HPNHyperModel(CountingBackbone(64), num_classes=5, dims=4)
    hp = keras_tuner.HyperParameters()
    model = hypermodel.build(hp)
    x, y = digits.x_train[:128], digits.y_train[:128]
    with pytest.warns(keras_hpn.losses.InvalidLabelWarning, match=r"\[0, 5\)"):
        history = hypermodel.fit(hp, model, x, y, epochs=1, batch_size=64, verbose=0)
    assert history.history["invalid_labels"] == [float(np.sum(y >= 5))]
    # Weight-0 rows are left out on purpose: not counted (weighted_metrics).
    weights = (y < 5).astype("float32")
    result = model.evaluate(x, y, sample_weight=weights, verbose=0, return_dict=True)
    assert result["invalid_labels"] == 0.0


def test_multitask_class_weight_weights_the_class_column(tmp_path):
    # Issue 17 item 3: Keras read [class, target] as one-hot, weighting by
    # the target column: {0: 1, 1: 100, 2: 1} multiplied every row by 100.
    split = data.wine(seed=0)
    x, y = split.x_train[:64], split.y_train[:64]
    hypermodel = HPNHyperModel(
        CountingBackbone(12), num_classes=3, dims=4, regression=(11.0, 15.0)
    )
    class_weight = {0: 1.0, 1: 100.0, 2: 1.0}
    trained = []
    for kwargs in (
        {"class_weight": class_weight},
        {"sample_weight": np.where(y[:, 0] == 1, 100.0, 1.0)},
    ):
        hp = keras_tuner.HyperParameters()
        keras.utils.set_random_seed(0)
        model = hypermodel.build(hp)
        hypermodel.fit(
            hp, model, x, y, epochs=1, batch_size=32, shuffle=False, verbose=0, **kwargs
        )
        trained.append([keras.ops.convert_to_numpy(w) for w in model.weights])
    for got, expected in zip(*trained, strict=True):
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)


def test_backbone_must_return_a_model_with_an_input():
    hypermodel = HPNHyperModel(lambda hp: keras.layers.Dense(3), num_classes=3, dims=4)
    with pytest.raises(ValueError, match="keras.Model"):
        hypermodel.build(keras_tuner.HyperParameters())
    with pytest.raises(ValueError, match="backbone"):
        HPNHyperModel("resnet", num_classes=3)


def test_random_search_over_dims_restores_a_model_that_predicts(digits, tmp_path):
    keras.utils.set_random_seed(0)
    hypermodel = HPNHyperModel(
        CountingBackbone(64), num_classes=10, dims=[2, 5, 10], learning_rates=1e-2
    )
    tuner = keras_tuner.RandomSearch(
        hypermodel,
        objective=hypermodel.tuner_objective(),
        max_trials=2,
        seed=1,
        directory=str(tmp_path),
        project_name="digits",
    )
    tuner.search(
        digits.x_train,
        digits.y_train,
        validation_data=(digits.x_test, digits.y_test),
        epochs=2,
        batch_size=64,
        verbose=0,
    )
    trials = tuner.oracle.get_best_trials(num_trials=2)
    assert len(trials) == 2
    # The objective is what Keras logged: val_prototype_accuracy, maximised.
    scores = [t.metrics.get_best_value("val_prototype_accuracy") for t in trials]
    assert scores == sorted(scores, reverse=True)
    assert all(0.0 <= s <= 1.0 for s in scores)
    # A single objective is scored as itself, not as a negated MultiObjective.
    assert [t.score for t in trials] == scores
    best_hp = tuner.get_best_hyperparameters()[0]
    best = tuner.get_best_models()[0]
    outputs = best.predict(digits.x_test, verbose=0)
    assert outputs.shape == (450, best_hp.values["dims"])
    # The checkpoint holds the prototypes it was trained with.
    np.testing.assert_array_equal(best.loss.prototypes, hypermodel.prototypes(best_hp))
    classes = keras_hpn.predict_classes(outputs, best.loss.prototypes)
    accuracy = float(np.mean(classes == digits.y_test))
    # The restored model is the checkpoint with the best epoch's score.
    assert accuracy == pytest.approx(scores[0], abs=1e-6)
    assert accuracy > 0.6  # ten classes: chance is 0.1


def test_multi_objective_search_on_wine(tmp_path):
    split = data.wine(seed=0)
    lower, upper = float(split.y_train[:, 1].min()), float(split.y_train[:, 1].max())
    keras.utils.set_random_seed(0)
    hypermodel = HPNHyperModel(
        CountingBackbone(split.x_train.shape[1]),
        num_classes=3,
        dims=[3, 4],
        regression=(lower, upper),
    )
    objectives = hypermodel.tuner_objective()
    tuner = keras_tuner.RandomSearch(
        hypermodel,
        objective=objectives,
        max_trials=2,
        seed=0,
        directory=str(tmp_path),
        project_name="wine",
    )
    # Validate on a slice of the training data; the test split stays unseen.
    x_fit, x_val, y_fit, y_val = train_test_split(
        split.x_train, split.y_train, test_size=0.25, random_state=0
    )
    tuner.search(
        x_fit,
        y_fit,
        validation_data=(x_val, y_val),
        epochs=2,
        batch_size=16,
        verbose=0,
    )
    trials = tuner.oracle.get_best_trials(num_trials=2)
    assert len(trials) == 2
    for trial in trials:
        assert 0.0 <= trial.hyperparameters.values["weight"] <= 1.0
        history = trial.metrics.metrics
        assert {
            "val_prototype_accuracy",
            "val_regression_mae",
            "val_regression_range_mae",
        } <= set(history)

    # keras-tuner's multi-objective score, minimised: -accuracy + MAE / range,
    # from the best epoch, whose metrics the trial keeps.
    def combined(trial):
        accuracy = trial.metrics.get_last_value("val_prototype_accuracy")
        mae = trial.metrics.get_last_value("val_regression_mae")
        return -accuracy + mae / (upper - lower)

    for trial in trials:
        assert trial.score == pytest.approx(combined(trial), abs=1e-5)
    assert trials[0].score <= trials[1].score
    # The best model's MAE, decoded with numpy, matches the logged metrics.
    best = tuner.get_best_models()[0]
    predicted = keras_hpn.decode_regression(
        best.predict(x_val, verbose=0), lower, upper
    )
    mae = float(np.mean(np.abs(predicted - y_val[:, 1])))
    assert mae == pytest.approx(
        trials[0].metrics.get_last_value("val_regression_mae"), rel=1e-4
    )
    assert mae / (upper - lower) == pytest.approx(
        trials[0].metrics.get_last_value("val_regression_range_mae"), rel=1e-4
    )


def test_range_mae_is_the_mae_over_the_range():
    metric = tuning.RangeMAE(25.0, 346.0, target_column=1)
    # Outputs at cos 1, -1 and 0 decode to 346, 25 and 185.5.
    z = np.array([[1.0, 0.0, 0.0], [-1.0, 0.0, 0.0], [0.0, 1.0, 0.0]], "float32")
    y = np.array([[0, 346.0], [1, 57.1], [2, 153.4]], "float32")
    metric.update_state(y, z)
    assert float(metric.result()) == pytest.approx((0 + 32.1 + 32.1) / 3 / 321, 1e-5)
    again = tuning.RangeMAE.from_config(metric.get_config())
    assert (again.name, again.lower, again.upper, again.target_column) == (
        "regression_range_mae",
        25.0,
        346.0,
        1,
    )


def test_multitask_objective_weighs_accuracy_and_mae_as_fractions():
    # Diabetes-scale targets (25 to 346): a 1% accuracy gain and an MAE smaller
    # by 1% of the range must improve keras-tuner's combined score equally.
    lower, upper = 25.0, 346.0
    hypermodel = HPNHyperModel(
        CountingBackbone(12), num_classes=3, dims=4, regression=(lower, upper)
    )
    oracle = keras_tuner.oracles.RandomSearchOracle(
        objective=hypermodel.tuner_objective(), max_trials=1
    )
    score = oracle.objective  # keras-tuner's MultiObjective, as a search uses it

    def logs(accuracy, mae):  # what the compiled metrics log for these values
        return {
            "val_prototype_accuracy": accuracy,
            "val_regression_mae": mae,
            "val_regression_range_mae": mae / (upper - lower),
        }

    base = score.get_value(logs(0.80, 40.0))
    better_accuracy = score.get_value(logs(0.81, 40.0))
    better_mae = score.get_value(logs(0.80, 40.0 - 0.01 * (upper - lower)))
    assert base - better_accuracy == pytest.approx(0.01, abs=1e-9)
    assert base - better_mae == pytest.approx(0.01, abs=1e-9)
    assert score.better_than(better_accuracy, base)
    # The metric names match what the hypermodel's model logs.
    model = hypermodel.build(keras_tuner.HyperParameters())
    x = np.zeros((4, 12), "float32")
    y = np.array([[0, 30.0], [1, 100.0], [2, 200.0], [0, 300.0]], "float32")
    logged = model.evaluate(x, y, verbose=0, return_dict=True)
    assert logged["regression_range_mae"] == pytest.approx(
        logged["regression_mae"] / (upper - lower), rel=1e-5
    )
    assert set(logs(0, 0)) <= {f"val_{name}" for name in logged}


class InterruptTrial(keras.callbacks.Callback):
    """Stops the whole search (as Ctrl-C would) at the end of the first epoch."""

    def on_epoch_end(self, epoch, logs=None):
        raise KeyboardInterrupt


# Resuming is keras-tuner's oracle on disk, the same on every backend: the
# first backend pass (TensorFlow in `make test`) runs the two resume tests.
@pytest.mark.slow
@pytest.mark.once
def test_search_resumes_without_redoing_finished_trials(digits, tmp_path):
    project = tmp_path / "resume"

    def search(max_trials, callbacks=()):
        backbone = CountingBackbone(64)
        tuner = keras_tuner.RandomSearch(
            HPNHyperModel(backbone, num_classes=10, dims=[2, 3, 4, 6, 8]),
            objective=objective("prototype_accuracy"),
            max_trials=max_trials,
            seed=0,
            overwrite=False,
            directory=str(tmp_path),
            project_name="resume",
        )
        built_before = backbone.calls  # the tuner may build once to see the space
        try:
            tuner.search(
                digits.x_train[:300],
                digits.y_train[:300],
                validation_data=(digits.x_test, digits.y_test),
                epochs=1,
                batch_size=64,
                verbose=0,
                callbacks=list(callbacks),
            )
        except KeyboardInterrupt:
            pass
        return tuner, backbone.calls - built_before

    def statuses():
        return {
            name: json.loads((project / name / "trial.json").read_text())["status"]
            for name in _trial_dirs(project)
        }

    first, built = search(max_trials=2)
    assert built == 2
    assert statuses() == {"trial_0": "COMPLETED", "trial_1": "COMPLETED"}
    finished = {
        t.trial_id: (t.hyperparameters.values, t.score)
        for t in first.oracle.trials.values()
    }
    # A larger budget on the same directory; the new trial is interrupted.
    _, built = search(max_trials=3, callbacks=[InterruptTrial()])
    assert built == 1
    assert statuses()["trial_2"] == "RUNNING"
    interrupted = json.loads((project / "trial_2" / "trial.json").read_text())
    # Resuming trains the interrupted trial again, and nothing else.
    resumed, built = search(max_trials=3)
    assert built == 1
    assert statuses() == dict.fromkeys(["trial_0", "trial_1", "trial_2"], "COMPLETED")
    for trial_id, (values, score) in finished.items():
        trial = resumed.oracle.trials[trial_id]
        assert (trial.hyperparameters.values, trial.score) == (values, score)
    assert (
        resumed.oracle.trials["2"].hyperparameters.values
        == interrupted["hyperparameters"]["values"]
    )


def _search_process(directory, *args):
    env = dict(os.environ, KERAS_BACKEND=keras.backend.backend())
    return subprocess.run(
        [sys.executable, str(SEARCH_SCRIPT), str(directory), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


@pytest.mark.slow
@pytest.mark.once
def test_search_killed_in_its_second_trial_resumes_in_a_new_process(tmp_path):
    """The documented workflow survives a hard kill (not only Ctrl-C)."""
    killed = _search_process(tmp_path, "kill")
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-3000:]
    project = tmp_path / "digits_dims"
    before = {
        name: json.loads((project / name / "trial.json").read_text())
        for name in _trial_dirs(project)
    }
    assert [before[name]["status"] for name in sorted(before)] == [
        "COMPLETED",
        "RUNNING",
    ]
    resumed = _search_process(tmp_path)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    trials = json.loads(resumed.stdout.strip().splitlines()[-1])
    assert sorted(trial["dims"] for trial in trials.values()) == [3, 5, 10]
    assert {trial["status"] for trial in trials.values()} == {"COMPLETED"}
    # The finished trial was not trained again.
    assert trials["0"]["score"] == before["trial_0"]["score"]


def test_documented_seed_makes_trials_repeat(tmp_path):
    """docs/tuning.md seeds tuners with 1: keras-tuner reads 0 as "no seed"."""
    text = (Path(__file__).parent.parent / "docs" / "tuning.md").read_text()
    tuner_seeds = [
        keyword.value.value
        for block in re.findall(r"^```python\n(.*?)^```", text, re.S | re.M)
        for node in ast.walk(ast.parse(block))
        if isinstance(node, ast.Call)
        and getattr(node.func, "attr", "").endswith(("Search", "Optimization"))
        for keyword in node.keywords
        if keyword.arg == "seed"
    ]
    assert tuner_seeds and 0 not in tuner_seeds

    def first_weight(seed, name):
        hypermodel = HPNHyperModel(
            CountingBackbone(12), 3, dims=4, regression=(11.0, 15.0)
        )
        tuner = keras_tuner.RandomSearch(
            hypermodel,
            objective=hypermodel.tuner_objective(),
            max_trials=2,
            seed=seed,
            directory=str(tmp_path),
            project_name=name,
        )
        hp = keras_tuner.HyperParameters()
        hypermodel.build(hp)
        tuner.oracle.update_space(hp)
        tuner.oracle.create_trial("tuner0")  # the first trial takes the defaults
        return tuner.oracle.create_trial("tuner0").hyperparameters.values["weight"]

    assert first_weight(1, "a") == first_weight(1, "b") != 0.5
