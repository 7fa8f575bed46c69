"""Item `openset`: telling classes never trained on from the known ones.

Each head trains on classes 0-4 (same body and budget as the other image
items; HPN at the largest output dimensionality of `settings.dims`, the
softmax heads with one logit per class) and scores every test image of
classes 0-9; a higher score means "known". Scores:

* `hpn/cosine`: HPN's largest cosine to a prototype;
* `softmax/probability`: the maximum softmax probability (Hendrycks and
  Gimpel, ICLR 2017);
* `softmax/logit`: the maximum logit (Hendrycks et al., ICML 2022);
* `cosine/cosine`: cosine softmax's largest cosine to a class weight.

Reported: the AUROC for telling classes 5-9 from 0-4, and the
false-accept rate (the share of 5-9 accepted) at the threshold that accepts
95% of the known validation images (held out from training), with the
share of known test images that threshold accepts. HPN rejects with the
library (`acceptance_threshold`, `predict_classes(..., min_cosine=...)`);
the other scores take their threshold by the same rule (`threshold`).
"""

from __future__ import annotations

import numpy as np

from keras_hpn.benchmarks import models, tasks
from keras_hpn.benchmarks.common import Settings, summary
from keras_hpn.decoding import acceptance_threshold, class_scores, predict_classes
from keras_hpn.utils.progress import ProgressBar

KNOWN = 5  # classes below this train the networks; the rest are unknown
ACCEPT = 0.95
SCORES = {
    "hpn": ("cosine",),
    "softmax": ("probability", "logit"),
    "cosine": ("cosine",),
}
# False-positive rates at which the mean ROC curve is kept for the plot.
ROC_POINTS = np.linspace(0.0, 1.0, 51)


def runs(settings: Settings) -> int:
    return len(SCORES) * len(settings.seeds)


def threshold(known: np.ndarray, accept: float = ACCEPT) -> float:
    """The score that accepts (`score >= threshold`) a share `accept` of
    `known`: the `ceil(accept * n)`-th best of the `n` scores, the rule of
    `keras_hpn.acceptance_threshold` for cosines, applied to any score."""
    scores = np.sort(np.asarray(known, dtype=np.float64))[::-1]
    return float(scores[max(1, int(np.ceil(accept * scores.size - 1e-9))) - 1])


def false_accepts(
    validation: np.ndarray, unknown: np.ndarray, accept: float = ACCEPT
) -> float:
    """Share of `unknown` scores accepted at `threshold(validation, accept)`."""
    return float(np.mean(np.asarray(unknown) >= threshold(validation, accept)))


def run(settings: Settings, progress: ProgressBar) -> dict:
    """`{"kind/score": {"accuracy", "auroc", "far", "tar": summaries, "roc":
    the mean true-accept rate at `ROC_POINTS` false-accept rates}}`, and
    `"dims"`, HPN's output dimensionality."""
    from sklearn.metrics import roc_auc_score, roc_curve

    dims = max(settings.dims)
    measured: dict = {
        f"{kind}/{score}": {
            "accuracy": [],
            "auroc": [],
            "far": [],
            "tar": [],
            "roc": [],
        }
        for kind, names in SCORES.items()
        for score in names
    }
    for seed in settings.seeds:
        split = tasks.split(settings, seed, validation=True)
        train = split.y_train < KNOWN
        validation = split.y_val < KNOWN
        known = split.y_test < KNOWN
        for kind, names in SCORES.items():
            accuracy, model = models.train_classifier(
                kind,
                split.x_train[train],
                split.y_train[train],
                split.x_test[known],
                split.y_test[known],
                dims if kind == "hpn" else KNOWN,
                seed,
                settings.classification,
                make_body=tasks.body_maker(settings, split.x_train),
            )
            protos = np.asarray(model.loss.prototypes) if kind == "hpn" else None
            scale = model.layers[-1].scale if kind == "cosine" else 1.0
            held_out = models.outputs_of(model, split.x_val[validation])
            test = models.outputs_of(model, split.x_test)
            for name in names:
                entry = measured[f"{kind}/{name}"]
                test_scores = score(kind, name, test, protos, scale)
                fpr, tpr, _ = roc_curve(known, test_scores)
                if kind == "hpn":  # the library's rejection
                    level = acceptance_threshold(held_out, protos, ACCEPT)
                    accepted = predict_classes(test, protos, min_cosine=level) >= 0
                else:
                    level = threshold(score(kind, name, held_out, protos, scale))
                    accepted = test_scores >= level
                for key, value in (
                    ("accuracy", accuracy),
                    ("auroc", roc_auc_score(known, test_scores)),
                    ("far", float(np.mean(accepted[~known]))),
                    ("tar", float(np.mean(accepted[known]))),
                    ("roc", np.interp(ROC_POINTS, fpr, tpr).tolist()),
                ):
                    entry[key].append(value)
            progress.step(
                f"open  {kind:<8} seed {seed}: acc {accuracy:.3f} "
                + " ".join(
                    f"{name} AUROC {measured[f'{kind}/{name}']['auroc'][-1]:.3f} "
                    f"FAR {measured[f'{kind}/{name}']['far'][-1]:.3f}"
                    for name in names
                )
            )
    results: dict = {"dims": dims}
    for key, entry in measured.items():
        roc = np.mean(entry.pop("roc"), axis=0)
        results[key] = {name: summary(values) for name, values in entry.items()}
        results[key]["roc"] = {"fpr": ROC_POINTS.tolist(), "tpr": roc.tolist()}
    return results


def score(
    kind: str,
    name: str,
    outputs: np.ndarray,
    prototypes: np.ndarray | None = None,
    scale: float = 1.0,
) -> np.ndarray:
    """The "known" score of each output (higher: more likely a known class).

    `prototypes`: HPN's; `scale`: cosine softmax's logit scale."""
    if kind == "hpn":
        return class_scores(outputs, prototypes).max(axis=-1)
    if name == "probability":
        shifted = outputs - outputs.max(axis=-1, keepdims=True)
        return 1.0 / np.exp(shifted).sum(axis=-1)
    # The largest logit; cosine softmax's logits are `scale * cos`.
    return outputs.max(axis=-1) / scale
