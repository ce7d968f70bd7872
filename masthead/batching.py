"""Collecting work inside a block so that the outermost block does it once."""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TypeVar

C = TypeVar("C")


@contextmanager
def collected(var: ContextVar[C | None], new: Callable[[], C]) -> Iterator[C | None]:
    """Inside the block, `var` holds a fresh collection, yielded to the block; a block nested in
    another gets None (its outer block collects everything and acts once, as it ends)."""
    if var.get() is not None:
        yield None
        return
    items = new()
    token = var.set(items)
    try:
        yield items
    finally:
        var.reset(token)
