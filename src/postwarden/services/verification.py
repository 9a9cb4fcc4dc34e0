"""The background check that moves domain identities through PENDING → SUCCESS | FAILED by DNS.

For each domain identity due a check: the three Easy DKIM CNAMEs (`<token>._domainkey.<domain>` →
`<token>.<zone>`), or the sender's own DKIM TXT for bring-your-own keys, and the legacy `_amazonses` TXT
token. The pure `assess` decides the new status; the result is recorded with SES's VerificationInfo.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from postwarden.domain.identities import IdentityType, VerificationStatus
from postwarden.domain.verification import CheckState, DnsEvidence, assess
from postwarden.ports import Clock, DkimKey, DnsRecords, Identity, Store, VerificationUpdate

log = logging.getLogger("postwarden.verification")


@dataclass(frozen=True, slots=True)
class VerificationSettings:
    dkim_zone: str
    mail_from_mx_host: str = ""
    spf_include: str = ""
    recheck_seconds: float = 300.0
    poll_seconds: float = 5.0
    give_up_seconds: float = 72 * 3600
    batch: int = 100


class VerificationChecker:
    def __init__(self, store: Store, dns: DnsRecords, clock: Clock, settings: VerificationSettings) -> None:
        self._store = store
        self._dns = dns
        self._clock = clock
        self._settings = settings
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._task = asyncio.create_task(self._loop(), name="postwarden-verification")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def _loop(self) -> None:
        while True:
            try:
                await self.check_due()
            except Exception:  # keep checking; the next round retries
                log.exception("verification round failed")
            await asyncio.sleep(self._settings.poll_seconds)

    async def check_due(self) -> int:
        now = self._clock.now()
        due, keys = await asyncio.to_thread(self._load_due, now - self._settings.recheck_seconds)
        if not due:
            return 0
        evidence = await asyncio.gather(*(self.evidence(i, keys.get(i.name, [])) for i in due))
        mail_from = await asyncio.gather(*(self.mail_from_status(i) for i in due))
        now = self._clock.now()
        updates = [
            self._update(identity, found, now, mail)
            for identity, found, mail in zip(due, evidence, mail_from, strict=True)
        ]
        await asyncio.to_thread(self._record, updates)
        return len(updates)

    def _load_due(self, checked_before: float) -> tuple[list[Identity], dict[str, list[DkimKey]]]:
        with self._store.read() as tx:
            due = tx.identities.due_for_check(checked_before, self._settings.batch)
            keys = {i.name: tx.dkim.for_identity(i.account_id, i.region, i.name) for i in due}
        return due, keys

    async def evidence(self, identity: Identity, keys: list[DkimKey]) -> DnsEvidence:
        domain = identity.name
        errors: list[str] = []
        temporary = False
        found = 0
        if identity.dkim_origin == "EXTERNAL":
            expected = len(keys)
            for key in keys:
                answer = await self._dns.lookup(f"{key.selector}._domainkey.{domain}", "TXT")
                temporary |= answer.status == "error"
                if any(f"p={key.public_key}" in value.replace(" ", "") for value in answer.values):
                    found += 1
                else:
                    errors.append(_missing(answer.status, bool(answer.values)))
        else:
            expected = len(identity.dkim_tokens)
            for token in identity.dkim_tokens:
                answer = await self._dns.lookup(f"{token}._domainkey.{domain}", "CNAME")
                temporary |= answer.status == "error"
                if f"{token}.{self._settings.dkim_zone}".lower() in answer.values:
                    found += 1
                else:
                    errors.append(_missing(answer.status, bool(answer.values)))
        txt_found = False
        if identity.verification_token:
            answer = await self._dns.lookup(f"_amazonses.{domain}", "TXT")
            txt_found = identity.verification_token in answer.values
        return DnsEvidence(found, expected, txt_found, errors[0] if errors else None, temporary)

    async def mail_from_status(self, identity: Identity) -> VerificationStatus | None:
        """A custom MAIL FROM domain needs an MX to the feedback host and an SPF record authorizing us."""
        domain = identity.mail_from_domain
        if not domain:
            return None
        mx, txt = await asyncio.gather(self._dns.lookup(domain, "MX"), self._dns.lookup(domain, "TXT"))
        if "error" in (mx.status, txt.status):
            return VerificationStatus.TEMPORARY_FAILURE
        host = self._settings.mail_from_mx_host.lower().rstrip(".")
        mx_ok = any(value.split()[-1].rstrip(".").lower() == host for value in mx.values)
        include = f"include:{self._settings.spf_include}".lower()
        spf_ok = any(v.lower().startswith("v=spf1") and include in v.lower().split() for v in txt.values)
        if mx_ok and spf_ok:
            return VerificationStatus.SUCCESS
        if identity.mail_from_status in (None, VerificationStatus.PENDING):
            return VerificationStatus.PENDING
        return VerificationStatus.FAILED

    def _update(
        self,
        identity: Identity,
        evidence: DnsEvidence,
        now: float,
        mail_from: VerificationStatus | None = None,
    ) -> VerificationUpdate:
        if identity.identity_type is not IdentityType.DOMAIN:  # an address: only its MAIL FROM is checked
            return VerificationUpdate(
                identity.account_id,
                identity.region,
                identity.name,
                identity.verification_status,
                identity.dkim_status,
                now,
                identity.last_success_at,
                identity.failing_since,
                identity.error_type,
                mail_from,
            )
        state = CheckState(
            identity.verification_status,
            identity.dkim_status,
            identity.created_at,
            identity.last_success_at,
            identity.failing_since,
        )
        result = assess(state, evidence, now, self._settings.give_up_seconds)
        if result.status is not identity.verification_status:
            log.info(
                "identity %s (%s, %s): %s → %s (%s)",
                identity.name,
                identity.account_id,
                identity.region,
                identity.verification_status.value,
                result.status.value,
                result.error_type or "records found",
            )
        return VerificationUpdate(
            identity.account_id,
            identity.region,
            identity.name,
            result.status,
            result.dkim_status,
            now,
            result.last_success_at,
            result.failing_since,
            result.error_type,
            mail_from,
        )

    def _record(self, updates: list[VerificationUpdate]) -> None:
        with self._store.transaction() as tx:
            for update in updates:
                tx.identities.record_check(update)


def _missing(status: str, has_other_value: bool) -> str:
    if status == "nxdomain":
        return "HOST_NOT_FOUND"
    return "INVALID_VALUE" if has_other_value else "TYPE_NOT_FOUND"
