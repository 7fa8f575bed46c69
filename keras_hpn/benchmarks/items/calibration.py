"""Item `calibration`: how far predicted probabilities are from the truth.

HPN and softmax train on all ten classes (same body and budget as the other
image items; HPN at the largest output dimensionality of `settings.dims`).
Probabilities: for HPN a softmax over the cosines to the prototypes
(`keras_hpn.calibration.class_probabilities`), for softmax over the logits
(`logit_probabilities`), each divided by a temperature: 1 ("before"), then
the temperature that minimises the negative log-likelihood on validation
images held out from training ("after", `fit_temperature` and
`fit_logit_temperature`; Guo et al., ICML 2017). Reported on
the test set: the expected calibration error (15 equal-width confidence
bins) and the negative log-likelihood, before and after.
"""

from __future__ import annotations

import numpy as np

from keras_hpn.benchmarks import models, tasks
from keras_hpn.benchmarks.common import Settings, summary
from keras_hpn.calibration import (
    class_probabilities,
    expected_calibration_error,
    fit_logit_temperature,
    fit_temperature,
    logit_probabilities,
    negative_log_likelihood,
)
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
            if kind == "hpn":
                protos = np.asarray(model.loss.prototypes)
                temperature = fit_temperature(held_out, protos, split.y_val)
                before = class_probabilities(test, protos)
                after = class_probabilities(test, protos, temperature)
            else:
                temperature = fit_logit_temperature(held_out, split.y_val)
                before = logit_probabilities(test)
                after = logit_probabilities(test, temperature)
            entry = measured[kind]
            for name, value in (
                ("accuracy", accuracy),
                ("temperature", temperature),
                ("ece_before", expected_calibration_error(before, split.y_test, BINS)),
                ("ece_after", expected_calibration_error(after, split.y_test, BINS)),
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


def reliability(probabilities: np.ndarray, labels: np.ndarray, bins: int = BINS):
    """Per equal-width confidence bin `((b - 1) / bins, b / bins]` (those of
    `expected_calibration_error`): `count`, mean `confidence` and `accuracy`
    (NaN in an empty bin)."""
    confidence = probabilities.max(axis=-1)
    right = probabilities.argmax(axis=-1) == labels
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.digitize(confidence, edges, right=True) - 1, 0, bins - 1)
    count = np.bincount(which, minlength=bins)
    with np.errstate(invalid="ignore"):
        mean_confidence = np.bincount(which, confidence, bins) / count
        accuracy = np.bincount(which, right, bins) / count
    return {
        "count": count.tolist(),
        "confidence": _listed(mean_confidence),
        "accuracy": _listed(accuracy),
    }


def _listed(values: np.ndarray) -> list[float | None]:
    """A list for JSON: `None` where a bin is empty (NaN)."""
    return [None if np.isnan(value) else float(value) for value in values]
