"""DNS served by Postwarden itself: the authoritative server for the Easy DKIM zone."""

from __future__ import annotations

from postwarden.dns.authority import DnsAuthority, Lookup

__all__ = ["DnsAuthority", "Lookup"]
