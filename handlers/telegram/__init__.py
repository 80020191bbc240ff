"""Telegram handlers (aiogram routers), assembled in the order they must be tried.

Each module builds its router in a function, so that one process can hold several dispatchers
(aiogram attaches a router to one parent only).
"""

from __future__ import annotations

from aiogram import Router

from handlers.telegram import buttons, capture, cards, commands, documents, errors, onboarding, start, voice


def build_router() -> Router:
    root = Router(name=__name__)
    root.include_routers(
        errors.router(),
        start.router(),  # /start works for everyone: it is how people join
        commands.router(),  # members' commands before text, or "/find x" would be captured as a chat
        buttons.router(),
        voice.router(),  # voice, audio and video notes, before capture answers them as unsupported
        # photos and image files, albums collected (the app offers them to deal evidence first, then
        # reads them as business cards), before documents takes any other file
        cards.router(),
        documents.router(),  # files, photos and typed replies (deal evidence), before capture
        capture.router(),  # forwarded and typed text, then anything else a member sends
        onboarding.router(),  # last: whatever a non-member sends
    )
    return root
