"""The search of docs/tuning.md in its own process, optionally killed.

Usage: python tuning_search.py DIRECTORY [kill]

With `kill`, the process kills itself with SIGKILL (no clean-up, as a lost
machine would) at the end of the first epoch of the second trial. It prints
one JSON line: the trials' dims, status and score.
"""

import json
import os
import signal
import sys
from pathlib import Path

import keras
import keras_tuner

import keras_hpn
from keras_hpn import tuning

directory, kill = Path(sys.argv[1]), sys.argv[2:] == ["kill"]
project = directory / "digits_dims"


class KillInSecondTrial(keras.callbacks.Callback):
    def on_epoch_end(self, epoch, logs=None):
        if len(list(project.glob("trial_*"))) >= 2:
            os.kill(os.getpid(), signal.SIGKILL)


split = keras_hpn.data.digits(seed=0)


def backbone():
    return keras.Sequential([keras.Input((64,)), keras.layers.Dense(64, "relu")])


hypermodel = tuning.HPNHyperModel(backbone, num_classes=10, dims=[3, 5, 10])
tuner = keras_tuner.RandomSearch(
    hypermodel,
    objective=hypermodel.tuner_objective(),
    max_trials=3,
    seed=1,
    directory=str(directory),
    project_name="digits_dims",
)
tuner.search(
    split.x_train,
    split.y_train,
    validation_data=(split.x_test, split.y_test),
    epochs=2,
    verbose=0,
    callbacks=[KillInSecondTrial()] if kill else [],
)
trials = {
    trial_id: {
        "dims": trial.hyperparameters.values["dims"],
        "status": trial.status,
        "score": trial.score,
    }
    for trial_id, trial in tuner.oracle.trials.items()
}
print(json.dumps(trials))
