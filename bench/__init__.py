"""Benchmarks that print tables from real runs."""
