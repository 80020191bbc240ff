"""Domain records to JSON and back, for undo journals kept in the audit log and merge records."""

from __future__ import annotations

import dataclasses
import types
import typing
from datetime import date, datetime, time
from enum import Enum
from typing import Any, TypeVar

from crm.facts import Region

T = TypeVar("T")


def dump(obj: Any) -> dict[str, Any]:
    """A JSON-ready dict of a dataclass record."""
    return {f.name: _dump_value(getattr(obj, f.name)) for f in dataclasses.fields(obj)}


def _dump_value(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Region):
        return dataclasses.asdict(value)
    if isinstance(value, list | tuple):
        return [_dump_value(item) for item in value]
    if isinstance(value, dict):
        return {key: _dump_value(item) for key, item in value.items()}
    return value


def load(cls: type[T], data: dict[str, Any]) -> T:
    """The record `dump` made, typed again from `cls`'s annotations."""
    hints = typing.get_type_hints(cls)
    fields = dataclasses.fields(cls)  # type: ignore[arg-type]  # T is always a dataclass here
    values = {f.name: _load_value(hints[f.name], data[f.name]) for f in fields if f.name in data}
    return cls(**values)


def _load_value(hint: Any, value: Any) -> Any:
    if value is None:
        return None
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        inner = [arg for arg in typing.get_args(hint) if arg is not type(None)]
        return _load_value(inner[0], value) if len(inner) == 1 else value
    if origin is list:
        (item,) = typing.get_args(hint)
        return [_load_value(item, v) for v in value]
    if origin is dict:
        return dict(value)
    if isinstance(hint, type):
        if issubclass(hint, Enum):
            return hint(value)
        if hint is datetime:
            return datetime.fromisoformat(value)
        if hint is date:
            return date.fromisoformat(value)
        if hint is time:
            return time.fromisoformat(value)
        if hint is Region:
            return Region(**value)
    return value
