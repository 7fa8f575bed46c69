"""Any image classification dataset of TensorFlow Datasets, as a pipeline.

For the many-class data sets HPN is made for (iNaturalist 2018: 8,142
species; ImageNet: 1,000 classes), which do not ship offline: tfds
downloads (or, for ImageNet, reads the archives you downloaded) on your own
machine. TensorFlow and `tensorflow_datasets` are imported inside the
function only.
"""

from __future__ import annotations

from keras_hpn.data.tfds import load
from keras_hpn.utils.validation import check_size

# ImageNet's per-channel mean and standard deviation of pixels in [0, 1]
# (the statistics torchvision's and Keras' pretrained models use).
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
# Images are resized to this share above the crop size before cropping.
_CROP_MARGIN = 1.15


def image_classification(
    name: str,
    split: str = "train",
    image_size: int = 224,
    batch_size: int = 128,
    augment: bool | None = None,
    shuffle: bool | None = None,
    seed: int | None = None,
    data_dir: str | None = None,
    download: bool = True,
    shuffle_buffer: int = 10_000,
    mean: tuple[float, float, float] = IMAGENET_MEAN,
    std: tuple[float, float, float] = IMAGENET_STD,
):
    """A batched `tf.data` pipeline of a tfds image classification dataset.

    Each element is `(images, labels)`: float32 images
    `(batch, image_size, image_size, 3)`, scaled to `[0, 1]` and
    standardised per channel with `mean` and `std`, and int64 class ids
    (tfds' `"label"` feature). Every image is resized to 1.15 times
    `image_size` and cropped: a random crop, flipped horizontally with
    probability 1/2, with `augment`; the central crop without. Greyscale
    images get three channels.

    Args:
        name: a tfds dataset with `"image"` and `"label"` features, e.g.
            `"i_naturalist2018"` (8,142 classes) or `"imagenet2012"`.
        split: a tfds split, e.g. `"train"` or `"validation"`.
        image_size: side of the square images, at least 8.
        batch_size: examples per batch, at least 1.
        augment: random crops and flips; `None` means only for the whole
            `"train"` split. A slice such as `"train[:90%]"` is not
            augmented unless `augment=True`: a validation slice
            (`"train[90%:]"`) must be scored on unaltered images.
        shuffle: shuffle files and examples; `None` means only for the
            whole `"train"` split (a slice needs `shuffle=True`).
        seed: seed of the shuffle and the augmentation.
        data_dir: where tfds keeps its data; `None` for tfds' default.
        download: whether tfds may download and prepare the dataset.
        shuffle_buffer: size of the shuffle buffer.
        mean: per-channel mean of the pixels in `[0, 1]`.
        std: per-channel standard deviation of the pixels in `[0, 1]`.

    Returns:
        `(dataset, class_names)`: the `tf.data.Dataset` and tfds' names of
        the classes, one per class id.

    Example (downloads; run it on your own machine):

    ```
    train, names = keras_hpn.data.image_classification(
        "i_naturalist2018", "train", image_size=224, seed=0
    )
    protos = keras_hpn.prototypes.hyperspherical(len(names), 256, seed=0)
    ```
    """
    size = check_size(image_size, "image_size", 8)
    batch_size = check_size(batch_size, "batch_size", 1)
    shuffle_buffer = check_size(shuffle_buffer, "shuffle_buffer", 1)
    tf, dataset, info, augment, shuffle = load(
        name, split, augment, shuffle, seed, data_dir, download
    )
    features = info.features
    if "image" not in features or "label" not in features:
        raise ValueError(
            f"`name` must be a dataset with 'image' and 'label' features; "
            f"{name!r} has {sorted(features.keys())}."
        )
    larger = int(round(size * _CROP_MARGIN))
    mean = tf.constant(mean, tf.float32)
    std = tf.constant(std, tf.float32)

    def prepare(example, seeds):
        image = tf.cast(example["image"], tf.float32) / 255.0
        if image.shape[-1] == 1:
            image = tf.image.grayscale_to_rgb(image)
        image = tf.image.resize(image, [larger, larger])
        if augment:
            image = tf.image.stateless_random_crop(
                image, [size, size, 3], seed=seeds[:2]
            )
            image = tf.image.stateless_random_flip_left_right(image, seed=seeds[2:])
        else:
            offset = (larger - size) // 2
            image = image[offset : offset + size, offset : offset + size]
        return (image - mean) / std, example["label"]

    if shuffle:
        dataset = dataset.shuffle(
            shuffle_buffer, seed=seed, reshuffle_each_iteration=True
        )
    # Per-example stateless seeds: reproducible with `seed`, new each epoch.
    seeds = tf.data.Dataset.random(seed=seed, rerandomize_each_iteration=True)
    dataset = tf.data.Dataset.zip((dataset, seeds.batch(4))).map(
        prepare, num_parallel_calls=tf.data.AUTOTUNE
    )
    dataset = dataset.batch(batch_size).prefetch(tf.data.AUTOTUNE)
    return dataset, list(features["label"].names)
