"""Trains the three HPN losses for a few SGD steps and prints the outcome.

Usage: python distributed_fit.py MODE OUT.json, MODE one of
`single`, `mirrored` (TensorFlow, two logical CPUs), `jax` (JAX DataParallel
over two CPU devices; set XLA_FLAGS before), `multiworker` (TensorFlow,
TF_CONFIG set by the caller). Used by tests/test_distribute.py.
"""

import json
import sys

mode, out = sys.argv[1], sys.argv[2]

if mode == "mirrored":
    import tensorflow as tf

    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(
        cpu, [tf.config.LogicalDeviceConfiguration()] * 2
    )

import keras  # noqa: E402
import numpy as np  # noqa: E402

import keras_hpn  # noqa: E402

rng = np.random.default_rng(0)
x = rng.standard_normal((32, 6)).astype("float32")
labels = rng.integers(0, 5, 32)
targets = rng.uniform(0.0, 10.0, 32)
weights = rng.uniform(0.2, 2.0, 32).astype("float32")
protos = keras_hpn.prototypes.hyperspherical(5, 4, seed=0)
multi_protos, _ = keras_hpn.prototypes.multitask(5, 4, seed=0)
initial = [
    rng.standard_normal((6, 8)).astype("float32") * 0.5,
    np.zeros(8, "float32"),
    rng.standard_normal((8, 4)).astype("float32") * 0.5,
    np.zeros(4, "float32"),
]
cases = {
    "cosine": (lambda: keras_hpn.losses.PrototypeCosineLoss(protos), labels),
    "regression": (
        lambda: keras_hpn.losses.HypersphericalRegressionLoss(0.0, 10.0),
        targets,
    ),
    "multitask": (
        lambda: keras_hpn.losses.MultiTaskLoss(multi_protos, 0.0, 10.0, weight=0.3),
        np.stack([labels, targets], axis=1),
    ),
}

if mode == "single":
    engine = None
elif mode == "jax":
    engine = keras_hpn.distribute.data_parallel(keras.distribution.list_devices("cpu"))
else:
    engine = keras_hpn.distribute.data_parallel()

results = {"replicas": 1}
if engine is not None and hasattr(engine, "num_replicas_in_sync"):
    results["replicas"] = int(engine.num_replicas_in_sync)
elif engine is not None:
    results["replicas"] = len(engine.device_mesh.devices.flatten())


def custom_loop(make_loss, y):
    """The multi-worker path: Keras 3's `fit` fails under
    MultiWorkerMirroredStrategy (keras-team/keras#20585), so train with
    `strategy.run`, as TensorFlow documents for custom loops."""
    import tensorflow as tf

    with engine.scope():
        model = keras.Sequential(
            [
                keras.Input((6,)),
                keras.layers.Dense(8, activation="tanh"),
                keras_hpn.layers.L2NormalizedProjection(4),
            ]
        )
        model.set_weights(initial)
        optimizer = keras.optimizers.SGD(0.5)
        optimizer.build(model.trainable_variables)
        loss = make_loss()
    step = keras_hpn.distribute.train_step_fn(model, loss, optimizer, engine)

    def per_worker(context):
        data = tf.data.Dataset.from_tensor_slices((x, y.astype("float32"), weights))
        # Interleaved shards: each global batch of 16 holds the same 16
        # examples as the single-process batch.
        data = data.shard(context.num_input_pipelines, context.input_pipeline_id)
        return data.batch(context.get_per_replica_batch_size(16))

    dataset = engine.distribute_datasets_from_function(per_worker)
    losses = []
    for _ in range(3):
        for batch in dataset:
            losses.append(float(step(*batch)))
    return model, losses


for name, (make_loss, y) in cases.items():
    if mode == "multiworker":
        model, losses = custom_loop(make_loss, y)
        results[name] = {
            "step_losses": losses,
            "weights": [np.asarray(w).tolist() for w in model.get_weights()],
        }
        continue
    scope = engine.scope() if engine is not None else None
    if scope is not None:
        scope.__enter__()
    model = keras.Sequential(
        [
            keras.Input((6,)),
            keras.layers.Dense(8, activation="tanh"),
            keras_hpn.layers.L2NormalizedProjection(4),
        ]
    )
    model.set_weights(initial)
    model.compile(optimizer=keras.optimizers.SGD(0.5), loss=make_loss())
    first_batch = model.evaluate(
        x[:16], y[:16], sample_weight=weights[:16], batch_size=16, verbose=0
    )
    before = model.evaluate(x, y, sample_weight=weights, batch_size=16, verbose=0)
    model.fit(
        x, y, sample_weight=weights, batch_size=16, epochs=3, shuffle=False, verbose=0
    )
    after = model.evaluate(x, y, sample_weight=weights, batch_size=16, verbose=0)
    if scope is not None:
        scope.__exit__(None, None, None)
    results[name] = {
        "first_batch_loss": float(first_batch),
        "loss_before": float(before),
        "loss_after": float(after),
        "weights": [np.asarray(w).tolist() for w in model.get_weights()],
    }

with open(out, "w") as handle:
    json.dump(results, handle)
print("done", mode, results["replicas"])
