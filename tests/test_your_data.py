"""docs/your_data.md runs as written, on the first backend pass (TensorFlow
in `make test`; it passed on JAX too, 171 s, when written), on a folder of
real Fashion-MNIST images written as PNG files (100 per class to train, 30
per class to test), and beats chance on the test folder."""

import os
import re
from pathlib import Path

import keras
import numpy as np
import pytest

import keras_hpn

GUIDE = Path(__file__).resolve().parent.parent / "docs" / "your_data.md"
FENCE = re.compile(r"^```python\n(.*?)^```", re.DOTALL | re.MULTILINE)
TRAIN_PER_CLASS, TEST_PER_CLASS = 100, 30

# ConvNeXtTiny trains for about three minutes on two cores: one backend is
# enough for a guide that uses only the public, backend-independent API.
pytestmark = [
    pytest.mark.slow,
    pytest.mark.once,
    pytest.mark.skipif(
        not keras_hpn.data.fashion_mnist_available()
        and os.environ.get("KERAS_HPN_REQUIRE_DATA") != "1",
        reason="Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist)",
    ),
]


def write_folder(root: Path) -> list[str]:
    """`root/train/<class>/*.png` and `root/test/<class>/*.png` from the
    first images of each Fashion-MNIST class; returns the folder names."""
    split = keras_hpn.data.fashion_mnist(seed=0, flatten=False)
    names = [
        re.sub(r"\W+", "_", name).strip("_").lower()
        for name in keras_hpn.data.fashion_mnist_class_names()
    ]
    for part, x, y, count in (
        ("train", split.x_train, split.y_train, TRAIN_PER_CLASS),
        ("test", split.x_test, split.y_test, TEST_PER_CLASS),
    ):
        for label, name in enumerate(names):
            folder = root / part / name
            folder.mkdir(parents=True)
            for index in np.flatnonzero(y == label)[:count]:
                pixels = np.round(np.asarray(x[index]) * 255).astype("uint8")
                keras.utils.save_img(
                    folder / f"{index:05d}.png", pixels.reshape(28, 28, 1), scale=False
                )
    return names


def test_the_guide_runs_on_a_folder_of_images(tmp_path, monkeypatch):
    names = write_folder(tmp_path / "my_images")
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    for index, block in enumerate(FENCE.findall(GUIDE.read_text())):
        exec(compile(block, f"your_data.md[block {index}]", "exec"), namespace)  # noqa: S102
    assert namespace["class_names"] == sorted(names)
    # Chance is 0.1 on ten balanced classes.
    assert namespace["results"]["prototype_accuracy"] > 0.2
    assert (tmp_path / "my_classifier.keras").exists()
    assert set(namespace["names"].ravel()) <= set(names)
