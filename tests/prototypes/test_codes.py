import itertools
import math

import numpy as np
import pytest

from keras_hpn.prototypes.constructions import codes, fields

pytestmark = pytest.mark.once  # backend-independent: first pass only


def pairwise_distances(words):
    signs = 1.0 - 2.0 * words.astype(np.float64)
    return (words.shape[1] - signs @ signs.T) / 2


@pytest.mark.parametrize("degree", range(2, 11))
def test_primitive_polynomial_generates_the_whole_field(degree):
    # A linear feedback shift register with a primitive polynomial runs
    # through all 2^m - 1 non-zero states before it repeats.
    modulus = fields.primitive_polynomial(degree)
    assert modulus >> degree == 1 and modulus & 1
    state, seen = 1, set()
    while state not in seen:
        seen.add(state)
        state <<= 1
        if state >> degree:
            state ^= modulus
    assert len(seen) == (1 << degree) - 1


# Known parameters of narrow-sense extended BCH codes (MacWilliams & Sloane,
# Appendix A; Lin & Costello, Table 6.1 plus one for the parity bit).
KNOWN_BCH = {
    16: [(1, 16), (5, 8), (7, 6), (11, 4)],
    32: [(1, 32), (6, 16), (11, 12), (16, 8), (21, 6), (26, 4)],
    64: [(1, 64), (7, 32), (10, 28), (16, 24), (18, 22), (24, 16)],
    128: [(1, 128), (8, 64), (15, 56)],
}


@pytest.mark.parametrize("length", sorted(KNOWN_BCH))
def test_extended_bch_parameters_checked_by_enumeration(length):
    found = codes.extended_bch_codes(length)
    stated = [(code.dimension, code.distance) for code in found]
    assert stated[: len(KNOWN_BCH[length])] == KNOWN_BCH[length]
    for code in found:
        if code.dimension > 16:
            break
        # Exhaustive: every word of the span, its weight.
        words = codes.packed_span(code.basis, length)
        weights = codes.packed_weights(words)
        assert len(np.unique(words, axis=0)) == code.size  # rows independent
        assert weights[1:].min() == code.distance
        assert np.all(weights % 2 == 0)  # the parity bit makes weights even


def test_extended_bch_256_distances_by_packed_enumeration():
    # [256, 13, 120] and [256, 21, 112]: all 2^21 words, weights by popcount.
    found = {code.dimension: code for code in codes.extended_bch_codes(256)}
    for dimension, distance in [(13, 120), (21, 112)]:
        code = found[dimension]
        weights = codes.packed_weights(codes.packed_span(code.basis, 256))
        assert code.distance == distance == weights[1:].min()


def test_bch_codes_are_nested_and_cyclic_before_extension():
    found = codes.extended_bch_codes(32)
    for smaller, larger in itertools.pairwise(found):
        assert larger.basis[: smaller.dimension] == smaller.basis
    # Deleting the parity bit leaves a cyclic code: shifting a word of the
    # [31, 11] code gives a word of it again.
    code = found[2]
    words = codes.span_words(code.basis, 32, code.size)[:, :31]
    as_set = {row.tobytes() for row in words}
    shifted = np.roll(words, 1, axis=1)
    assert all(row.tobytes() in as_set for row in shifted)


@pytest.mark.parametrize("degree", [3, 4, 5, 6])
def test_reed_muller_distance_by_enumeration(degree):
    for order, code in enumerate(codes.reed_muller_codes(1 << degree)):
        assert code.dimension == sum(math.comb(degree, i) for i in range(order + 1))
        if code.dimension <= 16:
            weights = codes.packed_weights(codes.packed_span(code.basis, code.length))
            assert weights[1:].min() == code.distance == 1 << (degree - order)


