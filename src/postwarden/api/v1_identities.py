"""SES v1 identity operations (Verify*, ListIdentities, Get*Attributes, DeleteIdentity)."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from postwarden.api.app import Handler, RequestContext
from postwarden.api.errors import ApiError
from postwarden.api.paging import page
from postwarden.api.v2_identities import valid_identity
from postwarden.domain.identities import IdentityType, VerificationStatus
from postwarden.ports import Identity
from postwarden.services.email_verification import EmailVerification
from postwarden.services.identities import IdentityNotFoundError, IdentityService, MailFromDomainError

_V1_STATUS = {
    VerificationStatus.PENDING: "Pending",
    VerificationStatus.SUCCESS: "Success",
    VerificationStatus.FAILED: "Failed",
    VerificationStatus.TEMPORARY_FAILURE: "TemporaryFailure",
    VerificationStatus.NOT_STARTED: "NotStarted",
}


class V1IdentityHandlers:
    def __init__(self, identities: IdentityService, verification: EmailVerification) -> None:
        self._identities = identities
        self._verification = verification

    def table(self) -> dict[str, Handler]:
        return {
            "VerifyEmailIdentity": self.verify_email,
            "VerifyEmailAddress": self.verify_email,
            "VerifyDomainIdentity": self.verify_domain,
            "VerifyDomainDkim": self.verify_domain_dkim,
            "ListIdentities": self.list_identities,
            "ListVerifiedEmailAddresses": self.list_verified_addresses,
            "GetIdentityVerificationAttributes": self.verification_attributes,
            "GetIdentityDkimAttributes": self.dkim_attributes,
            "DeleteIdentity": self.delete,
            "SetIdentityMailFromDomain": self.set_mail_from,
            "GetIdentityMailFromDomainAttributes": self.mail_from_attributes,
            "DeleteVerifiedEmailAddress": self.delete,
        }

    async def _ensure(self, ctx: RequestContext, name: str, kind: IdentityType) -> Identity:
        valid = _v1_identity(name, kind)
        return await asyncio.to_thread(self._identities.ensure, ctx.account_id, ctx.region, valid)

    async def verify_email(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        identity = await self._ensure(ctx, params["EmailAddress"], IdentityType.EMAIL_ADDRESS)
        if identity.verification_status is not VerificationStatus.SUCCESS:  # SES sends it again
            await self._verification.send(
                ctx.account_id, ctx.region, identity.name, ctx.access_key_id, ctx.source_ip
            )
        return {}

    async def verify_domain(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        identity = await self._ensure(ctx, params["Domain"], IdentityType.DOMAIN)
        return {"VerificationToken": identity.verification_token or ""}

    async def verify_domain_dkim(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        identity = await self._ensure(ctx, params["Domain"], IdentityType.DOMAIN)
        return {"DkimTokens": list(identity.dkim_tokens)}

    async def list_identities(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        kinds = {"EmailAddress": IdentityType.EMAIL_ADDRESS, "Domain": IdentityType.DOMAIN}
        wanted = kinds.get(params.get("IdentityType", ""))
        found = await asyncio.to_thread(self._identities.list, ctx.account_id, ctx.region, wanted)
        shown, next_token = page(
            found,
            params.get("NextToken"),
            int(params.get("MaxItems") or 1000),
            error_code="InvalidParameterValue",
        )
        result: dict[str, Any] = {"Identities": [i.name for i in shown]}
        if next_token:
            result["NextToken"] = next_token
        return result

    async def list_verified_addresses(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        found = await asyncio.to_thread(
            self._identities.list, ctx.account_id, ctx.region, IdentityType.EMAIL_ADDRESS
        )
        verified = [i.name for i in found if i.verification_status is VerificationStatus.SUCCESS]
        return {"VerifiedEmailAddresses": verified}

    async def verification_attributes(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        attributes: dict[str, Any] = {}
        for name in params["Identities"]:
            identity = await self._find(ctx, name)
            if identity is None:
                continue
            entry: dict[str, Any] = {"VerificationStatus": _V1_STATUS[identity.verification_status]}
            if identity.verification_token:
                entry["VerificationToken"] = identity.verification_token
            attributes[name] = entry
        return {"VerificationAttributes": attributes}

    async def dkim_attributes(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        attributes: dict[str, Any] = {}
        for name in params["Identities"]:
            identity = await self._find(ctx, name)
            if identity is None:
                continue
            entry: dict[str, Any] = {
                "DkimEnabled": identity.dkim_signing_enabled,
                "DkimVerificationStatus": _V1_STATUS[identity.dkim_status],
            }
            if identity.dkim_tokens:
                entry["DkimTokens"] = list(identity.dkim_tokens)
            attributes[name] = entry
        return {"DkimAttributes": attributes}

    async def set_mail_from(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        behavior = {"UseDefaultValue": "USE_DEFAULT_VALUE", "RejectMessage": "REJECT_MESSAGE"}
        try:
            await asyncio.to_thread(
                self._identities.set_mail_from,
                ctx.account_id,
                ctx.region,
                params["Identity"],
                params.get("MailFromDomain"),
                behavior[params.get("BehaviorOnMXFailure") or "UseDefaultValue"],
            )
        except IdentityNotFoundError as error:
            raise ApiError(
                "InvalidParameterValue", f"Identity {params['Identity']} does not exist."
            ) from error
        except MailFromDomainError as error:
            raise ApiError("InvalidParameterValue", str(error)) from error
        return {}

    async def mail_from_attributes(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        behavior = {"USE_DEFAULT_VALUE": "UseDefaultValue", "REJECT_MESSAGE": "RejectMessage"}
        attributes: dict[str, Any] = {}
        for name in params["Identities"]:
            identity = await self._find(ctx, name)
            if identity is None or not identity.mail_from_domain:
                continue
            attributes[name] = {
                "MailFromDomain": identity.mail_from_domain,
                "MailFromDomainStatus": _V1_STATUS[identity.mail_from_status or VerificationStatus.PENDING],
                "BehaviorOnMXFailure": behavior[identity.mail_from_behavior],
            }
        return {"MailFromDomainAttributes": attributes}

    async def delete(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        name = params.get("Identity") or params.get("EmailAddress") or ""
        with contextlib.suppress(IdentityNotFoundError):  # SES answers success for an unknown identity
            await asyncio.to_thread(self._identities.delete, ctx.account_id, ctx.region, name)
        return {}

    async def _find(self, ctx: RequestContext, name: str) -> Identity | None:
        try:
            return await asyncio.to_thread(self._identities.get, ctx.account_id, ctx.region, name)
        except IdentityNotFoundError:
            return None


def _v1_identity(name: str, kind: IdentityType) -> str:
    try:
        valid = valid_identity(name)
    except ApiError as error:
        raise ApiError("InvalidParameterValue", error.message) from error
    if kind is IdentityType.DOMAIN and "@" in valid:
        raise ApiError("InvalidParameterValue", f"Invalid domain name {name}.")
    return valid
