"""Bot settings: the token under its usual name, dry-run without it, never in a log."""

from __future__ import annotations

import pytest

from monstercoach_bot.settings import BotSettings, check_startup
from monstercoach_kit.settings import KitSettings


def test_discord_token_is_read_under_its_own_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DISCORD_TOKEN", "abc.def.ghi")
    monkeypatch.setenv("BOT_DISCORD_API_BASE", "http://127.0.0.1:9/api/v10")
    settings = BotSettings(_env_file=None)
    assert settings.discord_token is not None
    assert settings.discord_token.get_secret_value() == "abc.def.ghi"
    assert settings.discord_api_base == "http://127.0.0.1:9/api/v10"
    assert not settings.dry_run
    assert "abc.def.ghi" not in repr(settings)


@pytest.mark.parametrize("value", [None, "", "   "])
def test_no_token_is_dry_run(monkeypatch: pytest.MonkeyPatch, value: str | None) -> None:
    if value is None:
        monkeypatch.delenv("DISCORD_TOKEN", raising=False)
    else:
        monkeypatch.setenv("DISCORD_TOKEN", value)
    assert BotSettings(_env_file=None).dry_run


def test_dry_run_is_refused_in_production() -> None:
    bot = BotSettings(_env_file=None, DISCORD_TOKEN="")
    with pytest.raises(SystemExit, match="DISCORD_TOKEN"):
        check_startup(bot, KitSettings(_env_file=None, environment="production"))
    check_startup(bot, KitSettings(_env_file=None, environment="development"))


def test_the_rate_cannot_exceed_discords_limit() -> None:
    with pytest.raises(ValueError, match="50"):
        BotSettings(_env_file=None, discord_requests_per_second=51)
