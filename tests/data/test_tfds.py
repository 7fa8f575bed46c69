"""CIFAR pipelines, offline under `tfds.testing.mock_data` (nothing downloads)."""

import itertools
import os

import keras
import numpy as np
import pytest

tfds = pytest.importorskip("tensorflow_datasets")

import keras_hpn  # noqa: E402
from keras_hpn import data  # noqa: E402
from keras_hpn.data.tfds import CIFAR_MEAN, CIFAR_STD, normalize  # noqa: E402

NUM_EXAMPLES = 12


@pytest.fixture
def mock():
    """Random images in the datasets' real format, generated from tfds' code."""
    with tfds.testing.mock_data(
        num_examples=NUM_EXAMPLES, policy=tfds.testing.MockPolicy.USE_CODE
    ):
        yield


def _raw(name, split="train"):
    """The mock images and labels as tfds gives them, in file order."""
    dataset = tfds.load(name, split=split, shuffle_files=False)
    examples = list(dataset.as_numpy_iterator())
    return (
        np.stack([e["image"] for e in examples]),
        np.array([e["label"] for e in examples]),
    )


def _all(dataset):
    batches = list(dataset.as_numpy_iterator())
    return (
        np.concatenate([x for x, _ in batches]),
        np.concatenate([y for _, y in batches]),
        [len(y) for _, y in batches],
    )


@pytest.mark.parametrize("name, classes", [("cifar10", 10), ("cifar100", 100)])
def test_unaugmented_pipeline_is_normalised_raw_data(mock, name, classes):
    raw_images, raw_labels = _raw(name, "test")
    dataset = data.cifar(name, "test", batch_size=5)
    assert dataset.element_spec[0].shape.as_list() == [None, 32, 32, 3]
    assert dataset.element_spec[0].dtype.name == "float32"
    assert dataset.element_spec[1].dtype.name == "int64"
    images, labels, sizes = _all(dataset)
    assert sizes == [5, 5, 2]  # batched, last batch kept
    # "test" is neither shuffled nor augmented: the same images, normalised.
    np.testing.assert_array_equal(labels, raw_labels)
    assert labels.min() >= 0 and labels.max() < classes
    mean, std = np.array(CIFAR_MEAN[name]), np.array(CIFAR_STD[name])
    np.testing.assert_allclose(images, (raw_images / 255.0 - mean) / std, atol=1e-5)
    # Value range: pixel 0 and 255 map to -mean/std and (1 - mean)/std.
    assert np.all(images >= -mean / std - 1e-5)
    assert np.all(images <= (1 - mean) / std + 1e-5)


def test_normalisation_constants():
    # Black and white pixels of CIFAR-10 in units of the channel deviation.
    np.testing.assert_allclose(
        normalize(np.array([[0, 0, 0], [255, 255, 255]], dtype="uint8"), "cifar10"),
        [
            [
                -0.49139968 / 0.24703223,
                -0.48215841 / 0.24348513,
                -0.44653091 / 0.26158784,
            ],
            [0.50860032 / 0.24703223, 0.51784159 / 0.24348513, 0.55346909 / 0.26158784],
        ],
        rtol=1e-6,
    )
    # A pixel at the channel means maps to zero on both datasets.
    for name in ("cifar10", "cifar100"):
        pixel = np.array(CIFAR_MEAN[name]) * 255.0
        np.testing.assert_allclose(normalize(pixel, name), 0.0, atol=1e-6)


def _is_crop_and_flip(image, raw):
    """Whether `image` is a 32x32 crop of `raw` zero-padded by 4, maybe flipped."""
    padded = np.pad(raw, ((4, 4), (4, 4), (0, 0)))
    for dy, dx in itertools.product(range(9), range(9)):
        crop = padded[dy : dy + 32, dx : dx + 32]
        if np.array_equal(image, crop) or np.array_equal(image, crop[:, ::-1]):
            return True
    return False


