"""The annealing of `optimize.smooth_max` through `jax.numpy` (JAX imported lazily).

The same steps as the numpy path: Adam on the log-sum-exp of all pairwise
cosines, rows renormalised after each step, the cosine matrix in row blocks
of at most `blocks.BLOCK_BYTES`, run on JAX's default device (a GPU when JAX
sees one). The steps are compiled with `jax.lax.scan`, in chunks so that the
progress bar can move. Results are not bit-identical to the numpy path.
"""

from __future__ import annotations

import numpy as np

from keras_hpn.prototypes.optimize import blocks
from keras_hpn.utils.progress import ProgressBar

# Steps compiled into one scan between two progress-bar updates.
CHUNK_STEPS = 50


def anneal(
    starts: np.ndarray, schedule: dict[str, np.ndarray], bar: ProgressBar
) -> tuple[np.ndarray, np.ndarray]:
    """Runs the annealing from `starts` `(restarts, K, D)` on JAX's device.

    Args:
        starts: unit-row starting points, a stack `(restarts, K, D)`.
        schedule: `{"betas": ..., "step_sizes": ...}`, one value per step.
        bar: progress bar, updated between compiled chunks.

    Returns:
        `(best, last)`: the best iterate (by largest cosine) and the last
        iterate of each start, float64 numpy arrays `(restarts, K, D)`.

    Example:

    ```python
    >>> from keras_hpn.prototypes.optimize import annealing as optimize
    >>> starts = optimize.random_start(20, 3, 0)[None]
    >>> schedule = optimize.annealing_schedule(10, (10.0, 100.0), (0.05, 0.01))
    >>> best, last = anneal(starts, schedule, ProgressBar(10, "", enabled=False))
    >>> best.shape, last.dtype
    ((1, 20, 3), dtype('float64'))
    ```
    """
    try:
        import jax
        import jax.numpy as jnp
    except ImportError as error:
        raise ImportError(
            "backend='jax' needs JAX: `pip install \"keras-hpn[jax]\"` (or "
            "`jax[cuda12]` for a GPU)."
        ) from error
    restarts, num_classes, dims = starts.shape
    block = blocks.block_rows(num_classes, 4 * num_classes * restarts)
    gradient = _gradient_function(jax, jnp, num_classes, block)

    def step(carry, inputs):
        points, first, second, best, best_value = carry
        beta, size = inputs
        grad, value = gradient(points, beta)
        better = value < best_value
        best = jnp.where(better[:, None, None], points, best)
        best_value = jnp.where(better, value, best_value)
        grad = grad - jnp.sum(grad * points, axis=2, keepdims=True) * points
        first = 0.9 * first + 0.1 * grad
        second = 0.99 * second + 0.01 * grad * grad
        points = points - size * first / (jnp.sqrt(second) + 1e-30)
        points = points / jnp.linalg.norm(points, axis=2, keepdims=True)
        return (points, first, second, best, best_value), value.min()

    run = jax.jit(lambda carry, inputs: jax.lax.scan(step, carry, inputs))
    # One inverse temperature per start and step.
    steps = schedule["step_sizes"].size
    betas = np.broadcast_to(
        schedule["betas"].reshape(steps, -1), (steps, restarts)
    ).astype(np.float32)
    points = jnp.asarray(starts, dtype=jnp.float32)
    carry = (
        points,
        jnp.zeros_like(points),
        jnp.zeros_like(points),
        points,
        jnp.full((restarts,), jnp.inf, dtype=jnp.float32),
    )
    sizes = schedule["step_sizes"].astype(np.float32)
    for begin in range(0, steps, CHUNK_STEPS):
        end = min(begin + CHUNK_STEPS, steps)
        carry, values = run(carry, (betas[begin:end], sizes[begin:end]))
        bar.update(end, f"largest cosine {float(values[-1]):.4f}")
    last, best = (np.asarray(carry[index], dtype=np.float64) for index in (0, 3))
    best /= np.linalg.norm(best, axis=2, keepdims=True)
    last /= np.linalg.norm(last, axis=2, keepdims=True)
    return best, last


def _gradient_function(jax, jnp, num_classes: int, block: int):
    """Gradient of the log-sum-exp and the largest cosine of a stack of sets."""
    columns = jnp.arange(num_classes)

    if block >= num_classes:

        def whole(points, beta):
            beta = jnp.broadcast_to(beta, (points.shape[0],))[:, None, None]
            gram = points @ jnp.swapaxes(points, 1, 2)
            gram = jnp.where(columns[:, None] == columns[None, :], -jnp.inf, gram)
            value = gram.max(axis=(1, 2))
            weights = jnp.exp(beta * (gram - value[:, None, None]))
            total = weights.sum(axis=(1, 2))
            return (2.0 / total)[:, None, None] * (weights @ points), value

        return whole

    count = -(-num_classes // block)

    def blocked(points, beta):
        beta = jnp.broadcast_to(beta, (points.shape[0],))
        padded = jnp.pad(points, ((0, 0), (0, count * block - num_classes), (0, 0)))
        transposed = jnp.swapaxes(points, 1, 2)

        def one(index):
            rows = jax.lax.dynamic_slice_in_dim(padded, index * block, block, axis=1)
            gram = rows @ transposed
            own = index * block + jnp.arange(block)
            gram = jnp.where(own[:, None] == columns[None, :], -jnp.inf, gram)
            row_max = gram.max(axis=2)
            weights = jnp.exp(beta[:, None, None] * (gram - row_max[..., None]))
            row_sum = weights.sum(axis=2)
            return (weights @ points) / row_sum[..., None], row_max, jnp.log(row_sum)

        row_grad, row_max, row_log = jax.lax.map(one, jnp.arange(count))
        # (count, R, block, ...) -> (R, K, ...), dropping the padding rows.
        row_grad = jnp.moveaxis(row_grad, 0, 1).reshape(
            points.shape[0], -1, points.shape[2]
        )
        row_max = jnp.moveaxis(row_max, 0, 1).reshape(points.shape[0], -1)
        row_log = jnp.moveaxis(row_log, 0, 1).reshape(points.shape[0], -1)
        row_grad, row_max, row_log = (
            row_grad[:, :num_classes],
            row_max[:, :num_classes],
            row_log[:, :num_classes],
        )
        # Softmax weight of each row in the global log-sum-exp.
        row_weight = jax.nn.softmax(beta[:, None] * row_max + row_log, axis=1)
        return 2.0 * row_weight[..., None] * row_grad, row_max.max(axis=1)

    return blocked
