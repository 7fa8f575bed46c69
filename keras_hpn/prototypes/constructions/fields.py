"""Arithmetic over GF(2), GF(2^m) and the Galois ring GR(4, m) (numpy only).

Polynomials over GF(2) are Python ints: bit `i` holds the coefficient of
`x^i`. Elements of GF(2^m) are polynomials of degree below `m` modulo a
primitive polynomial.
"""

from __future__ import annotations

import functools
import math

import numpy as np


def multiply(
    first: int, second: int, modulus: int | None = None, degree: int = 0
) -> int:
    """Product of two GF(2) polynomials, reduced modulo `modulus` when given.

    Args:
        first: a polynomial (of degree below `degree` when reducing).
        second: a polynomial (likewise).
        modulus: the reducing polynomial, of degree `degree`; `None` for the
            plain (carry-less) product.
        degree: the degree of `modulus`.

    Returns:
        The product.

    Example:

    ```python
    >>> bin(multiply(0b11, 0b11))  # (x + 1)^2 = x^2 + 1
    '0b101'
    >>> multiply(0b10, 0b10, 0b111, 2)  # x * x = x + 1 mod x^2 + x + 1
    3
    ```
    """
    result = 0
    while second:
        if second & 1:
            result ^= first
        second >>= 1
        first <<= 1
        if modulus is not None and first >> degree & 1:
            first ^= modulus
    return result


