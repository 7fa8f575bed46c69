"""What a user does first with an installed keras-hpn wheel, run outside the
repository by `make wheel-check`: import, place, compile, fit one epoch, save,
load in the same process, predict identically, and the CLI's `--version`."""

import os
import pathlib
import subprocess
import sys
import tempfile

import keras
import numpy as np

import keras_hpn

here = pathlib.Path(keras_hpn.__file__).resolve()
assert "site-packages" in here.parts, f"keras_hpn imported from {here}, not a wheel"
# The data files the wheel must carry.
words = keras_hpn.prototypes.load_word_vectors(
    keras_hpn.prototypes.BUNDLED_WORD_VECTORS
)
assert len(words) >= 100, f"bundled word vectors: {len(words)} words"

protos = keras_hpn.prototypes.hyperspherical(10, 5, seed=0)
x = np.random.default_rng(0).standard_normal((64, 8)).astype("float32")
y = np.arange(64) % 10
model = keras.Sequential(
    [keras.Input((8,)), keras_hpn.layers.L2NormalizedProjection(5)]
)
model.compile(
    optimizer="adam",
    loss=keras_hpn.losses.PrototypeCosineLoss(protos),
    metrics=[keras_hpn.metrics.PrototypeAccuracy(protos)],
)
model.fit(x, y, epochs=1, verbose=0)
path = os.path.join(tempfile.mkdtemp(), "model.keras")
model.save(path)
loaded = keras.saving.load_model(path)
np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))

command = pathlib.Path(sys.executable).with_name("keras-hpn")
version = subprocess.run(
    [str(command), "--version"], capture_output=True, text=True, check=True
).stdout
assert keras_hpn.__version__ in version, version
print(f"wheel smoke test passed: keras-hpn {keras_hpn.__version__} from {here.parent}")
