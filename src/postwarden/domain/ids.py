"""SES-shaped message identifiers: 4 hex of region, 12 hex of epoch milliseconds, a UUID, `-000000`."""

from __future__ import annotations

import zlib

_REGION_PREFIX = {"us-east-1": "0100", "eu-west-1": "0102"}


def region_prefix(region: str) -> str:
    """The two prefixes seen in real SES ids, and a stable made-up one for every other region."""
    known = _REGION_PREFIX.get(region)
    if known is not None:
        return known
    return f"01{zlib.crc32(region.encode()) % 0xF0 + 0x10:02x}"


def message_id(region: str, epoch_ms: int, unique: str) -> str:
    """`unique` is a UUID string supplied by the caller (the domain generates no randomness)."""
    return f"{region_prefix(region)}{epoch_ms & 0xFFFFFFFFFFFF:012x}-{unique}-000000"
