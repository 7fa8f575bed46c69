"""The geometry imports without Keras; Keras classes register in any import order."""

import os
import subprocess
import sys
import textwrap

import keras
import pytest

import keras_hpn

pytestmark = pytest.mark.once  # backend-independent: first pass only

BACKEND = keras.backend.backend()
HEAVY = ("keras", "tensorflow", "jax", "torch", "sklearn")


def run(code: str) -> str:
    env = dict(os.environ, KERAS_BACKEND=BACKEND)
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout.strip().splitlines()[-1]


def test_geometry_and_decoders_import_without_keras():
    out = run(
        f"""
        import sys, time
        start = time.perf_counter()
        from keras_hpn.prototypes import hyperspherical
        from keras_hpn import predict_classes
        light = time.perf_counter() - start
        loaded = [m for m in {HEAVY!r} if m in sys.modules]
        start = time.perf_counter()
        import keras
        heavy = time.perf_counter() - start
        print(loaded, light, heavy)
        """
    )
    loaded, light, heavy = out.rsplit(" ", 2)
    assert loaded == "[]"
    # Measured side by side: the geometry costs a fraction of Keras' import.
    assert float(light) < float(heavy) / 3, (light, heavy)


@pytest.mark.parametrize("first", ["keras_hpn", "keras"])
def test_saved_model_loads_whatever_the_import_order(first, tmp_path):
    protos = keras_hpn.prototypes.hyperspherical(10, 5, seed=0)
    model = keras.Sequential(
        [keras.Input((4,)), keras_hpn.layers.L2NormalizedProjection(5)]
    )
    model.compile("adam", keras_hpn.losses.PrototypeCosineLoss(protos))
    path = tmp_path / "model.keras"
    model.save(path)
    second = "keras" if first == "keras_hpn" else "keras_hpn"
    out = run(
        f"""
        import {first}
        import {second}
        import keras
        print(type(keras.saving.load_model({str(path)!r}).loss).__name__)
        """
    )
    assert out == "PrototypeCosineLoss"


def test_one_keras_facing_module_registers_all_classes():
    out = run(
        """
        from keras_hpn.layers import L2NormalizedProjection
        import keras
        names = ["PrototypeCosineLoss", "PrototypeAccuracy", "PrototypeInitializer"]
        print(all(
            keras.saving.get_registered_object(f"keras_hpn>{name}") is not None
            for name in names
        ))
        """
    )
    assert out == "True"


def test_lazy_attributes():
    assert keras_hpn.losses.PrototypeCosineLoss.__module__ == "keras_hpn.losses"
    assert "layers" in dir(keras_hpn)
    with pytest.raises(AttributeError, match="no attribute 'lossses'"):
        keras_hpn.lossses  # noqa: B018
