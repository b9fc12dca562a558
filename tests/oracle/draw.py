"""Seeded random choices that stay the same on every Python version.

Python promises only that `random.Random(seed).random()` keeps its sequence across versions
(`randint`, `choice`, `shuffle` and `getrandbits` may change), so every choice here is made
from `random()` alone.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import TypeVar

T = TypeVar("T")


class Draw:
    """Random choices from one seed."""

    __slots__ = ("_random",)

    def __init__(self, seed: int) -> None:
        self._random = random.Random(seed).random

    def real(self) -> float:
        """A float in [0, 1)."""
        return self._random()

    def below(self, n: int) -> int:
        """An int in [0, n) (n < 2**53)."""
        return int(self._random() * n)

    def between(self, low: int, high: int) -> int:
        """An int in [low, high]."""
        return low + self.below(high - low + 1)

    def chance(self, p: float) -> bool:
        """True with probability p."""
        return self._random() < p

    def pick(self, items: Sequence[T]) -> T:
        """One item."""
        return items[self.below(len(items))]

    def weighted(self, items: Sequence[tuple[T, int]]) -> T:
        """One item, by integer weight."""
        point = self.below(sum(weight for _, weight in items))
        for item, weight in items:
            if point < weight:
                return item
            point -= weight
        raise AssertionError("unreachable")

    def bits(self, n: int) -> int:
        """A uniform n-bit int, built 32 bits at a time."""
        value = 0
        for _ in range((n + 31) // 32):
            value = (value << 32) | self.below(1 << 32)
        return value >> (-n % 32)

    def shuffled(self, items: Sequence[T]) -> list[T]:
        """A shuffled copy (Fisher-Yates)."""
        out = list(items)
        for i in range(len(out) - 1, 0, -1):
            j = self.below(i + 1)
            out[i], out[j] = out[j], out[i]
        return out

    def some(self, items: Sequence[T], k: int) -> list[T]:
        """k distinct items (by position), in draw order: the first k steps of a shuffle."""
        pool = list(items)
        k = min(k, len(pool))
        for i in range(k):
            j = i + self.below(len(pool) - i)
            pool[i], pool[j] = pool[j], pool[i]
        return pool[:k]