def bit_rows(basis, length):
    """Basis rows (Python ints) as a 0/1 uint8 matrix, bit j in column j."""
    raw = b"".join(row.to_bytes(length // 8, "little") for row in basis)
    matrix = np.frombuffer(raw, dtype=np.uint8).reshape(len(basis), -1)
    return np.unpackbits(matrix, axis=1, bitorder="little")


def gf2_rank(basis):
    """Rank over GF(2) of rows given as Python ints (plain elimination)."""
    pivots = {}
    for row in basis:
        while row:
            top = row.bit_length() - 1
            if top not in pivots:
                pivots[top] = row
                break
            row ^= pivots[top]
    return len(pivots)


# RM(r, m) for every r < m up to m = 10 (length 1024, as the docs claim).
REED_MULLER = [(m, r) for m in range(3, 11) for r in range(m)]


@pytest.mark.parametrize("degree, order", REED_MULLER)
def test_reed_muller_parameters_up_to_length_1024(degree, order):
    # [2^m, sum_{i<=r} C(m, i), 2^(m-r)]. Spans of up to 2^16 words are
    # enumerated (distinct words, exact minimum weight); larger ones have
    # their rank checked and 10,000 seeded random words weighed. Lengths
    # from 128 on once came out wrong (an int64 shift overflowed at bit 63).
    length, distance = 1 << degree, 1 << (degree - order)
    code = codes.reed_muller_codes(length)[order]
    dimension = sum(math.comb(degree, i) for i in range(order + 1))
    assert (
        code.label
        == f"Reed-Muller RM({order}, {degree}) [{length}, {dimension}, {distance}]"
    )
    assert (code.length, code.dimension, code.size) == (
        length,
        dimension,
        1 << dimension,
    )
    assert len(code.basis) == dimension
    assert all(0 < row < 1 << length for row in code.basis)
    if dimension <= 16:
        words = codes.packed_span(code.basis, length)
        assert len(np.unique(words, axis=0)) == code.size
        assert codes.packed_weights(words)[1:].min() == distance
        return
    assert gf2_rank(code.basis) == dimension
    rows = bit_rows(code.basis, length)
    # A degree-r monomial has weight 2^(m-r): the minimum is reached.
    assert rows.sum(axis=1).min() == distance
    messages = np.random.default_rng(degree * 16 + order).integers(
        0, 2, (10_000, dimension), dtype=np.uint8
    )
    messages = messages[messages.any(axis=1)]
    products = messages.astype(np.float32) @ rows.astype(np.float32)
    weights = (products.astype(np.int64) % 2).sum(axis=1)
    assert weights.min() >= distance


def test_reed_muller_128_words_are_distinct_at_distance_64():
    # The case: RM(1, 7) had a row of weight 96, 128 distinct words
    # of 256 and minimum distance 0.
    code = codes.reed_muller_codes(128)[1]
    words = code.words(256)
    assert len(np.unique(words, axis=0)) == 256
    off = pairwise_distances(words)[~np.eye(256, dtype=bool)]
    assert off.min() == 64 == code.guaranteed_distance(256)
    assert sorted(set(words.sum(axis=1).tolist())) == [0, 64, 128]


@pytest.mark.parametrize("length", [8, 16, 32, 64, 128, 256, 512, 1024])
def test_extended_bch_bases_are_exact_up_to_length_1024(length):
    # The same overflow would show here: rows outside n bits, dependent rows
    # or odd weights (the parity bit makes every word even).
    code = codes.extended_bch_codes(length)[-1]
    assert all(type(row) is int and 0 < row < 1 << length for row in code.basis)
    assert gf2_rank(code.basis) == code.dimension == len(code.basis)
    rows = bit_rows(code.basis, length)
    assert np.all(rows.sum(axis=1) % 2 == 0)
    messages = np.random.default_rng(length).integers(
        0, 2, (10_000, code.dimension), dtype=np.uint8
    )
    messages = messages[messages.any(axis=1)]
    products = messages.astype(np.float32) @ rows.astype(np.float32)
    assert (products.astype(np.int64) % 2).sum(axis=1).min() >= code.distance


def test_golay_weight_distribution():
    # The extended Golay code: 1, 759, 2576, 759, 1 words of weight 0 to 24.
    code = codes.golay_code()
    weights = codes.packed_weights(codes.packed_span(code.basis, 24))
    values, counts = np.unique(weights, return_counts=True)
    assert dict(zip(values.tolist(), counts.tolist(), strict=True)) == {
        0: 1,
        8: 759,
        12: 2576,
        16: 759,
        24: 1,
    }


@pytest.mark.parametrize("length, distance", [(16, 6), (64, 28)])
def test_kerdock_small_distances_over_all_pairs(length, distance):
    code = codes.kerdock_code(length)
    words = code.words(code.size)
    assert code.size == length**2
    distances = pairwise_distances(words)
    off = distances[~np.eye(code.size, dtype=bool)]
    assert off.min() == distance == code.distance
    assert code.largest_cosine == 1 - 2 * distance / length


def test_kerdock_256_by_z4_linearity():
    # The quaternary code is Z4-linear (closed under addition mod 4), and the
    # Gray map turns Lee distance into Hamming distance, so the minimum
    # distance is the minimum Gray weight of a non-zero word: 120.
    code = codes.kerdock_code(256)
    quaternary = codes._kerdock_quaternary(8, code.size)
    index = {row.tobytes(): i for i, row in enumerate(quaternary.astype(np.uint8))}
    rng = np.random.default_rng(0)
    for first, second in rng.integers(0, code.size, (200, 2)):
        total = (quaternary[first] + quaternary[second]) % 4
        assert total.astype(np.uint8).tobytes() in index
    weights = code.words(code.size).sum(axis=1, dtype=np.int64)
    assert len(index) == code.size
    assert weights[1:].min() == 120 == code.distance


def test_words_map_to_cosine_one_minus_two_h_over_n():
    words = np.array([[0, 0, 0, 0, 0, 0, 0, 0], [1, 1, 1, 0, 0, 0, 0, 0]])
    points = codes.to_sphere(words)
    np.testing.assert_allclose(np.linalg.norm(points, axis=1), 1.0)
    assert points[0] @ points[1] == pytest.approx(1 - 2 * 3 / 8)


def test_guaranteed_distance_of_a_subspan():
    code = codes.extended_bch_codes(64)[-1]
    # The first 10 rows span [64, 10, 28] inside the larger code.
    assert code.guaranteed_distance(1000) == 28
    assert code.guaranteed_distance(1024) == 28
    assert code.guaranteed_distance(1025) == 24


def test_too_many_words_refused():
    with pytest.raises(ValueError, match=r"has 4096 words\. Received count=5000"):
        codes.golay_code().words(5000)


@pytest.mark.parametrize(
    "function, argument, message",
    [
        (codes.extended_bch_codes, 100, "power of two"),
        (codes.reed_muller_codes, 4, "power of two from 8"),
        (codes.kerdock_code, 32, "m even"),
    ],
)
def test_bad_lengths_refused(function, argument, message):
    with pytest.raises(ValueError, match=message):
        function(argument)
