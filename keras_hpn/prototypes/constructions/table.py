"""Every known construction for `K` prototypes in `D` dims, best first (numpy only).

A construction is a code or configuration of `keras_hpn.prototypes.constructions.codes`,
`keras_hpn.prototypes.constructions.lattices` and
`keras_hpn.prototypes.constructions.sharp`, adapted to `D`:

* zero padding: a construction in `n <= D` dimensions keeps its cosines;
* puncturing: deleting `p` coordinates of a binary code of length `D + p`
  lowers its minimum distance by at most `p`;
* shortening: keeping the words of a linear code that are zero on `s`
  coordinates and deleting those keeps the distance and halves the words
  `s` times.

Each construction states the largest cosine it guarantees for its first
`K` rows: exact for linear codes (the minimum weight of the span of the
words used, found by enumeration) and for the configurations, an upper
bound for punctured Kerdock codes.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable

import numpy as np

from keras_hpn.prototypes.bounds import UNIVERSALLY_OPTIMAL
from keras_hpn.prototypes.constructions import codes, lattices, sharp
from keras_hpn.utils.resources import BLOCK_BYTES
from keras_hpn.utils.validation import check_size

# Enumerations for shortening stay below this many bytes of packed words.
# At most this many coordinates are shortened.
_MAX_SHORTENED = 8


@dataclasses.dataclass(frozen=True)
class Construction:
    """A known placement of `num_classes` prototypes in `dims` dimensions.

    Attributes:
        name: what it is, with its parameters, e.g.
            `"extended BCH [64, 10, 28]"` or `"E8 roots"`; derived codes name
            the padding, shortening or puncturing.
        num_classes: number of prototypes `K`.
        dims: dimensionality `D`.
        largest_cosine: the largest cosine the `K` rows are guaranteed not to
            exceed (reached by the full code or configuration).
        optimal: `True` where this is a proven optimum for `(K, D)`.
        native_dims: the dimensions the construction fills before zero
            padding (`dims` when it is not padded).
    """

    name: str
    num_classes: int
    dims: int
    largest_cosine: float
    optimal: bool = False
    native_dims: int | None = None
    builder: Callable[[], np.ndarray] = dataclasses.field(
        default=lambda: np.empty((0, 0)), repr=False, compare=False
    )

    def build(self) -> np.ndarray:
        """The prototypes, a float64 array `(num_classes, dims)` with unit rows.

        Example:

        ```python
        >>> constructions(12, 3)[0].build().shape
        (12, 3)
        ```
        """
        points = self.builder()
        if points.shape[1] < self.dims:
            points = np.pad(points, ((0, 0), (0, self.dims - points.shape[1])))
        return points


def constructions(num_classes: int, dims: int) -> list[Construction]:
    """All constructions for `num_classes` prototypes in `dims` dims, best first.

    Args:
        num_classes: number of prototypes `K`, at least 2.
        dims: dimensionality `D`, at least 2.

    Returns:
        A list of `Construction`, sorted by guaranteed largest cosine (ties
        keep the order: configurations, then codes by length); empty where
        none has `K` rows.

    Example:

    ```python
    >>> [(c.name, c.largest_cosine) for c in constructions(1000, 64)[:2]]
    [('extended BCH [64, 10, 28]', 0.125), ('Kerdock (64, 4096, 28)', 0.125)]
    ```
    """
    return _constructions(
        check_size(num_classes, "num_classes", 2), check_size(dims, "dims", 2)
    )


def _constructions(num_classes: int, dims: int) -> list[Construction]:
    found = _configurations(num_classes, dims)
    for length in _code_lengths(dims):
        for chain in codes.chains(length):
            candidate = _adapt(chain, num_classes, dims)
            if candidate is not None:
                found.append(candidate)
    # Ties: a proven optimum first, then the construction filling more dims.
    return sorted(
        found,
        key=lambda c: (
            round(c.largest_cosine, 12),
            not c.optimal,
            -(c.native_dims or c.dims),
        ),
    )


def best_construction(num_classes: int, dims: int) -> Construction:
    """The construction with the lowest guaranteed largest cosine.

    Args:
        num_classes: number of prototypes `K`, at least 2.
        dims: dimensionality `D`, at least 2.

    Returns:
        The best `Construction`.

    Raises:
        ValueError: where no code or configuration has `num_classes` words
            in at most `dims` (or, punctured, slightly more) dimensions.

    Example:

    ```python
    >>> best_construction(240, 8).name
    'E8 roots'
    ```
    """
    return _best_construction(
        check_size(num_classes, "num_classes", 2), check_size(dims, "dims", 2)
    )


def _best_construction(num_classes: int, dims: int) -> Construction:
    found = _constructions(num_classes, dims)
    if not found:
        raise ValueError(
            f"No code or known configuration holds num_classes={num_classes} "
            f"prototypes in dims={dims}: the largest codes this library builds "
            f"in {dims} dims have {_largest_size(dims)} words. Use "
            "method='optimize'."
        )
    return found[0]


def named_construction(name: str, num_classes: int, dims: int) -> Construction:
    """The construction whose name starts with `name` (case-insensitive).

    Args:
        name: e.g. `"Kerdock"`, `"extended BCH"`, `"Reed-Muller"`, `"Golay"`,
            `"E8"`, `"Leech"`.
        num_classes: number of prototypes `K`.
        dims: dimensionality `D`.

    Returns:
        The best matching `Construction`.

    Raises:
        ValueError: naming the code, `num_classes` and `dims` when the code
            has no version with that many words in that dimension.

    Example:

    ```python
    >>> named_construction("extended BCH", 1000, 64).name
    'extended BCH [64, 10, 28]'
    ```
    """
    num_classes = check_size(num_classes, "num_classes", 2)
    dims = check_size(dims, "dims", 2)
    wanted = name.lower()
    available = _constructions(num_classes, dims)
    found = [c for c in available if c.name.lower().startswith(wanted)]
    if not found:
        raise ValueError(
            f"The code {name!r} has no version with num_classes={num_classes} "
            f"words in dims={dims}. Available here: "
            f"{sorted({c.name for c in available}) or 'none'}."
        )
    return found[0]


def _code_lengths(dims: int) -> list[int]:
    lengths = [1 << m for m in range(3, 11) if (1 << m) <= 2 * dims]
    return sorted([*lengths, 24] if dims >= 12 else lengths)


def _largest_size(dims: int) -> int:
    sizes = [chain[-1].size for n in _code_lengths(dims) for chain in codes.chains(n)]
    return max(sizes, default=0)


def _configurations(num_classes: int, dims: int) -> list[Construction]:
    found = []
    if dims == 2:
        cosine = math.cos(2.0 * math.pi / num_classes)
        found.append(
            Construction(
                "regular polygon",
                num_classes,
                2,
                cosine,
                True,
                2,
                lambda: lattices.polygon(num_classes),
            )
        )
    if dims >= 3 and 2 * dims * (dims - 1) >= num_classes:
        found.append(
            Construction(
                f"D{dims} roots",
                num_classes,
                dims,
                0.5,
                False,
                dims,
                lambda: lattices.d_roots(dims)[:num_classes],
            )
        )
    # Cohn and Kumar's configurations, their first K points, zero-padded
    # where they fill fewer dims; the full one at its own (K, D) is optimal.
    for configuration in sharp.sharp_configurations():
        native, size = configuration.dims, configuration.num_points
        if native > dims or size < num_classes:
            continue

        def builder(configuration=configuration, count=num_classes):
            return configuration.build()[:count]

        name = configuration.name
        optimal = (num_classes, dims) in UNIVERSALLY_OPTIMAL and native == dims
        found.append(
            Construction(
                name if native == dims else f"{name}, zero-padded from {native} dims",
                num_classes,
                dims,
                configuration.largest_cosine,
                optimal and size == num_classes,
                native,
                builder,
            )
        )
    return found


def _adapt(
    chain: list[codes.BinaryCode], num_classes: int, dims: int
) -> Construction | None:
    fitting = [code for code in chain if code.size >= num_classes]
    if not fitting:
        return None
    code = fitting[0]
    if code.length <= dims:
        distance = code.guaranteed_distance(num_classes)
        suffix = "" if code.length == dims else f", zero-padded from {code.length} dims"
        return Construction(
            code.label + suffix,
            num_classes,
            dims,
            1.0 - 2.0 * distance / code.length,
            False,
            code.length,
            lambda: codes.to_sphere(code.words(num_classes)),
        )
    removed = code.length - dims
    if code.dimension is None:
        # Puncturing a non-linear code: the distance drops by at most `removed`.
        if code.distance <= removed:
            return None
        return Construction(
            f"{code.label}, punctured by {removed}",
            num_classes,
            dims,
            1.0 - 2.0 * (code.distance - removed) / dims,
            False,
            dims,
            lambda: codes.to_sphere(code.words(num_classes)[:, :dims]),
        )
    best = None
    rows = codes.basis_rows(num_classes)
    basis = chain[-1].basis
    kept = _mask(code.length, 0, dims)
    for shortened in range(min(removed, _MAX_SHORTENED) + 1):
        used = rows + shortened
        if used > len(basis) or (1 << used) * code.length // 8 > BLOCK_BYTES:
            break
        packed = _shortened(basis, code.length, used, shortened)
        if len(packed) < num_classes:
            continue
        weights = codes.packed_weights(
            packed & kept if dims % 8 else packed[:, : dims // 8]
        )
        if np.count_nonzero(weights == 0) > 1:
            continue  # puncturing merged two words
        distance = int(weights[weights > 0].min())
        if best is None or distance > best[0]:
            best = (distance, shortened)
    if best is None:
        return None
    distance, shortened = best
    punctured = removed - shortened
    member = next(c for c in chain if c.dimension >= rows + shortened)
    parts = [f"shortened by {shortened}"] * bool(shortened)
    parts += [f"punctured by {punctured}"] * bool(punctured)
    return Construction(
        f"{member.label}, {' and '.join(parts)}",
        num_classes,
        dims,
        1.0 - 2.0 * distance / dims,
        False,
        dims,
        lambda: codes.to_sphere(
            codes.unpack(
                _shortened(basis, code.length, rows + shortened, shortened)[
                    :num_classes
                ],
                dims,
            )
        ),
    )


def _shortened(
    basis: tuple[int, ...], length: int, rows: int, shortened: int
) -> np.ndarray:
    """Packed words of the span of the first `rows` basis rows that are zero
    on the last `shortened` coordinates."""
    packed = codes.packed_span(basis[:rows], length)
    if shortened:
        mask = _mask(length, length - shortened, length)
        columns = np.flatnonzero(mask)
        hit = np.zeros(len(packed), dtype=bool)
        for column in columns:
            hit |= (packed[:, column] & mask[column]) != 0
        packed = packed[~hit]
    return packed


def _mask(length: int, start: int, stop: int) -> np.ndarray:
    """Packed row with the bits of coordinates `start .. stop - 1` set."""
    bits = np.zeros(length, dtype=np.uint8)
    bits[start:stop] = 1
    return np.packbits(bits, bitorder="little")
