"""crm.ports.PlaceResolver over jionlp's gazetteers: Chinese divisions with their codes (nlu.region) and
countries abroad with their capitals and main cities (jionlp's world table), for lead routing."""

from __future__ import annotations

import functools

from crm.places import Division, Located
from nlu import jio
from nlu import region as regions


@functools.cache
def _abroad() -> tuple[tuple[str, str], ...]:
    """(name, country) for every foreign country, its full name, capital and main cities (Chinese),
    longest names first so that "新加坡共和国" is found before "新加坡"."""
    names: dict[str, str] = {}
    for continent in jio.world_location().values():
        for country, info in continent.items():
            if country == "中国":
                continue
            for name in (country, info.get("full_name"), info.get("capital"), *(info.get("main_city") or [])):
                if isinstance(name, str) and len(name) >= 2:
                    names.setdefault(name, country)
    return tuple(sorted(names.items(), key=lambda item: len(item[0]), reverse=True))


def _division(found: regions.Division) -> Division:
    return Division(found.province, found.city, found.district, found.code)


class PlaceIndex:
    """Where a text is: a division of China, several candidates, or a country abroad."""

    def warm_up(self) -> None:
        self.resolve("上海市浦东新区")
        _abroad()

    def resolve(self, text: str) -> Located:
        said = text.strip()
        if not said:
            return Located()
        # A foreign name wins over Chinese names that are places only sometimes ("新加坡滨海湾" is not
        # 滨海新区 in Tianjin) and over those inside it (旧金山 is San Francisco, not 金山区 in Shanghai);
        # another Chinese place name wins over a foreign one.
        abroad = [(name, country) for name, country in _abroad() if name in said]
        if abroad:
            chinese = regions.place_names(said)
            if all(any(found in name for name, _ in abroad) for found in chinese):
                return Located(country=abroad[0][1])
        resolution = regions.resolve(said)
        if resolution.ambiguous:
            return Located(None, tuple(_division(c) for c in resolution.candidates))
        if resolution.division is not None:
            return Located(_division(resolution.division), (_division(resolution.division),))
        return Located()
