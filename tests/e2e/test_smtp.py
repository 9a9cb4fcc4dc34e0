"""The SES SMTP interface of the running service, driven by smtplib and swaks, delivering to a real MTA."""

from __future__ import annotations

import base64
import os
import re
import shutil
import smtplib
import socket
import ssl
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from postwarden.domain.credentials import smtp_password
from tests.conftest import BACKENDS, require_postgres, start_service
from tests.support.mta import RemoteMta
from tests.support.service import Account, Service, drop_postgres_database, free_port

FROM = "sender@example.com"
MESSAGE_ID = re.compile(rb"^Ok ([0-9a-f]{16}-[0-9a-f-]{36}-000000)$")
UNVERIFIED = b"Message rejected: Email address is not verified. "
CONTEXT = ssl._create_unverified_context()  # the service's certificate is self-signed


def _smtp_service(backend: str, tmp: Path, mta: RemoteMta, **settings: object) -> Iterator[Service]:
    if backend == "postgres":
        require_postgres()
    running, url = start_service(
        backend, tmp, mta.relay, smtp_port=free_port(), smtps_port=free_port(), **settings
    )
    yield running
    running.stop()
    if url:
        drop_postgres_database(url)


@pytest.fixture(scope="module", params=BACKENDS)
def service(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, mta: RemoteMta
) -> Iterator[Service]:
    backend: str = request.param
    yield from _smtp_service(backend, tmp_path_factory.mktemp(f"pw-smtp-{backend}"), mta)


@pytest.fixture(scope="module")
def tight(tmp_path_factory: pytest.TempPathFactory, mta: RemoteMta) -> Iterator[Service]:
    """A service with a low connection cap and a short idle timeout (protocol limits; SQLite only)."""
    yield from _smtp_service(
        "sqlite", tmp_path_factory.mktemp("pw-smtp-tight"), mta, smtp_max_connections=2, smtp_idle_timeout=3
    )


def ports(service: Service) -> tuple[int, int]:
    return int(service.env["POSTWARDEN_SMTP_PORT"]), int(service.env["POSTWARDEN_SMTPS_PORT"])


def account(service: Service, *, production: bool = True, region: str = "us-east-1") -> tuple[Account, str]:
    """An account with example.com verified, and its SMTP password for `region` (from the CLI)."""
    created = service.create_account()
    service.cli("identities", "verify", created.account_id, "example.com", "--region", region)
    if production:
        service.cli(
            "accounts",
            "set-sending",
            created.account_id,
            "--region",
            region,
            "--production",
            "--max-send-rate",
            "1000",
        )
    credentials = service.cli("accounts", "smtp-credentials", created.access_key_id, "--region", region)
    assert credentials["username"] == created.access_key_id
    assert credentials["password"] == smtp_password(created.secret_access_key, region)
    return created, credentials["password"]


def starttls(service: Service, login: tuple[Account, str] | None = None) -> smtplib.SMTP:
    client = smtplib.SMTP("127.0.0.1", ports(service)[0], timeout=30)
    client.ehlo("client.test")
    client.starttls(context=CONTEXT)
    client.ehlo("client.test")
    if login is not None:
        client.login(login[0].access_key_id, login[1])
    return client


def message(to: str, subject: str = "Hello", body: bytes = b"Hi there\r\n", extra: bytes = b"") -> bytes:
    return f"From: Sender <{FROM}>\r\nTo: {to}\r\nSubject: {subject}\r\n".encode() + extra + b"\r\n" + body


def send(
    client: smtplib.SMTP, recipients: list[str], data: bytes, mail_from: str = FROM
) -> tuple[int, bytes]:
    code, reply = client.mail(mail_from)
    assert code == 250, reply
    for rcpt in recipients:
        code, reply = client.rcpt(rcpt)
        assert code == 250, reply
    return client.data(data)


def accepted_id(reply: tuple[int, bytes]) -> str:
    code, text = reply
    found = MESSAGE_ID.match(text)
    assert code == 250 and found, reply
    return found.group(1).decode()


def fields(data: bytes) -> tuple[list[tuple[str, bytes]], bytes]:
    """(header fields as (lower-case name, raw field with folding), body), by bytes only."""
    head, _, body = data.partition(b"\r\n\r\n")
    out: list[tuple[str, bytes]] = []
    for line in head.split(b"\r\n"):
        if line[:1] in (b" ", b"\t") and out:
            out[-1] = (out[-1][0], out[-1][1] + b"\r\n" + line)
        else:
            out.append((line.split(b":", 1)[0].decode().lower(), line))
    return out, body


