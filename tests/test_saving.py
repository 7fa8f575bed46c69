"""Prototypes in saved models: inline when small, once in the weights when large.

Each load runs in a fresh process, where nothing is cached: what comes back
is what the `.keras` file holds.
"""

import json
import os
import subprocess
import sys
import textwrap
import zipfile

import keras
import numpy as np
import pytest

import keras_hpn
from keras_hpn import saving
from keras_hpn.utils.memo import ArrayMemo

BIG = (300, 64)  # 19,200 numbers: above saving.INLINE_VALUES


def unit_rows(num_classes, dims, seed=0):
    rows = np.random.default_rng(seed).standard_normal((num_classes, dims))
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def run_fresh(code: str, **env) -> str:
    """Runs `code` in a new interpreter on this backend; returns its stdout."""
    environment = dict(os.environ, KERAS_BACKEND=keras.backend.backend(), **env)
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout.strip().splitlines()[-1]


def classifier(protos: np.ndarray) -> keras.Model:
    dims = protos.shape[1]
    keras.utils.set_random_seed(0)
    inputs = keras.Input((8,))
    z = keras_hpn.layers.L2NormalizedProjection(dims, name="z")(inputs)
    head = keras_hpn.layers.PrototypeHead(
        len(protos),
        kernel_initializer=keras_hpn.initializers.PrototypeInitializer(protos),
        name="head",
    )(z)
    model = keras.Model(inputs, [z, head])
    model.compile(
        optimizer="adam",
        loss=[keras_hpn.losses.PrototypeCosineLoss(protos), None],
        metrics=[[keras_hpn.metrics.PrototypeAccuracy(protos)], []],
    )
    return model


def config_json(path) -> str:
    with zipfile.ZipFile(path) as archive:
        return archive.read("config.json").decode()


def test_small_prototypes_stay_inline_in_the_config():
    protos = keras_hpn.prototypes.hyperspherical(10, 5, seed=0)
    config = keras_hpn.losses.PrototypeCosineLoss(protos).get_config()
    np.testing.assert_array_equal(config["prototypes"], protos)


def test_large_prototypes_are_referenced_once_and_restored_exactly(tmp_path):
    protos = unit_rows(*BIG)
    model = classifier(protos)
    x = np.random.default_rng(1).standard_normal((16, 8)).astype("float32")
    model.fit(x, [np.arange(16) % BIG[0], np.zeros((16, BIG[0]))], verbose=0)
    path = tmp_path / "big.keras"
    model.save(path)
    np.save(tmp_path / "x.npy", x)
    np.save(tmp_path / "protos.npy", protos)
    text = config_json(path)
    # No list of 19,200 floats: three references of 64 hex digits each.
    assert len(text) < 20_000
    assert text.count(saving.fingerprint(protos)) == 3  # loss, metric, head
    expected = keras.ops.convert_to_numpy(model(x)[1])
    np.save(tmp_path / "expected.npy", expected)
    out = run_fresh(
        f"""
        import numpy as np, keras, keras_hpn
        model = keras.saving.load_model({str(path)!r})
        protos = np.load({str(tmp_path / "protos.npy")!r})
        x = np.load({str(tmp_path / "x.npy")!r})
        loss = model.loss[0]
        assert np.array_equal(loss.prototypes, protos)
        scores = keras.ops.convert_to_numpy(model(x)[1])
        np.testing.assert_array_equal(
            scores, np.load({str(tmp_path / "expected.npy")!r})
        )
        result = model.evaluate(x, [np.arange(16) % {BIG[0]}, scores], verbose=0)
        print("ok", len(result))
        """
    )
    assert out.startswith("ok")


