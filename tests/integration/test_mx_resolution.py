"""MX resolution against a real DNS server on loopback."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from postwarden.delivery.mx import MxResolver, Route, RouteError
from tests.support.dns_server import TestDnsServer


@pytest.fixture(scope="module")
def dns_server() -> Iterator[TestDnsServer]:
    with TestDnsServer() as server:
        server.add("sorted.test", "MX", "20 backup.sorted.test.", "10 primary.sorted.test.")
        server.add("primary.sorted.test", "A", "127.0.0.2")
        server.add("backup.sorted.test", "A", "127.0.0.3", "127.0.0.4")
        server.add("implicit.test", "A", "127.0.0.1")
        server.add("nohosts.test", "MX", "10 ghost.nohosts.test.")
        server.add("nullmx.test", "MX", "0 .")
        yield server


def resolver(server: TestDnsServer) -> MxResolver:
    return MxResolver((server.host, server.port), port=2525)


async def test_mx_hosts_in_preference_order_on_the_configured_port(dns_server: TestDnsServer) -> None:
    route = await resolver(dns_server).route("sorted.test")
    assert route.hosts[0] == ("127.0.0.2", 2525)
    assert set(route.hosts[1:]) == {("127.0.0.3", 2525), ("127.0.0.4", 2525)}


async def test_a_domain_without_mx_is_its_own_mail_host(dns_server: TestDnsServer) -> None:
    assert await resolver(dns_server).route("implicit.test") == Route((("127.0.0.1", 2525),))


async def test_mail_hosts_without_addresses_are_a_temporary_failure(dns_server: TestDnsServer) -> None:
    with pytest.raises(RouteError) as failure:
        await resolver(dns_server).route("nohosts.test")
    assert not failure.value.permanent


async def test_null_mx_and_nxdomain_are_permanent(dns_server: TestDnsServer) -> None:
    for domain in ("nullmx.test", "missing.test"):
        with pytest.raises(RouteError) as failure:
            await resolver(dns_server).route(domain)
        assert failure.value.permanent, domain


async def test_an_unreachable_resolver_is_a_temporary_failure() -> None:
    broken = MxResolver(("127.0.0.1", 9), port=25, timeout=0.5)
    with pytest.raises(RouteError) as failure:
        await broken.route("example.com")
    assert not failure.value.permanent
