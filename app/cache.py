"""Pages many people read alike, rendered once: the public notice's published facts and activity table.

An entry's key is made of the database state it was rendered from, read by the request that asks for it: the offering,
the notice version, the offering's published version (a publish makes a new one), each activity's places left (an
allocation, a withdrawal or an offer changes them) and the language. A publish or an allocation therefore shows at once,
on this web node and on every other one sharing the database: no node can serve an entry made from older data, and
nothing needs to be told to forget anything. Entries live in each app (a bounded least-recently-used map per process):
a node that has not rendered a key yet renders it once itself.
"""

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable

MAX_ENTRIES = 512  # a county's open offerings × languages × places states seen lately; older keys are dropped


class RenderCache:
    """A bounded map from a key made of the data to what was rendered from it."""

    def __init__(self, size: int = MAX_ENTRIES) -> None:
        self.size = size
        self.entries: OrderedDict[Hashable, str] = OrderedDict()
        self.lock = threading.Lock()
        self.hits = self.misses = 0

    def get(self, key: Hashable, render: Callable[[], str]) -> str:
        """The entry for the key, rendering it (outside the lock) when this process has not yet."""
        with self.lock:
            if key in self.entries:
                self.entries.move_to_end(key)
                self.hits += 1
                return self.entries[key]
        value = render()
        with self.lock:
            self.misses += 1
            self.entries[key] = value
            while len(self.entries) > self.size:
                self.entries.popitem(last=False)
        return value

    def clear(self) -> None:
        with self.lock:
            self.entries.clear()


def notices() -> RenderCache:
    """This app's cache of rendered notices (one per app, as each web node has its own)."""
    from flask import current_app

    return current_app.extensions.setdefault("notice_cache", RenderCache())
