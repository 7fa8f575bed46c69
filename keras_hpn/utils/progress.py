"""The one progress printer of keras-hpn, for terminals and for logs.

On a terminal a bar is redrawn in place (`\\r`) at most ten times a second.
When the stream is not a terminal (CI, `| tee`, a notebook's log), a `\\r`
frame would pile up into one endless line, so the bar writes a whole line
only each time another tenth of the work is done, as Keras' `Progbar` and
`tqdm` keep logs sparse. `step` prints one line per finished unit of work
(the benchmark's runs).
"""

from __future__ import annotations

import sys
import time
from typing import TextIO


class ProgressBar:
    """Draws `label [#####     ] 50% 12.3 s  note`, in place or as sparse lines.

    Args:
        total: number of steps the bar counts to.
        label: text printed before the bar.
        enabled: `False` makes every method a no-op.
        stream: where the bar is written; `sys.stderr` by default.
        width: number of characters inside the brackets.

    Example:

    ```python
    >>> import io
    >>> log = io.StringIO()  # not a terminal: a line per tenth, no \\r
    >>> bar = ProgressBar(100, "demo", stream=log)
    >>> for step in range(100):
    ...     bar.update(step + 1)
    >>> bar.close()
    >>> len(log.getvalue().splitlines()), "\\r" in log.getvalue()
    (10, False)
    >>> lines = ProgressBar(3, "runs", stream=log)
    >>> lines.step("first run: 0.91")
    >>> log.getvalue().splitlines()[-1]
    '[  1/3]      0 s  first run: 0.91'
    ```
    """

    def __init__(
        self,
        total: int,
        label: str = "",
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
        self.done = 0
        self._last_draw = -1.0
        self._last_tenth = 0
        self._open_line = False
        isatty = getattr(self.stream, "isatty", None)
        self.terminal = bool(isatty and isatty())

    def update(self, done: int, note: str = "") -> None:
        """Shows the bar after `done` of `total` steps."""
        if not self.enabled:
            return
        self.done = done
        now = time.perf_counter()
        if self.terminal:
            if done < self.total and now - self._last_draw < 0.1:
                return
            self._last_draw = now
            self.stream.write("\r" + self._frame(done, now, note))
            self._open_line = True
        else:
            tenth = 10 * done // self.total
            if tenth <= self._last_tenth:
                return
            self._last_tenth = tenth
            self.stream.write(self._frame(done, now, note) + "\n")
        self.stream.flush()

    def step(self, text: str) -> None:
        """Counts one finished unit of work and prints a line about it."""
        self.done += 1
        if not self.enabled:
            return
        elapsed = time.perf_counter() - self.start
        self.stream.write(f"[{self.done:>3}/{self.total}] {elapsed:6.0f} s  {text}\n")
        self.stream.flush()

    def close(self) -> None:
        """Ends the bar's line on a terminal."""
        if self.enabled and self._open_line:
            self.stream.write("\n")
            self.stream.flush()
            self._open_line = False

    def _frame(self, done: int, now: float, note: str) -> str:
        filled = int(self.width * done / self.total)
        bar = "#" * filled + " " * (self.width - filled)
        percent = 100 * done // self.total
        return f"{self.label} [{bar}] {percent:3d}% {now - self.start:7.1f} s  {note}"
