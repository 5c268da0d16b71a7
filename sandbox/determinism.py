"""Stable randomness: every random draw in the sandbox goes through here.

The world is computed lazily, piece by piece, possibly in another process or on
another day. A piece must therefore come out identical whatever was computed
before it, which rules out a shared random stream and Python's salted `hash()`.
Each piece instead gets its own `random.Random` seeded from a SHA-256 digest of
the names that identify it, e.g. `rng(seed, "post", "region_main", 1234)`.
"""

from __future__ import annotations

import hashlib
import random

_SEPARATOR = "\x1f"  # ASCII unit separator: cannot appear in the parts we hash


def stable_int(*parts: object) -> int:
    """64-bit integer derived from `parts`, identical on every run and machine."""
    text = _SEPARATOR.join(str(part) for part in parts)
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big")


def rng(*parts: object) -> random.Random:
    """A fresh generator owned by the piece of world named by `parts`."""
    return random.Random(stable_int(*parts))


def weighted_choice(generator: random.Random, weights: dict[str, float]) -> str:
    """Pick a key of `weights` with probability proportional to its value.

    Keys are visited in sorted order so the outcome does not depend on the order
    in which a mapping literal happened to be written.
    """
    keys = sorted(weights)
    return generator.choices(keys, weights=[weights[k] for k in keys], k=1)[0]
