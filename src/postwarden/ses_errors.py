"""What SES answers, on each protocol, when the send policy refuses a message: one table for every adapter."""

from __future__ import annotations

from dataclasses import dataclass

from postwarden.domain.decision import Decision, Rule


@dataclass(frozen=True, slots=True)
class RuleErrors:
    v2_code: str
    v2_status: int
    v1_code: str
    smtp_code: int
    smtp_prefix: str

    def smtp_reply(self, decision: Decision) -> str:
        return f"{self.smtp_code} {self.smtp_prefix}{decision.message}"


RULE_ERRORS: dict[Rule, RuleErrors] = {
    Rule.SENDING_DISABLED: RuleErrors(
        "SendingPausedException", 400, "AccountSendingPausedException", 554, "Message rejected: "
    ),
    Rule.ACCOUNT_PAUSED: RuleErrors(
        "SendingPausedException", 400, "MessageRejected", 554, "Message rejected: "
    ),
    Rule.IDENTITY_NOT_VERIFIED: RuleErrors(
        "MessageRejected", 400, "MessageRejected", 554, "Message rejected: "
    ),
    Rule.MAIL_FROM_NOT_VERIFIED: RuleErrors(
        "MailFromDomainNotVerifiedException",
        400,
        "MailFromDomainNotVerifiedException",
        554,
        "Message rejected: ",
    ),
    Rule.CONFIGURATION_SET_NOT_FOUND: RuleErrors(
        "NotFoundException", 404, "ConfigurationSetDoesNotExist", 554, "Message rejected: "
    ),
    Rule.CONFIGURATION_SET_PAUSED: RuleErrors(
        "SendingPausedException", 400, "ConfigurationSetSendingPausedException", 554, "Message rejected: "
    ),
    Rule.DAILY_QUOTA: RuleErrors("TooManyRequestsException", 429, "Throttling", 454, "Throttling failure: "),
    Rule.SEND_RATE: RuleErrors("TooManyRequestsException", 429, "Throttling", 454, "Throttling failure: "),
}


def errors_for(decision: Decision) -> RuleErrors:
    assert decision.rule is not None, "an allowed decision has no error"
    return RULE_ERRORS[decision.rule]
