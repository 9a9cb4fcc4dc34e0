"""SES v2 identity operations: Create/Get/List/DeleteEmailIdentity."""

from __future__ import annotations

import asyncio
import functools
import re
from typing import Any

from postwarden.api.app import Handler, RequestContext
from postwarden.api.errors import ApiError, bad_request, not_found
from postwarden.api.paging import page
from postwarden.dkim.keys import InvalidDkimKeyError
from postwarden.domain.identities import IdentityType, VerificationStatus, identity_type_of
from postwarden.mail import InvalidAddressError, parse_address
from postwarden.ports import Identity
from postwarden.services.email_verification import EmailVerification
from postwarden.services.identities import (
    IdentityExistsError,
    IdentityNotFoundError,
    IdentityService,
    IdentityTypeError,
    MailFromDomainError,
)

_DOMAIN = re.compile(
    r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{2,63}$", re.IGNORECASE
)


class IdentityHandlers:
    def __init__(self, identities: IdentityService, dkim_zone: str, verification: EmailVerification) -> None:
        self._identities = identities
        self._zone = dkim_zone
        self._verification = verification

    def table(self) -> dict[str, Handler]:
        return {
            "CreateEmailIdentity": self.create,
            "GetEmailIdentity": self.get,
            "ListEmailIdentities": self.list,
            "DeleteEmailIdentity": self.delete,
            "PutEmailIdentityDkimAttributes": self.put_dkim,
            "PutEmailIdentityDkimSigningAttributes": self.put_dkim_signing,
            "PutEmailIdentityMailFromAttributes": self.put_mail_from,
        }

    async def create(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        name = valid_identity(params["EmailIdentity"])
        tags = {t["Key"]: t["Value"] for t in params.get("Tags", [])}
        signing = params.get("DkimSigningAttributes") or {}
        external = _external_key(signing) if signing.get("DomainSigningPrivateKey") else None
        try:
            identity = await asyncio.to_thread(
                functools.partial(
                    self._identities.create,
                    ctx.account_id,
                    ctx.region,
                    name,
                    tags,
                    key_length=signing.get("NextSigningKeyLength") or "RSA_2048_BIT",
                    external_key=external,
                )
            )
        except IdentityExistsError as error:
            raise ApiError("AlreadyExistsException", f"Email identity {name} already exist.") from error
        except InvalidDkimKeyError as error:
            raise bad_request(f"Invalid DomainSigningPrivateKey: {error}") from error
        if identity.identity_type is IdentityType.EMAIL_ADDRESS:
            await self._verification.send(ctx.account_id, ctx.region, name, ctx.access_key_id, ctx.source_ip)
        return {
            "IdentityType": identity.identity_type.value,
            "VerifiedForSendingStatus": identity.verification_status is VerificationStatus.SUCCESS,
            "DkimAttributes": self._dkim(identity, None),
        }

    async def get(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        name = params["EmailIdentity"]
        try:
            identity = await asyncio.to_thread(self._identities.get, ctx.account_id, ctx.region, name)
        except IdentityNotFoundError as error:
            raise not_found(f"Email identity {name} does not exist.") from error
        bits = await asyncio.to_thread(self._identities.signing_key_bits, ctx.account_id, ctx.region, name)
        result: dict[str, Any] = {
            "IdentityType": identity.identity_type.value,
            "FeedbackForwardingStatus": True,
            "VerifiedForSendingStatus": identity.verification_status is VerificationStatus.SUCCESS,
            "DkimAttributes": self._dkim(identity, bits),
            "Policies": {},
            "Tags": [{"Key": k, "Value": v} for k, v in identity.tags.items()],
            "VerificationStatus": identity.verification_status.value,
        }
        info = _verification_info(identity)
        if info:
            result["VerificationInfo"] = info
        if identity.mail_from_domain:
            result["MailFromAttributes"] = {
                "MailFromDomain": identity.mail_from_domain,
                "MailFromDomainStatus": (identity.mail_from_status or VerificationStatus.PENDING).value,
                "BehaviorOnMxFailure": identity.mail_from_behavior,
            }
        return result

    async def put_mail_from(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        name = params["EmailIdentity"]
        try:
            await asyncio.to_thread(
                self._identities.set_mail_from,
                ctx.account_id,
                ctx.region,
                name,
                params.get("MailFromDomain"),
                params.get("BehaviorOnMxFailure") or "USE_DEFAULT_VALUE",
            )
        except IdentityNotFoundError as error:
            raise not_found(f"Email identity {name} does not exist.") from error
        except MailFromDomainError as error:
            raise bad_request(str(error)) from error
        return {}

    async def put_dkim(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        name = params["EmailIdentity"]
        enabled = bool(params.get("SigningEnabled", False))
        try:
            await asyncio.to_thread(
                self._identities.set_dkim_signing, ctx.account_id, ctx.region, name, enabled
            )
        except IdentityNotFoundError as error:
            raise not_found(f"Email identity {name} does not exist.") from error
        return {}

    async def put_dkim_signing(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        name = params["EmailIdentity"]
        origin = params["SigningAttributesOrigin"]
        attributes = params.get("SigningAttributes") or {}
        external = None
        if origin == "EXTERNAL":
            if not attributes.get("DomainSigningPrivateKey") or not attributes.get("DomainSigningSelector"):
                raise bad_request("EXTERNAL signing needs DomainSigningSelector and DomainSigningPrivateKey.")
            external = _external_key(attributes)
        try:
            identity = await asyncio.to_thread(
                functools.partial(
                    self._identities.set_dkim_origin,
                    ctx.account_id,
                    ctx.region,
                    name,
                    external_key=external,
                    key_length=attributes.get("NextSigningKeyLength") or "RSA_2048_BIT",
                )
            )
        except IdentityNotFoundError as error:
            raise not_found(f"Email identity {name} does not exist.") from error
        except IdentityTypeError as error:
            raise bad_request(
                f"{name} is not a domain identity; DKIM signing is configured on domains."
            ) from error
        except InvalidDkimKeyError as error:
            raise bad_request(f"Invalid DomainSigningPrivateKey: {error}") from error
        result: dict[str, Any] = {
            "DkimStatus": identity.dkim_status.value,
            "DkimTokens": list(identity.dkim_tokens),
        }
        if identity.dkim_origin == "AWS_SES":
            result["SigningHostedZone"] = self._zone
        return result

    def _dkim(self, identity: Identity, bits: int | None) -> dict[str, Any]:
        if identity.identity_type is not IdentityType.DOMAIN:
            return {"SigningEnabled": False, "Status": "NOT_STARTED", "Tokens": []}
        attributes: dict[str, Any] = {
            "SigningEnabled": identity.dkim_signing_enabled,
            "Status": identity.dkim_status.value,
            "Tokens": list(identity.dkim_tokens),
            "SigningAttributesOrigin": identity.dkim_origin,
            "NextSigningKeyLength": "RSA_2048_BIT",
        }
        if identity.dkim_origin == "AWS_SES":
            attributes["SigningHostedZone"] = self._zone
        if bits is not None:
            attributes["CurrentSigningKeyLength"] = f"RSA_{bits}_BIT"
        if identity.dkim_key_generated_at is not None:
            attributes["LastKeyGenerationTimestamp"] = identity.dkim_key_generated_at
        return attributes

    async def list(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        page_size = int(params.get("PageSize") or 100)
        if not 1 <= page_size <= 1000:
            raise bad_request("PageSize must be between 1 and 1000.")
        found = await asyncio.to_thread(self._identities.list, ctx.account_id, ctx.region)
        shown, next_token = page(found, params.get("NextToken"), page_size, error_code="BadRequestException")
        result: dict[str, Any] = {
            "EmailIdentities": [
                {
                    "IdentityType": i.identity_type.value,
                    "IdentityName": i.name,
                    "SendingEnabled": i.verification_status is VerificationStatus.SUCCESS,
                    "VerificationStatus": i.verification_status.value,
                }
                for i in shown
            ]
        }
        if next_token:
            result["NextToken"] = next_token
        return result

    async def delete(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        name = params["EmailIdentity"]
        try:
            await asyncio.to_thread(self._identities.delete, ctx.account_id, ctx.region, name)
        except IdentityNotFoundError as error:
            raise not_found(f"Email identity {name} does not exist.") from error
        return {}


def valid_identity(name: str) -> str:
    if identity_type_of(name) is IdentityType.EMAIL_ADDRESS:
        try:
            return parse_address(name).addr_spec
        except InvalidAddressError as error:
            raise bad_request(f"Invalid email address {name}: {error}") from error
    candidate = name.strip().rstrip(".")
    if not _DOMAIN.match(candidate):
        raise bad_request(f"Invalid domain name {name}.")
    return candidate


def _external_key(attributes: dict[str, Any]) -> tuple[str, str]:
    return attributes.get("DomainSigningSelector") or "postwarden", attributes["DomainSigningPrivateKey"]


def _verification_info(identity: Identity) -> dict[str, Any]:
    info: dict[str, Any] = {}
    if identity.last_checked_at is not None:
        info["LastCheckedTimestamp"] = identity.last_checked_at
    if identity.last_success_at is not None:
        info["LastSuccessTimestamp"] = identity.last_success_at
    if identity.error_type:
        info["ErrorType"] = identity.error_type
    return info
