"""Batches of one channel go out in order and never two at once; batches of different channels
run side by side."""

import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor

import pytest

from masthead.demo.writers import batches_in_order


class Recorder:
    """A writer pool of threads that notes what each key received and what ran at once."""

    def __init__(self, workers: int) -> None:
        self.pool = ThreadPoolExecutor(workers)
        self.lock = threading.Lock()
        self.running: list[str] = []
        self.overlaps: list[tuple[str, ...]] = []
        self.received: dict[str, list[int]] = {}

    def submit(self, key: str, batch: list[int]) -> Future[int]:
        return self.pool.submit(self.write, key, batch)

    def write(self, key: str, batch: list[int]) -> int:
        with self.lock:
            self.running.append(key)
            self.overlaps.append(tuple(self.running))
        time.sleep(0.002)
        with self.lock:
            self.received.setdefault(key, []).extend(batch)
            self.running.remove(key)
        return len(batch)


def items(count: int, keys: str) -> list[tuple[str, int]]:
    return [(keys[(n * 7 + n // 3) % len(keys)], n) for n in range(count)]


@pytest.mark.parametrize(("size", "limit"), [(5, 40), (5, 3), (1, 1), (50, 1000)])
def test_each_key_receives_its_items_in_order_and_every_item_once(size, limit):
    recorder = Recorder(workers=3)
    given = items(400, "abcdefg")
    results = list(batches_in_order(items=given, submit=recorder.submit, size=size, limit=limit))
    assert sum(results) == len(given)
    for key, received in recorder.received.items():
        assert received == [n for k, n in given if k == key]
    assert max(results) <= size


def test_a_key_never_has_two_batches_in_flight_while_other_keys_run_beside_it():
    recorder = Recorder(workers=4)
    list(batches_in_order(items=items(600, "abcd"), submit=recorder.submit, size=4, limit=64))
    assert all(len(set(running)) == len(running) for running in recorder.overlaps)
    assert max(len(running) for running in recorder.overlaps) > 1


def test_items_waiting_stay_near_the_limit_when_the_writers_are_slow():
    waiting_seen = []
    recorder = Recorder(workers=1)
    fed = 0

    def feed():
        nonlocal fed
        for item in items(300, "abc"):
            fed += 1
            waiting_seen.append(fed - sum(len(v) for v in recorder.received.values()))
            yield item

    list(batches_in_order(items=feed(), submit=recorder.submit, size=10, limit=30))
    # At most `limit` waiting, plus one batch in flight per key and the item just read.
    assert max(waiting_seen) <= 30 + 3 * 10 + 1
