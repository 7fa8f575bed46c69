"""Where the prototypes of a saved model live.

Small prototype matrices (at most `INLINE_VALUES` numbers) are written into
the configs of the objects that use them, as plain lists: a config alone
rebuilds the object. Larger ones would make `config.json` enormous (100,000
x 256 prototypes are half a gigabyte of JSON, once for the loss and again for
every metric), so there a config holds only a reference, `{"sha256": ...,
"shape": [K, D]}`, and the matrix itself is stored once, as float64 in the
weights file of the `.keras` archive, by the loss (`save_own_variables`) or
by a `PrototypeHead` (its kernel). No pickle is involved, and loading works
in `safe_mode`. A damaged file (a stored matrix that is missing or does
not match its reference) is refused by `load_model` with a `ValueError`
naming the object and the entry.

Objects resolve a reference through an in-process registry filled by every
object that holds the matrix (construction, `load_own_variables`), so a
metric compiled next to a loss, or a config round trip in one process,
finds its prototypes. An object whose matrix is nowhere to be found raises a
`ValueError` when it is used, saying how to get it: load the model with
`keras.saving.load_model`, or pass the prototypes.
"""

from __future__ import annotations

import dataclasses
import hashlib
import weakref

import numpy as np

from keras_hpn.numerics import keep_tensor
from keras_hpn.utils.memo import ArrayMemo
from keras_hpn.utils.validation import check_prototypes

# Above this many numbers (K x D), prototypes are stored in the weights file.
INLINE_VALUES = 16_384

_REGISTRY: weakref.WeakValueDictionary = weakref.WeakValueDictionary()
# The fingerprint of each registered array.
_FINGERPRINTS = ArrayMemo()


@dataclasses.dataclass(frozen=True)
class Reference:
    """A prototype matrix known by its fingerprint, to be found in the registry."""

    sha256: str
    shape: tuple[int, int]

    def config(self) -> dict:
        return {"sha256": self.sha256, "shape": list(self.shape)}


def fingerprint(array: np.ndarray) -> str:
    """SHA-256 of a float64 matrix's shape and bytes (C order)."""
    array = np.ascontiguousarray(array, dtype=np.float64)
    digest = hashlib.sha256(repr(array.shape).encode())
    digest.update(array.tobytes())
    return digest.hexdigest()


def exact_fingerprint(array: np.ndarray) -> str:
    """SHA-256 of an array's dtype, shape and bytes, in its own dtype.

    For a kernel as stored (float32, bfloat16, ...): exact with no float64
    copy, so hashing a 100,000 x 256 float32 kernel reads 102 MB, not 205.
    """
    array = np.ascontiguousarray(array)
    digest = hashlib.sha256(f"{array.dtype.name} {array.shape}".encode())
    digest.update(array.reshape(-1).view(np.uint8))  # bfloat16 has no buffer format
    return digest.hexdigest()


def register(array: np.ndarray) -> str:
    """Makes `array` findable by its fingerprint; returns the fingerprint.

    The array is made read-only (it is shared from then on) and its
    fingerprint remembered while it lives, so that saving a model twice
    hashes it once.
    """
    known = _FINGERPRINTS.get(array)
    if known is not None:
        return known
    return _register(array, fingerprint(array))


def _register(array: np.ndarray, key: str) -> str:
    array.setflags(write=False)
    _REGISTRY[key] = array
    _FINGERPRINTS.put(array, None, key)
    return key


def shared(array: np.ndarray) -> np.ndarray:
    """One array per large prototype matrix: an equal registered one, or `array`.

    A loss and its metrics are built from the same prototypes; sharing one
    checked float64 array lets them share one tensor too (see
    `numerics.keep_tensor`), instead of holding a copy each (at 100,000 x 128
    that is 102 MB of float64 and 51 MB of float32 per object). Small
    matrices are returned as they are.
    """
    if array.size <= INLINE_VALUES:
        return array
    return _adopt(array, fingerprint(array))


