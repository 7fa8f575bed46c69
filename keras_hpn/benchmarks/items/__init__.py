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
    "incremental",
    "openset",
    "calibration",
)
# What fixed prototypes give beyond accuracy (issue 20): run only when named
# (`--items incremental openset calibration`, about 6 minutes on 2 cores),
# so that the default run keeps its length.
OPT_IN = ("incremental", "openset", "calibration")
