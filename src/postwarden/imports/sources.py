"""Import files for CreateImportJob. SES reads them from Amazon S3; Postwarden reads `file://` URLs of
files under the operator's import directory and `http(s)://` URLs, and refuses `s3://` with a message
that says so.

An HTTP source is vetted like a webhook endpoint (the `EndpointPolicy`: no loopback or private hosts
unless the operator allows them), is fetched without following redirects, and is read up to a size cap.
A file source must resolve (symbolic links followed) to a regular file inside the import directory.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from urllib.parse import unquote, urlsplit

import httpx

from postwarden.ports.import_jobs import ImportSourceError
from postwarden.ports.notifications import EndpointPolicy

FORMS = (
    "ImportDataSource.S3Url must be a file:// URL of a file in the server's import directory "
    "(setting import_allowed_dir) or an http:// or https:// URL"
)


class LocalOrHttpSource:
    def __init__(
        self,
        allowed_dir: Path,
        endpoints: EndpointPolicy,
        *,
        max_bytes: int,
        timeout_seconds: float = 30.0,
        total_seconds: float = 120.0,
        verify_tls: bool = True,
    ) -> None:
        self._allowed = allowed_dir.resolve()
        self._endpoints = endpoints
        self._max_bytes = max_bytes
        self._total_seconds = total_seconds
        self._client = httpx.AsyncClient(
            timeout=httpx.Timeout(timeout_seconds, connect=min(10.0, timeout_seconds)),
            follow_redirects=False,
            verify=verify_tls,
        )

    async def refusal(self, url: str) -> str | None:
        scheme = urlsplit(url).scheme.lower()
        if scheme == "s3":
            return f"Amazon S3 is not available in Postwarden: {FORMS}."
        if scheme == "file":
            found = self._local_path(url)
            return found if isinstance(found, str) else None
        if scheme in {"http", "https"}:
            reason = await self._endpoints.refusal(url)
            return None if reason is None else f"The import source {url} cannot be used: {reason}."
        return f"Unsupported import source {url}: {FORMS}."

    async def fetch(self, url: str) -> bytes:
        refusal = await self.refusal(url)
        if refusal is not None:
            raise ImportSourceError(refusal)
        if urlsplit(url).scheme.lower() == "file":
            path = self._local_path(url)
            assert isinstance(path, Path)  # refusal() said so
            return await asyncio.to_thread(self._read_file, path)
        try:
            return await asyncio.wait_for(self._download(url), self._total_seconds)
        except TimeoutError as error:
            raise ImportSourceError(f"Reading {url} took longer than {self._total_seconds:g} s.") from error
        except httpx.HTTPError as error:
            raise ImportSourceError(f"Reading {url} failed: {type(error).__name__}: {error}") from error

    async def close(self) -> None:
        await self._client.aclose()

    def _local_path(self, url: str) -> Path | str:
        """The resolved path of a file:// URL, or why it may not be used."""
        parts = urlsplit(url)
        if parts.netloc not in {"", "localhost"}:
            return f"The import source {url} names another host; file:// URLs are read on this server."
        path = Path(unquote(parts.path))
        if not path.is_absolute():
            return f"The import source {url} is not an absolute file:// URL."
        resolved = path.resolve()
        if not resolved.is_relative_to(self._allowed):
            return f"The import source {url} is outside the server's import directory: {FORMS}."
        return resolved

    def _read_file(self, path: Path) -> bytes:
        try:
            with path.open("rb") as handle:
                data = handle.read(self._max_bytes + 1)
        except FileNotFoundError as error:
            raise ImportSourceError(f"The import file {path.name} does not exist.") from error
        except OSError as error:
            reason = error.strerror or type(error).__name__
            raise ImportSourceError(f"The import file {path.name} cannot be read: {reason}.") from error
        if len(data) > self._max_bytes:
            raise ImportSourceError(f"The import file is larger than {self._max_bytes:,} bytes.")
        return data

    async def _download(self, url: str) -> bytes:
        async with self._client.stream("GET", url) as response:
            if response.status_code != 200:
                moved = " (redirects are not followed)" if response.is_redirect else ""
                raise ImportSourceError(f"GET {url} answered HTTP {response.status_code}{moved}.")
            declared = response.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > self._max_bytes:
                raise ImportSourceError(f"The import file is larger than {self._max_bytes:,} bytes.")
            chunks: list[bytes] = []
            size = 0
            async for chunk in response.aiter_bytes():
                size += len(chunk)
                if size > self._max_bytes:
                    raise ImportSourceError(f"The import file is larger than {self._max_bytes:,} bytes.")
                chunks.append(chunk)
        return b"".join(chunks)