def test_loading_never_places_prototypes(tmp_path):
    """A head whose initializer placed prototypes loads without placing."""
    model = keras.Sequential(
        [
            keras.Input((4,)),
            keras_hpn.layers.L2NormalizedProjection(3),
            keras_hpn.layers.PrototypeHead(
                20,
                kernel_initializer=keras_hpn.initializers.PrototypeInitializer(seed=5),
            ),
        ]
    )
    path = tmp_path / "placed.keras"
    model.save(path)
    kernel = keras.ops.convert_to_numpy(model.layers[-1].kernel)
    np.save(tmp_path / "kernel.npy", kernel)
    out = run_fresh(
        f"""
        import numpy as np, keras, keras_hpn
        def refuse(*args, **kwargs):
            raise AssertionError("placement ran while loading")
        keras_hpn.initializers.hyperspherical = refuse
        model = keras.saving.load_model({str(path)!r})
        kernel = keras.ops.convert_to_numpy(model.layers[-1].kernel)
        np.testing.assert_array_equal(kernel, np.load({str(tmp_path / "kernel.npy")!r}))
        print("ok")
        """
    )
    assert out == "ok"


def test_config_alone_of_large_prototypes_fails_loudly_in_a_new_process(tmp_path):
    protos = unit_rows(*BIG)
    loss = keras_hpn.losses.PrototypeCosineLoss(protos)
    head = keras_hpn.layers.PrototypeHead(
        BIG[0], kernel_initializer=keras_hpn.initializers.PrototypeInitializer(protos)
    )
    configs = {
        "loss": keras.losses.serialize(loss),
        "head": keras.layers.serialize(head),
    }
    (tmp_path / "configs.json").write_text(json.dumps(configs))
    out = run_fresh(
        f"""
        import json, numpy as np, keras, keras_hpn
        configs = json.load(open({str(tmp_path / "configs.json")!r}))
        loss = keras.losses.deserialize(configs["loss"])
        messages = []
        try:
            loss(np.zeros(2), np.ones((2, {BIG[1]})))
        except ValueError as error:
            messages.append(str(error))
        head = keras.layers.deserialize(configs["head"])
        try:
            head(np.ones((2, {BIG[1]}), "float32"))
        except ValueError as error:
            messages.append(str(error))
        print(all("load_model" in m for m in messages) and len(messages) == 2)
        """
    )
    assert out == "True"


def test_a_config_round_trip_in_one_process_finds_the_prototypes():
    protos = unit_rows(*BIG)
    loss = keras_hpn.losses.PrototypeCosineLoss(protos)
    metric = keras_hpn.metrics.PrototypeAccuracy(protos, k=3)
    for obj, restore in (
        (loss, keras.losses.deserialize),
        (metric, keras.metrics.deserialize),
    ):
        config = keras.saving.serialize_keras_object(obj)
        assert isinstance(config["config"]["prototypes"], dict)
        np.testing.assert_array_equal(restore(config).prototypes, protos)


def test_weights_trained_with_other_prototypes_are_refused(tmp_path):
    first = classifier(unit_rows(*BIG, seed=0))
    path = tmp_path / "first.weights.h5"
    first.save_weights(path)
    other = classifier(unit_rows(*BIG, seed=1))
    with pytest.raises(ValueError, match="different prototypes"):
        other.load_weights(path)


def test_a_tampered_reference_is_refused():
    with pytest.raises(ValueError, match="reference"):
        keras_hpn.losses.PrototypeCosineLoss({"sha256": "abc"})


# Damaged `.keras` files. A small matrix (20 x 8) goes by reference once
# the inline threshold is lowered, so every way of damaging it is cheap.
SMALL = (20, 8)
LOSS_ENTRY = "loss/prototype_cosine_loss/vars/prototypes"
HEAD_ENTRY = "layers/prototype_head/vars/0"


def damaged(path, out, weights=None, config=None):
    """Copies the `.keras` zip `path` to `out`, with `weights(h5_file)` and
    `config(config_dict)` applied to its weights and its config."""
    import h5py

    with zipfile.ZipFile(path) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    if weights is not None:
        h5_path = out.with_suffix(".h5")
        h5_path.write_bytes(members["model.weights.h5"])
        with h5py.File(h5_path, "r+") as h5:
            weights(h5)
        members["model.weights.h5"] = h5_path.read_bytes()
    if config is not None:
        data = json.loads(members["config.json"])
        config(data)
        members["config.json"] = json.dumps(data).encode()
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return out


def edit(entry, change):
    """A `weights` edit: `change(array)` applied to a copy of dataset `entry`."""

    def apply(h5):
        array = np.array(h5[entry])
        change(array)
        h5[entry][...] = array

    return apply


