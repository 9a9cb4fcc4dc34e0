"""The SPF evaluator's limits and edge cases, on an in-memory DNS."""

from __future__ import annotations

import asyncio

import pytest

from postwarden.authcheck import DnsTemporaryError, check_spf


class ZoneLookup:
    def __init__(
        self,
        txt: dict[str, list[str]] | None = None,
        addresses: dict[str, list[str]] | None = None,
        mx: dict[str, list[str]] | None = None,
        failing: frozenset[str] = frozenset(),
    ) -> None:
        self._txt = txt or {}
        self._addresses = addresses or {}
        self._mx = mx or {}
        self._failing = failing
        self.queries: list[tuple[str, str]] = []

    def _check(self, kind: str, name: str) -> None:
        self.queries.append((kind, name))
        if name in self._failing:
            raise DnsTemporaryError(f"SERVFAIL for {name}")

    async def txt(self, name: str) -> list[str] | None:
        self._check("txt", name)
        return self._txt.get(name)

    async def addresses(self, name: str) -> list[str] | None:
        self._check("addresses", name)
        return self._addresses.get(name)

    async def mx(self, name: str) -> list[str] | None:
        self._check("mx", name)
        return self._mx.get(name)


async def result_of(
    record: str,
    ip: str = "192.0.2.1",
    *,
    txt: dict[str, list[str]] | None = None,
    addresses: dict[str, list[str]] | None = None,
    mx: dict[str, list[str]] | None = None,
) -> str:
    zone = ZoneLookup({"example.com": [record], **(txt or {})}, addresses, mx)
    return (await check_spf("example.com", [ip], zone)).result


async def test_qualifiers_and_the_default() -> None:
    assert await result_of("v=spf1 +all") == "pass"
    assert await result_of("v=spf1 -all") == "fail"
    assert await result_of("v=spf1 ~all") == "softfail"
    assert await result_of("v=spf1 ?all") == "neutral"
    assert await result_of("v=spf1 ip4:203.0.113.0/24") == "neutral"  # no match, no all
    assert await result_of("v=spf1 -ip4:192.0.2.1 +all") == "fail"  # the first match wins


async def test_ipv6_and_ipv4_do_not_mix() -> None:
    assert await result_of("v=spf1 ip6:::ffff:192.0.2.1 -all") == "fail"
    assert await result_of("v=spf1 ip6:2001:db8::/32 -all", ip="2001:db8::5") == "pass"
    assert (
        await result_of("v=spf1 a -all", ip="2001:db8::5", addresses={"example.com": ["192.0.2.1"]}) == "fail"
    )
    assert (
        await result_of("v=spf1 a//64 -all", ip="2001:db8::5", addresses={"example.com": ["2001:db8::1"]})
        == "pass"
    )


async def test_include_results() -> None:
    for inner, expected in [
        ("v=spf1 +all", "pass"),
        ("v=spf1 -all", "softfail"),
        ("v=spf1 ?all", "softfail"),
    ]:
        assert await result_of("v=spf1 include:i.test ~all", txt={"i.test": [inner]}) == expected
    assert await result_of("v=spf1 include:i.test ~all") == "permerror"  # no record to include


async def test_redirect() -> None:
    assert await result_of("v=spf1 redirect=r.test", txt={"r.test": ["v=spf1 ip4:192.0.2.1 -all"]}) == "pass"
    assert await result_of("v=spf1 redirect=r.test") == "permerror"  # target without a record
    # `all` before redirect wins: the modifier is never used.
    assert await result_of("v=spf1 -all redirect=r.test", txt={"r.test": ["v=spf1 +all"]}) == "fail"


async def test_void_lookups_are_limited_to_two() -> None:
    assert await result_of("v=spf1 a:x1.test a:x2.test +all") == "pass"
    assert await result_of("v=spf1 a:x1.test a:x2.test a:x3.test +all") == "permerror"


async def test_mx_with_more_than_ten_hosts_is_a_permerror() -> None:
    hosts = [f"mx{i}.example.com" for i in range(11)]
    addresses = {host: ["203.0.113.1"] for host in hosts}
    assert await result_of("v=spf1 mx -all", mx={"example.com": hosts}, addresses=addresses) == "permerror"
    assert await result_of("v=spf1 mx -all", mx={"example.com": hosts[:10]}, addresses=addresses) == "fail"


async def test_null_mx_matches_nothing() -> None:
    assert await result_of("v=spf1 mx ~all", mx={"example.com": []}) == "softfail"


async def test_exists_uses_ipv4_addresses_and_macros() -> None:
    zone = {"1.2.0.192.x.test": ["127.0.0.2"]}
    assert await result_of("v=spf1 exists:%{ir}.x.test -all", addresses=zone) == "pass"
    assert await result_of("v=spf1 exists:%{ir}.x.test -all", ip="192.0.2.9", addresses=zone) == "fail"


async def test_ptr_counts_but_never_matches() -> None:
    assert await result_of("v=spf1 ptr ~all") == "softfail"


async def test_a_loop_ends_at_the_lookup_limit() -> None:
    result = await result_of("v=spf1 include:example.com -all")
    assert result == "permerror"


async def test_temporary_failure_inside_an_include_is_temperror() -> None:
    lookup = ZoneLookup({"example.com": ["v=spf1 include:i.test -all"]}, failing=frozenset({"i.test"}))
    result = await check_spf("example.com", ["192.0.2.1"], lookup)
    assert result.result == "temperror" and "SERVFAIL for i.test" in result.reason


async def test_answers_are_shared_between_ips() -> None:
    lookup = ZoneLookup(
        {"example.com": ["v=spf1 include:i.test -all"], "i.test": ["v=spf1 a:h.test -all"]},
        addresses={"h.test": ["192.0.2.1", "2001:db8::1"]},
    )
    result = await check_spf("example.com", ["192.0.2.1", "2001:db8::1", "203.0.113.1"], lookup)
    assert [ip.result for ip in result.ips] == ["pass", "pass", "fail"]
    assert len(lookup.queries) == len(set(lookup.queries)) == 3


async def test_the_combined_result_is_the_most_severe() -> None:
    lookup = ZoneLookup({"example.com": ["v=spf1 ip4:192.0.2.1 ~all"]})
    result = await check_spf("Example.COM.", ["192.0.2.1", "203.0.113.1"], lookup)
    assert result.domain == "example.com"
    assert result.result == "softfail" and result.failing_ips == ("203.0.113.1",)


async def test_sending_ips_are_required_and_valid() -> None:
    with pytest.raises(ValueError):
        await check_spf("example.com", [], ZoneLookup())
    with pytest.raises(ValueError):
        await check_spf("example.com", ["not-an-ip"], ZoneLookup())


async def test_a_check_that_takes_too_long_is_temperror() -> None:
    class SlowLookup(ZoneLookup):
        async def txt(self, name: str) -> list[str] | None:
            await asyncio.sleep(5)
            return None

    result = await check_spf("example.com", ["192.0.2.1"], SlowLookup(), timeout=0.05)
    assert result.result == "temperror" and "took longer than 0.05 seconds" in result.reason
