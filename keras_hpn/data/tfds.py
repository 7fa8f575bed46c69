"""CIFAR-10 and CIFAR-100 as `tf.data` pipelines from TensorFlow Datasets.

TensorFlow and `tensorflow_datasets` are imported inside the functions only,
so `keras_hpn` imports without them. The pipelines feed `model.fit` on every
Keras backend (Keras takes a `tf.data.Dataset` on JAX and PyTorch too).
"""

from __future__ import annotations

import numpy as np

from keras_hpn.utils.validation import check_size

CIFAR10_CLASSES = (
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
)

# The 100 fine labels in the order of the dataset's `fine_label_names.txt`
# (alphabetical), which is the order of tfds' `label` feature.
CIFAR100_CLASSES = (
    "apple aquarium_fish baby bear beaver bed bee beetle bicycle bottle bowl boy "
    "bridge bus butterfly camel can castle caterpillar cattle chair chimpanzee "
    "clock cloud cockroach couch crab crocodile cup dinosaur dolphin elephant "
    "flatfish forest fox girl hamster house kangaroo keyboard lamp lawn_mower "
    "leopard lion lizard lobster man maple_tree motorcycle mountain mouse "
    "mushroom oak_tree orange orchid otter palm_tree pear pickup_truck pine_tree "
    "plain plate poppy porcupine possum rabbit raccoon ray road rocket rose sea "
    "seal shark shrew skunk skyscraper snail snake spider squirrel streetcar "
    "sunflower sweet_pepper table tank telephone television tiger tractor train "
    "trout tulip turtle wardrobe whale willow_tree wolf woman worm"
).split()

# Per-channel (RGB) mean and standard deviation of the pixel values, scaled to
# [0, 1], over all pixels of the 50,000 training images (population std):
# CIFAR-10 as computed with `np.mean(train, axis=(0, 1, 2)) / 255` and
# `np.std(...) / 255` in MadryLab/robustness issue #70 and
# akamaster/pytorch_resnet_cifar10 issue #9 (not the often copied
# (0.2023, 0.1994, 0.2010), an average of per-image deviations);
# CIFAR-100 from weiaicunzai/pytorch-cifar100, conf/global_settings.py.
CIFAR_MEAN = {
    "cifar10": (0.49139968, 0.48215841, 0.44653091),
    "cifar100": (0.5070751592371323, 0.48654887331495095, 0.4409178433670343),
}
CIFAR_STD = {
    "cifar10": (0.24703223, 0.24348513, 0.26158784),
    "cifar100": (0.2673342858792401, 0.2564384629170883, 0.27615047132568404),
}

_PADDING = 4
_SIZE = 32


def _check_name(name: str) -> str:
    if name not in CIFAR_MEAN:
        raise ValueError(
            f"`name` must be one of {sorted(CIFAR_MEAN)}. Received: name={name!r}"
        )
    return name


def cifar_class_names(name: str = "cifar100") -> list[str]:
    """The class names of CIFAR-10 or CIFAR-100 (fine labels), by class id.

    The same names, in the same order, as tfds'
    `info.features["label"].names` of the prepared dataset, available
    without downloading it: use them for semantic prototypes
    (`keras_hpn.prototypes.class_vectors`).

    Args:
        name: `"cifar10"` or `"cifar100"`.

    Returns:
        A list of 10 or 100 names; multi-word names use underscores
        (`"aquarium_fish"`).

    Example:

    ```python
    >>> cifar_class_names("cifar10")[:3]
    ['airplane', 'automobile', 'bird']
    >>> names = cifar_class_names("cifar100")
    >>> len(names), names[0], names[-1]
    (100, 'apple', 'worm')
    ```
    """
    _check_name(name)
    return list(CIFAR10_CLASSES if name == "cifar10" else CIFAR100_CLASSES)


