"""OCR repair of the place names at the start of a Chinese address, against jionlp's gazetteer.

A card prints "杭州市余杭区…"; OCR may give "村州市余居区…". A name one character off, with its
suffix (省/市/区/县) intact and the one below it agreeing, is taken to be the gazetteer's.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from nlu import jio


@dataclass(frozen=True, slots=True)
class _Gazetteer:
    provinces: tuple[str, ...]
    cities: dict[str, tuple[str, ...]]  # province -> its cities ("" -> every city)
    counties: dict[str, tuple[str, ...]]  # city -> its districts and counties


@cache
def _gazetteer() -> _Gazetteer:
    provinces: list[str] = []
    cities: dict[str, tuple[str, ...]] = {}
    counties: dict[str, tuple[str, ...]] = {}
    every_city: list[str] = []
    for province, province_data in jio.china_location().items():
        if province.startswith("_"):
            continue
        provinces.append(province)
        names = tuple(city for city in province_data if not city.startswith("_"))
        cities[province] = names
        every_city.extend(names)
        for city in names:
            counties[city] = tuple(county for county in province_data[city] if not county.startswith("_"))
    cities[""] = tuple(every_city)
    return _Gazetteer(tuple(provinces), cities, counties)


def _near(segment: str, name: str) -> int | None:
    """0 when equal, 1 when one character (not the last, the 省/市/区 suffix) differs, else None."""
    if len(segment) != len(name):
        return None
    differences = [index for index, (a, b) in enumerate(zip(segment, name, strict=True)) if a != b]
    if not differences:
        return 0
    if len(differences) == 1 and len(name) >= 3 and differences[0] != len(name) - 1:
        return 1
    return None


def _matches(text: str, position: int, names: tuple[str, ...]) -> list[tuple[int, str]]:
    found = []
    for name in names:
        distance = _near(text[position : position + len(name)], name)
        if distance is not None:
            found.append((distance, name))
    return sorted(found, key=lambda item: (item[0], -len(item[1])))


def repair_place_names(address: str) -> str:
    """The address with its province, city and district spelled as in the gazetteer, where OCR garbled
    one character of them and the rest of the address makes the reading unambiguous."""
    gazetteer = _gazetteer()
    text = address
    position = 0
    provinces = _matches(text, 0, gazetteer.provinces)
    province = ""
    # Only an exact province: 南京市 is one character from 北京市, and a province has no level above to
    # confirm a guess (cities below are checked against their own district).
    if provinces and provinces[0][0] == 0:
        province = provinces[0][1]
        text = province + text[len(province) :]
        position = len(province)
    own_cities = gazetteer.cities[province]
    if province and len(own_cities) == 1 and own_cities[0] == province:
        city_options: list[tuple[int, str, int]] = [(0, province, position)]  # 上海市浦东新区: no city named
        city_options += [(d, c, position + len(c)) for d, c in _matches(text, position, own_cities)]
    else:
        city_options = [(d, c, position + len(c)) for d, c in _matches(text, position, own_cities)]
    best: tuple[int, str, int, str | None] | None = None
    for distance, city, after in city_options:
        counties = _matches(text, after, gazetteer.counties.get(city, ()))
        county = counties[0][1] if counties and (counties[0][0] == 0 or len(counties) == 1) else None
        score = distance - (1 if county else 0)
        if distance == 1 and not county:
            continue  # a guessed city needs its district to agree
        if best is None or score < best[0]:
            best = (score, city, after, county)
    if best is None:
        return text
    _, city, after, county = best
    text = text[: after - len(city)] + city + text[after:] if after > position else text
    if county:
        text = text[:after] + county + text[after + len(county) :]
    return text
