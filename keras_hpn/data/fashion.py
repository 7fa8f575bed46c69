"""Fashion-MNIST through Keras' own loader, offline where the files are installed.

`keras.datasets.fashion_mnist.load_data()` keeps the four original files in
its cache folder (`~/.keras/datasets/fashion-mnist/`) and downloads them when
they are missing. Debian's package `dataset-fashion-mnist` installs the same
files under the same names in `/usr/share/datasets/fashion-mnist/`; copied
into the cache, they make Keras' loader work without a network.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import numbers
import os
import shutil
import tempfile
import warnings
import zlib
from pathlib import Path

import numpy as np

from keras_hpn.data.bundled import Split
from keras_hpn.utils.validation import check_size

FASHION_MNIST_CLASSES = (
    "t_shirt/top",
    "trouser",
    "pullover",
    "dress",
    "coat",
    "sandal",
    "shirt",
    "sneaker",
    "bag",
    "ankle_boot",
)
FASHION_MNIST_FILES = (
    "train-images-idx3-ubyte.gz",
    "train-labels-idx1-ubyte.gz",
    "t10k-images-idx3-ubyte.gz",
    "t10k-labels-idx1-ubyte.gz",
)
DEBIAN_FOLDER = "/usr/share/datasets/fashion-mnist"
DEBIAN_PACKAGE = "dataset-fashion-mnist"

# MD5 of the four .gz files as published in Fashion-MNIST's README
# (https://github.com/zalandoresearch/fashion-mnist#get-the-data).
PUBLISHED_MD5 = {
    "train-images-idx3-ubyte.gz": "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
    "train-labels-idx1-ubyte.gz": "25c81989df183df01b3e8a0aad5dffbe",
    "t10k-images-idx3-ubyte.gz": "bef4ecab320f06d8554ea6380940ec79",
    "t10k-labels-idx1-ubyte.gz": "bb300cfdad3c16e7a12a480ee83cd310",
}
# Debian's package (0.0~git20200523.55506a9-1) gzips the same files again, so
# its .gz bytes differ from the published ones: these are its .gz MD5s (from
# `md5sum /usr/share/datasets/fashion-mnist/*`).
DEBIAN_MD5 = {
    "train-images-idx3-ubyte.gz": "cf8536b0aa1a6ac5fa3f23001093305c",
    "train-labels-idx1-ubyte.gz": "10bea18fdb374794d4bb42e356e600c9",
    "t10k-images-idx3-ubyte.gz": "f78720b4224f21cce2f2ccf2d7a94c9a",
    "t10k-labels-idx1-ubyte.gz": "0d30e22e447f3c33dab9ed536400ac01",
}
# Any other .gz is judged by what it holds: the MD5 and size of the
# uncompressed files, as loaders list them next to the published .gz MD5s
# (torchvision-style `raw_data` lists); Debian's files decompress to these.
CONTENT_MD5 = {
    "train-images-idx3-ubyte.gz": ("f4a8712d7a061bf5bd6d2ca38dc4d50a", 47_040_016),
    "train-labels-idx1-ubyte.gz": ("9018921c3c673c538a1fc5bad174d6f9", 60_008),
    "t10k-images-idx3-ubyte.gz": ("8181f5470baa50b63fa0f6fddb340f0a", 7_840_016),
    "t10k-labels-idx1-ubyte.gz": ("15d484375f8d13e6eb1aabb0c3f46965", 10_008),
}

TRAIN_IMAGES = 60_000


def fashion_mnist_class_names() -> list[str]:
    """The ten Fashion-MNIST class names, by class id.

    Spelt as in the word vectors that ship with keras-hpn
    (`keras_hpn.prototypes.BUNDLED_WORD_VECTORS`), so that they can
    be passed to `keras_hpn.prototypes.semantic_prototypes` as they are.

    Returns:
        A list of ten names; index `k` names class `k`.

    Example:

    ```python
    >>> fashion_mnist_class_names()[:3]
    ['t_shirt/top', 'trouser', 'pullover']
    >>> len(fashion_mnist_class_names())
    10
    ```
    """
    return list(FASHION_MNIST_CLASSES)


def fashion_mnist_cache() -> Path:
    """The folder where `keras.datasets.fashion_mnist.load_data()` keeps its files.

    `$KERAS_HOME/datasets/fashion-mnist` (by default
    `~/.keras/datasets/fashion-mnist`), or under `/tmp/.keras` when the Keras
    folder is not writable, as Keras decides it.

    Returns:
        The folder, which may not exist yet.

    Example:

    ```python
    >>> fashion_mnist_cache().name
    'fashion-mnist'
    ```
    """
    try:
        from keras.src.backend.config import keras_home

        base = keras_home()
    except ImportError:  # a Keras without the accessor: its documented rule
        base = os.environ.get("KERAS_HOME") or os.path.join(
            os.path.expanduser("~"), ".keras"
        )
    base = os.path.expanduser(base)
    if not os.access(base, os.W_OK):  # keras.utils.get_file does the same
        base = os.path.join(tempfile.gettempdir(), ".keras")
    return Path(base) / "datasets" / "fashion-mnist"


def fashion_mnist_available(source: str | os.PathLike | None = None) -> bool:
    """Whether Fashion-MNIST can be loaded without a network.

    Args:
        source: a folder holding the four original files; `None` means the
            folder of Debian's package, `/usr/share/datasets/fashion-mnist`.

    Returns:
        `True` when all four files are in the Keras cache or in `source`.

    Example:

    ```python
    >>> isinstance(fashion_mnist_available(), bool)
    True
    ```
    """
    folders = (fashion_mnist_cache(), Path(source or DEBIAN_FOLDER))
    return any(_complete(folder) for folder in folders)


def fashion_mnist(
    seed: int = 0,
    train_size: float | int | None = None,
    validation_size: float | int = 0,
    flatten: bool = True,
    source: str | os.PathLike | None = None,
    download: bool = True,
) -> Split:
    """Fashion-MNIST: 60,000 + 10,000 real 28x28 grey images of 10 clothing classes.

    The data comes from `keras.datasets.fashion_mnist.load_data()`. When
    the Keras cache lacks the files, they are first copied there from
    `source` (by default Debian's `/usr/share/datasets/fashion-mnist`,
    installed by `apt-get install dataset-fashion-mnist`); when they are in
    neither place, Keras downloads them (unless `download=False`).

    The test set is the official one (10,000 images). From the training
    set, `validation_size` images are held out first, then `train_size`
    of the rest are kept; both draws are stratified by class and fixed by
    `seed`. Pixels are scaled from `[0, 255]` to `[0, 1]`.

    Args:
        seed: seed of the validation split and of the training subsample.
        train_size: training images to keep: `None` for all, a share in
            `(0, 1]`, or a count (at least 10, one per class).
        validation_size: training images held out as a validation set: a
            share in `[0, 1)` or a count; `0` for none.
        flatten: `True` for inputs of shape `(n, 784)`, `False` for images
            `(n, 28, 28, 1)`.
        source: a folder holding the four original files
            (`train-images-idx3-ubyte.gz` ...), copied into the Keras cache
            when that lacks them; `None` means Debian's folder.
        download: whether Keras may download the files when they are in
            neither place.

    Returns:
        A `Split` with float32 inputs and int64 labels; `x_val`, `y_val`
        hold the validation set when `validation_size` is not 0.

    Raises:
        ValueError: `source` is given but lacks some of the four files, or
            a file is damaged (its checksum is not the published one; the
            message names it). A damaged copy in the Keras cache is first
            replaced from `source` (or Debian's folder) when that copy is
            good, with a warning.
        FileNotFoundError: the files are missing and could not be
            downloaded (or `download=False`); the message says how to
            install them offline.

    Example:

    ```
    split = keras_hpn.data.fashion_mnist(seed=0, train_size=0.1)
    split.x_train.shape, split.x_test.shape   # ((6000, 784), (10000, 784))
    ```
    """
    seed = check_size(seed, "seed", 0, 2**32 - 1, "2**32 - 1 (scikit-learn's limit)")
    validation = _count(validation_size, "validation_size", TRAIN_IMAGES, zero=True)
    rest = TRAIN_IMAGES - validation
    keep = rest if train_size is None else _count(train_size, "train_size", rest, False)
    (x_train, y_train), (x_test, y_test) = _arrays(str(_fill_cache(source, download)))
    chosen = np.arange(len(y_train))
    held_out = None
    if validation:
        chosen, held_out = _stratified(chosen, y_train, validation, seed)
    if keep < len(chosen):
        _, chosen = _stratified(chosen, y_train, keep, seed)
    shape = (-1, 784) if flatten else (-1, 28, 28, 1)

    def inputs(images: np.ndarray) -> np.ndarray:
        return (images.reshape(shape) / np.float32(255.0)).astype("float32")

    def labels(values: np.ndarray) -> np.ndarray:
        return values.astype("int64")

    return Split(
        inputs(x_train[chosen]),
        labels(y_train[chosen]),
        inputs(x_test),
        labels(y_test),
        None if held_out is None else inputs(x_train[held_out]),
        None if held_out is None else labels(y_train[held_out]),
    )


def _count(value, name: str, available: int, zero: bool) -> int:
    """A size given as a share or a count, as a count of images.

    A draw must leave at least one image per class (10) on both sides, or
    (for `train_size`) take everything.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"`{name}` must be a share or a count. Received: {value!r}")
    if isinstance(value, numbers.Integral):
        count = int(value)
    elif (0.0 <= value < 1.0) if zero else (0.0 < value <= 1.0):
        count = int(round(value * available))
    else:
        interval = "[0, 1)" if zero else "(0, 1]"
        raise ValueError(
            f"`{name}` as a share must be in {interval}. Received: {name}={value}"
        )
    if (zero and count == 0) or (not zero and count == available):
        return count
    if not 10 <= count <= available - 10:
        everything = "" if zero else f" or all {available}"
        raise ValueError(
            f"`{name}` must select between 10 and {available - 10} of "
            f"{available} images{everything}, so that every class keeps an "
            f"image on both sides. Received: {name}={value!r} ({count} images)"
        )
    return count


