"""The coach digest text: grouped by severity, short, and safe to post as-is."""

from __future__ import annotations

from monstercoach_flagworker.digest import DISCORD_LIMIT, FlaggedClient, render_digest
from monstercoach_flagworker.rules import DraftFlag
from monstercoach_schemas.domain import FlagCode, FlagSeverity

HIGH, MEDIUM, LOW = FlagSeverity.HIGH, FlagSeverity.MEDIUM, FlagSeverity.LOW


def client(name: str, *flags: tuple[FlagCode, FlagSeverity]) -> FlaggedClient:
    return FlaggedClient(name, tuple(DraftFlag(code, sev, (), "why") for code, sev in flags))


def digest(flagged: list[FlaggedClient], scanned: int = 10, names: int = 5) -> str:
    return render_digest("2026-W47", scanned, flagged, "rules-only: no LM configured", names)


def test_clients_are_grouped_by_their_worst_flag() -> None:
    text = digest(
        [
            client("Mia", (FlagCode.OVER_EATING, MEDIUM)),
            client("Liam", (FlagCode.MISSED_STREAK, LOW), (FlagCode.GONE_QUIET, HIGH)),
            client("Sofia", (FlagCode.PROTEIN_SHORT, LOW)),
        ]
    )
    assert text.splitlines() == [
        "**Weekly scan 2026-W47**: 10 clients, 3 flagged (rules-only: no LM configured).",
        "Flags: 1 high, 1 medium, 2 low",
        "High (1): Liam (gone quiet, missed streak)",
        "Medium (1): Mia (over eating)",
        "Low (1): Sofia (protein short)",
        "Evidence and actions: Battle Station → Flags.",
    ]


def test_the_most_flagged_come_first_and_the_rest_are_counted() -> None:
    flagged = [client(f"C{n}", *[(code, MEDIUM) for code in list(FlagCode)[:n]]) for n in (1, 4, 2)]
    line = digest(flagged, names=2).splitlines()[2]
    assert line == (
        "Medium (3): C4 (low checkin rate, jobcard slipping, low meal logging, +1); "
        "C2 (low checkin rate, jobcard slipping); +1 more"
    )


def test_a_quiet_week_still_reports() -> None:
    assert digest([]).splitlines()[1] == "No flags this week."


def test_any_roster_fits_one_discord_message() -> None:
    every_flag = [(code, severity) for code in FlagCode for severity in (HIGH, MEDIUM, LOW)]
    flagged = [client("*" * 80, *every_flag) for _ in range(500)]
    assert len(digest(flagged, scanned=10_000, names=20)) <= DISCORD_LIMIT


def test_names_cannot_inject_markdown() -> None:
    text = digest([client("__Sam__ `x`", (FlagCode.GONE_QUIET, HIGH))])
    assert "High (1): \\_\\_Sam\\_\\_ \\`x\\` (gone quiet)" in text
