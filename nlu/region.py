"""Places in text: province / city / district with jionlp's parser, and a street address when one is given."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from crm.facts import Region
from nlu import jio
from nlu.resources import word_list

_ADDRESS_LABEL = re.compile(
    r"(?:地址|公司地址|办公地址|address|addr)\s*[:：是在]?\s*(?P<addr>[^\n;；。]{4,80})", re.IGNORECASE
)
_STREET = re.compile(r"\d+\s*[号弄栋座室层楼]|[路街巷道]\S{0,8}\d|大厦|大楼|广场|园区|产业园|科技园")


@dataclass(frozen=True, slots=True)
class _Place:
    province: str
    city: str | None = None
    county: str | None = None


@dataclass(frozen=True, slots=True)
class _Index:
    """jionlp's gazetteer as lookups: names by first character (longest first), places by name."""

    by_first: dict[str, tuple[str, ...]]
    strong: frozenset[str]  # names that are places on their own
    places: dict[str, tuple[_Place, ...]]  # every place a name can refer to
    levels: dict[_Place, tuple[frozenset[str], frozenset[str], frozenset[str]]]  # its names per level
    rank: dict[str, int]  # prominence of a city, for ties


@functools.cache
def _index() -> _Index:
    strong: set[str] = set()
    weak: set[str] = set()
    levels: dict[_Place, tuple[frozenset[str], frozenset[str], frozenset[str]]] = {}
    for province, cities in jio.china_location().items():
        if province.startswith("_"):
            continue
        province_names = frozenset({province, cities["_alias"]})
        strong |= province_names
        levels[_Place(province)] = (province_names, frozenset(), frozenset())
        for city, counties in cities.items():
            if city.startswith("_"):
                continue
            city_names = frozenset({city, *counties["_alias"]})
            strong |= city_names
            levels[_Place(province, city)] = (province_names, city_names, frozenset())
            for county, info in counties.items():
                if county.startswith("_"):
                    continue
                county_names = frozenset({county, info["_alias"]})
                strong.add(county) if len(county) > 2 else weak.add(county)
                weak.add(info["_alias"])
                levels[_Place(province, city, county)] = (province_names, city_names, county_names)
    strong -= set(word_list("place_words.txt"))
    strong |= weak & set(word_list("district_aliases.txt"))
    names = {name for name in strong | weak if len(name) >= 2}
    places: dict[str, list[_Place]] = {}
    for place, (p_names, c_names, k_names) in levels.items():
        own = k_names if place.county else c_names if place.city else p_names
        for name in own & names:
            places.setdefault(name, []).append(place)
    by_first: dict[str, list[str]] = {}
    for name in places:
        by_first.setdefault(name[0], []).append(name)
    return _Index(
        {first: tuple(sorted(group, key=len, reverse=True)) for first, group in by_first.items()},
        frozenset(strong),
        {name: tuple(group) for name, group in places.items()},
        levels,
        {city: rank for rank, city in enumerate(word_list("major_cities.txt"))},
    )


def place_names(text: str) -> list[str]:
    """Chinese place names in `text`, in order: strong ones, and district names right after a strong one."""
    index = _index()
    found: list[str] = []
    position = 0
    last_strong_end = -10
    while position < len(text):
        candidates = index.by_first.get(text[position], ())
        name = next((c for c in candidates if text.startswith(c, position)), None)
        if name is None:
            position += 1
            continue
        if name in index.strong or position - last_strong_end <= 1:
            found.append(name)
            last_strong_end = position + len(name)
        position += len(name)
    return found


def resolve(names: list[str]) -> Region | None:
    """The place that the most of `names` belong to ("广州", "天河" -> 广东省 广州市 天河区).

    jionlp's own parse_location scans its whole gazetteer for every call (3-7 ms); the same data
    indexed by name answers in microseconds, which matters on the capture path.
    """
    index = _index()
    said = set(names)
    best: list[tuple[int, int, int, _Place, int]] = []
    for place in {place for name in said for place in index.places[name]}:
        matched = [bool(level & said) for level in index.levels[place]]
        depth = max(i + 1 for i, hit in enumerate(matched) if hit)
        size = 3 if place.county else 2 if place.city else 1
        rank = index.rank.get(place.city or place.province, len(index.rank))
        best.append((-sum(matched), size - depth, rank, place, depth))
    if not best:
        return None
    best.sort(key=lambda item: item[:3])
    top = [item for item in best if item[:3] == best[0][:3]]
    place, depth = top[0][3], top[0][4]
    if len(top) > 1:
        # Equally likely places: keep only the levels they share.
        shared = [
            len({(p.province, p.city, p.county)[:level] for *_, p, _ in top}) == 1 for level in (1, 2, 3)
        ]
        depth = min(depth, sum(shared))
        if depth == 0:
            return None
    return Region(
        place.province,
        place.city if depth >= 2 or (place.city and place.city == place.province) else None,
        place.county if depth >= 3 else None,
    )


def find_region(texts: list[str]) -> Region | None:
    """The region of the first text (in priority order) that names a place; None when none does."""
    for text in texts:
        names = place_names(text)
        region = resolve(names) if names else None
        if region is not None:
            return region
    return None


def find_address(text: str) -> str | None:
    """A street address: after a label ("地址：…"), or a clause naming a place and a street or building."""
    labelled = _ADDRESS_LABEL.search(text)
    if labelled:
        return labelled["addr"].strip(" ,，")
    for clause in re.split(r"[\n,，;；。!！?？]", text):
        if not _STREET.search(clause):
            continue
        names = place_names(clause)
        if names:
            return clause[clause.index(names[0]) :].strip()
    return None
