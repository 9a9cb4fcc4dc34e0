"""SES v2 identity operations: Create/Get/List/DeleteEmailIdentity."""

from __future__ import annotations

import asyncio
import base64
import re
from typing import Any

from postwarden.api.app import Handler, RequestContext
from postwarden.api.errors import ApiError, bad_request, not_found
from postwarden.domain.identities import IdentityType, VerificationStatus, identity_type_of
from postwarden.mail import InvalidAddressError, parse_address
from postwarden.ports import Identity
from postwarden.services.identities import IdentityExistsError, IdentityNotFoundError, IdentityService

_DOMAIN = re.compile(
    r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{2,63}$", re.IGNORECASE
)


class IdentityHandlers:
    def __init__(self, identities: IdentityService) -> None:
        self._identities = identities

    def table(self) -> dict[str, Handler]:
        return {
            "CreateEmailIdentity": self.create,
            "GetEmailIdentity": self.get,
            "ListEmailIdentities": self.list,
            "DeleteEmailIdentity": self.delete,
        }

    async def create(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        name = valid_identity(params["EmailIdentity"])
        tags = {t["Key"]: t["Value"] for t in params.get("Tags", [])}
        try:
            identity = await asyncio.to_thread(
                self._identities.create, ctx.account_id, ctx.region, name, tags
            )
        except IdentityExistsError as error:
            raise ApiError("AlreadyExistsException", f"Email identity {name} already exist.") from error
        return {
            "IdentityType": identity.identity_type.value,
            "VerifiedForSendingStatus": identity.verification_status is VerificationStatus.SUCCESS,
            "DkimAttributes": _dkim(identity),
        }

    async def get(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        name = params["EmailIdentity"]
        try:
            identity = await asyncio.to_thread(self._identities.get, ctx.account_id, ctx.region, name)
        except IdentityNotFoundError as error:
            raise not_found(f"Email identity {name} does not exist.") from error
        return {
            "IdentityType": identity.identity_type.value,
            "FeedbackForwardingStatus": True,
            "VerifiedForSendingStatus": identity.verification_status is VerificationStatus.SUCCESS,
            "DkimAttributes": _dkim(identity),
            "Policies": {},
            "Tags": [{"Key": k, "Value": v} for k, v in identity.tags.items()],
            "VerificationStatus": identity.verification_status.value,
        }

    async def list(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        page_size = int(params.get("PageSize") or 100)
        if not 1 <= page_size <= 1000:
            raise bad_request("PageSize must be between 1 and 1000.")
        start = _decode_token(params.get("NextToken"))
        found = await asyncio.to_thread(self._identities.list, ctx.account_id, ctx.region)
        page = found[start : start + page_size]
        result: dict[str, Any] = {
            "EmailIdentities": [
                {
                    "IdentityType": i.identity_type.value,
                    "IdentityName": i.name,
                    "SendingEnabled": i.verification_status is VerificationStatus.SUCCESS,
                    "VerificationStatus": i.verification_status.value,
                }
                for i in page
            ]
        }
        if start + page_size < len(found):
            result["NextToken"] = base64.urlsafe_b64encode(str(start + page_size).encode()).decode()
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


def _dkim(identity: Identity) -> dict[str, Any]:
    # Easy DKIM (tokens, key generation, signing) arrives with the identities work; until then DKIM is
    # reported truthfully as not started rather than pretending to sign.
    return {
        "SigningEnabled": False,
        "Status": "NOT_STARTED",
        "Tokens": [],
        "SigningAttributesOrigin": "AWS_SES",
    }


def _decode_token(token: str | None) -> int:
    if not token:
        return 0
    try:
        return int(base64.urlsafe_b64decode(token.encode()).decode())
    except ValueError as error:
        raise bad_request("The NextToken is not valid.") from error
