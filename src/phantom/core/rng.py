"""Seeded randomness. Every random draw in phantom comes from a named stream of one seed.

Streams are derived by name, so adding a new stream never shifts the draws of another: the same
seed and data give the same trades, bit for bit.
"""

from __future__ import annotations

import hashlib
import random


def derive_seed(seed: int, name: str) -> int:
    digest = hashlib.blake2b(f"{seed}:{name}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big")


class SeededRng:
    def __init__(self, seed: int, name: str = "root") -> None:
        self.seed = seed
        self.name = name
        self._random = random.Random(derive_seed(seed, name))

    def stream(self, name: str) -> SeededRng:
        """An independent stream for one purpose (e.g. ``"latency"``)."""
        return SeededRng(self.seed, f"{self.name}/{name}")

    def random(self) -> float:
        return self._random.random()

    def uniform(self, low: float, high: float) -> float:
        # random.Random.uniform's own formula, without its extra Python-level call
        return low + (high - low) * self._random.random()

    def randint(self, low: int, high: int) -> int:
        return self._random.randint(low, high)

    def gauss(self, mu: float, sigma: float) -> float:
        return self._random.gauss(mu, sigma)

    def chance(self, probability: float) -> bool:
        """True with the given probability (0..1)."""
        return self._random.random() < probability

    def choice_index(self, n: int) -> int:
        return self._random.randrange(n)
