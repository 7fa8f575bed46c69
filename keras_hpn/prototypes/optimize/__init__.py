"""Optimisers for prototype placement where no closed form is known.

`annealing`: the default optimiser (smoothed maximum with restarts and
polish); `schedule`: its steps and starts from (K, D) and the effort, and
their cost; `paper`: the HPN paper's SGD; `blocks`: pairwise cosines in row
blocks, thread-independent; `jax_backend`: the annealing on JAX's device.
"""
