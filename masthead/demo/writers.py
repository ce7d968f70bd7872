"""Writing the corpus from several processes at once, one channel per process at a time.

A channel's articles go out in the corpus's order, one batch at a time: its next batch is
submitted only once the previous one has returned (committed). So every channel's tree paths
and slugs are the ones a single writer gives, and two writers never wait on one channel's row.
Batches of different channels run side by side, each writer with its own database connection,
so the database server's share of the work (mostly `to_tsvector`) runs on every core too.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, wait
from typing import TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")


def batches_in_order(
    *,
    items: Iterable[tuple[Hashable, Item]],
    submit: Callable[[Hashable, list[Item]], Future[Result]],
    size: int,
    limit: int,
) -> Iterator[Result]:
    """Submit each key's items in batches of at most `size`, in order, with at most one batch
    of a key in flight; yield each batch's result as it completes. At most about `limit` items
    wait in memory: past it, the oldest work is awaited and short batches go out."""
    pending: dict[Hashable, list[Item]] = defaultdict(list)
    flight: dict[Future[Result], Hashable] = {}
    waiting = 0

    def launch(*, short: bool) -> None:
        nonlocal waiting
        busy = set(flight.values())
        for key, rows in pending.items():
            if key not in busy and rows and (short or len(rows) >= size):
                batch, pending[key] = rows[:size], rows[size:]
                waiting -= len(batch)
                flight[submit(key, batch)] = key

    def collect() -> list[Result]:
        finished, _ = wait(list(flight), return_when=FIRST_COMPLETED)
        for future in finished:
            del flight[future]
        return [future.result() for future in finished]

    for key, item in items:
        pending[key].append(item)
        waiting += 1
        if len(pending[key]) >= size:
            launch(short=False)
        while waiting > limit:
            if not flight:
                launch(short=True)
            yield from collect()
            launch(short=False)
    while waiting or flight:
        launch(short=True)
        yield from collect()