def _stratified(indices: np.ndarray, labels: np.ndarray, count: int, seed: int):
    """`indices` split into (rest, `count` drawn by class), fixed by `seed`."""
    from sklearn.model_selection import train_test_split

    rest, drawn = train_test_split(
        indices, test_size=count, random_state=seed, stratify=labels[indices]
    )
    return rest, drawn


def _complete(folder: Path) -> bool:
    return all((folder / name).is_file() for name in FASHION_MNIST_FILES)


def _fill_cache(source, download: bool) -> Path:
    """Copies missing files from `source` into the Keras cache; returns the cache."""
    cache = fashion_mnist_cache()
    folder = Path(source or DEBIAN_FOLDER)
    if source is not None and not _complete(folder):
        missing = [name for name in FASHION_MNIST_FILES if not (folder / name).exists()]
        raise ValueError(
            f"`source` must be a folder holding the four Fashion-MNIST files. "
            f"Received: source={str(source)!r}, which lacks {missing}."
        )
    for name in FASHION_MNIST_FILES:
        cached, spare = cache / name, folder / name
        problem = _damage(cached) if cached.is_file() else "missing"
        if problem is None:
            continue
        if not spare.is_file():
            if problem != "missing":
                raise ValueError(_damaged_message(cached, problem))
            continue
        spare_problem = _damage(spare)
        if spare_problem is not None:
            raise ValueError(_damaged_message(spare, spare_problem))
        if problem != "missing":
            warnings.warn(
                f"Fashion-MNIST: the Keras cache's {cached} is damaged ({problem}); "
                f"replaced by {spare}.",
                stacklevel=3,
            )
        cache.mkdir(parents=True, exist_ok=True)
        # Copy under a temporary name first: an interrupted copy never
        # leaves a truncated file that Keras would trust.
        partial = cache / f".{name}.partial"
        shutil.copyfile(spare, partial)
        os.replace(partial, cached)
    if not _complete(cache) and not download:
        raise FileNotFoundError(_missing_message(cache, "download=False"))
    return cache


