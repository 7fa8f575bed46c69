"""The resources work may take: the block size shared by every chunked
computation, the CPU cores of the process, and the up-front refusal of what
would not fit in memory or would run longer than allowed."""

from __future__ import annotations

import os

# Bytes of one block of pairwise cosines or scores: large enough for BLAS to
# run at full speed, small enough that K x K or batch x K never materialises.
BLOCK_BYTES = 64 * 2**20
# Classes scored at once by metrics, layers and decoders: bounds the batch x
# classes score block (1,024 x 8,192 float32 = 32 MB) whatever the classes.
CLASS_CHUNK = 8192


def available_memory() -> int | None:
    """Bytes of memory the process can still get, or `None` where unknown.

    Reads `MemAvailable` from `/proc/meminfo` (Linux), else asks
    `os.sysconf` for the available physical pages.

    Returns:
        The number of bytes, or `None`.

    Example:

    ```python
    >>> available_memory() is None or available_memory() > 0
    True
    ```
    """
    try:
        with open("/proc/meminfo", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):
        return None


def check_memory(needed: float, what: str, instead: str = "") -> None:
    """Refuses up front a computation that would not fit in memory.

    Args:
        needed: estimated peak bytes of the computation.
        what: the computation and its sizes, for the message (e.g.
            `"placing num_classes=10000000 prototypes in dims=256"`).
        instead: what to use instead, for the message.

    Raises:
        ValueError: with the estimate and the memory available, when the
            estimate exceeds what is available.

    Example:

    ```python
    >>> check_memory(1e3, "a tiny placement")  # fits: no error
    ```
    """
    available = available_memory()
    if available is not None and needed > available:
        raise ValueError(
            f"{what} needs about {needed / 2**30:.1f} GiB of memory, but only "
            f"{available / 2**30:.1f} GiB is available. "
            + (
                f"Use {instead} instead."
                if instead
                else "Use fewer classes or dimensions, or a machine with more memory."
            )
        )


def workers() -> int:
    """Number of CPU cores this process may use (the size of the thread pool).

    Returns:
        At least 1.

    Example:

    ```python
    >>> workers() >= 1
    True
    ```
    """
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def check_time(
    seconds: float, max_seconds: float | None, what: str, instead: str = ""
) -> None:
    """Refuses up front a computation estimated to run longer than allowed.

    Args:
        seconds: estimated running time of the computation.
        max_seconds: the limit (see `check_max_seconds`); `None`: no limit.
        what: the computation and its sizes, for the message.
        instead: what to use instead, for the message.

    Raises:
        ValueError: with the estimate and the limit, when the estimate
            exceeds the limit.

    Example:

    ```python
    >>> check_time(5.0, 3600.0, "a tiny placement")  # fits: no error
    ```
    """
    if max_seconds is not None and seconds > max_seconds:
        raise ValueError(
            f"{what} would take about {duration(seconds)} on a CPU (estimated), "
            f"more than max_seconds={max_seconds:g}. "
            + (f"Use {instead} instead, " if instead else "Use fewer classes, ")
            + "or pass a larger max_seconds (None: no limit) to run it anyway."
        )


def duration(seconds: float) -> str:
    """A duration in words, rounded: `"12 s"`, `"4.5 minutes"`, `"23 days"`.

    Args:
        seconds: the duration.

    Returns:
        The text.

    Example:

    ```python
    >>> duration(12.3), duration(270), duration(2e6)
    ('12 s', '4.5 minutes', '23 days')
    ```
    """
    for unit, size in (("days", 86400.0), ("hours", 3600.0), ("minutes", 60.0)):
        value = seconds / size
        if value >= 1:
            return f"{value:.0f} {unit}" if value >= 10 else f"{value:.1f} {unit}"
    return f"{seconds:.0f} s"