def test_augmentation_crops_and_flips(mock):
    raw_images, raw_labels = _raw("cifar10", "train")
    dataset = data.cifar("cifar10", "train", batch_size=4, shuffle=False, seed=0)
    images, labels, _ = _all(dataset)
    assert images.shape == (NUM_EXAMPLES, 32, 32, 3)
    np.testing.assert_array_equal(labels, raw_labels)
    # Undo the normalisation to compare pixels exactly.
    mean, std = np.array(CIFAR_MEAN["cifar10"]), np.array(CIFAR_STD["cifar10"])
    pixels = np.rint((images * std + mean) * 255.0).astype("uint8")
    assert all(_is_crop_and_flip(p, r) for p, r in zip(pixels, raw_images, strict=True))
    # ... and the augmentation changes images (12 identity draws: 1 in 162^12).
    assert not np.array_equal(pixels, raw_images)


def test_seed_makes_the_pipeline_reproducible(mock):
    def run(seed):
        return _all(data.cifar("cifar100", "train", batch_size=4, seed=seed))

    first, again, other = run(1), run(1), run(2)
    np.testing.assert_array_equal(first[0], again[0])
    np.testing.assert_array_equal(first[1], again[1])
    assert not np.array_equal(first[0], other[0])
    # Shuffled: the same examples in another order.
    raw_labels = _raw("cifar100", "train")[1]
    np.testing.assert_array_equal(np.sort(first[1]), np.sort(raw_labels))
    # A second epoch over the same pipeline sees new crops.
    dataset = data.cifar("cifar100", "train", batch_size=4, seed=1)
    epoch_1, epoch_2 = _all(dataset)[0], _all(dataset)[0]
    assert not np.array_equal(epoch_1, epoch_2)


def test_class_names():
    names = data.cifar_class_names("cifar100")
    assert len(names) == len(set(names)) == 100
    assert names[:3] == ["apple", "aquarium_fish", "baby"]
    assert names == sorted(names)  # fine_label_names.txt is alphabetical
    assert data.cifar_class_names("cifar10") == [
        "airplane",
        "automobile",
        "bird",
        "cat",
        "deer",
        "dog",
        "frog",
        "horse",
        "ship",
        "truck",
    ]
    # Every name has a bundled word vector for semantic prototypes.
    vectors = keras_hpn.prototypes.load_word_vectors(
        keras_hpn.prototypes.semantic.BUNDLED_WORD_VECTORS
    )
    assert set(names) <= set(vectors)


def test_return_names_falls_back_to_the_real_names(mock):
    # The mock's metadata numbers the classes "0", "1", ...
    dataset, names = data.cifar("cifar10", "test", batch_size=4, return_names=True)
    assert names == data.cifar_class_names("cifar10")
    assert dataset.element_spec[0].shape.as_list() == [None, 32, 32, 3]


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"name": "cifar1000"}, "name='cifar1000'"),
        ({"batch_size": 0}, "batch_size=0"),
        ({"batch_size": 2.5}, "batch_size=2.5"),
        ({"split": ""}, "split=''"),
        ({"shuffle_buffer": -1}, "shuffle_buffer=-1"),
    ],
)
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        data.cifar(**kwargs)
    with pytest.raises(ValueError, match="name='svhn'"):
        data.cifar_class_names("svhn")


