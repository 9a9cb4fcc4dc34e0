from __future__ import annotations

from postwarden.domain.identities import VerificationStatus as S
from postwarden.domain.verification import GIVE_UP_SECONDS, CheckState, DnsEvidence, assess

HOUR = 3600.0
PENDING = CheckState(S.PENDING, S.PENDING, created_at=0.0, last_success_at=None, failing_since=None)
ALL_CNAMES = DnsEvidence(3, 3, False)
NOTHING = DnsEvidence(0, 3, False, "TYPE_NOT_FOUND")


def test_all_three_cnames_verify_the_domain_and_dkim() -> None:
    result = assess(PENDING, ALL_CNAMES, 5 * HOUR)
    assert (result.status, result.dkim_status) == (S.SUCCESS, S.SUCCESS)
    assert result.last_success_at == 5 * HOUR and result.error_type is None


def test_two_of_three_cnames_are_not_enough() -> None:
    result = assess(PENDING, DnsEvidence(2, 3, False, "INVALID_VALUE"), HOUR)
    assert result.status is S.PENDING and result.error_type == "INVALID_VALUE"


def test_the_legacy_txt_token_verifies_the_domain_but_not_dkim() -> None:
    result = assess(PENDING, DnsEvidence(0, 3, True, "TYPE_NOT_FOUND"), HOUR)
    assert (result.status, result.dkim_status) == (S.SUCCESS, S.PENDING)


def test_pending_for_72_hours_then_failed() -> None:
    assert assess(PENDING, NOTHING, GIVE_UP_SECONDS - 1).status is S.PENDING
    failed = assess(PENDING, NOTHING, GIVE_UP_SECONDS)
    assert (failed.status, failed.dkim_status, failed.error_type) == (S.FAILED, S.FAILED, "TYPE_NOT_FOUND")


def test_lost_records_are_reported_then_fail_72_hours_after_the_loss() -> None:
    verified = CheckState(
        S.SUCCESS, S.SUCCESS, created_at=0.0, last_success_at=100 * HOUR, failing_since=None
    )
    lost = assess(verified, NOTHING, 101 * HOUR)
    assert lost.status is S.TEMPORARY_FAILURE and lost.failing_since == 101 * HOUR
    still = CheckState(lost.status, lost.dkim_status, 0.0, lost.last_success_at, lost.failing_since)
    assert assess(still, NOTHING, 101 * HOUR + GIVE_UP_SECONDS - 1).status is S.TEMPORARY_FAILURE
    assert assess(still, NOTHING, 101 * HOUR + GIVE_UP_SECONDS).status is S.FAILED
    back = assess(still, ALL_CNAMES, 102 * HOUR)
    assert back.status is S.SUCCESS and back.failing_since is None


def test_a_dns_server_failure_is_a_temporary_failure_and_changes_no_clock() -> None:
    result = assess(PENDING, DnsEvidence(0, 3, False, None, temporary_error=True), HOUR)
    assert result.status is S.TEMPORARY_FAILURE and result.error_type == "DNS_SERVER_ERROR"
    assert result.failing_since is None
