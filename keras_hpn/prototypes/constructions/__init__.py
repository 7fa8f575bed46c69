"""Known constructions of prototypes: codes and lattice configurations.

`fields`: arithmetic over GF(2), GF(2^m) and GR(4, m); `codes`: binary codes
(BCH, Reed-Muller, Kerdock, Golay) and their map to the sphere; `lattices`:
polytopes and lattice shells (E8, Leech); `sharp`: every configuration of
Cohn and Kumar's table of sharp configurations; `table`: every candidate for
`(K, D)`, adapted by padding, shortening or puncturing, best first.
"""
