"""Binary codes whose words, mapped to the sphere, make well separated prototypes.

A binary word `c` of length `n` becomes the unit vector `(-1)^c / sqrt(n)`;
two words at Hamming distance `h` get cosine `1 - 2h / n`, so a code of
minimum distance `d` gives largest cosine `1 - 2d / n` (numpy only).

Families, all for lengths `n = 2^m`:

* extended BCH codes (narrow-sense, primitive), built from their generator
  polynomials over GF(2) and extended by a parity bit; their basis is ordered
  so that the first rows span the nested BCH codes of larger distance;
* Reed-Muller codes `RM(r, m)`, from the monomials of degree at most `r`;
* Kerdock codes (`m` even), the Gray images of the Z4-linear codes
  `{T(lambda x) + epsilon}` over the Galois ring GR(4, m - 1);
* the extended binary Golay code `[24, 12, 8]`.

Every family gives its words in a fixed order; the prototypes are the first
`K` of them. For linear codes the guaranteed minimum distance is the exact
minimum weight of the span of the first `ceil(log2 K)` basis rows, found by
enumerating that span.
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
import math

import numpy as np

from keras_hpn.prototypes.constructions import fields
from keras_hpn.utils.validation import check_size

# Spans up to this many words are enumerated to find their minimum weight.
MAX_ENUMERATED = 1 << 22
# Codes of larger dimension are not built: their words are never all needed.
MAX_DIMENSION = 64
# Up to this dimension a code's stated distance is found by enumeration; above
# it is the BCH bound (the spans actually used are still enumerated).
EXACT_DISTANCE_DIMENSION = 16
# Gray map of Z4: 0 -> 00, 1 -> 01, 2 -> 11, 3 -> 10 (Lee weight = Hamming weight).
_GRAY = np.array([[0, 0], [0, 1], [1, 1], [1, 0]], dtype=np.uint8)
_POPCOUNT = np.array([bin(value).count("1") for value in range(256)], dtype=np.int64)


@dataclasses.dataclass(frozen=True)
class BinaryCode:
    """A binary code of length `length` with `size` words, as prototypes.

    Attributes:
        family: `"extended BCH"`, `"Reed-Muller"`, `"Kerdock"` or `"Golay"`.
        length: code length `n` (the prototype dimension before padding).
        size: number of words available.
        distance: minimum Hamming distance of the whole code: exact (by
            enumeration) up to `2^16` words, above that a proven lower bound
            (the BCH bound for BCH codes).
        dimension: `k` for a linear code (`size == 2^k`), `None` otherwise.
        detail: extra parameters, e.g. `"RM(1, 6)"`.
    """

    family: str
    length: int
    size: int
    distance: int
    dimension: int | None = None
    detail: str = ""
    basis: tuple[int, ...] = dataclasses.field(default=(), repr=False)

    @property
    def largest_cosine(self) -> float:
        """`1 - 2d/n`, the largest cosine of the whole code on the sphere."""
        return 1.0 - 2.0 * self.distance / self.length

    @property
    def label(self) -> str:
        """The code's name with its parameters, e.g. `extended BCH [64, 10, 28]`."""
        name = f"{self.family} {self.detail}".strip()
        if self.dimension is not None:
            return f"{name} [{self.length}, {self.dimension}, {self.distance}]"
        return f"{name} ({self.length}, {self.size}, {self.distance})"

    def words(self, count: int) -> np.ndarray:
        """The first `count` words as a `(count, length)` array of 0/1 (uint8).

        Args:
            count: number of words, from 1 to `size`.

        Returns:
            Distinct words in the code's fixed order.

        Example:

        ```python
        >>> golay_code().words(2)[1].sum()  # a weight-8 word after zero
        np.int64(8)
        ```
        """
        if count > self.size:
            raise ValueError(
                f"The {self.label} code has {self.size} words. Received count={count}."
            )
        if self.family == "Kerdock":
            return _kerdock_words(self.length.bit_length() - 1, count)
        return span_words(self.basis, self.length, count)

    def guaranteed_distance(self, count: int) -> int:
        """Smallest Hamming distance between two of the first `count` words.

        For a linear code this is the exact minimum weight of the span of the
        first `ceil(log2 count)` basis rows (which contains those words), at
        least `distance`; for the Kerdock code it is `distance`.

        Args:
            count: number of words used, from 2 to `size`.

        Returns:
            A distance every pair of the first `count` words keeps.

        Example:

        ```python
        >>> code = extended_bch_codes(64)[-1]  # [64, 57, 4]
        >>> code.distance, code.guaranteed_distance(1000)
        (4, 28)
        ```
        """
        if self.family == "Kerdock" or count > MAX_ENUMERATED:
            return self.distance
        return _minimum_weight(self.basis[: basis_rows(count)], self.length)


