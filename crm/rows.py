"""One spreadsheet row read into the values of a customer and its contact, or the reason it cannot be.

Every cell is checked before anything is written: phones through the normalizer (phonenumbers), a
stage against the team's funnel (its names in either language), amounts and dates in the forms people
type. The first problem found is the row's reason in the error file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from crm.columns import Field, Layout, text_of
from crm.facts import Region
from crm.ports import Normalizer
from crm.stages import LOST, WON, Funnel
from crm.table import Cell

# The longest values the schema keeps (storage.tables); longer ones fail the row rather than the import.
MAX_LENGTH = {
    Field.COMPANY: 300,
    Field.NAME: 200,
    Field.TITLE: 200,
    Field.WECHAT: 64,
    Field.ADDRESS: 500,
    Field.PROVINCE: 64,
    Field.CITY: 64,
    Field.DISTRICT: 64,
    Field.OWNER: 200,
}
MAX_NOTE = 4000
MORNING = time(9, 0)  # a follow-up date without a time is due at 09:00, as typed reminders
# ";ext=" belongs to a number (E.164 with an extension, as exports write it); other ";" separate numbers.
_SEPARATORS = re.compile(r"[,，；、/\n]+|;(?!ext=)")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_LOST_WORDS = frozenset({"lost", "输单", "丢单", "失败", "已流失", "流失"})
_DATE = re.compile(
    r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?"
    r"(?:[ T]+(\d{1,2})\s*[:：时點点]\s*(\d{1,2})?(?:\s*[:：]\s*\d{1,2})?\s*分?)?"
)


@dataclass(frozen=True, slots=True)
class RowProblem:
    """Why a row fails: a message key (chat.messages) and its parameters."""

    key: str
    params: dict[str, str] = field(default_factory=dict)


class RowRejected(Exception):
    def __init__(self, key: str, **params: str) -> None:
        super().__init__(key)
        self.problem = RowProblem(key, params)


@dataclass(slots=True)
class Row:
    """What a row says, checked and normalised. `line` is its 1-based row number in its sheet."""

    sheet: str
    line: int
    cells: list[Cell]
    company: str | None = None
    name: str | None = None
    title: str | None = None
    phones: list[str] = field(default_factory=list)
    emails: list[str] = field(default_factory=list)
    wechat: str | None = None
    address: str | None = None
    region: Region | None = None
    owner: str | None = None
    stage: str | None = None
    budget: int | None = None
    next_follow_up: datetime | None = None
    notes: str | None = None
    updated: datetime | None = None

    @property
    def has_contact(self) -> bool:
        """Whether the row describes a person (else only a company)."""
        return bool(self.name or self.phones or self.emails or self.wechat)


def is_blank(cells: list[Cell]) -> bool:
    return all(not text_of(cell) for cell in cells)


class RowReader:
    """Reads the rows of one sheet laid out as `layout`, for a member in timezone `tz`."""

    def __init__(self, layout: Layout, normalizer: Normalizer, funnel: Funnel, tz: ZoneInfo) -> None:
        self.layout = layout
        self._normalizer = normalizer
        self._funnel = funnel
        self._tz = tz

    def read(self, line: int, cells: list[Cell]) -> Row:
        """Raises RowRejected with the first problem of the row."""
        row = Row(self.layout.sheet, line, cells)
        texts: dict[Field, list[str]] = {}
        notes: list[str] = []
        for index, column in enumerate(self.layout.fields):
            cell = cells[index] if index < len(cells) else None
            if column is Field.IGNORED:
                continue
            value = " ".join(text_of(cell).split()) if column is not Field.NOTES else text_of(cell)
            if not value:
                continue
            if column is None:
                notes.append(f"{self.layout.headers[index]}: {value}")
                continue
            if column in MAX_LENGTH and len(value) > MAX_LENGTH[column]:
                raise RowRejected(
                    "import.row.too_long", column=self.layout.headers[index], limit=str(MAX_LENGTH[column])
                )
            if column is Field.NEXT_FOLLOW_UP:
                row.next_follow_up = self._moment(cell, value, self.layout.headers[index])
            elif column is Field.UPDATED:
                row.updated = self._moment(cell, value, self.layout.headers[index])
            elif column is Field.BUDGET:
                row.budget = self._money(cell, value)
            else:
                texts.setdefault(column, []).append(value)
        row.company = _one(texts, Field.COMPANY)
        row.name = _one(texts, Field.NAME)
        if not row.company and not row.name:
            raise RowRejected("import.row.no_name")
        row.title = _one(texts, Field.TITLE)
        row.wechat = _one(texts, Field.WECHAT)
        row.address = _one(texts, Field.ADDRESS)
        row.owner = _one(texts, Field.OWNER)
        row.phones = self._phones(texts.get(Field.PHONE, []))
        row.emails = _emails(texts.get(Field.EMAIL, []))
        row.region = self._region(texts)
        stage = _one(texts, Field.STAGE)
        if stage:
            row.stage = self._stage(stage)
        notes = [*texts.get(Field.NOTES, []), *notes]
        if notes:
            row.notes = "\n".join(notes)[:MAX_NOTE]
        return row

    def _phones(self, values: list[str]) -> list[str]:
        found: list[str] = []
        for value in values:
            for part in _SEPARATORS.split(value):
                if not part.strip():
                    continue
                phone = self._normalizer.phone(part.strip())
                if phone is None:
                    raise RowRejected("import.row.bad_phone", value=part.strip())
                if phone not in found:
                    found.append(phone)
        return found

    def _region(self, texts: dict[Field, list[str]]) -> Region | None:
        parts = [_one(texts, f) for f in (Field.PROVINCE, Field.CITY, Field.DISTRICT)]
        if not any(parts):
            return None
        resolved = self._normalizer.region(" ".join(p for p in parts if p))
        # A place the gazetteer does not know (abroad, or spelled its own way) is kept as written.
        return resolved or Region(*parts)

    def _stage(self, value: str) -> str:
        key = self._funnel.find_stage(value)
        if key is None and " ".join(value.lower().split()) in _LOST_WORDS:
            key = LOST
        if key is None:
            raise RowRejected("import.row.unknown_stage", value=value)
        return key

    def _money(self, cell: Cell, value: str) -> int:
        if isinstance(cell, int | float) and not isinstance(cell, bool):
            if cell < 0:
                raise RowRejected("import.row.bad_budget", value=value)
            return round(cell)
        amount = self._normalizer.money(value)
        if amount is None or amount < 0:
            raise RowRejected("import.row.bad_budget", value=value)
        return amount

    def _moment(self, cell: Cell, value: str, header: str) -> datetime:
        """A date or time cell, or a typed date, as an aware UTC time read in the member's timezone."""
        if isinstance(cell, datetime):
            local = cell if cell.tzinfo else cell.replace(tzinfo=self._tz)
            return local.astimezone(UTC)
        if isinstance(cell, date):
            return datetime.combine(cell, MORNING, self._tz).astimezone(UTC)
        if isinstance(cell, int | float) and not isinstance(cell, bool) and 20_000 < cell < 80_000:
            # An Excel serial day number that reached us as a plain number (a CSV saved from Excel).
            day = datetime(1899, 12, 30, tzinfo=self._tz) + timedelta(days=float(cell))
            if day.time() == time(0, 0):
                day = day.replace(hour=MORNING.hour)
            return day.astimezone(UTC)
        matched = _DATE.fullmatch(value.strip())
        if matched is None:
            raise RowRejected("import.row.bad_date", column=header, value=value)
        year, month, day_of_month, hour, minute = matched.groups()
        try:
            moment = datetime(
                int(year),
                int(month),
                int(day_of_month),
                int(hour) if hour else MORNING.hour,
                int(minute) if minute else 0,
                tzinfo=self._tz,
            )
        except ValueError as exc:
            raise RowRejected("import.row.bad_date", column=header, value=value) from exc
        return moment.astimezone(UTC)


def _one(texts: dict[Field, list[str]], column: Field) -> str | None:
    values = texts.get(column)
    return values[0] if values else None


def _emails(values: list[str]) -> list[str]:
    found: list[str] = []
    for value in values:
        for part in re.split(r"[\s,;，；、]+", value):
            if not part:
                continue
            if not _EMAIL.fullmatch(part) or len(part) > 200:
                raise RowRejected("import.row.bad_email", value=part)
            if part.lower() not in {known.lower() for known in found}:
                found.append(part)
    return found


__all__ = ["LOST", "WON", "Row", "RowProblem", "RowReader", "RowRejected", "is_blank"]
