"""Every setting in one place: defaults here, overridden by a TOML file, overridden by POSTWARDEN_* variables.

`postwarden config` prints the effective values; docs/configuration.md is generated from this module.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import MISSING, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

DEFAULT_REGIONS = (
    "us-east-1,us-east-2,us-west-1,us-west-2,ca-central-1,sa-east-1,eu-west-1,eu-west-2,eu-west-3,"
    "eu-central-1,eu-north-1,eu-south-1,ap-south-1,ap-northeast-1,ap-northeast-2,ap-northeast-3,"
    "ap-southeast-1,ap-southeast-2,af-south-1,me-south-1,il-central-1"
)


def _setting(default: Any, doc: str) -> Any:
    return field(default=default, metadata={"doc": doc})


@dataclass(frozen=True)
class Settings:
    data_dir: Path = _setting(
        Path("postwarden-data"), "Directory for the SQLite database and the server key."
    )
    database_url: str = _setting(
        "", "SQLAlchemy URL. Empty: SQLite at DATA_DIR/postwarden.db. PostgreSQL: postgresql+psycopg://…"
    )
    http_host: str = _setting("127.0.0.1", "Address the SES API listens on.")
    http_port: int = _setting(8787, "Port the SES API listens on.")
    smtp_host: str = _setting("127.0.0.1", "Address the SES SMTP submission interface listens on.")
    smtp_port: int = _setting(2587, "SMTP submission port with STARTTLS (SES: 25, 587, 2587). 0: off.")
    smtps_port: int = _setting(2465, "SMTP submission port with implicit TLS (SES: 465, 2465). 0: off.")
    smtp_tls_cert: str = _setting(
        "", "PEM certificate (chain) for SMTP TLS. Empty: a self-signed one, DATA_DIR/smtp-cert.pem."
    )
    smtp_tls_key: str = _setting("", "PEM private key of SMTP_TLS_CERT. Empty: DATA_DIR/smtp-key.pem.")
    smtp_max_connections: int = _setting(200, "Open SMTP connections at once; more are refused with 421.")
    smtp_idle_timeout: float = _setting(300.0, "Seconds an SMTP client may stay silent before 451 and close.")
    relay: str = _setting(
        "", "host:port of a smarthost that receives all outbound mail. Empty: deliver by MX."
    )
    dns_resolver: str = _setting("", "host:port of the DNS resolver for MX look-ups. Empty: the system's.")
    outbound_smtp_port: int = _setting(
        25, "Port of the MX hosts that mail is delivered to (25 but in tests)."
    )
    public_url: str = _setting(
        "",
        "Base URL people reach the HTTP server at (verification links). Empty: http://HTTP_HOST:HTTP_PORT.",
    )
    verification_sender: str = _setting("", "From address of verification emails. Empty: no-reply@HOSTNAME.")
    dkim_zone: str = _setting(
        "dkim.postwarden.localhost",
        "Zone delegated to Postwarden for Easy DKIM: senders publish CNAMEs to <token>.DKIM_ZONE.",
    )
    mail_from_mx_host: str = _setting(
        "",
        "MX host a custom MAIL FROM domain must point to (the feedback MX). Empty: feedback-smtp.HOSTNAME.",
    )
    spf_include: str = _setting(
        "", "Domain a sender's SPF record includes to authorize Postwarden. Empty: spf.HOSTNAME."
    )
    sending_ips: str = _setting(
        "127.0.0.1", "Comma-separated public IPs mail leaves from (SPF checks, advice); set it in production."
    )
    dkim_key_cache_seconds: float = _setting(
        30.0,
        "How long a process caches DKIM keys (a key changed by another process is used after that).",
    )
    dns_server_host: str = _setting(
        "127.0.0.1", "Address of Postwarden's authoritative DNS server (DKIM zone)."
    )
    dns_server_port: int = _setting(5353, "Port of the authoritative DNS server (UDP and TCP); 0 = off.")
    verification_recheck_seconds: float = _setting(
        300.0, "How often each domain identity's DNS records are checked (pending and verified alike)."
    )
    verification_poll_seconds: float = _setting(5.0, "How often the verification checker looks for due work.")
    regions: str = _setting(DEFAULT_REGIONS, "Comma-separated regions that requests may be signed for.")
    hostname: str = _setting("postwarden.localhost", "This server's name: HELO, reporting MTA, Message-ID.")
    return_path_domain: str = _setting(
        "", "Domain of the VERP envelope senders (bounces come back here). Empty: bounces.HOSTNAME."
    )
    sandbox_max_24_hour_send: int = _setting(200, "Daily quota of an account in the sandbox.")
    sandbox_max_send_rate: float = _setting(1.0, "Recipients per second for an account in the sandbox.")
    production_max_24_hour_send: int = _setting(50_000, "Daily quota granted with production access.")
    production_max_send_rate: float = _setting(14.0, "Recipients per second granted with production access.")
    review_auto_grant: bool = _setting(
        False, "Grant production access at the recommended limits when every pre-review check passes."
    )
    review_check_website: bool = _setting(
        False, "Fetch a production access request's website URL (public addresses only) in the pre-review."
    )
    sandbox_after_shutdowns: int = _setting(
        0, "Return a region to the sandbox at its Nth reputation SHUTDOWN since production access; 0 = never."
    )
    admin_token: str = _setting(
        "", "Bearer token of the admin API (/admin/v1/...). Empty: the admin API is off (404)."
    )
    metrics_enabled: bool = _setting(
        True,
        "Serve Prometheus metrics at GET /metrics (false: 404). With ADMIN_TOKEN set, scrapes must send it "
        "as a bearer token; without one /metrics is open to whoever reaches HTTP_HOST:HTTP_PORT.",
    )
    rate_burst_seconds: float = _setting(1.0, "Token-bucket capacity, in seconds of the send rate.")
    retry_initial_seconds: float = _setting(60.0, "First retry delay after a temporary delivery failure.")
    retry_max_interval_seconds: float = _setting(3600.0, "Longest delay between two delivery attempts.")
    max_delivery_seconds: float = _setting(43_200.0, "Time after which an undelivered message bounces.")
    delivery_lease_seconds: float = _setting(300.0, "How long a claimed recipient is reserved for a worker.")
    delivery_enabled: bool = _setting(
        True, "Run delivery workers in this process (false: an API-only node; another node delivers)."
    )
    delivery_max_in_flight: int = _setting(512, "Delivery attempts in progress at once per process.")
    max_connections_per_destination: int = _setting(16, "SMTP connections at once to one destination.")
    sqlite_synchronous: str = _setting("FULL", "SQLite PRAGMA synchronous: FULL (durable) or NORMAL.")
    feedback_smtp_host: str = _setting("127.0.0.1", "Address of the inbound feedback MX (DSNs, complaints).")
    feedback_smtp_port: int = _setting(2525, "Port of the inbound feedback MX. 0: off.")
    feedback_extra_domains: str = _setting(
        "", "Comma-separated domains the feedback MX accepts besides RETURN_PATH_DOMAIN (custom MAIL FROMs)."
    )
    https_port: int = _setting(
        0, "Port of the SES API over HTTPS (same address as HTTP_HOST; certificate of SMTP_TLS_CERT). 0: off."
    )
    webhook_allow_private: bool = _setting(
        False,
        "Allow subscription endpoints and http(s) import sources on loopback and private addresses "
        "(for tests and closed networks).",
    )
    webhook_verify_tls: bool = _setting(
        True, "Verify the TLS certificates of https subscription endpoints and import sources."
    )
    webhook_timeout_seconds: float = _setting(15.0, "Time a subscriber has to answer one notification.")
    notification_retry_initial_seconds: float = _setting(20.0, "First retry delay of a failed notification.")
    notification_retry_max_interval_seconds: float = _setting(
        1800.0, "Longest delay between two attempts to deliver one notification."
    )
    notification_max_age_seconds: float = _setting(
        172_800.0, "How long a notification is retried before it is dropped (and logged) as expired."
    )
    notification_max_in_flight: int = _setting(64, "Notifications being POSTed at once per process.")
    reputation_minimum_volume: int = _setting(
        200, "Eligible messages an account must have sent before its bounce or complaint rate is judged."
    )
    reputation_maximum_volume: int = _setting(
        100_000, "The most eligible messages a rate is measured over (the newest ones)."
    )
    reputation_representative_days: float = _setting(
        30.0, "Rates are measured over this many days of the account's typical volume (within the bounds)."
    )
    bounce_review_rate: float = _setting(0.05, "Bounce rate that puts an account under review (PROBATION).")
    bounce_pause_rate: float = _setting(0.10, "Bounce rate that pauses an account's sending (SHUTDOWN).")
    complaint_review_rate: float = _setting(0.001, "Complaint rate that puts an account under review.")
    complaint_pause_rate: float = _setting(0.005, "Complaint rate that pauses an account's sending.")
    review_period_seconds: float = _setting(
        604_800.0, "How long an account stays under review before it is paused if its rate has not recovered."
    )
    feedback_loop_domains: str = _setting(
        "yahoo.com,aol.com,hotmail.com,outlook.com,live.com,msn.com,comcast.net,att.net,verizon.net,"
        "mail.ru,yandex.ru,gmx.net,web.de,seznam.cz,rambler.ru,rr.com,cox.net",
        "Recipient domains whose mailbox providers send complaint feedback (the complaint rate's "
        "denominator); `*` counts every domain.",
    )
    quota_growth_near_fraction: float = _setting(
        0.80,
        "A day counts toward an automatic increase when SentLast24Hours reached this share of the quota.",
    )
    quota_growth_days: int = _setting(3, "Days near the quota, out of the last 7, that earn an increase.")
    quota_growth_quota_step: float = _setting(2.0, "Factor an automatic increase applies to Max24HourSend.")
    quota_growth_rate_step: float = _setting(1.5, "Factor an automatic increase applies to MaxSendRate.")
    quota_growth_max_24_hour_send: int = _setting(1_000_000, "Automatic increases stop at this daily quota.")
    quota_growth_max_send_rate: float = _setting(200.0, "Automatic increases stop at this sending rate.")
    reputation_sweep_seconds: float = _setting(
        60.0, "How often review periods are checked and quotas reviewed."
    )
    operator_notice_address: str = _setting(
        "", "An operator address that gets a copy of every notice sent to accounts (empty: none)."
    )
    import_allowed_dir: str = _setting(
        "", "Directory whose files CreateImportJob may read as file:// URLs. Empty: DATA_DIR/imports."
    )
    secret_key: str = _setting(
        "", "Fernet key for secrets at rest. Empty: DATA_DIR/server.key, created once."
    )
    log_level: str = _setting("INFO", "Logging level.")

    @property
    def effective_database_url(self) -> str:
        return self.database_url or f"sqlite:///{(self.data_dir / 'postwarden.db').resolve()}"

    @property
    def effective_mail_from_mx_host(self) -> str:
        return self.mail_from_mx_host or f"feedback-smtp.{self.hostname}"

    @property
    def effective_spf_include(self) -> str:
        return self.spf_include or f"spf.{self.hostname}"

    @property
    def effective_public_url(self) -> str:
        return self.public_url or f"http://{self.http_host}:{self.http_port}"

    @property
    def effective_verification_sender(self) -> str:
        return self.verification_sender or f"no-reply@{self.hostname}"

    @property
    def effective_return_path_domain(self) -> str:
        return self.return_path_domain or f"bounces.{self.hostname}"

    @property
    def feedback_domain_set(self) -> frozenset[str]:
        return frozenset(d.strip().lower() for d in self.feedback_loop_domains.split(",") if d.strip())

    @property
    def effective_import_allowed_dir(self) -> Path:
        return Path(self.import_allowed_dir) if self.import_allowed_dir else self.data_dir / "imports"

    @property
    def region_list(self) -> frozenset[str]:
        return frozenset(r.strip() for r in self.regions.split(",") if r.strip())

    @classmethod
    def load(cls, config_file: Path | None = None, environ: Mapping[str, str] | None = None) -> Settings:
        environ = os.environ if environ is None else environ
        settings = cls()
        path = config_file or (
            Path(environ["POSTWARDEN_CONFIG"]) if environ.get("POSTWARDEN_CONFIG") else None
        )
        if path is not None:
            with path.open("rb") as handle:
                settings = settings.merged(tomllib.load(handle), source=str(path))
        from_env = {
            f.name: environ[f"POSTWARDEN_{f.name.upper()}"]
            for f in fields(cls)
            if f"POSTWARDEN_{f.name.upper()}" in environ
        }
        return settings.merged(from_env, source="environment")

    def merged(self, values: Mapping[str, Any], *, source: str) -> Settings:
        known = {f.name: f for f in fields(self)}
        changes: dict[str, Any] = {}
        for name, raw in values.items():
            if name not in known:
                raise ValueError(f"unknown setting {name!r} in {source}")
            default = known[name].default
            assert default is not MISSING
            changes[name] = _convert(type(default), raw, name, source)
        return replace(self, **changes)

    def as_dict(self, *, reveal_secrets: bool = False) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name in {"secret_key", "admin_token"} and value and not reveal_secrets:
                value = "***"
            out[f.name] = str(value) if isinstance(value, Path) else value
        return out


def _convert(kind: type, raw: Any, name: str, source: str) -> Any:
    try:
        if kind is bool:
            return raw if isinstance(raw, bool) else str(raw).lower() in {"1", "true", "yes", "on"}
        if kind is Path:
            return Path(str(raw))
        return kind(raw)
    except (TypeError, ValueError) as error:
        raise ValueError(f"setting {name!r} from {source}: cannot read {raw!r} as {kind.__name__}") from error


def documentation() -> str:
    """The settings reference as Markdown (docs/configuration.md)."""
    lines = [
        "# Configuration",
        "",
        "Settings are read, in increasing priority, from the defaults below, a TOML file (`--config FILE` or",
        "`POSTWARDEN_CONFIG`; keys are the names below), and environment variables `POSTWARDEN_<NAME>`.",
        "`postwarden config --json` prints the effective values.",
        "",
        "| setting | environment variable | default | meaning |",
        "|---|---|---|---|",
    ]
    for f in fields(Settings):
        default = f.default if f.name != "regions" else "all public SES regions"
        lines.append(f"| `{f.name}` | `POSTWARDEN_{f.name.upper()}` | `{default}` | {f.metadata['doc']} |")
    return "\n".join(lines) + "\n"
