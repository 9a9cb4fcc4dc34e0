"""Where import files may come from: the import directory (no escaping it by `..` or a symbolic link),
http(s) hosts the endpoint policy allows, never S3; and how much of a file is read."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from postwarden.imports.sources import LocalOrHttpSource
from postwarden.ports.import_jobs import ImportSourceError
from postwarden.webhooks.endpoints import EndpointGuard


def source(allowed: Path, *, allow_private: bool = False, max_bytes: int = 100) -> LocalOrHttpSource:
    return LocalOrHttpSource(allowed, EndpointGuard(allow_private=allow_private), max_bytes=max_bytes)


def refusal(src: LocalOrHttpSource, url: str) -> str | None:
    return asyncio.run(src.refusal(url))


def test_file_urls_must_stay_inside_the_import_directory(tmp_path: Path) -> None:
    allowed = tmp_path / "imports"
    allowed.mkdir()
    (allowed / "list.csv").write_text("a@example.com,BOUNCE\n")
    (tmp_path / "secret.txt").write_text("no")
    (allowed / "link.csv").symlink_to(tmp_path / "secret.txt")
    src = source(allowed)
    assert refusal(src, (allowed / "list.csv").as_uri()) is None
    assert refusal(src, f"file://localhost{allowed}/list.csv") is None
    assert "outside the server's import directory" in (refusal(src, f"file://{allowed}/../secret.txt") or "")
    assert "outside the server's import directory" in (refusal(src, (allowed / "link.csv").as_uri()) or "")
    assert "names another host" in (refusal(src, f"file://elsewhere{allowed}/list.csv") or "")
    assert "Amazon S3 is not available in Postwarden" in (refusal(src, "s3://bucket/key.csv") or "")
    assert "Unsupported import source" in (refusal(src, "ftp://example.com/list.csv") or "")
    assert asyncio.run(src.fetch((allowed / "list.csv").as_uri())) == b"a@example.com,BOUNCE\n"
    with pytest.raises(ImportSourceError, match="outside"):
        asyncio.run(src.fetch((allowed / "link.csv").as_uri()))


def test_files_over_the_size_cap_and_missing_files_fail(tmp_path: Path) -> None:
    (tmp_path / "big.csv").write_bytes(b"x" * 101)
    (tmp_path / "fits.csv").write_bytes(b"x" * 100)
    src = source(tmp_path)
    assert asyncio.run(src.fetch((tmp_path / "fits.csv").as_uri())) == b"x" * 100
    with pytest.raises(ImportSourceError, match="larger than 100 bytes"):
        asyncio.run(src.fetch((tmp_path / "big.csv").as_uri()))
    with pytest.raises(ImportSourceError, match="does not exist"):
        asyncio.run(src.fetch((tmp_path / "gone.csv").as_uri()))


def test_http_sources_follow_the_endpoint_policy(tmp_path: Path) -> None:
    closed, open_ = source(tmp_path), source(tmp_path, allow_private=True)
    assert "non-public address 127.0.0.1" in (refusal(closed, "http://127.0.0.1:9/list.csv") or "")
    assert "non-public address 10.1.2.3" in (refusal(closed, "https://10.1.2.3/list.csv") or "")
    assert refusal(open_, "http://127.0.0.1:9/list.csv") is None
    with pytest.raises(ImportSourceError, match="ConnectError"):
        asyncio.run(open_.fetch("http://127.0.0.1:9/list.csv"))
