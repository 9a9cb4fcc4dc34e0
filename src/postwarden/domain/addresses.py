"""The little the domain needs to know about an email address."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class EmailAddress:
    """An address as the sender gave it (`original`, display name included) and its bare addr-spec."""

    addr_spec: str
    original: str = ""

    @property
    def domain(self) -> str:
        return self.addr_spec.rpartition("@")[2].lower()

    @property
    def local_part(self) -> str:
        return self.addr_spec.rpartition("@")[0]

    @property
    def shown(self) -> str:
        return self.original or self.addr_spec

    @classmethod
    def of(cls, addr_spec: str, original: str = "") -> EmailAddress:
        return cls(addr_spec, original or addr_spec)


def parent_domains(domain: str) -> list[str]:
    """`a.b.example.com` → [`a.b.example.com`, `b.example.com`, `example.com`, `com`]."""
    labels = domain.lower().strip(".").split(".")
    return [".".join(labels[i:]) for i in range(len(labels))]