def to_sphere(words: np.ndarray) -> np.ndarray:
    """Maps 0/1 words to unit vectors: bit `b` becomes `(-1)^b / sqrt(n)`.

    Args:
        words: array of shape `(count, n)` with entries 0 and 1.

    Returns:
        Float64 array of the same shape with unit rows.

    Example:

    ```python
    >>> to_sphere(np.array([[0, 1, 1, 0]]))
    array([[ 0.5, -0.5, -0.5,  0.5]])
    ```
    """
    words = np.asarray(words)
    return (1.0 - 2.0 * words.astype(np.float64)) / math.sqrt(words.shape[1])


def extended_bch_codes(length: int) -> list[BinaryCode]:
    """The narrow-sense primitive extended BCH codes of `length = 2^m`, `k <= 64`.

    The codes are nested; they come ordered from the smallest (the
    repetition code `[n, 1, n]`) to the largest, and share one basis whose
    first `k` rows span the code of dimension `k`.

    Args:
        length: a power of two, from 8 to 1024.

    Returns:
        A list of `BinaryCode`, one per distinct dimension.

    Example:

    ```python
    >>> [code.label for code in extended_bch_codes(16)]
    ['extended BCH [16, 1, 16]', 'extended BCH [16, 5, 8]',
     'extended BCH [16, 7, 6]', 'extended BCH [16, 11, 4]']
    ```

    References:
        F. J. MacWilliams, N. J. A. Sloane. The Theory of Error-Correcting
        Codes (1977), Chapters 7 and 9.
    """
    degree = _power_of_two(length, "length", 8, 1024)
    return list(_bch_chain(degree))


def reed_muller_codes(length: int) -> list[BinaryCode]:
    """The Reed-Muller codes `RM(r, m)` of `length = 2^m`, for `r = 0 .. m - 1`.

    `RM(r, m)` holds the truth tables of the Boolean polynomials of degree at
    most `r` in `m` variables: `[2^m, sum_{i<=r} C(m, i), 2^(m-r)]`. The codes
    are nested and share one basis (monomials by increasing degree).

    Args:
        length: a power of two, from 8 to 1024.

    Returns:
        A list of `BinaryCode` from `RM(0, m)` to `RM(m - 1, m)`.

    Example:

    ```python
    >>> reed_muller_codes(64)[1].label
    'Reed-Muller RM(1, 6) [64, 7, 32]'
    ```

    References:
        F. J. MacWilliams, N. J. A. Sloane. The Theory of Error-Correcting
        Codes (1977), Chapter 13.
    """
    degree = _power_of_two(length, "length", 8, 1024)
    return list(_reed_muller_chain(degree))


def kerdock_code(length: int) -> BinaryCode:
    """The Kerdock code of `length = 2^m`, `m` even: `2^(2m)` words, distance
    `2^(m-1) - 2^((m-2)/2)`.

    Built as the Gray image of the Z4-linear code of length `2^(m-1)` whose
    words are `(T(lambda x) + epsilon)_x`, `x` running over the Teichmueller
    set of the Galois ring GR(4, m - 1), `lambda` over the ring, `epsilon`
    over Z4 and `T` the trace. Length 16 gives the Nordstrom-Robinson code.

    Args:
        length: 16, 64, 256 or 1024.

    Returns:
        The `BinaryCode`.

    Example:

    ```python
    >>> kerdock_code(64).label, kerdock_code(64).largest_cosine
    ('Kerdock (64, 4096, 28)', 0.125)
    ```

    References:
        A. R. Hammons, P. V. Kumar, A. R. Calderbank, N. J. A. Sloane,
        P. Sole. The Z4-linearity of Kerdock, Preparata, Goethals, and
        related codes. IEEE Trans. Inform. Theory 40 (1994).
    """
    degree = _power_of_two(length, "length", 16, 1024)
    if degree % 2:
        raise ValueError(
            "Kerdock codes have length 2^m with m even (16, 64, 256, 1024). "
            f"Received: length={length}"
        )
    return _kerdock(degree)


