"""Configuration sets: named groups of sending rules a message can name (SES's ConfigurationSetName)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from postwarden.domain.decision import Decision, Rule
from postwarden.domain.suppression import SuppressionReason


@dataclass(frozen=True, slots=True)
class ConfigurationSet:
    account_id: str
    region: str
    name: str
    created_at: float
    sending_enabled: bool = True
    tls_policy: str = "OPTIONAL"  # REQUIRE: deliver only over TLS
    max_delivery_seconds: int | None = None
    tags: Mapping[str, str] = field(default_factory=dict)
    reputation_metrics_enabled: bool = False
    last_fresh_start: float | None = None
    suppressed_reasons: frozenset[SuppressionReason] | None = None
    """The account's reasons are used when None (SES: no SuppressionOptions on the set)."""
    tracking_domain: str | None = None
    """CustomRedirectDomain of the open and click links (Postwarden's public URL when None)."""
    https_policy: str = "OPTIONAL"
    """REQUIRE, REQUIRE_OPEN_ONLY or OPTIONAL: whether tracking links use https."""


def check(name: str | None, found: ConfigurationSet | None) -> Decision:
    """A message naming a configuration set needs it to exist and to have sending enabled."""
    if name is None:
        return Decision.allow()
    if found is None:
        return Decision.refuse(
            Rule.CONFIGURATION_SET_NOT_FOUND,
            f"Configuration set <{name}> does not exist.",
            f"the message names configuration set {name}, which this account does not have in this region",
        )
    if not found.sending_enabled:
        return Decision.refuse(
            Rule.CONFIGURATION_SET_PAUSED,
            f"Sending is paused for configuration set <{name}>.",
            f"sending was disabled for configuration set {name} (PutConfigurationSetSendingOptions or "
            "UpdateConfigurationSetSendingEnabled); enable it again with the same call",
        )
    return Decision.allow()