def swap_rows(array):
    array[[0, 1]] = array[[1, 0]]


def swap_columns(array):
    array[:, [0, 1]] = array[:, [1, 0]]


def set_nan(array):
    array[0, 0] = np.nan


def scale_column(array):
    array[:, 3] *= 2.0


def change_value(array):
    array[0, 0] += 1e-3


def loss_sha(data, sha="0" * 64):
    data["compile_config"]["loss"][0]["config"]["prototypes"]["sha256"] = sha


LOSS_DAMAGE = {
    "loss prototype value": (edit(LOSS_ENTRY, change_value), None),
    "loss prototype rows swapped": (edit(LOSS_ENTRY, swap_rows), None),
    "loss prototypes deleted": (lambda h5: h5.__delitem__(LOSS_ENTRY), None),
    "loss sha256 edited": (None, loss_sha),
}
HEAD_DAMAGE = {
    "head columns swapped": edit(HEAD_ENTRY, swap_columns),
    "head NaN": edit(HEAD_ENTRY, set_nan),
    "head column scaled": edit(HEAD_ENTRY, scale_column),
}


def fresh_registry(monkeypatch):
    """What a new process knows: no registered prototypes."""
    import weakref

    monkeypatch.setattr(saving, "_REGISTRY", weakref.WeakValueDictionary())
    monkeypatch.setattr(saving, "_FINGERPRINTS", ArrayMemo())


def saved_classifier(tmp_path, monkeypatch, by_reference):
    if by_reference:
        monkeypatch.setattr(saving, "INLINE_VALUES", 100)  # 20 x 8 = 160 numbers
    protos = unit_rows(*SMALL, seed=3)
    model = classifier(protos)
    path = tmp_path / "model.keras"
    model.save(path)
    stored = '"sha256"' in config_json(path)  # a reference, not kernel_sha256
    assert stored == by_reference
    return model, path


@pytest.mark.parametrize("fresh", [True, False], ids=["fresh", "same-process"])
@pytest.mark.parametrize("damage", [None, *LOSS_DAMAGE], ids=str)
def test_damaged_loss_prototypes_are_refused_at_load(
    tmp_path, monkeypatch, damage, fresh
):
    model, path = saved_classifier(tmp_path, monkeypatch, by_reference=True)
    if damage is not None:
        weights, config = LOSS_DAMAGE[damage]
        path = damaged(path, tmp_path / "damaged.keras", weights, config)
    if fresh:
        fresh_registry(monkeypatch)
    if damage is None:  # the control: an intact file loads and predicts the same
        restored = keras.saving.load_model(path)
        x = np.random.default_rng(2).standard_normal((4, 8)).astype("float32")
        np.testing.assert_array_equal(
            keras.ops.convert_to_numpy(restored(x)[1]),
            keras.ops.convert_to_numpy(model(x)[1]),
        )
        np.testing.assert_array_equal(
            restored.loss[0].prototypes, model.loss[0].prototypes
        )
        return
    with pytest.raises(ValueError) as raised:
        keras.saving.load_model(path)
    message = str(raised.value)
    assert "Cannot load PrototypeCosineLoss 'prototype_cosine_loss'" in message
    assert "`prototypes`" in message


@pytest.mark.parametrize("by_reference", [True, False], ids=["reference", "inline"])
@pytest.mark.parametrize("damage", list(HEAD_DAMAGE))
def test_damaged_head_kernel_is_refused_at_load(
    tmp_path, monkeypatch, damage, by_reference
):
    _, path = saved_classifier(tmp_path, monkeypatch, by_reference)
    path = damaged(path, tmp_path / "damaged.keras", HEAD_DAMAGE[damage])
    fresh_registry(monkeypatch)
    with pytest.raises(ValueError) as raised:
        keras.saving.load_model(path)
    message = str(raised.value)
    assert "Cannot load PrototypeHead 'head'" in message
    assert "entry `0`" in message


