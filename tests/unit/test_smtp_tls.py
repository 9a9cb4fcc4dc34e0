"""The submission listeners' certificate: self-signed once into the data directory, or the operator's."""

from __future__ import annotations

import ssl
import stat
from pathlib import Path

import pytest
from cryptography import x509

from postwarden.smtp.tls import TlsConfigurationError, ensure_self_signed, server_context


def test_a_self_signed_pair_is_made_once_and_kept(tmp_path: Path) -> None:
    data = tmp_path / "data"
    cert, key = ensure_self_signed(data, "mail.example.test", ("10.1.2.3",))
    assert (cert.name, key.name) == ("smtp-cert.pem", "smtp-key.pem")
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    first = cert.read_bytes()
    assert ensure_self_signed(data, "other.name") == (cert, key)
    assert cert.read_bytes() == first  # not regenerated on the next start
    names = x509.load_pem_x509_certificate(first).extensions.get_extension_for_class(
        x509.SubjectAlternativeName
    )
    assert set(names.value.get_values_for_type(x509.DNSName)) == {"mail.example.test", "localhost"}
    assert {str(ip) for ip in names.value.get_values_for_type(x509.IPAddress)} == {"127.0.0.1", "10.1.2.3"}
    assert list(data.glob(".*tmp")) == []


def test_the_context_serves_the_certificate(tmp_path: Path) -> None:
    context = server_context(tmp_path, "mail.example.test")
    assert context.minimum_version == ssl.TLSVersion.TLSv1_2
    assert (tmp_path / "smtp-cert.pem").exists()


def test_operator_files_are_used_and_must_come_in_pairs(tmp_path: Path) -> None:
    own = tmp_path / "own"
    cert, key = ensure_self_signed(own, "own.example.test")
    data = tmp_path / "data"
    server_context(data, "ignored", cert_file=str(cert), key_file=str(key))
    assert not (data / "smtp-cert.pem").exists()
    with pytest.raises(TlsConfigurationError, match="set together"):
        server_context(data, "x", cert_file=str(cert))
    with pytest.raises(TlsConfigurationError, match="cannot load"):
        server_context(data, "x", cert_file=str(cert), key_file=str(tmp_path / "missing.pem"))
