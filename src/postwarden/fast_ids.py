"""Random UUID strings for identifiers that must be unique but need not be secret (message ids, event
ids, request ids, lease tokens): four times cheaper than `uuid.uuid4()`, which asks the kernel for
randomness on every call. Anything an attacker must not guess (links, tokens) uses `secrets` instead."""

from __future__ import annotations

import random
from functools import lru_cache

_VERSION_MASK = ~(0xF000 << 64) & ~(0xC000 << 48)
_VERSION_BITS = (0x4000 << 64) | (0x8000 << 48)


@lru_cache(maxsize=1)
def _generator() -> random.Random:
    return random.Random()  # seeded from os.urandom once, on first use


def random_uuid() -> str:
    """A version-4 UUID in its usual text form."""
    text = "%032x" % (_generator().getrandbits(128) & _VERSION_MASK | _VERSION_BITS)
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"
