"""Domain errors to replies: each crm error carries the key of its message and the params that fill
it (a stage is named in the member's language); a database failure that kept the input adds a retry
button."""

from __future__ import annotations

from chat import format as fmt
from chat.messages import t
from chat.views import Act, Button, Reply, rows
from crm.errors import ChatCrmError, StorageUnavailable
from crm.model import Lang
from crm.stages import StageRef


def error(lang: Lang, exc: ChatCrmError) -> Reply:
    buttons: tuple[tuple[Button, ...], ...] = ()
    if isinstance(exc, StorageUnavailable) and exc.retry_token:
        buttons = rows(Button(t(lang, "button.retry"), Act.RETRY, arg=exc.retry_token))
    return Reply(message(lang, exc), buttons)


def message(lang: Lang, exc: ChatCrmError) -> str:
    """The error's text in `lang`."""
    params = {
        name: fmt.stage(lang, value.funnel, value.key) if isinstance(value, StageRef) else value
        for name, value in exc.params.items()
    }
    return t(lang, exc.key, **params)


def generic(lang: Lang) -> Reply:
    """The answer to a failure that is no domain error (it was logged with its traceback)."""
    return Reply(t(lang, "error.generic"))


def unprocessed(lang: Lang) -> Reply:
    """The answer to a message the inbox gave up on after its last attempt."""
    return Reply(t(lang, "error.unprocessed"))
