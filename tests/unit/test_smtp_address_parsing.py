"""The SMTP listener's fast path for `<address>` arguments gives exactly what aiosmtpd's own parser gives
(the email package's header parser), and leaves everything unusual to that parser."""

from __future__ import annotations

import pytest
from aiosmtpd.smtp import SMTP
from hypothesis import given
from hypothesis import strategies as st

from postwarden.smtp.protocol import _PLAIN_PATH, SubmissionProtocol


def parse(arg: str, *, fast: bool, limit: int = 0) -> tuple[str | None, str | None]:
    protocol = object.__new__(SubmissionProtocol)
    protocol.local_part_limit = limit
    if fast:
        return protocol._getaddr(arg)
    return SMTP._getaddr(protocol, arg)


@pytest.mark.parametrize(
    "arg",
    [
        "<a@b.com>",
        "<a.b+c@x-y.example.org> SIZE=100 BODY=8BITMIME",
        " <a@b.c>",
        "<a@b.com> ",
        "<user@localhost>",
        '<"quoted local"@b.com>',
        "<a@[192.0.2.1]>",
        "<a..b@c.com>",
        "<>",
        "a@b.com",
        "<a@b.com",
        "<@relay.example:a@b.com>",
    ],
)
def test_the_same_answer_as_aiosmtpd(arg: str) -> None:
    assert parse(arg, fast=True) == parse(arg, fast=False)


def test_unusual_forms_are_left_to_aiosmtpd() -> None:
    for arg in ('<"q"@b.com>', "<a@[192.0.2.1]>", "<>", "a@b.com"):
        assert _PLAIN_PATH.match(arg) is None


def test_the_local_part_limit_still_applies() -> None:
    assert parse(f"<{'x' * 65}@example.com>", fast=True, limit=64) == (None, None)
    assert parse(f"<{'x' * 64}@example.com>", fast=True, limit=64) == (f"{'x' * 64}@example.com", "")


atom = st.text(alphabet="abcXYZ019!#$%&'*+/=?^_`{|}~-", min_size=1, max_size=8)
label = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,6}[a-z0-9])?", fullmatch=True)


@given(
    local=st.lists(atom, min_size=1, max_size=3).map(".".join),
    domain=st.lists(label, min_size=1, max_size=3).map(".".join),
    rest=st.sampled_from(["", " SIZE=1000", "  BODY=8BITMIME SMTPUTF8", " "]),
)
def test_generated_dot_atom_paths_agree(local: str, domain: str, rest: str) -> None:
    arg = f"<{local}@{domain}>{rest}"
    assert parse(arg, fast=True) == parse(arg, fast=False)
