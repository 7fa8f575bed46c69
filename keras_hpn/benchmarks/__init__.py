"""Benchmarks that compare HPN with the usual losses on real data."""