def _adopt(array: np.ndarray, key: str) -> np.ndarray:
    """The registered matrix of fingerprint `key`, or `array` registered as it."""
    known = _REGISTRY.get(key)
    if known is not None and known.shape == array.shape:
        return known
    _register(array, key)
    return array


def to_config(value) -> list | dict | None:
    """The config form of a prototype matrix (or reference, or `None`)."""
    if value is None:
        return None
    if isinstance(value, Reference):
        return value.config()
    if value.size <= INLINE_VALUES:
        return value.tolist()
    return Reference(register(value), value.shape).config()


def from_config(value, name: str):
    """Validated prototypes, or a `Reference` when the config holds one."""
    if value is None:
        return None
    if isinstance(value, dict):
        if set(value) != {"sha256", "shape"} or len(value["shape"]) != 2:
            raise ValueError(
                f"`{name}` given as a dict must be a reference "
                f'{{"sha256": ..., "shape": [num_classes, dims]}}. Received keys '
                f"{sorted(value)}."
            )
        reference = Reference(str(value["sha256"]), tuple(map(int, value["shape"])))
        return _REGISTRY.get(reference.sha256, reference)
    return check_prototypes(value, name)


def resolve(value, name: str):
    """`value` itself, or the registered matrix of a `Reference`.

    Raises:
        ValueError: if a reference is not in the registry.
    """
    if not isinstance(value, Reference):
        return value
    found = _REGISTRY.get(value.sha256)
    if found is None:
        raise ValueError(
            f"The `{name}` of this object ({value.shape[0]} x {value.shape[1]}, "
            f"sha256 {value.sha256[:12]}...) are stored in the weights of the "
            "`.keras` file it came from, not in its config. Load the whole model "
            "with `keras.saving.load_model(path)` (after `import keras_hpn`), or "
            "pass the prototypes themselves. If it came from `load_model`, the "
            "file is damaged: nothing in it holds prototypes of this sha256."
        )
    return found


class StoredPrototypes:
    """A descriptor for an attribute that holds a prototype matrix.

    Assigning an array validates it (`check_prototypes`); assigning a config
    value (list or reference dict) goes through `from_config`; reading
    resolves a reference (see `resolve`). Whenever the matrix is at hand
    (assigned, or adopted from a weights file by `load_arrays`), its float32
    tensor is made once (`numerics.keep_tensor`), so that compiled steps are
    fed one tensor instead of copying the matrix into every graph.
    """

    def __set_name__(self, owner, name: str) -> None:
        self.name, self.slot = name, f"_{name}"
        # Set when the value came from a config reference: the weights file
        # must then hold the matrix (see `load_arrays`).
        self.referenced = f"_{name}_referenced"

    def __get__(self, instance, owner=None):
        if instance is None:
            return self
        return resolve(instance.__dict__[self.slot], self.name)

    def __set__(self, instance, value) -> None:
        referenced = isinstance(value, dict)
        if referenced:
            value = from_config(value, self.name)
        elif value is not None and not isinstance(value, Reference):
            value = shared(check_prototypes(value, self.name))
        instance.__dict__[self.slot] = value
        instance.__dict__[self.referenced] = referenced
        if value is not None and not isinstance(value, Reference):
            keep_tensor(value)

    def raw(self, instance):
        """The array or the unresolved `Reference`, without raising."""
        return instance.__dict__[self.slot]


def config_of(owner, name: str):
    """The config form of the prototype attribute `name` of `owner`."""
    return to_config(_find(type(owner), name).raw(owner))


def shape_of(owner, name: str) -> tuple[int, int] | None:
    """The shape of a prototype attribute, known even before it is resolved."""
    value = _find(type(owner), name).raw(owner)
    return None if value is None else tuple(value.shape)


def pending(owner, name: str) -> bool:
    """Whether the attribute is a reference that cannot be resolved yet."""
    value = _find(type(owner), name).raw(owner)
    return isinstance(value, Reference) and value.sha256 not in _REGISTRY