def test_starttls_submission_arrives_unchanged_but_for_what_ses_rewrites(
    service: Service, mta: RemoteMta
) -> None:
    login = account(service)
    to, hidden = f"to-{login[0].account_id}@example.net", f"bcc-{login[0].account_id}@example.net"
    headers = (
        b"Cc: Carol <carol@example.org>,\r\n Dave <dave@example.org>\r\n"
        b"Message-ID: <client-made@example.com>\r\nDate: Mon, 1 Jan 2001 00:00:00 +0000\r\n"
        b"X-SES-MESSAGE-TAGS: campaign=smtp, batch=7\r\n"
        b"X-SES-SOURCE-ARN: arn:aws:ses:us-east-1:1:identity/x\r\n"
        b"Bcc: " + hidden.encode() + b"\r\nMIME-Version: 1.0\r\nX-Custom: kept  as is\r\n"
        b'Content-Type: multipart/alternative; boundary="b1"\r\n'
    )
    body = (
        b"--b1\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
        b"Gr\xc3\xbc\xc3\x9fe\r\n.a line that starts with a dot\r\n..two dots\r\n\r\n"
        b"--b1\r\nContent-Type: text/html\r\n\r\n<p>Hi</p>\r\n--b1--\r\n"
    )
    sent = message(to, "=?utf-8?q?Gr=C3=BC=C3=9Fe?=", body, headers)
    with starttls(service) as client:
        assert "auth" in client.esmtp_features and "starttls" not in client.esmtp_features
        assert client.esmtp_features["auth"].split() == ["LOGIN", "PLAIN"]
        assert client.esmtp_features["size"] == str(40 * 1024 * 1024)
        assert client.login(login[0].access_key_id, login[1]) == (235, b"Authentication successful")
        message_id = accepted_id(send(client, [to, hidden], sent))

    for rcpt in (to, hidden):
        (received,) = mta.wait_for(rcpt)
        got_fields, got_body = fields(received.data)
        sent_fields, sent_body = fields(sent)
        assert got_body == sent_body
        rewritten = {"message-id", "date"}
        expected = [
            f for f in sent_fields if not f[0].startswith("x-ses-") and f[0] not in {"bcc", *rewritten}
        ]
        assert [f for f in got_fields if not f[0].startswith("x-ses-") and f[0] not in rewritten] == expected
        header = dict(got_fields)
        assert message_id.encode() in header["message-id"] and b"2001" not in header["date"]
        assert received.mail_from.startswith(message_id)
    (send_event,) = service.events(login[0], type="Send", message_id=message_id)
    assert send_event["mail"]["tags"]["campaign"] == ["smtp"]
    assert sorted(send_event["mail"]["destination"]) == sorted([to, hidden])
    assert send_event["mail"]["sendingAccountId"] == login[0].account_id


def test_implicit_tls_submission_delivers(service: Service, mta: RemoteMta) -> None:
    login = account(service)
    to = f"smtps-{login[0].account_id}@example.net"
    with smtplib.SMTP_SSL("127.0.0.1", ports(service)[1], context=CONTEXT, timeout=30) as client:
        client.ehlo("client.test")
        assert "starttls" not in client.esmtp_features and "auth" in client.esmtp_features
        client.login(login[0].access_key_id, login[1])
        message_id = accepted_id(send(client, [to], message(to, "over SMTPS")))
    (received,) = mta.wait_for(to)
    assert b"Subject: over SMTPS\r\n" in received.data and message_id.encode() in received.data


def test_wrong_password_and_unknown_key_get_535(service: Service) -> None:
    login = account(service)
    wrong = smtp_password("not-the-secret", "us-east-1")
    for username, password in ((login[0].access_key_id, wrong), ("AKIAUNKNOWNKEY000000", login[1])):
        with starttls(service) as client:
            plain = base64.b64encode(f"\0{username}\0{password}".encode()).decode()
            assert client.docmd("AUTH", f"PLAIN {plain}") == (535, b"Authentication Credentials Invalid")
            assert client.mail(FROM) == (530, b"Authentication required")


def test_nothing_is_accepted_without_auth(service: Service, mta: RemoteMta) -> None:
    victim = "relay-victim@example.net"
    with starttls(service) as client:  # encrypted, but not authenticated
        assert client.mail(FROM) == (530, b"Authentication required")
        assert client.rcpt(victim) == (530, b"Authentication required")
        assert client.docmd("DATA")[0] == 530
    plain = smtplib.SMTP("127.0.0.1", ports(service)[0], timeout=30)  # neither
    with plain:
        plain.ehlo("relay.test")
        assert client_features(plain) == {"starttls"}
        for command in ("MAIL FROM:<spammer@example.org>", "RCPT TO:<relay-victim@example.net>", "DATA"):
            assert plain.docmd(command) == (530, b"Must issue a STARTTLS command first")
    assert mta.messages_for(victim) == []


