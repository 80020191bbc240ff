"""User-facing text in Chinese and English. `t(lang, key, **params)` renders one message.

Each feature keeps its messages in a module of this package; all are registered here.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from crm.model import Lang

logger = logging.getLogger(__name__)

_CATALOG: dict[str, tuple[str, str]] = {}


def register(messages: Mapping[str, tuple[str, str]]) -> None:
    """Adds (zh, en) texts; a key registered twice is a programming error."""
    clash = _CATALOG.keys() & messages.keys()
    if clash:
        raise ValueError(f"message keys registered twice: {sorted(clash)}")
    _CATALOG.update(messages)


def t(lang: Lang, key: str, /, **params: Any) -> str:
    """The message `key` in `lang`, with `params` filled in (str.format fields)."""
    try:
        zh, en = _CATALOG[key]
    except KeyError:
        logger.error("missing message %s", key)
        return key
    template = zh if lang is Lang.ZH else en
    try:
        return template.format(**params)
    except (KeyError, IndexError, ValueError):
        logger.exception("message %s could not be filled", key)
        return template


def has(key: str) -> bool:
    return key in _CATALOG


def keys() -> set[str]:
    return set(_CATALOG)


def _load() -> None:
    from chat.messages import (
        cards,
        channels,
        core,
        data_health,
        deals,
        history,
        members,
        reminders,
        territories,
        voice,
    )

    register(core.MESSAGES)
    register(reminders.MESSAGES)
    register(channels.MESSAGES)
    register(voice.MESSAGES)
    register(cards.MESSAGES)
    register(deals.MESSAGES)
    register(members.MESSAGES)
    register(territories.MESSAGES)
    register(history.MESSAGES)
    register(data_health.MESSAGES)


_load()
