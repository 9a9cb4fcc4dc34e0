"""SES v2 PutAccountDetails (a production access request for the signing region) and the `Details` block
GetAccount shows once a request has been made."""

from __future__ import annotations

from typing import Any

from postwarden.api.app import Handler, RequestContext
from postwarden.api.errors import ApiError, bad_request
from postwarden.domain.review import AccountDetails, InvalidAccountDetailsError, ReviewCase
from postwarden.services.accounts import UnknownAccountError
from postwarden.services.production_access import ProductionAccessService, ReviewConflictError

SANDBOX_BY_REQUEST = (
    "ProductionAccessEnabled=false is not supported: a region returns to the sandbox through its operator. "
    "Omit it, or set it to true to request production access."
)


class AccountDetailsHandlers:
    def __init__(self, reviews: ProductionAccessService) -> None:
        self._reviews = reviews

    def table(self) -> dict[str, Handler]:
        return {"PutAccountDetails": self.put_account_details}

    async def put_account_details(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        if params.get("ProductionAccessEnabled") is False:
            raise bad_request(SANDBOX_BY_REQUEST)
        try:
            details = AccountDetails.parse(
                mail_type=params.get("MailType"),
                website_url=params.get("WebsiteURL"),
                contact_language=params.get("ContactLanguage"),
                use_case_description=params.get("UseCaseDescription"),
                additional_contact_email_addresses=params.get("AdditionalContactEmailAddresses"),
            )
        except InvalidAccountDetailsError as error:
            raise bad_request(str(error)) from error
        try:
            await self._reviews.request_access(
                ctx.account_id, ctx.region, details, f"access-key:{ctx.access_key_id}"
            )
        except ReviewConflictError as error:
            raise ApiError("ConflictException", error.conflict.message, 409) from error
        except UnknownAccountError as error:  # the key outlived its account
            raise ApiError("NotFoundException", f"Account {error} does not exist.", 404) from error
        return {}


def account_details(case: ReviewCase) -> dict[str, Any]:
    """GetAccount's `Details`: what the latest request said, and its review's status and case id."""
    details = case.details
    shown: dict[str, Any] = {"MailType": details.mail_type.value, "WebsiteURL": details.website_url}
    if details.contact_language is not None:
        shown["ContactLanguage"] = details.contact_language.value
    if details.use_case_description is not None:
        shown["UseCaseDescription"] = details.use_case_description
    if details.additional_contact_email_addresses:
        shown["AdditionalContactEmailAddresses"] = list(details.additional_contact_email_addresses)
    shown["ReviewDetails"] = {"Status": case.status.value, "CaseId": case.case_id}
    return shown