def save_arrays(owner, store, names: tuple[str, ...]) -> None:
    """Writes the prototype attributes that configs only reference to `store`.

    Small matrices live in the config (see `to_config`) and are not written
    twice.
    """
    for name in names:
        value = getattr(owner, name)
        if value is not None and value.size > INLINE_VALUES:
            store[name] = np.asarray(value, dtype=np.float64)


def load_arrays(owner, store, names: tuple[str, ...]) -> None:
    """Reads prototype attributes from `store`: adopts or checks them.

    A reference from the config adopts the stored matrix after checking its
    fingerprint, and must find it: a missing or different matrix means a
    damaged file, refused with a `ValueError` naming the object and the
    entry. A known matrix must equal the stored one (weights trained with
    other large prototypes are refused; small ones are not in the weights
    file, only in the config). See `guarded_load` for how the refusal
    survives Keras' later visits.
    """
    guarded_load(owner, store, lambda: _load_arrays(owner, store, names))


def guarded_load(owner, store, load) -> None:
    """Runs `load()` for `owner.load_own_variables(store)`, keeping its failure.

    Keras visits an object under each attribute path that holds it (a loss
    under `loss/` and `_compile_loss/`, a layer under `layers/` and
    `_operations_by_depth/`). After a failed visit it visits again, and a
    visit that does not raise erases the recorded failure; the later paths
    hold an empty store. So an empty visit after a failure raises the same
    error again, and a successful load forgets it.
    """
    failed = owner.__dict__.get("_keras_hpn_load_error")
    if failed is not None and len(store.keys()) == 0:
        raise failed
    try:
        load()
    except Exception as error:
        owner.__dict__["_keras_hpn_load_error"] = error
        raise
    owner.__dict__.pop("_keras_hpn_load_error", None)


def describe(owner) -> str:
    """`ClassName 'name'`, to name an object in a loading error."""
    name = getattr(owner, "name", None)
    return type(owner).__name__ + ("" if name is None else f" {name!r}")


def _load_arrays(owner, store, names: tuple[str, ...]) -> None:
    for name in names:
        descriptor = _find(type(owner), name)
        current = descriptor.raw(owner)
        referenced = owner.__dict__.get(descriptor.referenced, False)
        if name not in store:
            if isinstance(current, Reference) or referenced:
                sha = (
                    current.sha256
                    if isinstance(current, Reference)
                    else register(current)
                )
                raise ValueError(
                    f"Cannot load {describe(owner)}: its config references "
                    f"`{name}` ({current.shape[0]} x {current.shape[1]}, "
                    f"sha256 {sha[:12]}...) stored in the weights "
                    f"file, but the weights file holds no entry `{name}` for it. "
                    "The `.keras` file is damaged or was assembled from two models."
                )
            continue
        stored = np.asarray(store[name], dtype=np.float64)
        if isinstance(current, Reference):
            found = fingerprint(stored)
            if found != current.sha256:
                raise ValueError(
                    f"Cannot load {describe(owner)}: the entry `{name}` of the "
                    f"weights file (shape {stored.shape}, sha256 {found[:12]}...) "
                    f"does not match the reference in its config (shape "
                    f"{current.shape}, sha256 {current.sha256[:12]}...). The "
                    "`.keras` file is damaged or was assembled from two models."
                )
            # Checked rows are unit already, so the fingerprint just taken
            # is theirs: no second hash of the matrix.
            adopted = _adopt(check_prototypes(stored, name), current.sha256)
            owner.__dict__[descriptor.slot] = adopted
            keep_tensor(adopted)
        elif current is not None and not np.array_equal(current, stored):
            raise ValueError(
                f"Cannot load {describe(owner)}: the entry `{name}` of the weights "
                f"file holds other prototypes than the object. Either the weights "
                "were saved with different prototypes (build the object with the "
                "saved ones, or load the whole model with "
                "`keras.saving.load_model`), or the file is damaged."
            )


def _find(cls, name: str) -> StoredPrototypes:
    for klass in cls.__mro__:
        if name in klass.__dict__:
            return klass.__dict__[name]
    raise AttributeError(name)
