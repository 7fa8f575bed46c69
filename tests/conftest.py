import os
import tempfile

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

# The machine's temporary folder, before the tests redirect it (see below).
SYSTEM_TEMP = tempfile.gettempdir()


@pytest.fixture(autouse=True)
def _temporary_files_in_pytest_folders(tmp_path_factory, monkeypatch):
    """Temporary files of libraries (tfds leaves `tmp*tfds` folders) and of
    subprocesses land in a folder of pytest's, which pytest cleans up."""
    folder = tmp_path_factory.mktemp("tmp")
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    monkeypatch.setenv("TMPDIR", str(folder))


@pytest.fixture(autouse=True)
def _float32_policy():
    """Every test starts and ends with the default float32 policy."""
    keras.mixed_precision.set_global_policy("float32")
    yield
    keras.mixed_precision.set_global_policy("float32")


def _gradient(fn, x: np.ndarray) -> np.ndarray:
    """d sum(fn(x)) / dx on the active Keras backend, as numpy."""
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        variable = tf.Variable(x)
        with tf.GradientTape() as tape:
            value = tf.reduce_sum(fn(variable))
        return tape.gradient(value, variable).numpy()
    if backend == "jax":
        import jax
        import jax.numpy as jnp

        return np.asarray(jax.grad(lambda v: jnp.sum(fn(v)))(jnp.asarray(x)))
    if backend == "torch":
        import torch

        variable = torch.tensor(x, requires_grad=True)
        torch.sum(fn(variable)).backward()
        return variable.grad.numpy()
    pytest.skip(f"no gradient helper for backend {backend}")


def _compiled(fn):
    """`fn` compiled the way `model.fit` compiles a step (symbolic tensors)."""
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        return tf.function(fn)
    if backend == "jax":
        import jax

        return jax.jit(fn)
    pytest.skip(f"backend {backend} runs eagerly")


@pytest.fixture
def gradient():
    """The backend's gradient of `sum(fn(x))`: `gradient(fn, x)`."""
    return _gradient


@pytest.fixture
def compiled():
    """Compiles a function as `fit` would: `compiled(fn)(*args)`."""
    return _compiled


def pytest_report_header(config):
    return f"keras backend: {keras.backend.backend()}, keras {keras.__version__}"


def pytest_collection_modifyitems(config, items):
    """`make test` runs the suite once per backend; tests marked `once` do not
    depend on the backend (numpy geometry, the command line, the benchmark
    harness, the import order, the docs), so they run in the first pass
    only: KERAS_HPN_ONCE=0 leaves them out of the others."""
    if os.environ.get("KERAS_HPN_ONCE", "1") != "0":
        return
    kept, dropped = [], []
    for item in items:
        (dropped if item.get_closest_marker("once") else kept).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept
