"""What keras-hpn refuses, as a table: one row per bad input.

Each row holds a name, the call, the error it must raise and a word the message
must contain (the argument or the expected layout). The next bad input
someone finds is one line here.
"""

import contextlib
import io
import pathlib
import tempfile

import numpy as np
import pytest

import keras_hpn
from keras_hpn import (
    initializers,
    layers,
    losses,
    metrics,
    models,
    plots,
    projector,
)
from keras_hpn.benchmarks.suite import check_out
from keras_hpn.prototypes import (
    hyperspherical,
    load_prototypes,
    load_word_vectors,
    multitask,
    rank_correlation,
    save_prototypes,
    semantic_prototypes,
)
from keras_hpn.prototypes.constructions import sharp


class CommandLineError(Exception):
    """What `keras-hpn` printed when it refused its arguments (exit 2)."""


def command_line(*argv: str) -> None:
    from keras_hpn import cli

    errors = io.StringIO()
    with contextlib.redirect_stderr(errors):
        try:
            cli.main(list(argv))
        except SystemExit as stop:
            if stop.code == 2:
                raise CommandLineError(errors.getvalue()) from None
            raise


def written(name: str, content: bytes | str) -> pathlib.Path:
    """A file holding `content`, in a fresh folder (pytest's, see conftest)."""
    path = pathlib.Path(tempfile.mkdtemp()) / name
    if isinstance(content, str):
        content = content.encode()
    path.write_bytes(content)
    return path


def prototype_file(metadata: str) -> pathlib.Path:
    path = pathlib.Path(tempfile.mkdtemp()) / "p.npz"
    np.savez(
        path,
        prototypes=np.eye(3),
        class_names=np.array(["", "", ""]),
        metadata=np.array(metadata),
    )
    return path


def npy_file() -> pathlib.Path:
    path = pathlib.Path(tempfile.mkdtemp()) / "p.npy"
    np.save(path, np.eye(3))
    return path


BINARY_WORD2VEC = b"1 3\ncat " + np.ones(3, np.float32).tobytes() + b"\n"
VECTORS = np.random.default_rng(0).random((5, 8))

P = hyperspherical(10, 5, seed=0)
MULTI, _ = multitask(3, 4, seed=0)

