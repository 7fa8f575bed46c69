"""Data-parallel training of HPNs on several devices or hosts.

The layers and losses of keras-hpn need nothing special under a
distribution: the losses return per-example values and Keras reduces and
scales them by the number of replicas. This module only picks the engine that
fits the active backend; the engines can also be used directly.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence

import keras


def data_parallel(devices: Sequence[str] | None = None):
    """The data-parallel engine of the active Keras backend.

    * TensorFlow: `tf.distribute.MultiWorkerMirroredStrategy` when the
      `TF_CONFIG` environment variable describes a cluster of several
      workers, else `tf.distribute.MirroredStrategy(devices)` (all local
      GPUs, or the CPU when there are none).
    * JAX: `keras.distribution.DataParallel(devices)` (all local devices by
      default).

    Both returned objects have a `scope()`: build, compile and fit the model
    inside it.

    Args:
        devices: optional device names (e.g. `["/gpu:0", "/gpu:1"]` on
            TensorFlow, `["gpu:0", "gpu:1"]` on JAX); `None` uses them all. A
            list even for one device: a bare string is refused.
            Ignored for a multi-worker cluster, where `TF_CONFIG` decides.

    Returns:
        A `tf.distribute.Strategy` or a `keras.distribution.DataParallel`.

    Example:

    ```python
    # backends: tensorflow, jax
    engine = keras_hpn.distribute.data_parallel()
    with engine.scope():
        protos = keras_hpn.prototypes.hyperspherical(10, 5, seed=0)
        model = keras.Sequential(
            [keras.Input((8,)), keras_hpn.layers.L2NormalizedProjection(5)]
        )
        model.compile("adam", keras_hpn.losses.PrototypeCosineLoss(protos))
    ```
    """
    if isinstance(devices, (str, bytes)):  # list("cpu:0") would be 5 "devices"
        raise ValueError(
            "`devices` must be a list of device names, e.g. "
            f"[{devices!r}], not one string. Received: devices={devices!r}"
        )
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        if cluster_workers() > 1:
            return tf.distribute.MultiWorkerMirroredStrategy()
        return tf.distribute.MirroredStrategy(list(devices) if devices else None)
    if backend == "jax":
        return keras.distribution.DataParallel(
            devices=list(devices) if devices else None
        )
    raise ValueError(
        f"data_parallel supports the tensorflow and jax backends; the active "
        f"backend is {backend!r}. On PyTorch, wrap the model with "
        "torch.nn.parallel.DistributedDataParallel yourself."
    )


def cluster_workers() -> int:
    """Number of workers in the cluster described by `TF_CONFIG` (1 if none).

    Returns:
        The count of `worker` (and `chief`) tasks in `TF_CONFIG`'s cluster.

    Example:

    ```python
    import json, os
    os.environ["TF_CONFIG"] = json.dumps(
        {"cluster": {"worker": ["127.0.0.1:2001", "127.0.0.1:2002"]},
         "task": {"type": "worker", "index": 0}}
    )
    keras_hpn.distribute.cluster_workers()
    # 2
    del os.environ["TF_CONFIG"]
    ```
    """
    raw = os.environ.get("TF_CONFIG")
    if not raw:
        return 1
    try:
        cluster = json.loads(raw).get("cluster", {})
    except (json.JSONDecodeError, AttributeError) as error:
        raise ValueError(
            f"The TF_CONFIG environment variable is not valid JSON: {raw!r}"
        ) from error
    return max(1, len(cluster.get("worker", [])) + len(cluster.get("chief", [])))


def train_step_fn(model, loss, optimizer, strategy):
    """A compiled data-parallel training step for a custom training loop.

    For TensorFlow strategies where `model.fit` cannot be used (Keras 3's
    `fit` fails under `MultiWorkerMirroredStrategy`, keras-team/keras#20585).
    Each replica computes `loss(y, model(x), sample_weight)` on its share of
    the global batch; Keras losses divide by the number of replicas, and the
    optimizer sums the gradients across replicas, so one step equals a
    single-device step on the whole global batch.

    Args:
        model: a Keras model built in `strategy.scope()`.
        loss: a Keras loss, e.g. `keras_hpn.losses.PrototypeCosineLoss`.
        optimizer: a Keras optimizer created in `strategy.scope()`.
        strategy: a `tf.distribute.Strategy`.

    Returns:
        A `tf.function` `step(x, y, sample_weight)` that trains on one
        distributed batch and returns the global loss.

    Example:

    ```
    strategy = keras_hpn.distribute.data_parallel()  # TF_CONFIG set per host
    with strategy.scope():
        model = build_model()
        optimizer = keras.optimizers.SGD(0.1)
        optimizer.build(model.trainable_variables)
    step = keras_hpn.distribute.train_step_fn(model, loss, optimizer, strategy)
    for x, y, w in strategy.distribute_datasets_from_function(make_dataset):
        step(x, y, w)
    ```
    """
    import tensorflow as tf

    def replica_step(x, y, sample_weight):
        with tf.GradientTape() as tape:
            value = loss(y, model(x, training=True), sample_weight=sample_weight)
        gradients = tape.gradient(value, model.trainable_variables)
        optimizer.apply(gradients, model.trainable_variables)
        return value

    @tf.function
    def step(x, y, sample_weight):
        values = strategy.run(replica_step, args=(x, y, sample_weight))
        return strategy.reduce("SUM", values, axis=None)

    return step
