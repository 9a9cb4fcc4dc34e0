"""The account details a production access request carries (SES v2 PutAccountDetails / AccountDetails),
checked against the constraints of the sesv2 model with SES's validation messages.

Model (sesv2 2019-09-27): `MailType*` MARKETING|TRANSACTIONAL; `WebsiteURL*` 1-1000 characters;
`ContactLanguage` EN|JA; `UseCaseDescription` at most 5000 characters (optional, deprecated);
`AdditionalContactEmailAddresses` 1-4 items of 6-254 characters matching `^(.+)@(.+)$`. Every field
except the two enums is `sensitive`, so messages never echo its value.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum


class MailType(StrEnum):
    MARKETING = "MARKETING"
    TRANSACTIONAL = "TRANSACTIONAL"


class ContactLanguage(StrEnum):
    EN = "EN"
    JA = "JA"


WEBSITE_URL_MAX = 1000
USE_CASE_DESCRIPTION_MAX = 5000
CONTACTS_MIN, CONTACTS_MAX = 1, 4
CONTACT_ADDRESS_MIN, CONTACT_ADDRESS_MAX = 6, 254
WEBSITE_URL_PATTERN = "^(([^:/?#]+):)?(//([^/?#]*))?([^?#]*)(\\?([^#]*))?(#(.*))?"
CONTACT_ADDRESS_PATTERN = "^(.+)@(.+)$"

_WEBSITE_URL = re.compile(WEBSITE_URL_PATTERN, re.DOTALL)
_CONTACT_ADDRESS = re.compile(CONTACT_ADDRESS_PATTERN, re.DOTALL)
_HIDDEN = "'***'"
"""How a sensitive value appears in a message (the API validator's convention)."""


@dataclass(frozen=True, slots=True)
class AccountDetails:
    mail_type: MailType
    website_url: str
    contact_language: ContactLanguage | None = None
    use_case_description: str | None = None
    additional_contact_email_addresses: tuple[str, ...] = ()

    @classmethod
    def parse(
        cls,
        *,
        mail_type: object,
        website_url: object,
        contact_language: object = None,
        use_case_description: object = None,
        additional_contact_email_addresses: object = None,
    ) -> AccountDetails:
        """The details from request values; InvalidAccountDetailsError lists every value that is wrong."""
        errors = account_details_errors(
            mail_type=mail_type,
            website_url=website_url,
            contact_language=contact_language,
            use_case_description=use_case_description,
            additional_contact_email_addresses=additional_contact_email_addresses,
        )
        if errors:
            raise InvalidAccountDetailsError(errors)
        contacts = additional_contact_email_addresses
        return cls(
            mail_type=MailType(str(mail_type)),
            website_url=str(website_url),
            contact_language=None if contact_language is None else ContactLanguage(str(contact_language)),
            use_case_description=None if use_case_description is None else str(use_case_description),
            additional_contact_email_addresses=(
                tuple(str(address) for address in contacts) if isinstance(contacts, Sequence) else ()
            ),
        )


class InvalidAccountDetailsError(ValueError):
    """One or more values break the model's constraints; `str()` is SES's combined validation message."""

    def __init__(self, errors: Sequence[str]) -> None:
        self.errors = tuple(errors)
        super().__init__(validation_message(self.errors))


def validation_message(errors: Sequence[str]) -> str:
    """SES's combined form: `2 validation errors detected: <first>; <second>` (at most five listed)."""
    noun = "error" if len(errors) == 1 else "errors"
    return f"{len(errors)} validation {noun} detected: " + "; ".join(errors[:5])


def account_details_errors(
    *,
    mail_type: object,
    website_url: object,
    contact_language: object = None,
    use_case_description: object = None,
    additional_contact_email_addresses: object = None,
) -> list[str]:
    """Every constraint of the model the values break, as SES words it; empty when all are valid."""
    errors: list[str] = []
    _enum(errors, "mailType", mail_type, MailType, required=True)
    _string(errors, "websiteURL", website_url, 1, WEBSITE_URL_MAX, _WEBSITE_URL, required=True)
    _enum(errors, "contactLanguage", contact_language, ContactLanguage, required=False)
    _string(errors, "useCaseDescription", use_case_description, None, USE_CASE_DESCRIPTION_MAX, None)
    contacts = additional_contact_email_addresses
    if contacts is None:
        return errors
    if isinstance(contacts, str) or not isinstance(contacts, Sequence):
        errors.append(_constraint("additionalContactEmailAddresses", _HIDDEN, "Member must be a list"))
        return errors
    if not CONTACTS_MIN <= len(contacts) <= CONTACTS_MAX:
        bound = (
            f"greater than or equal to {CONTACTS_MIN}"
            if len(contacts) < CONTACTS_MIN
            else f"less than or equal to {CONTACTS_MAX}"
        )
        errors.append(
            _constraint("additionalContactEmailAddresses", _HIDDEN, f"Member must have length {bound}")
        )
    for position, contact in enumerate(contacts, start=1):
        _string(
            errors,
            f"additionalContactEmailAddresses.{position}",
            contact,
            CONTACT_ADDRESS_MIN,
            CONTACT_ADDRESS_MAX,
            _CONTACT_ADDRESS,
            required=True,
        )
    return errors


def _constraint(path: str, shown: str, constraint: str) -> str:
    return f"Value {shown} at '{path}' failed to satisfy constraint: {constraint}"


def _enum(errors: list[str], path: str, value: object, enum: type[StrEnum], *, required: bool) -> None:
    if value is None:
        if required:
            errors.append(_constraint(path, "null", "Member must not be null"))
        return
    allowed = [member.value for member in enum]
    if not isinstance(value, str) or value not in allowed:
        errors.append(
            _constraint(path, repr(value), f"Member must satisfy enum value set: [{', '.join(allowed)}]")
        )


def _string(
    errors: list[str],
    path: str,
    value: object,
    minimum: int | None,
    maximum: int,
    pattern: re.Pattern[str] | None,
    *,
    required: bool = False,
) -> None:
    if value is None:
        if required:
            errors.append(_constraint(path, "null", "Member must not be null"))
        return
    if not isinstance(value, str):
        errors.append(_constraint(path, _HIDDEN, "Member must be a string"))
        return
    if minimum is not None and len(value) < minimum:
        errors.append(
            _constraint(path, _HIDDEN, f"Member must have length greater than or equal to {minimum}")
        )
    if len(value) > maximum:
        errors.append(_constraint(path, _HIDDEN, f"Member must have length less than or equal to {maximum}"))
    if pattern is not None and not pattern.fullmatch(value):
        errors.append(
            _constraint(path, _HIDDEN, f"Member must satisfy regular expression pattern: {pattern.pattern}")
        )
