"""Domain errors to replies: each crm error carries the key of its message and the params that fill
it; a database failure that kept the input adds a retry button."""

from __future__ import annotations

from chat.messages import t
from chat.views import Act, Button, Reply, rows
from crm.errors import ChatCrmError, StorageUnavailable
from crm.model import Lang


def error(lang: Lang, exc: ChatCrmError) -> Reply:
    buttons: tuple[tuple[Button, ...], ...] = ()
    if isinstance(exc, StorageUnavailable) and exc.retry_token:
        buttons = rows(Button(t(lang, "button.retry"), Act.RETRY, arg=exc.retry_token))
    return Reply(t(lang, exc.key, **exc.params), buttons)


def generic(lang: Lang) -> Reply:
    """The answer to a failure that is no domain error (it was logged with its traceback)."""
    return Reply(t(lang, "error.generic"))