def test_fit_on_the_pipeline_with_the_hpn_loss(mock):
    keras.utils.set_random_seed(0)
    protos = keras_hpn.prototypes.hyperspherical(10, 5, seed=0)
    model = keras.Sequential(
        [
            keras.Input((32, 32, 3)),
            keras.layers.Conv2D(4, 3, strides=2, activation="relu"),
            keras.layers.GlobalAveragePooling2D(),
            keras_hpn.layers.L2NormalizedProjection(5),
        ]
    )
    loss = keras_hpn.losses.PrototypeCosineLoss(protos)
    model.compile(
        optimizer="adam",
        loss=loss,
        metrics=[keras_hpn.metrics.PrototypeAccuracy(protos)],
    )
    train = data.cifar("cifar10", "train", batch_size=4, seed=0)
    test = data.cifar("cifar10", "test", batch_size=4)
    history = model.fit(train, validation_data=test, epochs=2, verbose=0)
    assert len(history.history["loss"]) == 2
    assert all(0.0 <= v <= 4.0 for v in history.history["loss"])
    # Evaluating on the pipeline agrees with numpy on the same examples.
    images, labels, _ = _all(test)
    outputs = model.predict(test, verbose=0)
    cosines = np.sum(outputs * protos[labels], axis=-1) / np.linalg.norm(
        outputs, axis=-1
    )
    expected_loss = float(np.mean((1.0 - cosines) ** 2))
    expected_accuracy = float(
        np.mean(keras_hpn.predict_classes(outputs, protos) == labels)
    )
    evaluated_loss, evaluated_accuracy = model.evaluate(test, verbose=0)
    assert evaluated_loss == pytest.approx(expected_loss, abs=1e-5)
    assert evaluated_accuracy == pytest.approx(expected_accuracy, abs=1e-6)


class _ReachedTheNetwork(Exception):
    pass


def test_download_path_gets_as_far_as_the_network(monkeypatch, tmp_path):
    """The `[tfds]` extra holds all that tfds needs before it downloads."""

    def download(self, url_or_urls):
        raise _ReachedTheNetwork(url_or_urls)

    monkeypatch.setattr(tfds.download.DownloadManager, "download_and_extract", download)
    with pytest.raises(_ReachedTheNetwork, match="cifar-10"):
        data.cifar("cifar10", "train", download=True, data_dir=str(tmp_path))


def test_tfds_leaves_no_folders_in_the_system_temp(mock):
    """tfds makes a `tmp*tfds` folder per dataset info; it must stay in tmp_path."""
    from conftest import SYSTEM_TEMP

    def tfds_folders():
        return {p for p in os.listdir(SYSTEM_TEMP) if p.endswith("tfds")}

    before = tfds_folders()
    _all(data.cifar("cifar10", "test", batch_size=4))
    assert tfds_folders() == before


@pytest.mark.parametrize("split", ["train[50%:]", "train[:50%]", "train[6:]"])
def test_a_slice_of_train_is_neither_augmented_nor_shuffled_by_default(mock, split):
    # A slice may be the validation set: scored on the unaltered images, in order.
    raw_images, raw_labels = _raw("cifar10", split)
    images, labels, _ = _all(data.cifar("cifar10", split, batch_size=4, seed=0))
    np.testing.assert_array_equal(labels, raw_labels)
    mean, std = np.array(CIFAR_MEAN["cifar10"]), np.array(CIFAR_STD["cifar10"])
    np.testing.assert_allclose(images, (raw_images / 255.0 - mean) / std, atol=1e-5)


def test_a_slice_of_train_is_augmented_when_asked(mock):
    raw_images, raw_labels = _raw("cifar10", "train[:50%]")
    dataset = data.cifar(
        "cifar10", "train[:50%]", batch_size=4, augment=True, shuffle=False, seed=0
    )
    images, labels, _ = _all(dataset)
    np.testing.assert_array_equal(labels, raw_labels)
    mean, std = np.array(CIFAR_MEAN["cifar10"]), np.array(CIFAR_STD["cifar10"])
    pixels = np.rint((images * std + mean) * 255.0).astype("uint8")
    assert all(_is_crop_and_flip(p, r) for p, r in zip(pixels, raw_images, strict=True))
    assert not np.array_equal(pixels, raw_images)
    # shuffle=True on a slice: the same examples, another order (seeded).
    shuffled = _all(
        data.cifar("cifar10", "train[:50%]", batch_size=6, shuffle=True, seed=3)
    )
    np.testing.assert_array_equal(np.sort(shuffled[1]), np.sort(raw_labels))
