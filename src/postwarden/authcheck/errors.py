"""The exceptions of the authentication checks."""

from __future__ import annotations


class AuthCheckError(Exception):
    """Base of every error raised by `postwarden.authcheck`."""


class DnsTemporaryError(AuthCheckError):
    """A DNS query timed out or the server failed (SERVFAIL, refused, unreachable): try again later.

    Never a verdict about the domain: callers keep what they last knew and check again.
    """
