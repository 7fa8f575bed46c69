"""Generic tfds image pipelines, offline under `tfds.testing.mock_data`."""

import keras
import numpy as np
import pytest

tfds = pytest.importorskip("tensorflow_datasets")

import keras_hpn  # noqa: E402
from keras_hpn import data  # noqa: E402


@pytest.fixture
def mock():
    with tfds.testing.mock_data(
        num_examples=6, policy=tfds.testing.MockPolicy.USE_CODE
    ):
        yield


def test_inaturalist_pipeline_feeds_an_hpn_with_8142_classes(mock):
    train, names = data.image_classification(
        "i_naturalist2018", "train", image_size=32, batch_size=4, seed=0
    )
    assert len(names) == 8142 and names[0] == "Hermodice carunculata"
    images, labels = next(train.as_numpy_iterator())
    assert images.shape == (4, 32, 32, 3) and images.dtype == np.float32
    assert labels.dtype == np.int64 and labels.min() >= 0 and labels.max() < 8142
    # Standardised with ImageNet's statistics: pixels in [0, 1] map to this range.
    mean, std = np.array(data.images.IMAGENET_MEAN), np.array(data.images.IMAGENET_STD)
    assert images.min() >= (-mean / std).min() - 1e-5
    assert images.max() <= ((1 - mean) / std).max() + 1e-5
    rows = np.random.default_rng(0).standard_normal((8142, 16))
    protos = rows / np.linalg.norm(rows, axis=1, keepdims=True)
    model = keras.Sequential(
        [
            keras.Input((32, 32, 3)),
            keras.layers.GlobalAveragePooling2D(),
            keras_hpn.layers.L2NormalizedProjection(16),
        ]
    )
    model.compile(
        "adam",
        keras_hpn.losses.PrototypeCosineLoss(protos),
        metrics=[keras_hpn.metrics.PrototypeAccuracy(protos, k=5)],
    )
    history = model.fit(train, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"]).all()


def test_evaluation_crops_the_centre_and_repeats(mock):
    first, _ = data.image_classification(
        "imagenet2012", "validation", image_size=16, batch_size=3
    )
    second, _ = data.image_classification(
        "imagenet2012", "validation", image_size=16, batch_size=3
    )
    a, b = next(first.as_numpy_iterator()), next(second.as_numpy_iterator())
    np.testing.assert_array_equal(a[0], b[0])  # no augmentation, no shuffle
    assert a[0].shape == (3, 16, 16, 3)


@pytest.mark.parametrize(
    "kwargs, word",
    [
        ({"image_size": 4}, "image_size"),
        ({"batch_size": 0}, "batch_size"),
        ({"split": ""}, "split"),
    ],
)
def test_bad_arguments(kwargs, word):
    with pytest.raises(ValueError, match=word):
        data.image_classification("imagenet2012", **kwargs)


def test_datasets_without_labels_are_refused(mock):
    with pytest.raises(ValueError, match="'image' and 'label'"):
        data.image_classification("coco_captions", "train", image_size=8)


def test_a_validation_slice_of_train_is_not_augmented(mock):
    # "train[50%:]" held out for validation: the central crop, in file order,
    # every time (an augmented or shuffled pipeline would differ between runs).
    def run():
        dataset, _ = data.image_classification(
            "imagenet2012", "train[50%:]", image_size=16, batch_size=3
        )
        return list(dataset.as_numpy_iterator())

    first, second = run(), run()
    raw = tfds.load("imagenet2012", split="train[50%:]", shuffle_files=False)
    labels = np.array([example["label"] for example in raw.as_numpy_iterator()])
    np.testing.assert_array_equal(np.concatenate([y for _, y in first]), labels)
    for (a, _), (b, _) in zip(first, second, strict=True):
        np.testing.assert_array_equal(a, b)
    # The whole "train" split is still augmented by default.
    train, _ = data.image_classification(
        "imagenet2012", "train", image_size=16, batch_size=6
    )
    once, again = next(train.as_numpy_iterator()), next(train.as_numpy_iterator())
    assert not np.array_equal(once[0], again[0])
