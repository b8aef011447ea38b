"""A small bounded, thread-safe memo for pure computations shared by the app's session threads."""
from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import TypeVar

T = TypeVar("T")


class BoundedCache:
    """Remember up to max_entries results by key, least recently used dropped first; safe across threads.

    Two threads asking for the same missing key may both compute it (the result is the same; the later one is
    kept): computations are pure, so this costs time, never correctness. Keys must identify the inputs whole
    (e.g. a hash of every coordinate), never a data set's name alone.
    """

    def __init__(self, max_entries: int):
        if max_entries < 1:
            raise ValueError(f"max_entries must be at least 1, got {max_entries}")
        self.max_entries = max_entries
        self._items: OrderedDict[Hashable, object] = OrderedDict()
        self._lock = threading.Lock()
        self.builds = 0  # how many times a value was computed (tests count cache misses with it)

    def get_or_make(self, key: Hashable, make: Callable[[], T]) -> T:
        """Return the value remembered for key, computing and remembering it with make() when missing."""
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]  # type: ignore[return-value]
        value = make()
        with self._lock:
            self.builds += 1
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.max_entries:
                self._items.popitem(last=False)
        return value

    def __contains__(self, key: Hashable) -> bool:
        with self._lock:
            return key in self._items

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)

    def clear(self) -> None:
        """Forget everything."""
        with self._lock:
            self._items.clear()
