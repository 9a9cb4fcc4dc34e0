"""SES v1 custom verification email templates and SendCustomVerificationEmail (Query API)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any, TypeVar

from postwarden.api.app import Handler, RequestContext
from postwarden.api.errors import ApiError
from postwarden.api.v2_verification_templates import (
    SERVICE_ERRORS,
    changes_of,
    decode_token,
    encode_token,
    summary,
)
from postwarden.domain.verification_content import InvalidContentError
from postwarden.services.custom_verification import (
    MAX_PAGE_SIZE,
    CustomVerificationMail,
    InvalidParameterError,
    ProductionAccessError,
    SenderNotVerifiedError,
    SendRefusedError,
    TemplateExistsError,
    TemplateLimitError,
    TemplateNotFoundError,
    VerificationTemplates,
)
from postwarden.ses_errors import errors_for

T = TypeVar("T")


class V1VerificationTemplateHandlers:
    def __init__(self, templates: VerificationTemplates, mail: CustomVerificationMail) -> None:
        self._templates = templates
        self._mail = mail

    def table(self) -> dict[str, Handler]:
        return {
            "CreateCustomVerificationEmailTemplate": self.create,
            "GetCustomVerificationEmailTemplate": self.get,
            "UpdateCustomVerificationEmailTemplate": self.update,
            "DeleteCustomVerificationEmailTemplate": self.delete,
            "ListCustomVerificationEmailTemplates": self.list,
            "SendCustomVerificationEmail": self.send,
        }

    async def create(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        name = params["TemplateName"]
        await _call(name, self._templates.create, ctx.account_id, ctx.region, name, changes_of(params))
        return {}

    async def get(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        name = params["TemplateName"]
        template = await _call(name, self._templates.get, ctx.account_id, ctx.region, name)
        return {**summary(template), "TemplateContent": template.content}

    async def update(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        name = params["TemplateName"]
        await _call(name, self._templates.update, ctx.account_id, ctx.region, name, changes_of(params))
        return {}

    async def delete(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        name = params["TemplateName"]
        # The v1 operation declares no errors: deleting a template that does not exist succeeds.
        with contextlib.suppress(TemplateNotFoundError):
            await asyncio.to_thread(self._templates.delete, ctx.account_id, ctx.region, name)
        return {}

    async def list(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        size = params.get("MaxResults") or MAX_PAGE_SIZE  # the model bounds it to 1..50
        after = decode_token(params.get("NextToken"), _invalid)
        found, last = await asyncio.to_thread(self._templates.page, ctx.account_id, ctx.region, after, size)
        result: dict[str, Any] = {"CustomVerificationEmailTemplates": [summary(t) for t in found]}
        if last is not None:
            result["NextToken"] = encode_token(last)
        return result

    async def send(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        name = params["TemplateName"]
        if params.get("ConfigurationSetName"):  # Postwarden has no configuration sets yet
            raise ApiError(
                "ConfigurationSetDoesNotExist",
                f"Configuration set <{params['ConfigurationSetName']}> does not exist.",
            )
        try:
            message_id = await self._mail.send(
                ctx.account_id, ctx.region, params["EmailAddress"], name, ctx.access_key_id, ctx.source_ip
            )
        except SendRefusedError as error:
            raise ApiError(errors_for(error.decision).v1_code, error.decision.message) from error
        except SERVICE_ERRORS as error:
            raise _v1_error(error, name) from error
        return {"MessageId": message_id}


def _invalid(message: str) -> ApiError:
    return ApiError("InvalidParameterValue", message)


async def _call(name: str, function: Callable[..., T], *args: Any) -> T:
    try:
        return await asyncio.to_thread(function, *args)
    except SERVICE_ERRORS as error:
        raise _v1_error(error, name) from error


def _v1_error(error: Exception, name: str) -> ApiError:
    if isinstance(error, TemplateExistsError):
        message = f"Custom verification email template {name} already exists."
        return ApiError("CustomVerificationEmailTemplateAlreadyExists", message)
    if isinstance(error, TemplateNotFoundError):
        message = f"Custom verification email template {name} does not exist."
        return ApiError("CustomVerificationEmailTemplateDoesNotExist", message)
    codes: list[tuple[type[Exception], str]] = [
        (TemplateLimitError, "LimitExceeded"),
        (InvalidContentError, "CustomVerificationEmailInvalidContent"),
        (SenderNotVerifiedError, "FromEmailAddressNotVerified"),
        (ProductionAccessError, "ProductionAccessNotGranted"),
        (InvalidParameterError, "InvalidParameterValue"),
    ]
    code = next((code for kind, code in codes if isinstance(error, kind)), "InvalidParameterValue")
    return ApiError(code, str(error))