def test_a_failed_load_is_not_forgotten_on_an_empty_visit():
    """Keras visits a failed object again with an empty store (see
    `saving.guarded_load`): that visit must raise the same error."""
    protos = unit_rows(*BIG)
    config = keras_hpn.losses.PrototypeCosineLoss(protos).get_config()
    config["prototypes"]["sha256"] = "f" * 64  # a reference nothing matches
    loss = keras_hpn.losses.PrototypeCosineLoss.from_config(config)
    with pytest.raises(ValueError, match="does not match") as first:
        loss.load_own_variables({"prototypes": protos})
    with pytest.raises(ValueError) as again:
        loss.load_own_variables({})
    assert again.value is first.value


def test_head_config_records_the_sha256_of_its_kernel():
    protos = unit_rows(*SMALL)
    head = keras_hpn.layers.PrototypeHead(
        SMALL[0],
        kernel_initializer=keras_hpn.initializers.PrototypeInitializer(protos),
    )
    assert head.get_config()["kernel_sha256"] is None  # not built: no kernel yet
    head.build((None, SMALL[1]))
    kernel = protos.T.astype("float32")
    assert head.get_config()["kernel_sha256"] == saving.exact_fingerprint(kernel)
    revived = keras_hpn.layers.PrototypeHead.from_config(head.get_config())
    revived.build((None, SMALL[1]))
    revived.load_own_variables({"0": kernel})  # the same kernel: accepted
    bad = keras_hpn.layers.PrototypeHead.from_config(head.get_config())
    bad.build((None, SMALL[1]))
    with pytest.raises(ValueError, match="Cannot load PrototypeHead"):
        bad.load_own_variables({"0": kernel[:, ::-1]})


@pytest.mark.parametrize("dtype", ["float16", "bfloat16", "mixed_bfloat16", "float64"])
def test_head_kernel_fingerprint_is_exact_in_every_dtype(tmp_path, dtype):
    """An intact head loads in every kernel dtype: its check is exact."""
    protos = keras_hpn.prototypes.hyperspherical(12, 4, seed=0)
    model = keras.Sequential(
        [
            keras.Input((4,)),
            keras_hpn.layers.PrototypeHead(
                12,
                kernel_initializer=keras_hpn.initializers.PrototypeInitializer(protos),
                dtype=dtype,
            ),
        ]
    )
    model.save(tmp_path / "head.keras")
    restored = keras.saving.load_model(tmp_path / "head.keras").layers[-1]
    head = model.layers[-1]
    assert restored.get_config()["kernel_sha256"] == head.get_config()["kernel_sha256"]
    np.testing.assert_array_equal(
        keras.ops.convert_to_numpy(restored.kernel),
        keras.ops.convert_to_numpy(head.kernel),
    )


def test_loading_without_import_names_the_missing_class(tmp_path):
    """What docs/guide.md tells users to look for: Keras' own message."""
    model = keras.Sequential(
        [keras.Input((4,)), keras_hpn.layers.L2NormalizedProjection(3)]
    )
    path = tmp_path / "model.keras"
    model.save(path)
    out = run_fresh(
        f"""
        import keras
        try:
            keras.saving.load_model({str(path)!r})
        except TypeError as error:
            print("Could not locate class 'L2NormalizedProjection'" in str(error))
        """
    )
    assert out == "True"


def test_multitask_loss_without_its_stored_prototypes_is_refused(monkeypatch):
    monkeypatch.setattr(saving, "INLINE_VALUES", 100)
    protos, _ = keras_hpn.prototypes.multitask(30, 8, seed=0)  # 240 numbers
    config = keras_hpn.losses.MultiTaskLoss(protos, 0.0, 1.0).get_config()
    fresh_registry(monkeypatch)
    loss = keras_hpn.losses.MultiTaskLoss.from_config(config)
    with pytest.raises(ValueError) as raised:
        loss.load_own_variables({})  # the entry `class_prototypes` deleted
    message = str(raised.value)
    assert "Cannot load MultiTaskLoss 'multitask_loss'" in message
    assert "no entry `class_prototypes`" in message
    intact = keras_hpn.losses.MultiTaskLoss.from_config(config)
    intact.load_own_variables({"class_prototypes": protos})
    np.testing.assert_array_equal(intact.class_prototypes, protos)
