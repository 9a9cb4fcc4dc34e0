"""SMTP AUTH: which region a derived password names, and the access-key cache behind it."""

from __future__ import annotations

import pytest

from postwarden.domain.credentials import smtp_password
from postwarden.services.accounts import Caller
from postwarden.smtp.auth import PasswordMatcher, SmtpAuthenticator, SmtpLogin

DG_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
DG_PASSWORD = "BLBM/9hSUELfq8Gw+rU1YcBjkOxGbhT2XG763xVLGWL9"
REGIONS = ("us-east-1", "eu-west-1", "ap-south-1")


def test_the_password_names_its_region() -> None:
    matcher = PasswordMatcher(REGIONS)
    assert matcher.region_for("AKIA1", DG_SECRET, DG_PASSWORD) == "us-east-1"
    for region in REGIONS:
        assert matcher.region_for("AKIA1", DG_SECRET, smtp_password(DG_SECRET, region)) == region


def test_wrong_passwords_and_regions_not_served_match_nothing() -> None:
    matcher = PasswordMatcher(REGIONS)
    assert matcher.region_for("AKIA1", DG_SECRET, smtp_password(DG_SECRET, "sa-east-1")) is None
    assert matcher.region_for("AKIA1", DG_SECRET, smtp_password("another secret", "us-east-1")) is None
    assert matcher.region_for("AKIA1", DG_SECRET, DG_SECRET) is None
    assert matcher.region_for("AKIA1", DG_SECRET, "") is None
    assert matcher.region_for("AKIA1", DG_SECRET, DG_PASSWORD[:-1] + "x") is None


def test_a_changed_secret_is_derived_afresh() -> None:
    matcher = PasswordMatcher(REGIONS)
    assert matcher.region_for("AKIA1", DG_SECRET, DG_PASSWORD) == "us-east-1"
    assert matcher.region_for("AKIA1", "rotated", DG_PASSWORD) is None
    assert matcher.region_for("AKIA1", "rotated", smtp_password("rotated", "eu-west-1")) == "eu-west-1"


class Lookup:
    def __init__(self, keys: dict[str, Caller]) -> None:
        self.keys = keys
        self.calls: list[str] = []

    def __call__(self, access_key_id: str) -> Caller | None:
        self.calls.append(access_key_id)
        return self.keys.get(access_key_id)


class Clock:
    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t


@pytest.fixture
def lookup() -> Lookup:
    return Lookup({"AKIAKNOWN": Caller("111122223333", DG_SECRET)})


async def test_a_login_records_account_region_and_key(lookup: Lookup) -> None:
    authenticator = SmtpAuthenticator(lookup, REGIONS)
    assert await authenticator.authenticate("AKIAKNOWN", DG_PASSWORD) == SmtpLogin(
        "111122223333", "us-east-1", "AKIAKNOWN"
    )
    eu = smtp_password(DG_SECRET, "eu-west-1")
    assert await authenticator.authenticate("AKIAKNOWN", eu) == SmtpLogin(
        "111122223333", "eu-west-1", "AKIAKNOWN"
    )
    assert await authenticator.authenticate("AKIAKNOWN", "wrong") is None
    assert await authenticator.authenticate("AKIAUNKNOWN", DG_PASSWORD) is None


async def test_known_keys_are_cached_unknown_ones_only_briefly(lookup: Lookup) -> None:
    clock = Clock()
    authenticator = SmtpAuthenticator(lookup, REGIONS, ttl_seconds=30, unknown_ttl_seconds=1, monotonic=clock)
    for _ in range(3):
        await authenticator.authenticate("AKIAKNOWN", DG_PASSWORD)
        await authenticator.authenticate("AKIANEW", DG_PASSWORD)
    assert lookup.calls == ["AKIAKNOWN", "AKIANEW"]
    # A key created after a failed attempt works once the short negative entry has expired.
    lookup.keys["AKIANEW"] = Caller("444455556666", DG_SECRET)
    clock.t += 1.5
    assert await authenticator.authenticate("AKIANEW", DG_PASSWORD) == SmtpLogin(
        "444455556666", "us-east-1", "AKIANEW"
    )
    # A revoked key stops working when its entry expires.
    del lookup.keys["AKIAKNOWN"]
    clock.t += 31
    assert await authenticator.authenticate("AKIAKNOWN", DG_PASSWORD) is None


async def test_empty_or_oversized_credentials_never_reach_the_database(lookup: Lookup) -> None:
    authenticator = SmtpAuthenticator(lookup, REGIONS)
    assert await authenticator.authenticate("", DG_PASSWORD) is None
    assert await authenticator.authenticate("AKIAKNOWN", "") is None
    assert await authenticator.authenticate("A" * 500, DG_PASSWORD) is None
    assert await authenticator.authenticate("AKIAKNOWN", "p" * 5000) is None
    assert lookup.calls == []
