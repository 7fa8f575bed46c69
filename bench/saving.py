"""Saving and loading a model with many classes: sizes, seconds, exactness.

Run from the repository root:

    PYTHONPATH=. python bench/saving.py                   # K=100,000, D=256
    PYTHONPATH=. python bench/saving.py --classes 10000 --dims 128

A 512-feature MLP with an HPN head, compiled with `PrototypeCosineLoss` and
`PrototypeAccuracy` and topped by a `PrototypeHead` returning the top 5
classes, is saved to `.keras` and loaded in a fresh process, which checks
that prototypes and predictions come back bit for bit. Printed: the size of
`config.json` and of the weights, and the seconds of saving and loading.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import textwrap
import time
import zipfile


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--classes", type=int, default=100_000)
    parser.add_argument("--dims", type=int, default=256)
    args = parser.parse_args()

    import keras
    import numpy as np

    import keras_hpn

    start = time.perf_counter()
    protos = keras_hpn.prototypes.hyperspherical(args.classes, args.dims, seed=0)
    placed = time.perf_counter() - start
    inputs = keras.Input((512,))
    z = keras.layers.Dense(512, activation="relu")(inputs)
    z = keras_hpn.layers.L2NormalizedProjection(args.dims)(z)
    top = keras_hpn.layers.PrototypeHead(
        args.classes,
        kernel_initializer=keras_hpn.initializers.PrototypeInitializer(protos),
        top_k=5,
    )(z)
    model = keras.Model(inputs, [z, *top])
    model.compile(
        optimizer="adam",
        loss=[keras_hpn.losses.PrototypeCosineLoss(protos), None, None],
        metrics=[[keras_hpn.metrics.PrototypeAccuracy(protos)], [], []],
    )
    folder = tempfile.mkdtemp()
    path = os.path.join(folder, "many.keras")
    x = np.random.default_rng(0).standard_normal((64, 512)).astype("float32")
    np.save(os.path.join(folder, "x.npy"), x)
    np.save(
        os.path.join(folder, "classes.npy"), keras.ops.convert_to_numpy(model(x)[2])
    )
    np.save(os.path.join(folder, "protos.npy"), protos)
    start = time.perf_counter()
    model.save(path)
    saved = time.perf_counter() - start
    with zipfile.ZipFile(path) as archive:
        sizes = {info.filename: info.file_size for info in archive.infolist()}
    check = textwrap.dedent(
        f"""
        import os, time, numpy as np, keras, keras_hpn
        start = time.perf_counter()
        model = keras.saving.load_model({path!r})
        loaded = time.perf_counter() - start
        folder = {folder!r}
        x = np.load(os.path.join(folder, "x.npy"))
        same = np.array_equal(
            keras.ops.convert_to_numpy(model(x)[2]),
            np.load(os.path.join(folder, "classes.npy")),
        ) and np.array_equal(
            model.loss[0].prototypes, np.load(os.path.join(folder, "protos.npy"))
        )
        print(loaded, same)
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", check], capture_output=True, text=True, check=True
    )
    loaded, same = done.stdout.split()[-2:]
    print(
        f"{args.classes} classes x {args.dims} dims ({keras.backend.backend()}): "
        f"placed in {placed:.1f} s; config.json {sizes['config.json'] / 1e3:.1f} kB, "
        f"model.weights.h5 {sizes['model.weights.h5'] / 1e6:.1f} MB; saved in "
        f"{saved:.1f} s, loaded in a fresh process in {float(loaded):.1f} s; "
        f"prototypes and top-5 predictions identical after loading: {same}"
    )


if __name__ == "__main__":
    main()
