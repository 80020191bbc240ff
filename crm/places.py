"""Where a lead is: an administrative division of China with its code, the candidates when a name fits
several places (朝阳: a district of Beijing, a city in Liaoning), or a country abroad.

nlu fills these (crm.ports.PlaceResolver) from jionlp's gazetteer; the domain only compares them.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Level(StrEnum):
    PROVINCE = "province"
    CITY = "city"
    DISTRICT = "district"


@dataclass(frozen=True, slots=True)
class Division:
    """A province, city or district (GB/T 2260 code of the deepest level known). A municipality's
    city repeats its province (上海市 上海市 浦东新区, 310115)."""

    province: str
    city: str | None = None
    district: str | None = None
    code: str | None = None

    @property
    def level(self) -> Level:
        if self.district:
            return Level.DISTRICT
        if self.city and self.city != self.province:
            return Level.CITY
        # A municipality named alone (上海) is its province and its city at once.
        return Level.CITY if self.city else Level.PROVINCE

    def label(self) -> str:
        parts: list[str] = []
        for part in (self.province, self.city, self.district):
            if part and part not in parts:
                parts.append(part)
        return "".join(parts)

    def contains(self, other: Division) -> bool:
        """Whether `other` lies in this division (a district in its city, a city in its province)."""
        if other.province != self.province:
            return False
        if self.level is Level.PROVINCE and not self.city:
            return True
        if self.city and other.city != self.city:
            return False
        return not self.district or other.district == self.district

    def to_json(self) -> dict[str, str | None]:
        return {"province": self.province, "city": self.city, "district": self.district, "code": self.code}

    @classmethod
    def from_json(cls, data: dict[str, str | None]) -> Division:
        return cls(str(data.get("province") or ""), data.get("city"), data.get("district"), data.get("code"))


@dataclass(frozen=True, slots=True)
class Located:
    """What a text says about where: one division; several equally likely ones (`candidates`, with
    `division` None); a country abroad (`country`); or nothing."""

    division: Division | None = None
    candidates: tuple[Division, ...] = ()
    country: str | None = None

    @property
    def ambiguous(self) -> bool:
        return self.division is None and len(self.candidates) > 1

    @property
    def found(self) -> bool:
        return self.division is not None or self.country is not None


# Calling codes of mainland China and of Hong Kong, Macau and Taiwan: a phone number with any other is
# a customer abroad when the address says nothing.
_HOME_CODES = ("+86", "+852", "+853", "+886")


def abroad_by_phone(phones: tuple[str, ...] | list[str]) -> bool:
    """Whether every phone number (E.164) has a calling code from outside China."""
    numbers = [p for p in phones if p.startswith("+")]
    return bool(numbers) and not any(p.startswith(_HOME_CODES) for p in numbers)


class NoPlaces:
    """A resolver that knows no place (crm.ports.PlaceResolver): every lead's region is unclear and it
    waits in the pool. For processes wired without nlu."""

    def resolve(self, text: str) -> Located:
        return Located()
