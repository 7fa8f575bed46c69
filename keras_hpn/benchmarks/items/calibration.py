"""Item `calibration`: how far predicted probabilities are from the truth.

HPN and softmax train on all ten classes (same body and budget as the other
image items; HPN at the largest output dimensionality of `settings.dims`).
Probabilities: for HPN a softmax over the cosines to the prototypes, for
softmax over the logits, each divided by a temperature: 1 ("before"), then
the temperature that minimises the negative log-likelihood on validation
images held out from training ("after"; Guo et al., ICML 2017). Reported on
the test set: the expected calibration error (15 equal-width confidence
bins) and the negative log-likelihood, before and after.
"""

from __future__ import annotations

import numpy as np

from keras_hpn.benchmarks import models, tasks
from keras_hpn.benchmarks.common import Settings, summary
from keras_hpn.decoding import class_scores
from keras_hpn.utils.progress import ProgressBar

KINDS = ("hpn", "softmax")
BINS = 15
CLASSES = 10


def runs(settings: Settings) -> int:
    return len(KINDS) * len(settings.seeds)


def run(settings: Settings, progress: ProgressBar) -> dict:
    """`{kind: {"accuracy", "temperature", "ece_before", "ece_after",
    "nll_before", "nll_after": summaries, "reliability": {"before", "after":
    per bin, the images, their mean confidence and accuracy, pooled over
    seeds}}}`, and `"dims"`, HPN's output dimensionality."""
    dims = max(settings.dims)
    names = ("accuracy", "temperature", "ece_before", "ece_after")
    names += ("nll_before", "nll_after")
    measured = {kind: {name: [] for name in names} for kind in KINDS}
    pooled = {kind: {"before": [], "after": []} for kind in KINDS}
    for seed in settings.seeds:
        split = tasks.split(settings, seed, validation=True)
        for kind in KINDS:
            accuracy, model = models.train_classifier(
                kind,
                split.x_train,
                split.y_train,
                split.x_test,
                split.y_test,
                dims if kind == "hpn" else CLASSES,
                seed,
                settings.classification,
                make_body=tasks.body_maker(settings, split.x_train),
            )
            held_out = models.outputs_of(model, split.x_val)
            test = models.outputs_of(model, split.x_test)
            if kind == "hpn":  # the cosines play the logits' part
                protos = np.asarray(model.loss.prototypes)
                held_out, test = (
                    class_scores(held_out, protos),
                    class_scores(test, protos),
                )
            temperature = fit_temperature(held_out, split.y_val)
            before = softmax(test)
            after = softmax(test / temperature)
            entry = measured[kind]
            for name, value in (
                ("accuracy", accuracy),
                ("temperature", temperature),
                ("ece_before", expected_calibration_error(before, split.y_test)),
                ("ece_after", expected_calibration_error(after, split.y_test)),
                ("nll_before", negative_log_likelihood(before, split.y_test)),
                ("nll_after", negative_log_likelihood(after, split.y_test)),
            ):
                entry[name].append(float(value))
            pooled[kind]["before"].append((before, split.y_test))
            pooled[kind]["after"].append((after, split.y_test))
            progress.step(
                f"calib {kind:<8} seed {seed}: acc {accuracy:.3f} T {temperature:.4g} "
                f"ECE {entry['ece_before'][-1]:.3f} -> {entry['ece_after'][-1]:.3f} "
                f"NLL {entry['nll_before'][-1]:.3f} -> {entry['nll_after'][-1]:.3f}"
            )
    results: dict = {"dims": dims, "bins": BINS}
    for kind in KINDS:
        results[kind] = {name: summary(v) for name, v in measured[kind].items()}
        results[kind]["reliability"] = {
            when: reliability(
                np.concatenate([p for p, _ in parts]),
                np.concatenate([y for _, y in parts]),
            )
            for when, parts in pooled[kind].items()
        }
    return results


def softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=-1, keepdims=True)
    weights = np.exp(shifted)
    return weights / weights.sum(axis=-1, keepdims=True)


def negative_log_likelihood(probabilities: np.ndarray, labels: np.ndarray) -> float:
    chosen = probabilities[np.arange(len(labels)), labels]
    return float(-np.mean(np.log(np.maximum(chosen, 1e-300))))


def fit_temperature(logits: np.ndarray, labels: np.ndarray) -> float:
    from scipy.optimize import minimize_scalar

    def loss(log_t):
        return negative_log_likelihood(softmax(logits / np.exp(log_t)), labels)

    return float(np.exp(minimize_scalar(loss, bounds=(-10, 10), method="bounded").x))


def reliability(probabilities: np.ndarray, labels: np.ndarray, bins: int = BINS):
    """Per equal-width confidence bin: `count`, mean `confidence`, `accuracy`
    (NaN in an empty bin)."""
    confidence = probabilities.max(axis=-1)
    right = probabilities.argmax(axis=-1) == labels
    which = np.minimum((confidence * bins).astype(int), bins - 1)
    count = np.bincount(which, minlength=bins)
    with np.errstate(invalid="ignore"):
        mean_confidence = np.bincount(which, confidence, bins) / count
        accuracy = np.bincount(which, right, bins) / count
    return {
        "count": count.tolist(),
        "confidence": mean_confidence.tolist(),
        "accuracy": accuracy.tolist(),
    }


def expected_calibration_error(probabilities, labels, bins=BINS):
    table = reliability(probabilities, labels, bins)
    count = np.asarray(table["count"])
    gap = np.abs(np.asarray(table["confidence"]) - np.asarray(table["accuracy"]))
    return float(np.nansum(count * gap) / count.sum())
