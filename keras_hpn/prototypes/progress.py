"""A minimal text progress bar on stderr, so that long placements show life."""

from __future__ import annotations

import sys
import time
from typing import TextIO


class ProgressBar:
    """Draws `label [#####     ] 50% 12.3 s  value` on one stderr line.

    Args:
        total: number of steps the bar counts to.
        label: text printed before the bar.
        enabled: `False` makes every method a no-op.
        stream: where the bar is written; `sys.stderr` by default.
        width: number of characters inside the brackets.

    Example:

    ```python
    >>> bar = ProgressBar(10, "demo", enabled=False)
    >>> for step in range(10):
    ...     bar.update(step + 1, "")
    >>> bar.close()
    ```
    """

    def __init__(
        self,
        total: int,
        label: str,
        *,
        enabled: bool = True,
        stream: TextIO | None = None,
        width: int = 30,
    ) -> None:
        self.total = max(int(total), 1)
        self.label = label
        self.enabled = enabled
        self.stream = stream if stream is not None else sys.stderr
        self.width = width
        self.start = time.perf_counter()
        self._last_draw = -1.0

    def update(self, done: int, note: str = "") -> None:
        """Redraws the bar after `done` steps, at most ten times a second."""
        if not self.enabled:
            return
        now = time.perf_counter()
        if done < self.total and now - self._last_draw < 0.1:
            return
        self._last_draw = now
        filled = int(self.width * done / self.total)
        bar = "#" * filled + " " * (self.width - filled)
        percent = 100 * done // self.total
        elapsed = now - self.start
        self.stream.write(
            f"\r{self.label} [{bar}] {percent:3d}% {elapsed:7.1f} s  {note}"
        )
        self.stream.flush()

    def close(self) -> None:
        """Ends the bar's line."""
        if self.enabled:
            self.stream.write("\n")
            self.stream.flush()
