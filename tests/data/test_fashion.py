"""Fashion-MNIST through Keras' loader, on the real files; nothing downloads.

Tests that need the files are skipped where they are absent, unless
KERAS_HPN_REQUIRE_DATA=1 (set by .ci/run): then they run and fail on the
loader's error. Every call passes `download=False`, and the cache tests
block Keras' downloader as well.
"""

import gzip
import os
import urllib.error

import keras
import numpy as np
import pytest

from keras_hpn import data
from keras_hpn.data import fashion

pytestmark = pytest.mark.once  # backend-independent: first pass only

needs_fashion_mnist = pytest.mark.skipif(
    not data.fashion_mnist_available()
    and os.environ.get("KERAS_HPN_REQUIRE_DATA") != "1",
    reason="Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist)",
)


def _installed_folder():
    """A folder holding the four real files (Debian's, else the Keras cache)."""
    for folder in (fashion.Path(fashion.DEBIAN_FOLDER), data.fashion_mnist_cache()):
        if fashion._complete(folder):
            return folder
    pytest.fail("KERAS_HPN_REQUIRE_DATA=1, but Fashion-MNIST is not installed")


@pytest.fixture
def offline(monkeypatch):
    """Keras' downloader raises: a test that would download fails instead."""

    def no_download(url, *args, **kwargs):
        raise urllib.error.URLError(f"tests never download ({url})")

    monkeypatch.setattr("keras.src.utils.file_utils.urlretrieve", no_download)


@pytest.fixture
def empty_keras_home(tmp_path, monkeypatch):
    """An empty Keras home folder for this test; the in-process arrays are
    read again before and after."""
    home = tmp_path / "keras-home"
    home.mkdir()
    monkeypatch.setattr("keras.src.backend.config._KERAS_DIR", str(home))
    fashion._arrays.cache_clear()
    yield home
    fashion._arrays.cache_clear()


def test_class_names_match_the_bundled_word_vectors():
    from keras_hpn.prototypes import load_word_vectors
    from keras_hpn.prototypes.semantic import BUNDLED_WORD_VECTORS

    names = data.fashion_mnist_class_names()
    assert names[0] == "t_shirt/top" and names[9] == "ankle_boot" and len(names) == 10
    words = load_word_vectors(BUNDLED_WORD_VECTORS)
    assert all(words[name].shape == (384,) for name in names)
    # The MiniLM vectors know that a t-shirt is nearer a shirt than a trouser.
    t_shirt, shirt, trouser = (words[n] for n in ("t_shirt/top", "shirt", "trouser"))
    assert t_shirt @ shirt > t_shirt @ trouser


@needs_fashion_mnist
def test_loads_the_real_files():
    split = data.fashion_mnist(seed=0, download=False)
    assert split.x_train.shape == (60000, 784) and split.x_test.shape == (10000, 784)
    assert split.x_train.dtype == np.float32 and split.y_train.dtype == np.int64
    assert split.x_val is None and split.y_val is None
    assert split.x_train.min() == 0.0 and split.x_train.max() == 1.0
    np.testing.assert_array_equal(np.bincount(split.y_train), [6000] * 10)
    np.testing.assert_array_equal(np.bincount(split.y_test), [1000] * 10)
    # The official test set, in file order: the raw bytes of the t10k file.
    with gzip.open(_installed_folder() / "t10k-images-idx3-ubyte.gz", "rb") as file:
        raw = np.frombuffer(file.read(), np.uint8, offset=16).reshape(-1, 784)
    np.testing.assert_allclose(split.x_test, raw / 255.0, atol=1e-7)
    images = data.fashion_mnist(flatten=False, train_size=100, download=False)
    assert images.x_train.shape == (100, 28, 28, 1)
    assert images.x_test.shape == (10000, 28, 28, 1)


def _rows(x):
    return sorted(row.tobytes() for row in x)


