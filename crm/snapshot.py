"""Domain records and their fields to JSON and back, for the field journal (crm.journal) and the
whole-record journals written before it."""

from __future__ import annotations

import dataclasses
import types
import typing
from datetime import UTC, date, datetime, time
from enum import Enum
from typing import Any, TypeVar

from crm.facts import Region

T = TypeVar("T")


def dump(obj: Any) -> dict[str, Any]:
    """A JSON-ready dict of a dataclass record."""
    return {f.name: value(getattr(obj, f.name)) for f in dataclasses.fields(obj)}


def value(item: Any) -> Any:
    """One field's value, JSON-ready: enums by value, times in ISO 8601 (aware ones in UTC, so that
    one moment always reads the same), a region as a dict, lists and dicts of those."""
    return _dump_value(item)


def load_field(cls: type[Any], name: str, data: Any) -> Any:
    """One field of `cls` from what `value` made, typed again. Raises KeyError for a field `cls` lacks."""
    return _load_value(_hints(cls)[name], data)


def _hints(cls: type[Any]) -> dict[str, Any]:
    cached = _HINTS.get(cls)
    if cached is None:
        cached = _HINTS[cls] = typing.get_type_hints(cls)
    return cached


_HINTS: dict[type[Any], dict[str, Any]] = {}


def _dump_value(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(UTC).isoformat()
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
    hints = _hints(cls)
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