def client_features(client: smtplib.SMTP) -> set[str]:
    return set(client.esmtp_features) & {"starttls", "auth"}


def test_auth_before_starttls_is_refused(service: Service) -> None:
    login = account(service)
    with smtplib.SMTP("127.0.0.1", ports(service)[0], timeout=30) as client:
        client.ehlo("client.test")
        assert "auth" not in client.esmtp_features
        plain = base64.b64encode(f"\0{login[0].access_key_id}\0{login[1]}".encode()).decode()
        assert client.docmd("AUTH", f"PLAIN {plain}") == (530, b"Must issue a STARTTLS command first")
        assert client.docmd("AUTH", "LOGIN") == (530, b"Must issue a STARTTLS command first")


def test_sandbox_unverified_recipient_is_rejected_with_ses_text(service: Service, mta: RemoteMta) -> None:
    login = account(service, production=False)
    stranger = f"stranger-{login[0].account_id}@example.org"
    with starttls(service, login) as client:
        code, text = send(client, [stranger], message(stranger))
    assert code == 554
    assert text == UNVERIFIED + (
        f"The following identities failed the check in region US-EAST-1: {stranger}".encode()
    )
    assert mta.messages_for(stranger) == []


def test_sandbox_rate_gives_454_throttling(service: Service) -> None:
    login = account(service, production=False)
    simulator = [f"success{label}@simulator.amazonses.com" for label in ("", "+a", "+b")]
    with starttls(service, login) as client:
        # Three recipients at 1 per second leave a debt of two seconds, so the next one is refused
        # even on a slow machine.
        accepted_id(send(client, simulator, message(simulator[0])))
        code, text = send(client, simulator[:1], message(simulator[0]))
    assert (code, text) == (454, b"Throttling failure: Maximum sending rate exceeded.")


def test_password_derived_for_eu_west_1_sends_in_eu_west_1(service: Service, mta: RemoteMta) -> None:
    login = account(service, production=False, region="eu-west-1")
    friend = f"friend-{login[0].account_id}@example.net"
    service.cli("identities", "verify", login[0].account_id, friend, "--region", "eu-west-1")
    with smtplib.SMTP_SSL("127.0.0.1", ports(service)[1], context=CONTEXT, timeout=30) as client:
        client.login(login[0].access_key_id, login[1])
        message_id = accepted_id(send(client, [friend], message(friend, "from Ireland")))
    (received,) = mta.wait_for(friend)
    assert f"{message_id}@eu-west-1.".encode() in received.data
    quota = service.client(login[0], region="eu-west-1").get_account()["SendQuota"]
    assert quota["SentLast24Hours"] == 1
    assert service.client(login[0], region="us-east-1").get_account()["SendQuota"]["SentLast24Hours"] == 0


def test_bad_addresses_get_ses_replies(service: Service) -> None:
    login = account(service)
    with starttls(service, login) as client:
        assert client.docmd("MAIL FROM:<>") == (501, b"Invalid MAIL FROM address provided")
        assert client.docmd("MAIL FROM:<a@@example.com>") == (501, b"Invalid MAIL FROM address provided")
        assert client.docmd("MAIL FROM:<nodomain>") == (553, b"nodomain Invalid email address")
        assert client.mail(FROM) == (250, b"Ok")
        assert client.docmd("RCPT TO:<b@@example.com>") == (553, b"b@@example.com address unknown")
        assert client.docmd("RCPT TO:<nodomain>") == (553, b"nodomain address unknown")


def test_unknown_configuration_set_header_is_rejected(service: Service) -> None:
    login = account(service)
    with starttls(service, login) as client:
        code, text = send(
            client,
            ["success@simulator.amazonses.com"],
            message("success@simulator.amazonses.com", extra=b"X-SES-CONFIGURATION-SET: nope\r\n"),
        )
    assert (code, text) == (554, b"Message rejected: Configuration set <nope> does not exist.")


