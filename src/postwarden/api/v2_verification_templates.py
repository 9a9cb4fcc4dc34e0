"""SES v2 custom verification email templates and SendCustomVerificationEmail, and the page their links
open (`/verify-email/custom`), which redirects to the template's success or failure URL."""

from __future__ import annotations

import asyncio
import base64
import binascii
import functools
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import parse_qs, quote, urlencode

from postwarden.api.app import Document, Handler, PageHandler, Redirect, RequestContext
from postwarden.api.errors import ApiError, bad_request, not_found, v2_error_for
from postwarden.domain.verification_content import InvalidContentError
from postwarden.ports import VerificationTemplate
from postwarden.services.custom_verification import (
    MAX_PAGE_SIZE,
    CustomVerificationMail,
    InvalidParameterError,
    ProductionAccessError,
    SenderNotVerifiedError,
    SendRefusedError,
    TemplateChanges,
    TemplateExistsError,
    TemplateLimitError,
    TemplateNotFoundError,
    VerificationTemplates,
)

T = TypeVar("T")

SERVICE_ERRORS = (
    TemplateExistsError,
    TemplateNotFoundError,
    TemplateLimitError,
    InvalidParameterError,
    InvalidContentError,
    SenderNotVerifiedError,
    ProductionAccessError,
)


class VerificationTemplateHandlers:
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
        tags = {t["Key"]: t["Value"] for t in params.get("Tags", [])}
        create = functools.partial(self._templates.create, tags=tags)
        await _call(name, create, ctx.account_id, ctx.region, name, changes_of(params))
        return {}

    async def get(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        name = params["TemplateName"]
        template = await _call(name, self._templates.get, ctx.account_id, ctx.region, name)
        return {
            "TemplateName": template.name,
            "FromEmailAddress": template.from_email_address,
            "TemplateSubject": template.subject,
            "TemplateContent": template.content,
            "Tags": [{"Key": k, "Value": v} for k, v in template.tags.items()],
            "SuccessRedirectionURL": template.success_redirection_url,
            "FailureRedirectionURL": template.failure_redirection_url,
        }

    async def update(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        name = params["TemplateName"]
        await _call(name, self._templates.update, ctx.account_id, ctx.region, name, changes_of(params))
        return {}

    async def delete(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        name = params["TemplateName"]
        await _call(name, self._templates.delete, ctx.account_id, ctx.region, name)
        return {}

    async def list(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        size = params.get("PageSize")
        size = MAX_PAGE_SIZE if size is None else int(size)
        if not 1 <= size <= MAX_PAGE_SIZE:
            raise bad_request(f"PageSize must be at least 1 and no more than {MAX_PAGE_SIZE}.")
        after = decode_token(params.get("NextToken"), bad_request)
        found, last = await asyncio.to_thread(self._templates.page, ctx.account_id, ctx.region, after, size)
        result: dict[str, Any] = {"CustomVerificationEmailTemplates": [summary(t) for t in found]}
        if last is not None:
            result["NextToken"] = encode_token(last)
        return result

    async def send(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        name = params["TemplateName"]
        if params.get("ConfigurationSetName"):  # Postwarden has no configuration sets yet
            raise not_found(f"Configuration set <{params['ConfigurationSetName']}> does not exist.")
        try:
            message_id = await self._mail.send(
                ctx.account_id, ctx.region, params["EmailAddress"], name, ctx.access_key_id, ctx.source_ip
            )
        except SenderNotVerifiedError as error:
            raise ApiError("MessageRejected", str(error)) from error
        except SendRefusedError as error:
            raise v2_error_for(error.decision) from error
        except SERVICE_ERRORS as error:
            raise _v2_error(error, name) from error
        return {"MessageId": message_id}


class CustomVerificationPage:
    """`/verify-email/custom?token=…&context=…`: verify, then 302 to the template's URL. A link whose
    template is gone (or whose context is not valid) gets the plain verification page instead."""

    def __init__(self, mail: CustomVerificationMail, plain: PageHandler) -> None:
        self._mail = mail
        self._plain = plain

    async def handle(self, query: str) -> tuple[int, str] | Redirect | Document:
        values = parse_qs(query)
        token = (values.get("token") or [""])[0]
        context = (values.get("context") or [""])[0]
        location = await asyncio.to_thread(self._mail.follow, token, context)
        if location is None:
            return await self._plain(urlencode({"token": token}))
        return Redirect(safe_location(location))


def changes_of(params: dict[str, Any]) -> TemplateChanges:
    return TemplateChanges(
        from_email_address=params.get("FromEmailAddress"),
        subject=params.get("TemplateSubject"),
        content=params.get("TemplateContent"),
        success_redirection_url=params.get("SuccessRedirectionURL"),
        failure_redirection_url=params.get("FailureRedirectionURL"),
    )


def summary(template: VerificationTemplate) -> dict[str, Any]:
    return {
        "TemplateName": template.name,
        "FromEmailAddress": template.from_email_address,
        "TemplateSubject": template.subject,
        "SuccessRedirectionURL": template.success_redirection_url,
        "FailureRedirectionURL": template.failure_redirection_url,
    }


def encode_token(name: str) -> str:
    return base64.urlsafe_b64encode(name.encode()).decode()


def decode_token(token: str | None, error: Callable[[str], ApiError]) -> str | None:
    if not token:
        return None
    try:
        return base64.b64decode(token.encode(), altchars=b"-_", validate=True).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError) as failure:
        raise error("The NextToken is not valid.") from failure


def safe_location(url: str) -> str:
    """The URL as an ASCII header value: spaces, non-ASCII text and control characters percent-encoded."""
    return quote(url, safe="!#$%&'()*+,/:;=?@[]~")


async def _call(name: str, function: Callable[..., T], *args: Any) -> T:
    try:
        return await asyncio.to_thread(function, *args)
    except SERVICE_ERRORS as error:
        raise _v2_error(error, name) from error


def _v2_error(error: Exception, name: str) -> ApiError:
    if isinstance(error, TemplateExistsError):
        message = f"Custom verification email template {name} already exists."
        return ApiError("AlreadyExistsException", message)
    if isinstance(error, TemplateNotFoundError):
        return not_found(f"Custom verification email template {name} does not exist.")
    if isinstance(error, TemplateLimitError):
        return ApiError("LimitExceededException", str(error))
    return bad_request(str(error))  # parameters, content, an unverified sender, the sandbox
