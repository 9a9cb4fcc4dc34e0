from __future__ import annotations

from pathlib import Path

import pytest

from postwarden.config import Settings, documentation
from postwarden.storage.engine import HEAD_REVISION, alembic_config, make_engine

ROOT = Path(__file__).resolve().parents[2]


def test_environment_overrides_file_overrides_defaults(tmp_path: Path) -> None:
    config = tmp_path / "postwarden.toml"
    config.write_text('http_port = 9000\nrelay = "127.0.0.1:2525"\nsandbox_max_send_rate = 2\n')
    settings = Settings.load(config, {"POSTWARDEN_HTTP_PORT": "9100"})
    assert settings.http_port == 9100
    assert settings.relay == "127.0.0.1:2525"
    assert settings.sandbox_max_send_rate == 2.0


def test_unknown_and_malformed_settings_are_refused_with_the_name() -> None:
    with pytest.raises(ValueError, match="unknown setting 'http_prot'"):
        Settings().merged({"http_prot": 1}, source="test")
    with pytest.raises(ValueError, match="'http_port' from environment"):
        Settings.load(None, {"POSTWARDEN_HTTP_PORT": "eighty"})


def test_the_settings_reference_is_current() -> None:
    assert (ROOT / "docs" / "configuration.md").read_text() == documentation(), (
        "regenerate with: postwarden config --docs > docs/configuration.md"
    )


def test_secret_key_is_never_shown() -> None:
    assert Settings(secret_key="abc").as_dict()["secret_key"] == "***"


def test_head_revision_constant_matches_alembic(tmp_path: Path) -> None:
    from alembic.script import ScriptDirectory

    engine = make_engine(f"sqlite:///{tmp_path / 'x.db'}")
    assert ScriptDirectory.from_config(alembic_config(engine)).get_current_head() == HEAD_REVISION
