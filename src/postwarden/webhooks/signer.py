"""SNS message signing: an RSA key and a self-signed certificate kept in the data directory, the
certificate published at a `SimpleNotificationService-<hash>.pem` URL, SHA1withRSA (version 1) and
SHA256withRSA (version 2) signatures."""

from __future__ import annotations

import base64
import datetime
import hashlib
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

from postwarden.atomic_files import write_atomically

KEY_FILE = "sns-signing-key.pem"
CERT_FILE = "sns-signing-cert.pem"


class SnsSigner:
    def __init__(self, key: rsa.RSAPrivateKey, certificate_pem: bytes, public_url: str) -> None:
        self._key = key
        self.certificate_pem = certificate_pem
        digest = hashlib.sha256(certificate_pem).hexdigest()[:32]
        self.certificate_path = f"/SimpleNotificationService-{digest}.pem"
        self._certificate_url = public_url.rstrip("/") + self.certificate_path

    @property
    def certificate_url(self) -> str:
        return self._certificate_url

    def sign(self, text: str, version: str) -> str:
        algorithm: hashes.HashAlgorithm = hashes.SHA1() if version == "1" else hashes.SHA256()
        signature = self._key.sign(text.encode("utf-8"), padding.PKCS1v15(), algorithm)
        return base64.b64encode(signature).decode("ascii")

    @classmethod
    def load_or_create(cls, data_dir: Path, hostname: str, public_url: str) -> SnsSigner:
        key_path, cert_path = data_dir / KEY_FILE, data_dir / CERT_FILE
        if not (key_path.exists() and cert_path.exists()):
            data_dir.mkdir(parents=True, exist_ok=True)
            key_pem, cert_pem = _new_pair(hostname)
            write_atomically(key_path, key_pem, mode=0o600)
            write_atomically(cert_path, cert_pem, mode=0o644)
        key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
        if not isinstance(key, rsa.RSAPrivateKey):
            raise ValueError(f"{key_path} does not hold an RSA key")
        return cls(key, cert_path.read_bytes(), public_url)


def _new_pair(hostname: str) -> tuple[bytes, bytes]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"sns.{hostname}")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=3650))
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return key_pem, certificate.public_bytes(serialization.Encoding.PEM)

