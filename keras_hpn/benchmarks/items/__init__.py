"""The benchmark items, one module each.

Every item module has `run(settings, progress) -> dict` (the results it
adds under its name) and `runs(settings) -> int` (the progress lines it
prints).
"""

# Every item, in the order a run prints them (suite.RUNNERS maps each to its
# module). Kept here, free of imports, so that the command line can offer
# the names without loading Keras.
ITEMS = (
    "dims",
    "fractions",
    "published",
    "representations",
    "regression",
    "multitask",
    "cost",
)
