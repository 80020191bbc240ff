"""The Telegram command menu offers only commands the application answers, in both languages."""

from __future__ import annotations

from bot.telegram import COMMANDS
from chat.app import App


def test_menu_matches_the_application(app: App) -> None:
    channel_own = {"invite", "start"}
    answered = set(app.command_names()) | channel_own
    for lang, entries in COMMANDS.items():
        names = [name for name, _ in entries]
        assert len(names) == len(set(names)), lang
        assert set(names) <= answered, (lang, set(names) - answered)
    assert [n for n, _ in COMMANDS["zh"]] == [n for n, _ in COMMANDS["en"]]
    # every command the application answers is in the menu, except /start (Telegram's own button)
    # and /card, /voice (console commands with a file path; elsewhere they only explain themselves)
    assert answered - {"start", "card", "voice"} <= {n for n, _ in COMMANDS["en"]}