@pytest.mark.parametrize("mode", ["starttls-login", "tls-on-connect-plain"])
def test_swaks_delivers(service: Service, mta: RemoteMta, mode: str) -> None:
    if shutil.which("swaks") is None:
        if os.environ.get("CI"):
            pytest.fail("swaks is not installed, and CI must run this test (.ci/run installs it)")
        pytest.skip("swaks is not installed (apt-get install swaks); CI installs it and runs this test")
    login = account(service)
    to = f"swaks-{mode}-{login[0].account_id}@example.net"
    starttls_port, tls_port = ports(service)
    tls = ["--tls"] if mode == "starttls-login" else ["--tls-on-connect"]
    port = starttls_port if mode == "starttls-login" else tls_port
    result = subprocess.run(
        [
            "swaks",
            "--server",
            f"127.0.0.1:{port}",
            *tls,
            "--auth",
            "LOGIN" if mode == "starttls-login" else "PLAIN",
            "--auth-user",
            login[0].access_key_id,
            "--auth-password",
            login[1],
            "--from",
            FROM,
            "--to",
            to,
            "--helo",
            "swaks.test",
            "--header",
            f"Subject: swaks {mode}",
            "--body",
            "sent by swaks",
        ],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        timeout=60,
        check=False,
    )
    transcript = result.stdout.decode(errors="replace")
    assert result.returncode == 0, transcript + result.stderr.decode(errors="replace")
    assert re.search(r"<[-~]  235 Authentication successful\n", transcript), transcript  # ~: over TLS
    found = re.search(r"<[-~]  250 Ok ([0-9a-f-]+)\n", transcript)
    assert found, transcript
    (received,) = mta.wait_for(to)
    assert f"swaks {mode}".encode() in received.data and found.group(1).encode() in received.data


def test_failed_logins_are_slowed_down_then_disconnected(tight: Service) -> None:
    login = account(tight)
    wrong = base64.b64encode(f"\0{login[0].access_key_id}\0{smtp_password('x', 'us-east-1')}".encode())
    with starttls(tight) as client:
        delays = []
        for _ in range(3):
            started = time.monotonic()
            assert client.docmd("AUTH", f"PLAIN {wrong.decode()}") == (
                535,
                b"Authentication Credentials Invalid",
            )
            delays.append(time.monotonic() - started)
        with pytest.raises(smtplib.SMTPServerDisconnected):
            client.noop()
    assert delays[0] >= 0.2 and delays[1] >= 0.45 and delays[2] >= 0.9, delays
    assert delays[0] < delays[1] < delays[2], delays


def test_connections_over_the_limit_get_421(tight: Service) -> None:
    port = ports(tight)[0]
    first, second = smtplib.SMTP("127.0.0.1", port, timeout=30), smtplib.SMTP("127.0.0.1", port, timeout=30)
    try:
        with pytest.raises(smtplib.SMTPConnectError) as refused:
            smtplib.SMTP("127.0.0.1", port, timeout=30)
        assert (refused.value.smtp_code, refused.value.smtp_error) == (
            421,
            b"Too many concurrent SMTP connections",
        )
    finally:
        first.quit()
    deadline = time.monotonic() + 5
    while True:  # the server notices the closed connection a moment later
        try:
            third = smtplib.SMTP("127.0.0.1", port, timeout=30)
            break
        except smtplib.SMTPConnectError:
            assert time.monotonic() < deadline
            time.sleep(0.05)
    third.quit()
    second.quit()


def test_idle_client_gets_451_and_is_disconnected(tight: Service) -> None:
    with socket.create_connection(("127.0.0.1", ports(tight)[0]), timeout=15) as sock:
        greeting = sock.recv(1024)
        assert greeting.startswith(b"220 ")
        sock.sendall(b"EHLO idle.test\r\n")
        reply = b""
        while not re.search(rb"(^|\r\n)250 [^\r\n]*\r\n$", reply):
            reply += sock.recv(1024)
        started = time.monotonic()
        rest = b""
        while chunk := sock.recv(1024):
            rest += chunk
        assert rest == b"451 Timeout waiting for data from client\r\n"
        assert 2.5 < time.monotonic() - started < 10


def test_message_over_40_mb_is_refused_without_buffering_it(tight: Service) -> None:
    login = account(tight)
    line = b"x" * 998 + b"\r\n"
    big = message("success@simulator.amazonses.com", body=line * (40 * 1024 * 1024 // len(line) + 10))
    with starttls(tight, login) as client:
        assert client.mail(FROM, [f"SIZE={len(big)}"]) == (552, b"Message is too long.")
        assert send(client, ["success@simulator.amazonses.com"], big) == (552, b"Message is too long.")
        assert client.noop()[0] == 250  # the session goes on
        accepted_id(
            send(client, ["success@simulator.amazonses.com"], message("success@simulator.amazonses.com"))
        )