CASES = [
    # Targets that would broadcast or mean something else.
    (
        "one-hot labels",
        lambda: losses.PrototypeCosineLoss(P)(np.eye(10), P),
        ValueError,
        "one-hot",
    ),
    (
        "2-column labels",
        lambda: losses.PrototypeCosineLoss(P)(np.zeros((4, 2)), P[:4]),
        ValueError,
        "label_column",
    ),
    (
        "label column past the last column",
        lambda: losses.PrototypeCosineLoss(P, label_column=5)(np.zeros((4, 2)), P[:4]),
        ValueError,
        "label_column=5",
    ),
    (
        "label column 'a'",
        lambda: losses.PrototypeCosineLoss(P, label_column="a"),
        ValueError,
        "label_column",
    ),
    (
        "label column 1.5",
        lambda: metrics.PrototypeAccuracy(P, label_column=1.5),
        ValueError,
        "label_column",
    ),
    (
        "multi-task labels only",
        lambda: losses.MultiTaskLoss(MULTI, 0.0, 1.0)(np.zeros(4), np.ones((4, 4))),
        ValueError,
        "(batch, 2)",
    ),
    (
        "multi-task one column",
        lambda: losses.MultiTaskLoss(MULTI, 0.0, 1.0)(
            np.zeros((4, 1)), np.ones((4, 4))
        ),
        ValueError,
        "(batch, 2)",
    ),
    (
        "MAE on 2-column targets",
        lambda: metrics.RegressionMAE(0.0, 1.0).update_state(
            np.zeros((2, 2)), np.eye(2)
        ),
        ValueError,
        "target_column",
    ),
    # Values any call can see (strict mode; the default warns, see test_losses).
    (
        "label out of range",
        lambda: losses.PrototypeCosineLoss(P, invalid_labels="raise")(
            np.array([0, 10]), P[:2]
        ),
        ValueError,
        "[0, 10)",
    ),
    (
        "NaN regression target",
        lambda: losses.HypersphericalRegressionLoss(0.0, 1.0, invalid_targets="raise")(
            np.array([np.nan]), np.eye(2)[:1]
        ),
        ValueError,
        "NaN or infinite",
    ),
    # Settings that can never learn.
    (
        "one output dimension",
        lambda: layers.L2NormalizedProjection(1),
        ValueError,
        "units",
    ),
    (
        "regression on one dimension",
        lambda: losses.HypersphericalRegressionLoss(0.0, 1.0)(
            np.ones(2), np.ones((2, 1))
        ),
        ValueError,
        "at least 2 dimensions",
    ),
    (
        "1-D prototypes",
        lambda: losses.PrototypeCosineLoss([[1.0], [-1.0]]),
        ValueError,
        "2 dimensions",
    ),
    (
        "multi-task in 2 dims",
        lambda: losses.MultiTaskLoss(np.eye(2), 0.0, 1.0),
        ValueError,
        "at least 3",
    ),
    (
        "clip flag 'yes'",
        lambda: losses.HypersphericalRegressionLoss(0, 1, clip_targets="yes"),
        ValueError,
        "clip_targets",
    ),
    (
        "empty training targets",
        lambda: losses.HypersphericalRegressionLoss.from_targets([]),
        ValueError,
        "empty",
    ),
    (
        "NaN training targets",
        lambda: losses.HypersphericalRegressionLoss.from_targets([1.0, np.nan]),
        ValueError,
        "finite",
    ),
    # Prototypes.
    (
        "duplicate prototypes",
        lambda: losses.PrototypeCosineLoss([[1.0, 0.0], [2.0, 0.0]]),
        ValueError,
        "same direction",
    ),
    (
        "1e200 rows are directions too",
        lambda: losses.PrototypeCosineLoss([[1e200, 1e200], [1.0, 1.0], [0.0, 1.0]]),
        ValueError,
        "same direction",
    ),
    (
        "zero prototype",
        lambda: losses.PrototypeCosineLoss([[0.0, 0.0], [1.0, 0.0]]),
        ValueError,
        "zero row",
    ),
    # Top-k beyond the classes.
    (
        "predict_classes k > K",
        lambda: keras_hpn.predict_classes(P, P, k=20),
        ValueError,
        "at most",
    ),
    (
        "accuracy k > K",
        lambda: metrics.PrototypeAccuracy(P, k=20),
        ValueError,
        "at most",
    ),
    # Rejecting the unknown and probabilities (calibration).
    *[
        (
            f"temperature {value!r}",
            lambda value=value: keras_hpn.class_probabilities(P, P, temperature=value),
            ValueError,
            "temperature",
        )
        for value in (-1.0, 0.0, np.nan, np.inf, "1")
    ],
    (
        "logit temperature 0",
        lambda: keras_hpn.logit_probabilities(np.zeros((2, 3)), temperature=0),
        ValueError,
        "temperature",
    ),
    *[
        (
            f"min_cosine {value!r}",
            lambda value=value: keras_hpn.predict_classes(P, P, min_cosine=value),
            ValueError,
            "min_cosine",
        )
        for value in (1.5, -1.01, np.nan, True)
    ],
    *[
        (
            f"accept {value!r}",
            lambda value=value: keras_hpn.acceptance_threshold(P, P, accept=value),
            ValueError,
            "accept",
        )
        for value in (0.0, 1.2, np.nan, -0.5)
    ],
    (
        "fit_temperature label = num prototypes",
        lambda: keras_hpn.fit_temperature(P[:3], P, [0, 1, 10]),
        ValueError,
        "[0, 10)",
    ),
    (
        "fit_temperature negative label",
        lambda: keras_hpn.fit_temperature(P[:3], P, [0, -1, 2]),
        ValueError,
        "[0, 10)",
    ),
    (
        "fit_temperature one label short",
        lambda: keras_hpn.fit_temperature(P[:3], P, [0, 1]),
        ValueError,
        "one class id per example",
    ),
    (
        "fit_temperature zero output",
        lambda: keras_hpn.fit_temperature(np.zeros((2, 5)), P, [0, 1]),
        ValueError,
        "no direction",
    ),
    (
        "fit_logit_temperature label 1.5",
        lambda: keras_hpn.fit_logit_temperature(np.zeros((2, 3)), [0, 1.5]),
        ValueError,
        "integer class ids",
    ),
    (
        "fit_logit_temperature NaN logit",
        lambda: keras_hpn.fit_logit_temperature([[0.0, np.nan]], [0]),
        ValueError,
        "finite",
    ),
    (
        "ECE label beyond the classes",
        lambda: keras_hpn.expected_calibration_error([[0.5, 0.5]], [2]),
        ValueError,
        "[0, 2)",
    ),
    (
        "ECE rows not summing to 1",
        lambda: keras_hpn.expected_calibration_error([[0.5, 0.4]], [0]),
        ValueError,
        "sum to 1",
    ),
    (
        "ECE 1-D probabilities",
        lambda: keras_hpn.expected_calibration_error([0.5, 0.5], [0]),
        ValueError,
        "(num_examples, num_classes)",
    ),
    (
        "ECE negative probability",
        lambda: keras_hpn.expected_calibration_error([[1.5, -0.5]], [0]),
        ValueError,
        "[0, 1]",
    ),
    (
        "ECE NaN row",
        lambda: keras_hpn.expected_calibration_error([[np.nan, np.nan]], [0]),
        ValueError,
        "NaN",
    ),
    (
        "ECE 0 bins",
        lambda: keras_hpn.expected_calibration_error([[0.5, 0.5]], [0], bins=0),
        ValueError,
        "bins",
    ),
    (
        "NLL labels of another length",
        lambda: keras_hpn.negative_log_likelihood([[0.5, 0.5]], [0, 1]),
        ValueError,
        "one class id per example",
    ),
    (
        "classifier reserve -1",
        lambda: models.HPNClassifier(_dense(), 3, reserve=-1),
        ValueError,
        "reserve",
    ),
    (
        "classifier reserve with word vectors",
        lambda: models.HPNClassifier(
            _dense(), 5, dims=3, reserve=2, word_vectors=VECTORS
        ),
        ValueError,
        "reserve",
    ),
    (
        "classifier temperature 0",
        lambda: models.HPNClassifier(_dense(), 3, temperature=0.0),
        ValueError,
        "temperature",
    ),
    (
        "multi-task temperature NaN",
        lambda: models.HPNMultiTask(_dense(), 3, 0.0, 1.0, temperature=np.nan),
        ValueError,
        "temperature",
    ),
    (
        "prototypes without the reserve",
        lambda: models.HPNClassifier(_dense(), 8, prototypes=P[:8], reserve=2),
        ValueError,
        "(num_classes + reserve, dims) = (10, dims)",
    ),
    (
        "more classes added than reserved",
        lambda: models.HPNClassifier(_dense(), 3, reserve=1).add_classes(2),
        ValueError,
        "reserve",
    ),
    (
        "names added to a model without names",
        lambda: models.HPNClassifier(_dense(), 3, reserve=1).add_classes(["x"]),
        ValueError,
        "how many classes",
    ),
    (
        "a count added to a model with names",
        lambda: models.HPNClassifier(
            _dense(), 2, reserve=1, class_names=["a", "b"]
        ).add_classes(1),
        ValueError,
        "names of the new",
    ),
    (
        "model min_cosine 2",
        lambda: models.HPNClassifier(_dense(), 3).predict_classes(
            np.zeros((1, 4)), min_cosine=2
        ),
        ValueError,
        "min_cosine",
    ),
    (
        "model probabilities at temperature -1",
        lambda: models.HPNClassifier(_dense(), 3).predict_probabilities(
            np.zeros((1, 4)), temperature=-1.0
        ),
        ValueError,
        "temperature",
    ),
    (
        "model temperature fitted on a label of a reserved class",
        lambda: models.HPNClassifier(_dense(), 2, reserve=1).fit_temperature(
            np.ones((2, 4)), [0, 2]
        ),
        ValueError,
        "[0, 2)",
    ),
    (
        "invalid-label count of 1 class",
        lambda: metrics.InvalidLabels(1),
        ValueError,
        "num_classes",
    ),
    # The command line: refused with a usage message, no traceback.
    (
        "digits --dims 1",
        lambda: command_line("digits", "--dims", "1"),
        CommandLineError,
        "--dims",
    ),
    (
        "prototypes --effort max",
        lambda: command_line(
            "prototypes", "--classes", "30", "--dims", "3", "--effort", "max"
        ),
        CommandLineError,
        "invalid choice: 'max'",
    ),
    (
        "digits --seeds 0",
        lambda: command_line("digits", "--seeds", "0"),
        CommandLineError,
        ">= 1",
    ),
    (
        "benchmark --seeds 0",
        lambda: command_line("benchmark", "--seeds", "0"),
        CommandLineError,
        "--seeds",
    ),
    (
        "benchmark --dims 1",
        lambda: command_line("benchmark", "--dims", "1"),
        CommandLineError,
        "--dims",
    ),
    # Seeds.
    (
        "negative seed",
        lambda: initializers.PrototypeInitializer(seed=-1),
        ValueError,
        "seed",
    ),
    (
        "text seed",
        lambda: initializers.PrototypeInitializer(seed="a"),
        ValueError,
        "seed",
    ),
    (
        "negative placement seed",
        lambda: hyperspherical(10, 3, seed=-1),
        ValueError,
        "seed=-1",
    ),
    (
        "text placement seed",
        lambda: hyperspherical(10, 3, seed="a"),
        ValueError,
        "seed='a'",
    ),
    (
        "fractional placement seed",
        lambda: hyperspherical(10, 3, seed=1.5),
        ValueError,
        "seed=1.5",
    ),
    # Sharp configurations.
    (
        "sharp configuration not built",
        lambda: sharp.sharp_configuration(5, 5),
        ValueError,
        "num_points=5",
    ),
    (
        "isotropic order not a prime power",
        lambda: sharp.isotropic_points(6),
        ValueError,
        "order=6",
    ),
    (
        "isotropic order as text",
        lambda: sharp.isotropic_points("3"),
        ValueError,
        "order='3'",
    ),
    # Prototype files.
    (
        "load a .npy file",
        lambda: load_prototypes(npy_file()),
        ValueError,
        "single array",
    ),
    (
        "load an empty file",
        lambda: load_prototypes(written("p.npz", b"")),
        ValueError,
        "not a prototype file",
    ),
    (
        "metadata null",
        lambda: load_prototypes(prototype_file("null")),
        ValueError,
        "JSON object",
    ),
    (
        "metadata a list",
        lambda: load_prototypes(prototype_file("[1, 2]")),
        ValueError,
        "JSON object",
    ),
    (
        "metadata not JSON",
        lambda: load_prototypes(prototype_file("{oops")),
        ValueError,
        "not valid JSON",
    ),
    (
        "duplicate class names",
        lambda: save_prototypes(
            written("p.npz", b""), np.eye(3), class_names=["a", "a", "b"]
        ),
        ValueError,
        "Repeated: ['a']",
    ),
    (
        "class names as one string",
        lambda: save_prototypes(written("p.npz", b""), np.eye(4), class_names="abcd"),
        ValueError,
        "not one string",
    ),
    # Semantic priors.
    (
        "semantic weight None",
        lambda: semantic_prototypes(None, VECTORS, 3, weight=None),
        ValueError,
        "weight=None",
    ),
    (
        "semantic temperature text",
        lambda: semantic_prototypes(None, VECTORS, 3, temperature="a"),
        ValueError,
        "temperature='a'",
    ),
    (
        "binary word2vec file",
        lambda: load_word_vectors(written("v.bin", BINARY_WORD2VEC)),
        ValueError,
        "binary=True",
    ),
    (
        "word2vec line with a word too few numbers",
        lambda: load_word_vectors(written("v.txt", "1 3\ncat 1 x 0\n")),
        ValueError,
        "Line 2",
    ),
    (
        "rank correlation of 3 and 4 classes",
        lambda: rank_correlation(VECTORS[:3], VECTORS[:4]),
        ValueError,
        "one row per class",
    ),
    # Files and folders (issue 17, item 9 and 11), seeds, device lists.
    (
        "fashion_mnist seed -1",
        lambda: keras_hpn.data.fashion_mnist(seed=-1, train_size=0.1, download=False),
        ValueError,
        "seed=-1",
    ),
    (
        "fashion_mnist seed 2**32",
        lambda: keras_hpn.data.fashion_mnist(seed=2**32, download=False),
        ValueError,
        "from 0 to 4294967295",
    ),
    (
        "data_parallel devices as one string",
        lambda: keras_hpn.distribute.data_parallel(devices="cpu:0"),
        ValueError,
        "devices='cpu:0'",
    ),
    (
        "benchmark out is a file",
        lambda: check_out(written("results.txt", "x")),
        ValueError,
        "which is a file",
    ),
    (
        "benchmark out holds a results.json",
        lambda: check_out(written("results.json", "{}").parent),
        ValueError,
        "overwrite=True",
    ),
    (
        "save_prototypes over a file with overwrite=False",
        lambda: save_prototypes(written("p.npz", "x"), np.eye(3), overwrite=False),
        FileExistsError,
        "p.npz",
    ),
    # Geometry (issue 17): names, word files, backends, time limits.
    (
        "semantic priors with a class name twice",
        lambda: semantic_prototypes(
            ["cat", "dog", "cat"], {"cat": [1, 0], "dog": [0, 1]}, 2
        ),
        ValueError,
        "Repeated: ['cat']",
    ),
    (
        "word2vec line with a number too many",
        lambda: load_word_vectors(written("v.txt", "2 2\ndog 0 1\ncat 1 0 5\n")),
        ValueError,
        "Line 3 of ",
    ),
    (
        "word2vec line with a word too many",
        lambda: load_word_vectors(written("v.txt", "1 2\nbig cat 1 0\n")),
        ValueError,
        "Received 4 fields: 'big cat 1 0'",
    ),
    (
        "placement backend in capitals",
        lambda: hyperspherical(10, 5, backend="JAX"),
        ValueError,
        "backend='JAX'",
    ),
    (
        "placement backend torch with a closed form",
        lambda: hyperspherical(4, 5, method="simplex", backend="torch"),
        ValueError,
        "('numpy', 'jax')",
    ),
    (
        "placement effort unknown",
        lambda: hyperspherical(10, 5, effort="max"),
        ValueError,
        "effort='max'",
    ),
    (
        "placement effort with a closed form in capitals",
        lambda: hyperspherical(4, 5, method="simplex", effort="FAST"),
        ValueError,
        "('fast', 'best')",
    ),
    (
        "placement time limit 0",
        lambda: hyperspherical(10, 5, max_seconds=0),
        ValueError,
        "max_seconds=0",
    ),
    (
        "placement time limit text",
        lambda: hyperspherical(10, 5, max_seconds="1h"),
        ValueError,
        "max_seconds='1h'",
    ),
    (
        "two million classes in 3 dims",
        lambda: hyperspherical(2_000_000, 3),
        ValueError,
        "about 18 days",
    ),
    # Outputs and targets (issue 17): shapes and ranges that decode wrongly.
    (
        "multi-task three columns",
        lambda: losses.MultiTaskLoss(MULTI, 0.0, 1.0)(
            np.zeros((4, 3)), np.ones((4, 4))
        ),
        ValueError,
        "Received shape (4, 3)",
    ),
    (
        "multi-task three columns, compiled check",
        lambda: losses.multitask_loss(
            np.zeros((4, 3)), np.ones((4, 4)), MULTI, 0.0, 1.0, 0.5
        ),
        ValueError,
        "(batch, 2)",
    ),
    (
        "2-D upper prototype",
        lambda: losses.HypersphericalRegressionLoss(
            0.0, 1.0, upper_prototype=[[1, 0], [0, 1]]
        ),
        ValueError,
        "`upper_prototype` must be 1-D",
    ),
    (
        "2-D upper prototype of the MAE",
        lambda: metrics.RegressionMAE(0.0, 1.0, upper_prototype=[[1, 0], [0, 1]]),
        ValueError,
        "shape (2, 2)",
    ),
    (
        "2-D upper prototype to decode",
        lambda: keras_hpn.decode_regression(
            np.ones((2, 4)), 0.0, 1.0, upper_prototype=[[1, 0], [0, 1]]
        ),
        ValueError,
        "upper_prototype",
    ),
    (
        "2-D regression axis",
        lambda: losses.MultiTaskLoss(MULTI, 0.0, 1.0, regression_axis=[[1, 0], [0, 0]]),
        ValueError,
        "`regression_axis` must be 1-D",
    ),
    (
        "regression range too narrow for its offset in float32",
        lambda: losses.HypersphericalRegressionLoss(1.7e9, 1.7e9 + 100),
        ValueError,
        "lower=1700000000.0, upper=1700000100.0",
    ),
    (
        "multi-task range too narrow for its offset",
        lambda: losses.MultiTaskLoss(MULTI, 1.7e9, 1.7e9 + 100),
        ValueError,
        "Subtract an offset",
    ),
    (
        "MAE range too narrow for its offset",
        lambda: metrics.RegressionMAE(-1e9 - 10, -1e9),
        ValueError,
        "too close together",
    ),
    # Saving: a damaged `.keras` file is refused (more in tests/test_saving.py).
    (
        "PrototypeHead kernel_sha256 that is no SHA-256",
        lambda: layers.PrototypeHead(3, kernel_sha256="abc"),
        ValueError,
        "kernel_sha256='abc'",
    ),
    # Issue 17, labels: string and dict y_true, report modes, learning rates.
    (
        "string labels to the loss",
        lambda: losses.PrototypeCosineLoss(np.eye(3))(
            np.array(["cat", "dog"]), np.eye(3)[:2]
        ),
        ValueError,
        "Received an array of dtype <U3",
    ),
    (
        "string labels to a metric",
        lambda: metrics.InvalidLabels(3).update_state(
            np.array(["cat", "dog"]), np.eye(3)[:2]
        ),
        ValueError,
        "`y_true` must hold integer class ids",
    ),
    (
        "string targets to the regression loss",
        lambda: losses.HypersphericalRegressionLoss(0.0, 1.0)(
            np.array(["1.5", "2"]), np.eye(2)
        ),
        ValueError,
        "regression targets (numbers)",
    ),
    (
        "dict y_true for one output",
        lambda: losses.PrototypeCosineLoss(np.eye(3))({"out": [0, 1]}, np.eye(3)[:2]),
        ValueError,
        "dict with keys ['out']",
    ),
    (
        "dict y_true to PrototypeAccuracy",
        lambda: metrics.PrototypeAccuracy(np.eye(3)).update_state(
            {"out": [0, 1]}, np.eye(3)[:2]
        ),
        ValueError,
        "`y_true` must be an array",
    ),
    (
        "unknown invalid_labels mode",
        lambda: losses.PrototypeCosineLoss(np.eye(3), invalid_labels="error"),
        ValueError,
        "invalid_labels='error'",
    ),
    (
        "unknown invalid_targets mode",
        lambda: losses.HypersphericalRegressionLoss(0.0, 1.0, invalid_targets=True),
        ValueError,
        "invalid_targets=True",
    ),
    (
        "infinite learning rate",
        lambda: _hypermodel(learning_rates=float("inf")),
        ValueError,
        "learning_rates=inf",
    ),
    # One rule in every class (issue 18): flags, positive numbers, k <= K,
    # at least 2 classes, axes of at least 2 entries.
    (
        "projection use_bias given as text",
        lambda: layers.L2NormalizedProjection(3, use_bias="yes"),
        ValueError,
        "use_bias='yes'",
    ),
    (
        "projection epsilon NaN",
        lambda: layers.L2NormalizedProjection(3, epsilon=float("nan")),
        ValueError,
        "epsilon=nan",
    ),
    (
        "head epsilon 0",
        lambda: layers.PrototypeHead(3, epsilon=0),
        ValueError,
        "finite number > 0",
    ),
    (
        "head top_k beyond num_classes",
        lambda: layers.PrototypeHead(3, top_k=4),
        ValueError,
        "from 1 to 3",
    ),
    (
        "accuracy with one class",
        lambda: metrics.PrototypeAccuracy(np.eye(2)[:1]),
        ValueError,
        "at least 2 classes",
    ),
    (
        "regression MAE with a one-entry upper prototype",
        lambda: metrics.RegressionMAE(0.0, 1.0, upper_prototype=[1.0]),
        ValueError,
        "at least 2 entries",
    ),
    # Task models (keras_hpn.models).
    (
        "classifier with one class",
        lambda: models.HPNClassifier(_dense(), 1),
        ValueError,
        "num_classes=1",
    ),
    (
        "classifier backbone that is not a layer",
        lambda: models.HPNClassifier(lambda x: x, 3),
        ValueError,
        "keras.Model",
    ),
    (
        "classifier on a plain layer without input_shape",
        lambda: models.HPNClassifier(_keras().layers.Dense(4), 3),
        ValueError,
        "input_shape",
    ),
    (
        "classifier input_shape 'a'",
        lambda: models.HPNClassifier(_keras().layers.Dense(4), 3, input_shape="a"),
        ValueError,
        "input_shape='a'",
    ),
    (
        "classifier pooling 'mean'",
        lambda: models.HPNClassifier(_dense(), 3, pooling="mean"),
        ValueError,
        "pooling='mean'",
    ),
    (
        "classifier 4-D features with pooling None",
        lambda: models.HPNClassifier(_conv(), 3, pooling=None),
        ValueError,
        "pooling=None",
    ),
    (
        "classifier dropout 1",
        lambda: models.HPNClassifier(_dense(), 3, dropout=1.0),
        ValueError,
        "dropout=1.0",
    ),
    (
        "classifier with two class names for three classes",
        lambda: models.HPNClassifier(_dense(), 3, class_names=["a", "b"]),
        ValueError,
        "Received 2 names",
    ),
    (
        "classifier class_names as one string",
        lambda: models.HPNClassifier(_dense(), 3, class_names="abc"),
        ValueError,
        "sequence of strings",
    ),
    (
        "classifier prototypes of another class count",
        lambda: models.HPNClassifier(_dense(), 4, prototypes=P),
        ValueError,
        "(10, 5)",
    ),
    (
        "classifier prototypes and word vectors",
        lambda: models.HPNClassifier(
            _dense(), 5, prototypes=P[:5], word_vectors=VECTORS
        ),
        ValueError,
        "not both",
    ),
    (
        "classifier dims 1",
        lambda: models.HPNClassifier(_dense(), 3, dims=1),
        ValueError,
        "dims=1",
    ),
    (
        "classifier top-k beyond num_classes",
        lambda: models.HPNClassifier(_dense(), 3).predict_top_k(np.ones((1, 4)), k=4),
        ValueError,
        "k=4",
    ),
    (
        "regressor lower above upper",
        lambda: models.HPNRegressor(_dense(), 2.0, 1.0),
        ValueError,
        "lower",
    ),
    (
        "multi-task dims 2",
        lambda: models.HPNMultiTask(_dense(), 3, 0.0, 1.0, dims=2),
        ValueError,
        "dims=2",
    ),
    (
        "multi-task weight 2",
        lambda: models.HPNMultiTask(_dense(), 3, 0.0, 1.0, weight=2.0),
        ValueError,
        "weight",
    ),
    (
        "multi-task prototypes not orthogonal to e_0",
        lambda: models.HPNMultiTask(_dense(), 3, 0.0, 1.0, prototypes=P[:3]),
        ValueError,
        "orthogonal",
    ),
    # Pictures and the projector export.
    (
        "plot of 1-dimensional prototypes",
        lambda: plots.plot_prototypes([[1.0], [-1.0]]),
        ValueError,
        "at least 2 dimensions",
    ),
    (
        "plot with too few class names",
        lambda: plots.plot_prototypes(P, class_names=["a", "b"]),
        ValueError,
        "class_names",
    ),
    (
        "plot of outputs of another width",
        lambda: plots.plot_outputs(np.ones((3, 4)), np.zeros(3, int), P),
        ValueError,
        "outputs",
    ),
    (
        "plot with float labels",
        lambda: plots.plot_outputs(P, np.zeros(10), P),
        ValueError,
        "integer",
    ),
    (
        "plot with a label past the prototypes",
        lambda: plots.plot_cosines(P, np.arange(1, 11), P),
        ValueError,
        "[0, 10)",
    ),
    (
        "cosine plot of one class",
        lambda: plots.plot_cosines(P[:1], np.zeros(1, int), P[:1]),
        ValueError,
        "at least 2",
    ),
    (
        "accuracy plot of a missing item",
        lambda: plots.plot_accuracy({"settings": {}, "fractions": {}}),
        ValueError,
        "no 'dims' item",
    ),
    (
        "accuracy plot against something unknown",
        lambda: plots.plot_accuracy({"settings": {}}, against="epochs"),
        ValueError,
        "against",
    ),
    (
        "accuracy plot of a folder without results.json",
        lambda: plots.plot_accuracy(tempfile.mkdtemp()),
        ValueError,
        "results.json",
    ),
    (
        "projector export with negative labels",
        lambda: projector.export_projector(tempfile.mkdtemp(), P, -np.ones(10, int)),
        ValueError,
        "labels",
    ),
    (
        "projector export with prototypes of another width",
        lambda: projector.export_projector(
            tempfile.mkdtemp(), P, np.arange(10), np.eye(3)
        ),
        ValueError,
        "dims",
    ),
    (
        "projector export with a label past the prototypes",
        lambda: projector.export_projector(
            tempfile.mkdtemp(), P[:3], np.array([0, 1, 7]), P[:3]
        ),
        ValueError,
        "only 3 prototypes",
    ),
    (
        "projector export with too few class names",
        lambda: projector.export_projector(
            tempfile.mkdtemp(), P, np.arange(10), class_names=["a"]
        ),
        ValueError,
        "class_names",
    ),
]


