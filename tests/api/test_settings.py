"""The api refuses to start with settings that are unsafe where it runs."""

from __future__ import annotations

import pydantic
import pytest

from monstercoach_api.settings import ApiSettings, SettingsError, check_settings
from monstercoach_kit.settings import Environment, KitSettings

PRODUCTION = KitSettings(_env_file=None, environment=Environment.PRODUCTION)


def production_ready(**overrides: object) -> ApiSettings:
    settings = ApiSettings(
        _env_file=None,
        COACH_DISCORD_IDS="111111111111111111",
        DISCORD_CLIENT_ID="1234567890",
        DISCORD_CLIENT_SECRET="from-the-developer-portal",
        session_secret="x7Gq2-random-enough-for-production-use-0123",
    )
    return settings.model_copy(update=overrides)


def test_coach_ids_are_read_comma_separated(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COACH_DISCORD_IDS", "111111111111111111, 222222222222222222,")
    settings = ApiSettings(_env_file=None)
    assert settings.coach_discord_ids == {"111111111111111111", "222222222222222222"}


def test_a_coach_id_that_is_not_a_snowflake_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COACH_DISCORD_IDS", "coach_kim")
    with pytest.raises(pydantic.ValidationError, match="COACH_DISCORD_IDS"):
        ApiSettings(_env_file=None)


def test_production_ready_settings_pass() -> None:
    check_settings(production_ready(), PRODUCTION)


def test_production_names_every_missing_piece() -> None:
    with pytest.raises(SettingsError) as refused:
        check_settings(ApiSettings(_env_file=None), PRODUCTION)
    message = str(refused.value)
    for name in ("API_SESSION_SECRET", "DISCORD_CLIENT_ID", "COACH_DISCORD_IDS"):
        assert name in message


@pytest.mark.parametrize(
    ("override", "named"),
    [
        ({"cookie_secure": False}, "API_COOKIE_SECURE"),
        ({"dev_login": True}, "API_DEV_LOGIN"),
        ({"session_secret": pydantic.SecretStr("changeme")}, "API_SESSION_SECRET"),
    ],
)
def test_production_refuses_unsafe_settings(override: dict[str, object], named: str) -> None:
    with pytest.raises(SettingsError, match=named):
        check_settings(production_ready(**override), PRODUCTION)


def test_development_allows_local_conveniences() -> None:
    local = KitSettings(_env_file=None, environment=Environment.DEVELOPMENT)
    check_settings(ApiSettings(_env_file=None, cookie_secure=False, dev_login=True), local)


def test_an_unparsable_rate_limit_is_refused() -> None:
    with pytest.raises(pydantic.ValidationError, match="rate_limit"):
        ApiSettings(_env_file=None, rate_limit="lots")


def test_an_empty_secret_from_a_copied_env_example_counts_as_unset() -> None:
    settings = ApiSettings(_env_file=None, session_secret="", DISCORD_CLIENT_SECRET="")
    assert settings.session_secret is None
    assert settings.discord_client_secret is None
    assert len(settings.session_key()) >= 32