@needs_fashion_mnist
def test_subsample_and_validation_split_are_stratified_and_seeded():
    small = data.fashion_mnist(seed=3, train_size=0.01, download=False)
    again = data.fashion_mnist(seed=3, train_size=0.01, download=False)
    other = data.fashion_mnist(seed=4, train_size=0.01, download=False)
    np.testing.assert_array_equal(small.x_train, again.x_train)
    assert not np.array_equal(small.x_train, other.x_train)
    np.testing.assert_array_equal(np.bincount(small.y_train), [60] * 10)

    split = data.fashion_mnist(seed=1, validation_size=6000, download=False)
    assert split.x_train.shape == (54000, 784) and split.x_val.shape == (6000, 784)
    np.testing.assert_array_equal(np.bincount(split.y_val), [600] * 10)
    # Validation and training images together are the training set, once each.
    whole = data.fashion_mnist(download=False)
    assert _rows(np.concatenate([split.x_train, split.x_val])) == _rows(whole.x_train)
    # A share of the rest: 10% of the 54,000 left after validation.
    part = data.fashion_mnist(
        seed=1, validation_size=0.1, train_size=0.1, download=False
    )
    assert len(part.y_train) == 5400 and len(part.y_val) == 6000


@needs_fashion_mnist
def test_fills_an_empty_keras_cache_from_a_source_folder(
    tmp_path, empty_keras_home, offline
):
    source = tmp_path / "source"
    source.mkdir()
    for name in fashion.FASHION_MNIST_FILES:
        (source / name).write_bytes((_installed_folder() / name).read_bytes())
    split = data.fashion_mnist(train_size=1000, source=source, download=False)
    assert split.x_train.shape == (1000, 784)
    cache = data.fashion_mnist_cache()
    assert cache == empty_keras_home / "datasets" / "fashion-mnist"
    for name in fashion.FASHION_MNIST_FILES:
        assert (cache / name).read_bytes() == (source / name).read_bytes()
    assert not list(cache.glob(".*partial"))
    # Keras' own loader now works offline from the cache.
    (x_train, _), (x_test, _) = keras.datasets.fashion_mnist.load_data()
    assert x_train.shape == (60000, 28, 28) and x_test.shape == (10000, 28, 28)


def test_missing_data_offline_names_the_package_folder_and_cache(
    tmp_path, empty_keras_home, offline, monkeypatch
):
    monkeypatch.setattr(fashion, "DEBIAN_FOLDER", str(tmp_path / "not-installed"))
    assert not data.fashion_mnist_available()
    cache = str(data.fashion_mnist_cache())
    for download in (False, True):  # True: Keras tries, the network fails
        with pytest.raises(FileNotFoundError) as error:
            data.fashion_mnist(download=download)
        message = str(error.value)
        assert "apt-get install dataset-fashion-mnist" in message
        assert str(tmp_path / "not-installed") in message and cache in message
    assert "the download failed" in message and "tests never download" in message


def test_bad_arguments_are_refused_before_loading(tmp_path):
    cases = [
        ({"train_size": 1.5}, r"`train_size` as a share must be in \(0, 1\]"),
        ({"train_size": 5}, r"`train_size` must select between 10 and 59990"),
        ({"train_size": "all"}, "`train_size` must be a share or a count"),
        ({"validation_size": 1.0}, r"`validation_size` as a share must be in \[0, 1\)"),
        ({"validation_size": 59995}, "`validation_size` must select"),
        ({"seed": 1.5}, "`seed` must be an integer"),
        ({"source": tmp_path}, "`source` must be a folder holding the four"),
    ]
    for kwargs, match in cases:
        with pytest.raises(ValueError, match=match):
            data.fashion_mnist(download=False, **kwargs)


def _labels_file(count: int, labels: np.ndarray) -> bytes:
    """A gzipped IDX labels file whose header says `count` labels."""
    header = np.array([2049, count], ">u4").tobytes()
    return gzip.compress(header + labels.astype(np.uint8).tobytes())


