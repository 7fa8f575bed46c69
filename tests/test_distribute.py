"""Distribution: every engine trains HPN losses exactly like one device.

Each run is a separate process (tests/scripts/distributed_fit.py), because
logical devices, XLA device counts and TF_CONFIG must be set before the
backend starts. The same 32 examples with sample weights are trained for
3 epochs of 2 SGD steps; the distributed weights must equal the
single-device weights.
"""

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
import pytest

import keras_hpn

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "tests" / "scripts" / "distributed_fit.py"
LOSSES = ("cosine", "regression", "multitask")
BACKEND = keras.backend.backend()


def launch(mode, out, backend, **env):
    environment = dict(os.environ, KERAS_BACKEND=backend, TF_CPP_MIN_LOG_LEVEL="3")
    environment.pop("TF_CONFIG", None)
    environment.update(env)
    return subprocess.Popen(
        [sys.executable, str(SCRIPT), mode, str(out)],
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def finish(process, out, timeout=300):
    try:
        output, _ = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        output, _ = process.communicate()
        pytest.fail(f"distributed run timed out:\n{output[-3000:]}")
    assert process.returncode == 0, output[-3000:]
    return json.loads(Path(out).read_text())


def run(mode, tmp_path, backend, **env):
    out = tmp_path / f"{mode}.json"
    return finish(launch(mode, out, backend, **env), out)


def assert_same_training(single, distributed):
    for name in LOSSES:
        for mine, theirs in zip(
            distributed[name]["weights"], single[name]["weights"], strict=True
        ):
            np.testing.assert_allclose(mine, theirs, atol=2e-6, err_msg=name)


@pytest.fixture(scope="module")
def single(tmp_path_factory):
    return run("single", tmp_path_factory.mktemp("single"), BACKEND)


@pytest.mark.slow
def test_training_moves_the_weights(single):
    """The comparisons below are not vacuous: the losses fall during training."""
    for name in LOSSES:
        assert single[name]["loss_after"] < 0.8 * single[name]["loss_before"], name


@pytest.mark.skipif(BACKEND != "tensorflow", reason="tf.distribute")
def test_mirrored_strategy_on_two_devices_matches_one_device(single, tmp_path):
    mirrored = run("mirrored", tmp_path, "tensorflow")
    assert mirrored["replicas"] == 2
    assert_same_training(single, mirrored)
    for name in LOSSES:
        for key in ("first_batch_loss", "loss_before", "loss_after"):
            assert mirrored[name][key] == pytest.approx(single[name][key], rel=1e-5)


@pytest.mark.skipif(BACKEND != "jax", reason="keras.distribution on JAX")
def test_jax_data_parallel_on_two_devices_matches_one_device(single, tmp_path):
    flags = "--xla_force_host_platform_device_count=2"
    parallel = run("jax", tmp_path, "jax", XLA_FLAGS=flags)
    assert parallel["replicas"] == 2
    assert_same_training(single, parallel)
    for name in LOSSES:
        assert parallel[name]["loss_after"] == pytest.approx(
            single[name]["loss_after"], rel=1e-5
        )


DOC_SCRIPT = """
import re, sys
from pathlib import Path
text = Path(sys.argv[1]).read_text()
block = re.findall(r"^```python\\n(.*?)^```", text, re.DOTALL | re.MULTILINE)[0]
namespace = {}
exec(block, namespace)
engine = namespace["engine"]
mesh = getattr(engine, "device_mesh", None)
print("replicas", mesh.devices.size if mesh else engine.num_replicas_in_sync)
"""


@pytest.mark.slow
@pytest.mark.skipif(BACKEND == "torch", reason="no data_parallel engine on torch")
def test_documented_example_runs_on_two_devices(tmp_path):
    """docs/distribution.md's first example, on two devices of the backend."""
    env = dict(os.environ, KERAS_BACKEND=BACKEND, TF_CPP_MIN_LOG_LEVEL="3")
    if BACKEND == "jax":
        env["XLA_FLAGS"] = "--xla_force_host_platform_device_count=2"
        prelude = ""
    else:
        prelude = (
            "import tensorflow as tf; cpu = tf.config.list_physical_devices('CPU')[0]; "
            "tf.config.set_logical_device_configuration(cpu, "
            "[tf.config.LogicalDeviceConfiguration()] * 2)\n"
        )
    script = tmp_path / "doc_example.py"
    script.write_text(prelude + DOC_SCRIPT)
    done = subprocess.run(
        [sys.executable, str(script), str(ROOT / "docs" / "distribution.md")],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip().splitlines()[-1] == "replicas 2"


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.slow
@pytest.mark.skipif(BACKEND != "tensorflow", reason="tf.distribute")
def test_two_worker_multiworker_strategy_matches_single_process(single, tmp_path):
    workers = [f"127.0.0.1:{free_port()}", f"127.0.0.1:{free_port()}"]
    processes = []
    for index in range(2):
        config = {
            "cluster": {"worker": workers},
            "task": {"type": "worker", "index": index},
        }
        out = tmp_path / f"worker{index}.json"
        process = launch("multiworker", out, "tensorflow", TF_CONFIG=json.dumps(config))
        processes.append((process, out))
    results = [finish(process, out) for process, out in processes]
    for result in results:
        assert result["replicas"] == 2
        assert_same_training(single, result)
        for name in LOSSES:
            assert result[name]["step_losses"][0] == pytest.approx(
                single[name]["first_batch_loss"], rel=1e-5
            )


def test_cluster_workers_reads_tf_config(monkeypatch):
    monkeypatch.delenv("TF_CONFIG", raising=False)
    assert keras_hpn.distribute.cluster_workers() == 1
    cluster = {"chief": ["a:1"], "worker": ["b:1", "c:1"]}
    monkeypatch.setenv("TF_CONFIG", json.dumps({"cluster": cluster}))
    assert keras_hpn.distribute.cluster_workers() == 3
    monkeypatch.setenv("TF_CONFIG", "{not json")
    with pytest.raises(ValueError, match="TF_CONFIG"):
        keras_hpn.distribute.cluster_workers()


def test_data_parallel_picks_the_backend_engine(monkeypatch):
    monkeypatch.delenv("TF_CONFIG", raising=False)
    if BACKEND == "torch":
        with pytest.raises(ValueError, match="torch"):
            keras_hpn.distribute.data_parallel()
        return
    engine = keras_hpn.distribute.data_parallel()
    if BACKEND == "tensorflow":
        import tensorflow as tf

        assert isinstance(engine, tf.distribute.MirroredStrategy)
    else:
        assert isinstance(engine, keras.distribution.DataParallel)


class Interrupt(keras.callbacks.Callback):
    """Stops training with an error at the end of one epoch."""

    def __init__(self, epoch):
        super().__init__()
        self.epoch = epoch

    def on_epoch_end(self, epoch, logs=None):
        if epoch == self.epoch:
            raise RuntimeError("simulated preemption")


def test_interrupted_training_resumes_from_backup_to_identical_weights(tmp_path):
    split = keras_hpn.data.digits(seed=0)
    x, y = split.x_train[:256], split.y_train[:256]
    protos = keras_hpn.prototypes.hyperspherical(10, 6, seed=0)

    def fresh_model():
        keras.utils.set_random_seed(0)
        model = keras.Sequential(
            [
                keras.Input((64,)),
                keras.layers.Dense(32, activation="relu"),
                keras_hpn.layers.L2NormalizedProjection(6),
            ]
        )
        model.compile(
            optimizer=keras.optimizers.Adam(0.01),
            loss=keras_hpn.losses.PrototypeCosineLoss(protos),
        )
        return model

    def fit(model, callbacks):
        return model.fit(
            x, y, batch_size=64, epochs=4, shuffle=False, verbose=0, callbacks=callbacks
        )

    reference = fresh_model()
    fit(reference, [])

    backup = keras.callbacks.BackupAndRestore(str(tmp_path / "backup"))
    interrupted = fresh_model()
    with pytest.raises(RuntimeError, match="preemption"):
        fit(interrupted, [backup, Interrupt(epoch=1)])
    resumed = fresh_model()  # a new process would start from scratch like this
    history = fit(resumed, [keras.callbacks.BackupAndRestore(str(tmp_path / "backup"))])
    assert len(history.history["loss"]) == 2  # only epochs 3 and 4 ran again
    for mine, theirs in zip(
        resumed.get_weights(), reference.get_weights(), strict=True
    ):
        np.testing.assert_allclose(mine, theirs, rtol=1e-5, atol=1e-6)
    # Without the backup the new model would differ from the reference.
    assert not np.allclose(fresh_model().get_weights()[0], reference.get_weights()[0])
