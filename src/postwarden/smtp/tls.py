"""The submission listeners' TLS: the operator's certificate, or a self-signed one created on first start."""

from __future__ import annotations

import datetime
import ipaddress
import ssl
from pathlib import Path

from postwarden.atomic_files import write_atomically

CERT_FILE = "smtp-cert.pem"
KEY_FILE = "smtp-key.pem"


class TlsConfigurationError(ValueError):
    pass


def server_context(
    data_dir: Path,
    hostname: str,
    *,
    cert_file: str = "",
    key_file: str = "",
    extra_names: tuple[str, ...] = (),
) -> ssl.SSLContext:
    """A server-side context from `cert_file`/`key_file`, or from DATA_DIR's self-signed pair (made once)."""
    if bool(cert_file) != bool(key_file):
        raise TlsConfigurationError("smtp_tls_cert and smtp_tls_key must be set together")
    if cert_file:
        cert, key = Path(cert_file), Path(key_file)
    else:
        cert, key = ensure_self_signed(data_dir, hostname, extra_names)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    try:
        context.load_cert_chain(cert, key)
    except (OSError, ssl.SSLError) as error:
        raise TlsConfigurationError(
            f"cannot load the SMTP certificate {cert} / key {key}: {error}"
        ) from error
    return context


def ensure_self_signed(data_dir: Path, hostname: str, extra_names: tuple[str, ...] = ()) -> tuple[Path, Path]:
    """DATA_DIR/smtp-cert.pem and smtp-key.pem, created if either is missing; returns their paths."""
    cert, key = data_dir / CERT_FILE, data_dir / KEY_FILE
    if cert.exists() and key.exists():
        return cert, key
    data_dir.mkdir(parents=True, exist_ok=True)
    cert_pem, key_pem = self_signed_certificate(hostname, extra_names)
    write_atomically(key, key_pem, mode=0o600)
    write_atomically(cert, cert_pem, mode=0o644)
    return cert, key


def self_signed_certificate(hostname: str, extra_names: tuple[str, ...] = ()) -> tuple[bytes, bytes]:
    """A P-256 key and a ten-year self-signed certificate naming `hostname`, localhost and 127.0.0.1."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    names: list[x509.GeneralName] = []
    for name in dict.fromkeys([hostname, "localhost", "127.0.0.1", *extra_names]):
        if not name or name in {"0.0.0.0", "::"}:
            continue
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(name)))
        except ValueError:
            names.append(x509.DNSName(name))
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hostname)])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=3650))
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return certificate.public_bytes(serialization.Encoding.PEM), key_pem

