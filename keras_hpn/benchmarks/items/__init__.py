"""The benchmark items, one module each.

Every item module has `run(settings, progress) -> dict` (the results it
adds under its name) and `runs(settings) -> int` (the progress lines it
prints).
"""
