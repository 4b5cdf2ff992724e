"""Where a card's entry sits in its scheme's status list: at random, never at its serial.

A list whose entry ``i`` is the card with serial ``i`` tells anyone who downloads it which card
numbers are revoked or suspended. So, as the W3C Bitstring Status List asks, each card is given
an entry drawn at random among the list's unused ones; the list reveals which entries are set,
never whose they are. An entry belongs to one card for good (it is never drawn again), and a
card gets a new one when it is reissued (renewed; a replacement is a new card with its own),
while the old one keeps saying the card's state until the old credential's expiry.

The list stays sparse, so that a draw is quick and an entry says little: it has at least
MIN_STATUS_ENTRIES entries, a power of two, and doubles when more than half would be taken.

Pure: the random bytes come from the caller (``os.urandom`` in production), read in chunks so
that drawing millions of entries for a seed costs a few system calls, not millions.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Protocol

from skillcard.domain.trust import MIN_STATUS_ENTRIES
from skillcard.errors import InvalidInput

MAX_STATUS_ENTRIES = 2**24  # 2 MiB a plane; 8 million cards in one scheme at half full
_CHUNK = 4096  # candidates drawn at a time (4 bytes each)


class RandomBytes(Protocol):
    def __call__(self, n: int, /) -> bytes: ...


def entries_for(allocated: int, entries: int = MIN_STATUS_ENTRIES) -> int:
    """The size of a list holding ``allocated`` entries: ``entries`` (or the floor), doubled
    until no more than half of it is taken."""
    entries = max(entries, MIN_STATUS_ENTRIES)
    if entries & (entries - 1):
        raise InvalidInput(f"a status list's size is a power of two, not {entries}")
    while allocated * 2 > entries:
        entries *= 2
    if entries > MAX_STATUS_ENTRIES:
        raise InvalidInput(f"a scheme's status list cannot hold more than {MAX_STATUS_ENTRIES}")
    return entries


class IndexSpace:
    """A scheme's list while entries are drawn in it: its size, and every entry taken.

    :meth:`draw` gives an unused entry, uniformly at random among the unused ones, and counts
    it taken, doubling the list first if it would be more than half full. ``taken`` is the
    caller's set, updated in place.
    """

    def __init__(self, entries: int, taken: set[int], random_bytes: RandomBytes) -> None:
        self.taken = taken
        self.entries = entries_for(len(taken), entries)
        self._random_bytes = random_bytes
        self._candidates: Iterator[int] = iter(())

    def reserve(self, more: int) -> None:
        """Size the list now for ``more`` entries to come, so that they are spread over the
        whole of it rather than the first half drawn before it doubles."""
        self.entries = entries_for(len(self.taken) + more, self.entries)

    def draw(self) -> int:
        if (len(self.taken) + 1) * 2 > self.entries:
            self.entries = entries_for(len(self.taken) + 1, self.entries)
            self._candidates = iter(())  # drawn for the smaller list
        taken = self.taken
        for index in self._candidates:
            if index not in taken:
                taken.add(index)
                return index
        self._candidates = self._chunk()
        return self.draw()

    def _chunk(self) -> Iterator[int]:
        # A size that is a power of two: masking 32 random bits is exactly uniform.
        mask = self.entries - 1
        return (word & mask for word in memoryview(self._random_bytes(4 * _CHUNK)).cast("I"))


def draw_indexes(
    count: int, entries: int, taken: set[int], random_bytes: Callable[[int], bytes]
) -> tuple[list[int], int]:
    """``count`` unused entries drawn at random (added to ``taken``), and the list's size
    once they are in."""
    space = IndexSpace(entries, taken, random_bytes)
    space.reserve(count)
    return [space.draw() for _ in range(count)], space.entries