def _keras():
    import keras

    return keras


def _dense():
    keras = _keras()
    return keras.Sequential([keras.Input((4,)), keras.layers.Dense(8)])


def _conv():
    keras = _keras()
    return keras.Sequential([keras.Input((4, 4, 1)), keras.layers.Conv2D(2, 3)])


def _hypermodel(**kwargs):
    import keras

    from keras_hpn.tuning import HPNHyperModel

    return HPNHyperModel(
        lambda: keras.Sequential([keras.Input((4,)), keras.layers.Dense(8)]),
        num_classes=3,
        **kwargs,
    )


@pytest.mark.parametrize(
    "call, error, word",
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_bad_input_is_refused_with_a_clear_message(call, error, word):
    with pytest.raises(error) as raised:
        call()
    assert word in str(raised.value)


def test_word2vec_text_with_trailing_spaces_reads():
    path = written("v.txt", "2 3\ncat 1 0 0 \ndog 0.5 0.5 0  \n\n")
    vectors = load_word_vectors(path)
    np.testing.assert_array_equal(vectors["dog"], [0.5, 0.5, 0.0])
    assert sorted(vectors) == ["cat", "dog"]


def test_prototypes_saved_without_suffix_load_by_the_same_name():
    path = pathlib.Path(tempfile.mkdtemp()) / "p"
    save_prototypes(path, np.eye(3))
    assert (path.parent / "p.npz").exists()
    np.testing.assert_array_equal(load_prototypes(path)[0], np.eye(3))


def test_prototypes_command_names_the_file_it_wrote(capsys):
    from keras_hpn import cli

    out = pathlib.Path(tempfile.mkdtemp()) / "p"
    assert (
        cli.main(["prototypes", "--classes", "4", "--dims", "3", "--out", str(out)])
        == 0
    )
    assert f"saved to {out}.npz" in capsys.readouterr().out
    assert load_prototypes(f"{out}.npz")[0].shape == (4, 3)


def test_numpy_integers_are_good_seeds():
    kernel = initializers.PrototypeInitializer(seed=np.int64(1))(shape=(5, 10))
    np.testing.assert_allclose(
        np.asarray(kernel).T, hyperspherical(10, 5, seed=1), atol=1e-6
    )