@functools.lru_cache(maxsize=16)
def primitive_polynomial(degree: int) -> int:
    """The smallest primitive polynomial of `degree` over GF(2), as bits.

    `x` has multiplicative order `2^degree - 1` modulo the polynomial, so its
    powers run through all non-zero elements of GF(2^degree).

    Args:
        degree: from 2 to 16.

    Returns:
        The polynomial as an int.

    Example:

    ```python
    >>> bin(primitive_polynomial(6))  # x^6 + x + 1
    '0b1000011'
    ```
    """
    order = (1 << degree) - 1
    primes = [q for q in range(2, order + 1) if order % q == 0 and _is_prime(q)]
    for candidate in range((1 << degree) | 1, 1 << (degree + 1), 2):
        if _power_of_x(order, candidate, degree) == 1 and all(
            _power_of_x(order // q, candidate, degree) != 1 for q in primes
        ):
            return candidate
    raise AssertionError(f"no primitive polynomial of degree {degree}")


def cyclotomic_cosets(degree: int) -> list[tuple[int, ...]]:
    """The cyclotomic cosets `{i, 2i, 4i, ...} mod 2^m - 1` of the non-zero exponents.

    Args:
        degree: `m`.

    Returns:
        The cosets, each starting at its smallest element, in that order.

    Example:

    ```python
    >>> cyclotomic_cosets(3)
    [(1, 2, 4), (3, 6, 5)]
    ```
    """
    order = (1 << degree) - 1
    seen: set[int] = set()
    cosets = []
    for start in range(1, order):
        if start in seen:
            continue
        coset, power = [], start
        while power not in coset:
            coset.append(power)
            power = power * 2 % order
        seen.update(coset)
        cosets.append(tuple(coset))
    return cosets


@functools.lru_cache(maxsize=2048)
def minimal_polynomial(coset: tuple[int, ...], degree: int) -> int:
    """The GF(2) polynomial whose roots are `alpha^c` for `c` in the coset.

    `alpha` is the root `x` of `primitive_polynomial(degree)`.

    Args:
        coset: a cyclotomic coset.
        degree: `m`.

    Returns:
        The minimal polynomial as bits.

    Example:

    ```python
    >>> bin(minimal_polynomial((1, 2, 4), 3))  # alpha's: x^3 + x + 1
    '0b1011'
    ```
    """
    modulus = primitive_polynomial(degree)
    # Coefficients live in GF(2^m) (ints), lowest degree first.
    coefficients = [1]
    for power in coset:
        root = _power_of_x(power, modulus, degree)
        shifted = [0, *coefficients]
        for index, value in enumerate(coefficients):
            shifted[index] ^= multiply(value, root, modulus, degree)
        coefficients = shifted
    assert all(value in (0, 1) for value in coefficients)
    return sum(value << index for index, value in enumerate(coefficients))


def bch_generators(degree: int) -> list[tuple[int, int, int]]:
    """Generator polynomials of the narrow-sense BCH codes of length `2^m - 1`.

    The zeros of the code are the first `t` cyclotomic cosets (by smallest
    element); its designed distance is the smallest exponent left out.

    Args:
        degree: `m`.

    Returns:
        `(designed distance, dimension, generator)` from the largest code
        (the Hamming code) to the smallest (the repetition code).

    Example:

    ```python
    >>> [(d, k) for d, k, _ in bch_generators(4)]
    [(3, 11), (5, 7), (7, 5), (15, 1)]
    ```
    """
    order = (1 << degree) - 1
    cosets = sorted(cyclotomic_cosets(degree), key=min)
    generators, generator = [], 1
    for count, coset in enumerate(cosets, start=1):
        generator = multiply(generator, minimal_polynomial(coset, degree))
        designed = min(cosets[count]) if count < len(cosets) else order
        generators.append((designed, order - (generator.bit_length() - 1), generator))
    return generators


class Basis:
    """Rows of GF(2) bit vectors kept in insertion order, with a reduced copy.

    Example:

    ```python
    >>> basis = Basis()
    >>> basis.add(0b011), basis.add(0b110), basis.add(0b101)
    (True, True, False)
    >>> basis.rows
    [3, 6]
    ```
    """

    def __init__(self) -> None:
        self.rows: list[int] = []
        self._pivots: dict[int, int] = {}

    def add(self, row: int) -> bool:
        """Appends `row` if it is independent of the rows so far; says whether."""
        reduced = row
        while reduced:
            top = reduced.bit_length() - 1
            if top not in self._pivots:
                self._pivots[top] = reduced
                self.rows.append(row)
                return True
            reduced ^= self._pivots[top]
        return False


@functools.lru_cache(maxsize=4)
def ring_traces(degree: int) -> np.ndarray:
    """`T(xi^t)` in Z4 for `t < 2^m - 1 + m`, over the Galois ring GR(4, m).

    `xi` is a root of the Hensel lift `h` of `primitive_polynomial(m)` to Z4,
    found by Graeffe's method `h(x^2) = (-1)^m f(x) f(-x)`; `T(a)` is the
    trace of multiplication by `a` on the ring (a free Z4-module of rank
    `m`).

    Args:
        degree: `m`.

    Returns:
        Int64 array of the traces.

    Example:

    ```python
    >>> ring_traces(3)[:7]
    array([3, 2, 2, 1, 2, 3, 3])
    ```
    """
    binary = primitive_polynomial(degree)
    coefficients = np.array([(binary >> i) & 1 for i in range(degree + 1)], np.int64)
    alternating = coefficients * (-1) ** np.arange(degree + 1)
    lifted = (np.convolve(coefficients, alternating) * (-1) ** degree)[::2] % 4
    companion = np.zeros((degree, degree), dtype=np.int64)
    companion[1:, :-1] = np.eye(degree - 1, dtype=np.int64)
    companion[:, -1] = -lifted[:-1] % 4
    order = (1 << degree) - 1
    traces = np.empty(order + degree, dtype=np.int64)
    power = np.eye(degree, dtype=np.int64)
    for t in range(traces.size):
        if t == order:
            # xi has order 2^m - 1 in the ring: the lift is basic primitive.
            assert np.array_equal(power, np.eye(degree, dtype=np.int64))
        traces[t] = np.trace(power) % 4
        power = power @ companion % 4
    return traces


def _power_of_x(exponent: int, modulus: int, degree: int) -> int:
    result, base = 1, 2  # the polynomial x
    while exponent:
        if exponent & 1:
            result = multiply(result, base, modulus, degree)
        base = multiply(base, base, modulus, degree)
        exponent >>= 1
    return result


def _is_prime(value: int) -> bool:
    return value > 1 and all(value % q for q in range(2, math.isqrt(value) + 1))
