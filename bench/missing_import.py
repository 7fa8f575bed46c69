"""Where Keras' error names the missing class when `keras_hpn` is not imported.

Run from the repository root:

    PYTHONPATH=. python bench/missing_import.py

Saves the classifier of docs/guide.md (a Dense layer, an
`L2NormalizedProjection` and a `PrototypeHead`, untrained: the config is
the same) and loads it in a fresh process that does not import keras_hpn.
Printed: the error type, the length of its message and where in it
`Could not locate class` starts.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import textwrap

SAVE = """
import keras, keras_hpn
protos = keras_hpn.prototypes.hyperspherical(num_classes=10, dims=5, seed=0)
head = keras_hpn.layers.PrototypeHead(
    10, kernel_initializer=keras_hpn.initializers.PrototypeInitializer(protos)
)
classifier = keras.Sequential([
    keras.Input((64,)),
    keras.layers.Dense(256, activation="relu"),
    keras_hpn.layers.L2NormalizedProjection(5),
    head,
])
classifier.save({path!r})
"""

LOAD = """
import keras
try:
    keras.saving.load_model({path!r})
except Exception as error:
    message = str(error)
    print(
        f"{{type(error).__name__}} of {{len(message):,}} characters; "
        "'Could not locate class' at character "
        f"{{message.find('Could not locate class'):,}}"
    )
"""


def main() -> None:
    environment = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "digits_classifier.keras")
        for code in (SAVE, LOAD):
            done = subprocess.run(
                [sys.executable, "-c", textwrap.dedent(code.format(path=path))],
                env=environment,
                capture_output=True,
                text=True,
                check=True,
            )
        print(done.stdout.strip())


if __name__ == "__main__":
    main()