def normalize(images, name: str = "cifar100"):
    """Scales `uint8` images to `[0, 1]` and standardises each channel.

    Uses `CIFAR_MEAN[name]` and `CIFAR_STD[name]`, the statistics of the
    training set; works on numpy arrays and on tensors inside `tf.data`.

    Args:
        images: pixel values in `[0, 255]`, shape `(..., 3)`.
        name: `"cifar10"` or `"cifar100"`, whose statistics to use.

    Returns:
        float32 images `(images / 255 - mean) / std` of the same shape.

    Example:

    ```python
    >>> black = np.zeros((1, 1, 3), dtype="uint8")
    >>> np.round(normalize(black, "cifar10"), 4)
    array([[[-1.9892, -1.9802, -1.707 ]]], dtype=float32)
    ```
    """
    _check_name(name)
    mean = np.asarray(CIFAR_MEAN[name], dtype="float32")
    std = np.asarray(CIFAR_STD[name], dtype="float32")
    if isinstance(images, np.ndarray):
        return (images.astype("float32") / 255.0 - mean) / std
    import tensorflow as tf

    return (tf.cast(images, tf.float32) / 255.0 - mean) / std


def _augment(image, seeds):
    """Zero-pad by 4 pixels, random 32x32 crop, random horizontal flip."""
    import tensorflow as tf

    padded = tf.pad(image, [[_PADDING, _PADDING], [_PADDING, _PADDING], [0, 0]])
    cropped = tf.image.stateless_random_crop(padded, [_SIZE, _SIZE, 3], seed=seeds[:2])
    return tf.image.stateless_random_flip_left_right(cropped, seed=seeds[2:])