def _kerdock(degree: int) -> BinaryCode:
    distance = (1 << (degree - 1)) - (1 << ((degree - 2) // 2))
    return BinaryCode("Kerdock", 1 << degree, 1 << (2 * degree), distance)


def chains(length: int) -> list[list[BinaryCode]]:
    """Every nested chain of codes of one length (a single code is a chain).

    Trusts its caller (the table of constructions): `length` is 24 or a
    power of two from 8 to 1024.

    Args:
        length: the code length.

    Returns:
        The chains: extended BCH and Reed-Muller, the Kerdock code where `m`
        is even, the Golay code at 24.

    Example:

    ```python
    >>> [len(chain) for chain in chains(16)]
    [4, 4, 1]
    ```
    """
    if length == 24:
        return [[golay_code()]]
    degree = length.bit_length() - 1
    found = [list(_bch_chain(degree)), list(_reed_muller_chain(degree))]
    if degree % 2 == 0:
        found.append([_kerdock(degree)])
    return found


def golay_code() -> BinaryCode:
    """The extended binary Golay code `[24, 12, 8]`: 4,096 words at cosine 1/3.

    Returns:
        The `BinaryCode`, from the generator polynomial
        `x^11 + x^10 + x^6 + x^5 + x^4 + x^2 + 1` of the cyclic `[23, 12, 7]`
        code and a parity bit.

    Example:

    ```python
    >>> golay_code().label
    'Golay [24, 12, 8]'
    ```

    References:
        M. J. E. Golay. Notes on digital coding. Proc. IRE 37 (1949).
    """
    return _golay()


def basis_rows(count: int) -> int:
    """Basis rows whose span holds `count` words: `ceil(log2 count)`, exactly.

    Args:
        count: number of words, at least 1.

    Returns:
        The number of rows (0 for one word).

    Example:

    ```python
    >>> basis_rows(1), basis_rows(2), basis_rows(1000), basis_rows(1024)
    (0, 1, 10, 10)
    ```
    """
    return (count - 1).bit_length()


def span_words(basis: tuple[int, ...], length: int, count: int) -> np.ndarray:
    """The first `count` words of the span of `basis` (bit rows), as 0/1 uint8.

    Word `i` is the sum of the rows whose bit is set in `i`.

    Args:
        basis: rows as Python ints, bit `j` holding coordinate `j`.
        length: number of coordinates.
        count: number of words, at most `2^len(basis)`.

    Returns:
        Array of shape `(count, length)`.

    Example:

    ```python
    >>> span_words((0b0011, 0b0110), 4, 4)
    array([[0, 0, 0, 0],
           [1, 1, 0, 0],
           [0, 1, 1, 0],
           [1, 0, 1, 0]], dtype=uint8)
    ```
    """
    rows = basis_rows(count)
    if rows > len(basis):
        raise ValueError(
            f"A basis of {len(basis)} rows spans {1 << len(basis)} words. "
            f"Received count={count}."
        )
    return unpack(packed_span(basis[:rows], length)[:count], length)


def _power_of_two(value: int, name: str, low: int, high: int) -> int:
    value = check_size(value, name, 1)
    if value < low or value > high or value & (value - 1):
        raise ValueError(
            f"`{name}` must be a power of two from {low} to {high}. "
            f"Received: {name}={value}"
        )
    return value.bit_length() - 1


def packed_span(basis: tuple[int, ...], length: int) -> np.ndarray:
    """All `2^len(basis)` words of the span, bits packed little-endian per row.

    Args:
        basis: rows as Python ints, bit `j` holding coordinate `j`.
        length: number of coordinates.

    Returns:
        uint8 array of shape `(2^len(basis), ceil(length / 8))`; word `i` is
        the sum of the rows whose bit is set in `i`.

    Example:

    ```python
    >>> packed_span((0b11, 0b110), 3)
    array([[0],
           [3],
           [6],
           [5]], dtype=uint8)
    ```
    """
    width = (length + 7) // 8
    packed = np.zeros((1 << len(basis), width), dtype=np.uint8)
    for index, row in enumerate(basis):
        bits = np.frombuffer(row.to_bytes(width, "little"), dtype=np.uint8)
        half = 1 << index
        np.bitwise_xor(packed[:half], bits, out=packed[half : 2 * half])
    return packed


def unpack(packed: np.ndarray, length: int) -> np.ndarray:
    """Unpacks words of `packed_span` to 0/1 uint8, keeping `length` coordinates.

    Args:
        packed: uint8 array of shape `(count, width)`.
        length: number of leading coordinates to keep.

    Returns:
        Array of shape `(count, length)`.

    Example:

    ```python
    >>> unpack(np.array([[6]], dtype=np.uint8), 3)
    array([[0, 1, 1]], dtype=uint8)
    ```
    """
    return np.unpackbits(packed, axis=1, bitorder="little")[:, :length]


def packed_weights(packed: np.ndarray) -> np.ndarray:
    """Hamming weight of each packed word.

    Args:
        packed: uint8 array of shape `(count, width)`.

    Returns:
        Int64 array of shape `(count,)`.

    Example:

    ```python
    >>> packed_weights(np.array([[7, 1], [0, 0]], dtype=np.uint8))
    array([4, 0])
    ```
    """
    return _POPCOUNT[packed].sum(axis=1)


@functools.lru_cache(maxsize=256)
def _minimum_weight(basis: tuple[int, ...], length: int) -> int:
    if not basis:
        return length
    weights = packed_weights(packed_span(basis, length)[1:])
    return int(weights.min())


def _extend(row: int, length: int) -> int:
    return row | ((row.bit_count() & 1) << length)


@functools.lru_cache(maxsize=16)
def _bch_chain(degree: int) -> tuple[BinaryCode, ...]:
    order = (1 << degree) - 1
    basis = fields.Basis()
    codes = []
    for designed, dimension, generator in reversed(fields.bch_generators(degree)):
        if dimension > MAX_DIMENSION:
            break
        for shift in range(dimension):
            basis.add(_extend(generator << shift, order))
        rows = tuple(basis.rows)
        assert len(rows) == dimension
        distance = (
            _minimum_weight(rows, order + 1)
            if dimension <= EXACT_DISTANCE_DIMENSION
            else designed + 1  # BCH bound, plus one for the parity bit
        )
        codes.append(
            BinaryCode(
                "extended BCH", order + 1, 1 << dimension, distance, dimension, "", rows
            )
        )
    return tuple(codes)


@functools.lru_cache(maxsize=16)
def _reed_muller_chain(degree: int) -> tuple[BinaryCode, ...]:
    length = 1 << degree
    # Python ints: a numpy int64 shift overflows from coordinate 63 on.
    variables = [
        sum(1 << p for p in range(length) if p >> v & 1) for v in range(degree)
    ]
    rows = []
    codes = []
    for order in range(degree):
        for monomial in itertools.combinations(range(degree), order):
            row = (1 << length) - 1
            for variable in monomial:
                row &= variables[variable]
            rows.append(row)
        codes.append(
            BinaryCode(
                "Reed-Muller",
                length,
                1 << len(rows),
                1 << (degree - order),
                len(rows),
                f"RM({order}, {degree})",
                tuple(rows),
            )
        )
    return tuple(codes)


@functools.lru_cache(maxsize=1)
def _golay() -> BinaryCode:
    generator = 0b110001110101  # x^11 + x^10 + x^6 + x^5 + x^4 + x^2 + 1
    rows = tuple(_extend(generator << shift, 23) for shift in range(12))
    return BinaryCode("Golay", 24, 4096, _minimum_weight(rows, 24), 12, "", rows)


def _kerdock_quaternary(degree: int, count: int) -> np.ndarray:
    """The first `count` words of the Z4 Kerdock code of binary length 2^degree."""
    ring_degree = degree - 1
    traces = fields.ring_traces(ring_degree)
    order = (1 << ring_degree) - 1
    shifts = np.stack([traces[i : i + order] for i in range(ring_degree)])
    index = np.arange(count)
    # Word i: epsilon = i mod 4, lambda's Z4 digits from the rest.
    epsilon = index % 4
    digits = (index[:, None] // 4 ** np.arange(1, ring_degree + 1)) % 4
    quaternary = np.empty((count, order + 1), dtype=np.int64)
    quaternary[:, 0] = epsilon
    quaternary[:, 1:] = (digits @ shifts + epsilon[:, None]) % 4
    return quaternary


def _kerdock_words(degree: int, count: int) -> np.ndarray:
    quaternary = _kerdock_quaternary(degree, count)
    return _GRAY[quaternary].reshape(count, 2 * quaternary.shape[1])
