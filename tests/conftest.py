import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402


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