_LABELS = np.arange(60_000) % 10
_WITH_200 = _LABELS.copy()
_WITH_200[123] = 200
_BLACK = gzip.compress(
    np.array([2051, 10_000, 28, 28], ">u4").tobytes() + bytes(7840000)
)


@pytest.mark.parametrize(
    "name, content, problem",
    [
        (
            "train-labels-idx1-ubyte.gz",
            _labels_file(60_000, _LABELS)[:-100],
            "not a complete gzip file",
        ),
        ("t10k-labels-idx1-ubyte.gz", b"", "the file is empty"),
        (
            "train-labels-idx1-ubyte.gz",
            _labels_file(60_000, _LABELS[:-1]),
            "it holds 60007 bytes, not 60008",
        ),
        (
            "train-labels-idx1-ubyte.gz",
            _labels_file(60_000, _WITH_200),
            "it holds label 200; labels go from 0 to 9",
        ),
        (  # right size and range, other labels: as a shifted file would be
            "train-labels-idx1-ubyte.gz",
            _labels_file(60_000, _LABELS),
            "its content differs from the published file",
        ),
        ("t10k-images-idx3-ubyte.gz", _BLACK, "its content differs"),
    ],
    ids=["truncated", "empty", "short labels", "label 200", "other labels", "images"],
)
def test_damaged_cache_files_are_refused_by_name(
    tmp_path, empty_keras_home, offline, monkeypatch, name, content, problem
):
    monkeypatch.setattr(fashion, "DEBIAN_FOLDER", str(tmp_path / "not-installed"))
    cache = data.fashion_mnist_cache()
    cache.mkdir(parents=True)
    (cache / name).write_bytes(content)
    with pytest.raises(ValueError) as error:
        data.fashion_mnist(download=False)
    message = str(error.value)
    assert f"The Fashion-MNIST file {cache / name} is damaged: {problem}" in message
    # Debian's copy is checked too before it is copied anywhere.
    debian = tmp_path / "debian"
    debian.mkdir()
    monkeypatch.setattr(fashion, "DEBIAN_FOLDER", str(debian))
    (cache / name).rename(debian / name)
    with pytest.raises(ValueError, match=f"{debian / name} is damaged: {problem}"):
        data.fashion_mnist(download=False)
    assert not (cache / name).exists()


@needs_fashion_mnist
def test_installed_files_are_the_published_ones():
    folder = _installed_folder()
    for name in fashion.FASHION_MNIST_FILES:
        assert fashion._damage(folder / name) is None
        # Debian's .gz are gzipped again: other bytes, the published content.
        with gzip.open(folder / name) as file:
            content = file.read()
        md5, size = fashion.CONTENT_MD5[name]
        assert len(content) == size
        assert fashion.hashlib.md5(content).hexdigest() == md5


@needs_fashion_mnist
def test_a_damaged_cache_copy_is_replaced_from_debians_folder(
    tmp_path, empty_keras_home, offline, monkeypatch
):
    installed = _installed_folder()
    debian = tmp_path / "debian"
    debian.mkdir()
    for name in fashion.FASHION_MNIST_FILES:  # links: only read, never written
        (debian / name).symlink_to(installed / name)
    monkeypatch.setattr(fashion, "DEBIAN_FOLDER", str(debian))
    cache = data.fashion_mnist_cache()
    cache.mkdir(parents=True)
    for name in fashion.FASHION_MNIST_FILES:
        (cache / name).write_bytes((installed / name).read_bytes())
    labels = cache / "train-labels-idx1-ubyte.gz"
    labels.write_bytes(labels.read_bytes()[:1000])  # a truncated copy
    with pytest.warns(UserWarning, match=f"{labels} is damaged .*replaced by"):
        split = data.fashion_mnist(download=False)
    np.testing.assert_array_equal(np.bincount(split.y_train), [6000] * 10)
    assert labels.read_bytes() == (installed / labels.name).read_bytes()
    assert not list(cache.glob(".*partial"))
    assert fashion._damage(installed / labels.name) is None  # untouched