def cifar(
    name: str = "cifar100",
    split: str = "train",
    batch_size: int = 128,
    augment: bool | None = None,
    shuffle: bool | None = None,
    seed: int | None = None,
    data_dir: str | None = None,
    download: bool = True,
    cache: bool = True,
    drop_remainder: bool = False,
    shuffle_buffer: int = 10_000,
    return_names: bool = False,
):
    """A batched `tf.data` pipeline of CIFAR-10 or CIFAR-100 from tfds.

    Each element is `(images, labels)`: float32 images `(batch, 32, 32, 3)`
    normalised per channel with the training set's statistics (see
    `normalize`), and int64 class ids `(batch,)` (tfds' `"label"` feature,
    the fine label of CIFAR-100). With `augment`, each image is first
    zero-padded by 4 pixels, randomly cropped back to 32x32 and flipped
    horizontally with probability 1/2 (the standard CIFAR augmentation, e.g.
    He et al. 2016). The pipeline is cached (before augmentation), shuffled,
    augmented, batched and prefetched.

    With a `seed`, the file order, the shuffle and the augmentation are
    reproducible; each epoch still sees a new shuffle and new crops.

    Args:
        name: `"cifar10"` or `"cifar100"`.
        split: a tfds split, e.g. `"train"`, `"test"` or `"train[:90%]"`.
        batch_size: examples per batch, at least 1.
        augment: random crop and flip; `None` means only for the whole
            `"train"` split. A slice such as `"train[:90%]"` is not
            augmented unless `augment=True`: a validation slice
            (`"train[90%:]"`) must be scored on unaltered images.
        shuffle: shuffle files and examples; `None` means only for the
            whole `"train"` split (a slice needs `shuffle=True`).
        seed: seed of the shuffle and the augmentation; `None` for a
            different order every run.
        data_dir: where tfds keeps its data; `None` for tfds' default.
        download: whether tfds may download and prepare the dataset.
        cache: cache the decoded images in memory (about 150 MB for the
            training set).
        drop_remainder: drop the last, smaller batch.
        shuffle_buffer: size of the shuffle buffer.
        return_names: also return the class names.

    Returns:
        A `tf.data.Dataset`, or `(dataset, names)` with `return_names`:
        tfds' `info.features["label"].names`, or `cifar_class_names(name)` when
        tfds has no names (its offline mocks number the classes instead).

    Example:

    ```
    # Validate on a slice of the training data; touch "test" once, at the end.
    train = keras_hpn.data.cifar(
        "cifar100", "train[:90%]", batch_size=128, augment=True, shuffle=True, seed=0
    )
    valid = keras_hpn.data.cifar("cifar100", "train[90%:]", batch_size=500)
    protos = keras_hpn.prototypes.hyperspherical(100, 50, seed=0)
    model.compile(
        optimizer="sgd",
        loss=keras_hpn.losses.PrototypeCosineLoss(protos),
        metrics=[keras_hpn.metrics.PrototypeAccuracy(protos)],
    )
    model.fit(train, validation_data=valid, epochs=250)
    ```

    References:
        Krizhevsky. Learning Multiple Layers of Features from Tiny Images.
        2009. He, Zhang, Ren, Sun. Deep Residual Learning for Image
        Recognition. CVPR 2016, Section 4.2.
    """
    _check_name(name)
    batch_size = check_size(batch_size, "batch_size", 1)
    shuffle_buffer = check_size(shuffle_buffer, "shuffle_buffer", 1)
    tf, dataset, info, augment, shuffle = load(
        name, split, augment, shuffle, seed, data_dir, download
    )
    dataset = dataset.map(
        lambda example: (example["image"], example["label"]),
        num_parallel_calls=tf.data.AUTOTUNE,
    )
    if cache:
        dataset = dataset.cache()
    if shuffle:
        dataset = dataset.shuffle(
            shuffle_buffer, seed=seed, reshuffle_each_iteration=True
        )
    if augment:
        # Per-example stateless seeds: reproducible with `seed`, new each epoch.
        seeds = tf.data.Dataset.random(
            seed=seed, rerandomize_each_iteration=True
        ).batch(4)
        dataset = tf.data.Dataset.zip((dataset, seeds)).map(
            lambda pair, seeds: (_augment(pair[0], seeds), pair[1]),
            num_parallel_calls=tf.data.AUTOTUNE,
        )
    dataset = dataset.map(
        lambda image, label: (normalize(image, name), label),
        num_parallel_calls=tf.data.AUTOTUNE,
    )
    dataset = dataset.batch(batch_size, drop_remainder=drop_remainder)
    dataset = dataset.prefetch(tf.data.AUTOTUNE)
    if not return_names:
        return dataset
    names = list(info.features["label"].names)
    if names == [str(i) for i in range(len(names))]:
        names = cifar_class_names(name)
    return dataset, names


def load(
    name: str,
    split: str,
    augment: bool | None,
    shuffle: bool | None,
    seed: int | None,
    data_dir: str | None,
    download: bool,
):
    """`tfds.load` of `(name, split)` with the defaults every pipeline shares.

    Checks `split`, imports TensorFlow and tfds (an `ImportError` names the
    extra to install), and resolves `augment` and `shuffle`: `None` means
    only for the whole split `"train"`, never for a slice of it (a slice may
    be the validation set). Returns `(tf, dataset, info, augment, shuffle)`.
    """
    if not isinstance(split, str) or not split:
        raise ValueError(
            f"`split` must be a tfds split string such as 'train'. "
            f"Received: split={split!r}"
        )
    try:
        import tensorflow as tf
        import tensorflow_datasets as tfds
    except ImportError as error:
        raise ImportError(
            f"keras_hpn.data needs TensorFlow Datasets to load {name!r}: "
            '`pip install "keras-hpn[tfds]"`.'
        ) from error
    # Only the plain "train" split: "train[90%:]" is often the validation set.
    training = split.strip() == "train"
    augment = training if augment is None else bool(augment)
    shuffle = training if shuffle is None else bool(shuffle)
    dataset, info = tfds.load(
        name,
        split=split,
        data_dir=data_dir,
        download=download,
        shuffle_files=shuffle,
        read_config=tfds.ReadConfig(shuffle_seed=seed),
        with_info=True,
    )
    return tf, dataset, info, augment, shuffle
