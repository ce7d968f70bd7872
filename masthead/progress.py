"""Progress of long commands: a tqdm bar on a terminal, plain periodic lines in a log file.

    with Progress(label="Articles", total=n, stream=self.stdout) as progress:
        for batch in batches:
            ...
            progress.advance(len(batch))

On a terminal the bar redraws in place. When the output is a file or a pipe (systemd, cron,
`make demo > log`), a line such as `Articles: 40,000/100,000 (40%), 1,850/s, ETA 32 s` is
written every `every` seconds and once at the end, so a log shows the command is alive.
"""

from __future__ import annotations

import time
from types import TracebackType
from typing import Any

from tqdm import tqdm


def duration(seconds: float) -> str:
    """ "42 s", "3 min 20 s", "1 h 05 min"."""
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60:02d} s"
    return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"


def progress_line(*, label: str, done: int, total: int | None, seconds: float) -> str:
    """One plain progress line: count, share, rate and the estimated time left."""
    rate = done / seconds if seconds > 0 else 0.0
    if total:
        left = (total - done) / rate if rate > 0 else None
        eta = f", ETA {duration(left)}" if left is not None and done < total else ""
        return f"{label}: {done:,}/{total:,} ({done * 100 // total}%), {rate:,.0f}/s{eta}"
    return f"{label}: {done:,}, {rate:,.0f}/s"


class Progress:
    """Counts units of work and reports them to `stream` (a file or Django's OutputWrapper)."""

    def __init__(
        self,
        *,
        label: str,
        total: int | None,
        stream: Any,
        every: float = 10.0,
        is_terminal: bool | None = None,
        started: float | None = None,
    ):
        self.label = label
        self.total = total
        self.stream = stream
        self.every = every
        self.done = 0
        # `started` (a time.monotonic() value) lets a stage count from where the last one ended.
        self.started = time.monotonic() if started is None else started
        self.last_line = time.monotonic()
        self.printed: int | None = None  # the count the last plain line showed
        terminal = stream.isatty() if is_terminal is None else is_terminal
        # Django's OutputWrapper forwards writes; tqdm wants the real file underneath.
        raw = getattr(stream, "_out", stream)
        self.bar = tqdm(total=total, desc=label, file=raw, unit=" items") if terminal else None

    def advance(self, count: int = 1) -> None:
        self.done += count
        if self.bar is not None:
            self.bar.update(count)
            return
        now = time.monotonic()
        if now - self.last_line >= self.every:
            self.last_line = now
            self._line(now)

    def write(self, line: str) -> None:
        """A message between progress updates (above the bar on a terminal)."""
        if self.bar is not None:
            self.bar.write(line, file=self.bar.fp)
        else:
            self.stream.write(line + "\n")

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
        elif self.printed != self.done:
            self._line(time.monotonic())

    def _line(self, now: float) -> None:
        line = progress_line(
            label=self.label, done=self.done, total=self.total, seconds=now - self.started
        )
        self.stream.write(line + "\n")
        self.stream.flush()
        self.printed = self.done

    def __enter__(self) -> Progress:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()


class StageProgress:
    """One progress bar (or series of plain lines) per stage of a rebuild."""

    def __init__(self, stream: Any):
        self.stream = stream
        self.stage: str | None = None
        self.current: Progress | None = None
        self.mark = time.monotonic()

    def __call__(self, stage: str, done: int, total: int) -> None:
        if stage != self.stage:
            self.close()
            self.stage = stage
            self.current = Progress(label=stage, total=total, stream=self.stream, started=self.mark)
        current = self.current
        assert current is not None  # set just above for a new stage
        current.advance(done - current.done)

    def close(self) -> None:
        if self.current is not None:
            self.current.close()
            self.current = None
            self.mark = time.monotonic()
