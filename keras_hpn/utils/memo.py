"""Values computed from a numpy array, remembered while the array lives."""

from __future__ import annotations

import weakref

import numpy as np


class ArrayMemo:
    """Remembers a value per (array, key) for as long as the array lives.

    Arrays are not hashable, so entries are keyed by the array's identity;
    a weak reference drops the entry when the array is freed, so that a new
    array at the same address never sees an old value.

    Example:

    ```python
    >>> memo, array = ArrayMemo(), np.eye(2)
    >>> memo.put(array, "float32", "its tensor")
    >>> memo.get(array, "float32"), memo.get(np.eye(2), "float32")
    ('its tensor', None)
    ```
    """

    def __init__(self) -> None:
        self._entries: dict = {}

    def get(self, array: np.ndarray, key: object = None):
        """The value put for `(array, key)`, or `None`."""
        entry = self._entries.get((id(array), key))
        return entry[1] if entry is not None and entry[0]() is array else None

    def put(self, array: np.ndarray, key: object, value) -> None:
        """Remembers `value` for `(array, key)` while `array` lives."""
        slot = (id(array), key)
        self._entries[slot] = (
            weakref.ref(array, lambda _: self._entries.pop(slot, None)),
            value,
        )