@functools.cache
def _damage_of(path: str, size: int, mtime_ns: int) -> str | None:
    """What is wrong with one of the four files, or `None`; once per version."""
    name = os.path.basename(path)
    if size == 0:
        return "the file is empty"
    with open(path, "rb") as handle:
        packed = handle.read()
    if hashlib.md5(packed).hexdigest() in (PUBLISHED_MD5[name], DEBIAN_MD5[name]):
        return None
    try:
        raw = gzip.decompress(packed)
    except (OSError, EOFError, zlib.error) as error:
        return f"not a complete gzip file: {error}"
    expected_md5, expected_size = CONTENT_MD5[name]
    if hashlib.md5(raw).hexdigest() == expected_md5:
        return None
    if len(raw) != expected_size:
        return f"it holds {len(raw)} bytes, not {expected_size}"
    if "labels" in name and raw[8:] and max(raw[8:]) > 9:
        return f"it holds label {max(raw[8:])}; labels go from 0 to 9"
    return (
        f"its content differs from the published file (MD5 "
        f"{hashlib.md5(raw).hexdigest()}, expected {expected_md5})"
    )


def _damage(path: Path) -> str | None:
    """What is wrong with one of the four files, or `None` when it is good."""
    stat = path.stat()
    return _damage_of(str(path), stat.st_size, stat.st_mtime_ns)


def _damaged_message(path: Path, problem: str) -> str:
    return (
        f"The Fashion-MNIST file {path} is damaged: {problem}. Delete it (Keras "
        f"then downloads it again) or reinstall `{DEBIAN_PACKAGE}`, whose "
        f"files in {DEBIAN_FOLDER} are copied into the cache."
    )


def _missing_message(cache: Path, reason: str) -> str:
    return (
        f"Fashion-MNIST is not on this machine ({reason}). Install it offline "
        f"with `sudo apt-get install {DEBIAN_PACKAGE}` (Debian/Ubuntu: it puts "
        f"the four files in {DEBIAN_FOLDER}), or copy "
        f"{', '.join(FASHION_MNIST_FILES)} into the Keras cache folder {cache} "
        "or into a folder passed as `source=`; with a network, "
        "`keras.datasets.fashion_mnist.load_data()` downloads them there."
    )


@functools.lru_cache(maxsize=1)
def _arrays(cache: str):
    """The raw uint8 arrays from Keras' loader, read once per process."""
    import keras

    try:
        (x_train, y_train), (x_test, y_test) = keras.datasets.fashion_mnist.load_data()
    except Exception as error:  # Keras raises a bare Exception on a failed fetch
        raise FileNotFoundError(
            _missing_message(Path(cache), f"the download failed: {error}")
        ) from error
    for name in FASHION_MNIST_FILES:  # Keras checks no hash of what it fetched
        problem = _damage(Path(cache) / name)
        if problem is not None:
            raise ValueError(_damaged_message(Path(cache) / name, problem))
    arrays = (x_train, y_train, x_test, y_test)
    for array in arrays:
        array.setflags(write=False)
    return (x_train, y_train), (x_test, y_test)
