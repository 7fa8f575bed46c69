"""Item `incremental`: classes learned task by task, with and without replay.

The ten classes arrive in tasks of `task_size` (0-1, 2-3, ... or 0-4,
5-9); each task trains on its own images only. With replay, a memory keeps
`replay` training images of every class of earlier tasks, and each epoch of
a later task mixes its images with as many drawn at random from the memory
(experience replay with equal parts, Chaudhry et al., "On tiny episodic
memories in continual learning", 2019). The body, the optimiser (a fresh
Adam for every task) and the epochs per task are the same for every head:

* `hpn`: all ten prototypes are placed before the first task (reserved
  classes, Pernici et al., ICPR 2020; Hoffer et al., ICLR 2018), so the
  model never changes; a class is predicted among the classes seen so far;
* `softmax`: a `Dense` head with one logit per class seen so far; for a new
  task it grows, the old columns copied into the larger layer;
* `cosine`: cosine softmax (`models.CosineLogits`), growing the same way.

After each task the test images of every class seen so far are scored.
Final accuracy: over all ten classes after the last task. Forgetting: the
accuracy on a task's classes just after learning it minus at the end,
averaged over every task but the last (Chaudhry et al., ECCV 2018, take the
best earlier accuracy instead of the one just after learning).
"""

from __future__ import annotations

import numpy as np

from keras_hpn import data
from keras_hpn.benchmarks import models, tasks
from keras_hpn.benchmarks.common import Settings, summary
from keras_hpn.decoding import predict_classes
from keras_hpn.layers import L2NormalizedProjection
from keras_hpn.prototypes import hyperspherical
from keras_hpn.utils.progress import ProgressBar

CLASSES = 10


def runs(settings: Settings) -> int:
    return (
        len(models.CLASSIFIERS)
        * len(settings.task_sizes)
        * len(settings.replay)
        * len(settings.seeds)
    )


def schedule(task_size: int, classes: int = CLASSES) -> list[list[int]]:
    """The classes of each task, in order: `[[0, 1], [2, 3], ...]` for 2."""
    return [
        list(range(start, min(start + task_size, classes)))
        for start in range(0, classes, task_size)
    ]


def forgetting(matrix: list[list[float]]) -> float:
    """Mean of `matrix[j][j] - matrix[-1][j]` over every task `j` but the last.

    `matrix[i][j]` is the accuracy on task `j`'s classes after training task
    `i` (`j <= i`). A single task forgets nothing (0).
    """
    last = len(matrix) - 1
    if last == 0:
        return 0.0
    return float(np.mean([matrix[j][j] - matrix[last][j] for j in range(last)]))


def run(settings: Settings, progress: ProgressBar) -> dict:
    """`{"kind/task_size/replay": {"final", "forgetting": summaries, "seen": a
    summary per task of the accuracy on all classes seen, "matrices": one
    per seed}}`, and `"dims"`, the HPN output dimensionality."""
    results: dict = {"dims": _dims(settings)}
    splits = {seed: tasks.split(settings, seed) for seed in settings.seeds}
    for task_size in settings.task_sizes:
        for replay in settings.replay:
            for kind in models.CLASSIFIERS:
                matrices, seen = [], []
                for seed in settings.seeds:
                    matrix, accuracies = sequence(
                        settings, kind, splits[seed], task_size, replay, seed
                    )
                    matrices.append(matrix)
                    seen.append(accuracies)
                    progress.step(
                        f"incr  {kind:<8} {len(matrix)} x {task_size} replay "
                        f"{replay:<3} seed {seed}: final {accuracies[-1]:.3f} "
                        f"forgetting {forgetting(matrix):.3f}"
                    )
                results[f"{kind}/{task_size}/{replay}"] = {
                    "final": summary([values[-1] for values in seen]),
                    "forgetting": summary([forgetting(m) for m in matrices]),
                    "seen": [summary(values) for values in zip(*seen, strict=True)],
                    "matrices": matrices,
                }
    return results


def _dims(settings: Settings) -> int:
    return max(settings.dims)


def sequence(
    settings: Settings,
    kind: str,
    split: data.Split,
    task_size: int,
    replay: int,
    seed: int,
) -> tuple[list[list[float]], list[float]]:
    """Trains one head through every task of `task_size` classes.

    Returns:
        `(matrix, seen)`: `matrix[i][j]`, the test accuracy on task `j`'s
        classes after training task `i`, and `seen[i]`, the test accuracy on
        all classes of tasks `0..i` then.
    """
    import keras

    budget = settings.classification
    keras.utils.set_random_seed(seed)
    inputs, features = tasks.body_maker(settings, split.x_train)()
    head = protos = None
    if kind == "hpn":  # every class reserved: the model never changes
        protos = hyperspherical(CLASSES, _dims(settings), seed=seed)
        model = keras.Model(inputs, L2NormalizedProjection(protos.shape[1])(features))
    rng = np.random.default_rng(seed)
    memory = _memory(split.y_train, replay, rng)
    matrix, seen = [], []
    learned: list[int] = []
    for classes in schedule(task_size, CLASSES):
        if kind != "hpn":
            head = _grown(kind, head, len(learned) + len(classes))
            model = keras.Model(inputs, head(features))
        chosen = np.flatnonzero(np.isin(split.y_train, classes))
        if learned and replay:  # as many draws from the memory as new images
            stored = np.concatenate([memory[c] for c in learned])
            chosen = np.concatenate([chosen, rng.choice(stored, len(chosen))])
        model.compile(
            optimizer=keras.optimizers.Adam(budget.learning_rate),
            loss=models.loss_of(kind, protos),
        )
        model.fit(
            split.x_train[chosen],
            split.y_train[chosen],
            epochs=budget.epochs,
            batch_size=budget.batch_size,
            shuffle=True,
            verbose=0,
        )
        learned.extend(classes)
        test = np.isin(split.y_test, learned)
        outputs = models.outputs_of(model, split.x_test[test])
        if protos is None:
            predicted = np.argmax(outputs, axis=-1)
        else:
            predicted = predict_classes(outputs, protos[: len(learned)])
        right = predicted == split.y_test[test]
        labels = split.y_test[test]
        matrix.append(
            [
                float(np.mean(right[np.isin(labels, task)]))
                for task in schedule(task_size, CLASSES)[: len(matrix) + 1]
            ]
        )
        seen.append(float(np.mean(right)))
    return matrix, seen


def _grown(kind: str, head, classes: int):
    """A head of `classes` outputs holding the weights of `head` (or a new one)."""
    if kind == "softmax":
        import keras

        grown = keras.layers.Dense(classes)
    else:
        grown = models.CosineLogits(classes)
    if head is None:
        return grown
    grown.build(head.kernel.shape[:1])
    old = [np.asarray(weight) for weight in head.get_weights()]
    new = [np.asarray(weight) for weight in grown.get_weights()]
    for old_weight, new_weight in zip(old, new, strict=True):
        new_weight[..., : old_weight.shape[-1]] = old_weight
    grown.set_weights(new)
    return grown


def _memory(
    labels: np.ndarray, per_class: int, rng: np.random.Generator
) -> dict[int, np.ndarray]:
    """`per_class` training indices of each class, drawn at random."""
    return {
        int(c): rng.permutation(np.flatnonzero(labels == c))[:per_class]
        for c in np.unique(labels)
    }
