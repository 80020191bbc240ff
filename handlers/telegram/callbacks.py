"""Inline-button payloads. Telegram allows 64 bytes of callback data; the prefix is one letter."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData

from chat.views import Button


class ButtonCB(CallbackData, prefix="b"):
    act: str
    target: int
    arg: str

    @classmethod
    def of(cls, button: Button) -> ButtonCB:
        return cls(act=button.act.value, target=button.target, arg=button.arg)
