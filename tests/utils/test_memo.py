import gc

import numpy as np
import pytest

from keras_hpn.utils.memo import ArrayMemo

pytestmark = pytest.mark.once  # numpy only


def test_values_live_as_long_as_their_array():
    memo = ArrayMemo()
    array = np.arange(4.0)
    memo.put(array, "float32", "tensor 32")
    memo.put(array, "float64", "tensor 64")
    assert memo.get(array, "float32") == "tensor 32"
    assert memo.get(array, "float64") == "tensor 64"
    assert memo.get(array.copy(), "float32") is None  # an equal array is another
    del array
    gc.collect()
    assert memo._entries == {}
