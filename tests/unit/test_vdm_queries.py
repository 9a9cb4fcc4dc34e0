"""VDM metric queries: ISP names from recipient domains, dimension rules, the interval in whole UTC days,
and which identity a message was sent with."""

from __future__ import annotations

import pytest

from postwarden.domain.isp import OTHER, isp_for_address, isp_for_domain, known_isps
from postwarden.domain.vdm import (
    MAX_DAYS,
    Dimension,
    InvalidQueryError,
    VdmMetric,
    metric_query,
    parse_dimensions,
    sending_identity,
    source_address,
)

DAY = 86_400


@pytest.mark.parametrize(
    ("domain", "isp"),
    [
        ("gmail.com", "Gmail"),
        ("GoogleMail.com", "Gmail"),
        ("gmail.com.", "Gmail"),
        ("yahoo.com", "Yahoo"),
        ("yahoo.co.uk", "Yahoo"),
        ("ymail.com", "Yahoo"),
        ("hotmail.fr", "Hotmail"),
        ("outlook.com", "Hotmail"),
        ("live.co.uk", "Hotmail"),
        ("msn.com", "Hotmail"),
        ("aol.com", "AOL"),
        ("icloud.com", "iCloud"),
        ("me.com", "iCloud"),
        ("gmx.de", "GMX"),
        ("comcast.net", "Comcast"),
        ("mail.ru", "Mail.ru"),
        ("example.com", OTHER),
        ("mail.example.com", OTHER),
        ("yahoo.example.com", OTHER),  # someone else's subdomain, not a Yahoo country domain
        ("live.example", OTHER),  # `live` is too common a label to match any suffix
        ("hotmail", OTHER),
        ("", OTHER),
        (None, OTHER),
    ],
)
def test_isp_for_domain(domain: str | None, isp: str) -> None:
    assert isp_for_domain(domain) == isp


def test_isp_for_address_and_the_known_names() -> None:
    assert isp_for_address("Someone@Gmail.com") == "Gmail"
    assert isp_for_address("no-domain") == OTHER
    assert isp_for_address(None) == OTHER
    assert {"Gmail", "Yahoo", "Hotmail", "AOL", "iCloud", OTHER} <= known_isps()


def test_dimensions_wildcards_lists_and_case() -> None:
    parsed = parse_dimensions("q", {"ISP": "Gmail, Yahoo", "CONFIGURATION_SET": "Marketing"})
    assert parsed == {
        Dimension.ISP: frozenset({"gmail", "yahoo"}),
        Dimension.CONFIGURATION_SET: frozenset({"Marketing"}),
    }
    assert parse_dimensions("q", {"EMAIL_IDENTITY": "*", "ISP": "Gmail"}) == {
        Dimension.EMAIL_IDENTITY: None,
        Dimension.ISP: frozenset({"gmail"}),
    }


@pytest.mark.parametrize(
    ("dimensions", "complaint"),
    [
        ({"COLOR": "blue"}, "unknown dimension 'COLOR'"),
        ({"ISP": " , "}, "ISP needs a value"),
        ({"ISP": ",".join(f"isp{i}" for i in range(11))}, "at most 10 values"),
        ({"ISP": "*", "EMAIL_IDENTITY": "a.example,b.example"}, "the others may have only one value"),
    ],
)
def test_dimensions_that_break_the_rules(dimensions: dict[str, str], complaint: str) -> None:
    with pytest.raises(InvalidQueryError, match=complaint):
        parse_dimensions("q", dimensions)


def test_the_interval_is_whole_utc_days_both_ends_included() -> None:
    query = metric_query("q", VdmMetric.SEND, {}, 20_000 * DAY + 3600, 20_002 * DAY + 10)
    assert (query.first_day, query.last_day) == (20_000, 20_002)
    assert (query.since, query.until) == (20_000 * DAY, 20_003 * DAY)
    assert list(query.days) == [20_000, 20_001, 20_002]
    same_day = metric_query("q", VdmMetric.SEND, {}, 20_000 * DAY + 10, 20_000 * DAY + 20)
    assert list(same_day.days) == [20_000]


def test_an_interval_backwards_or_too_long_is_refused() -> None:
    with pytest.raises(InvalidQueryError, match="EndDate must not be before StartDate"):
        metric_query("q", VdmMetric.SEND, {}, 2 * DAY, DAY)
    metric_query("q", VdmMetric.SEND, {}, 0, (MAX_DAYS - 1) * DAY)
    with pytest.raises(InvalidQueryError, match=f"at most {MAX_DAYS} days"):
        metric_query("q", VdmMetric.SEND, {}, 0, MAX_DAYS * DAY)


def test_source_address() -> None:
    assert source_address('"News, Inc." <news@example.com>') == "news@example.com"
    assert source_address("=?utf-8?q?N=C3=A9?= <a@example.com>") == "a@example.com"
    assert source_address(" a@example.com ") == "a@example.com"


def test_the_sending_identity_is_the_most_specific_the_account_has() -> None:
    owned = frozenset({"example.com", "news@example.com"})
    assert sending_identity("News <news@example.com>", owned) == "news@example.com"
    assert sending_identity("other@example.com", owned) == "example.com"
    assert sending_identity("a@mail.example.com", owned) == "example.com"  # a parent domain covers it
    assert sending_identity("a@Elsewhere.org", owned) == "elsewhere.org"  # not owned: the Source's domain
