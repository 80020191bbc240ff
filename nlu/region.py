"""Places in text: province / city / district with jionlp's parser, and a street address when one is given."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from crm.facts import Region
from nlu import jio
from nlu.company import trade_words
from nlu.resources import simplified, word_list

_ADDRESS_LABEL = re.compile(
    r"(?:地址|公司地址|办公地址|address|addr)\s*[:：是在]?\s*(?P<addr>[^\n;；。]{4,80})", re.IGNORECASE
)
# A house number, not a day: "12月7号见" and "7号过来" are dates.
_STREET = re.compile(
    r"(?<![月\d])\d+\s*(?:号(?![见前后到过来开上下中晚早左]|之前|以前)|[弄栋座室层楼])|[路街巷道]\S{0,8}\d|"
    r"大厦|大楼|广场|园区|产业园|科技园"
)
_HAS_LATIN = re.compile(r"[A-Za-z]{2}")
# Another field after the address on the same line ("地址在浦东张江，邮箱 …") ends it.
_NEXT_FIELD = re.compile(
    r"\s*(?:邮箱|电邮|电话|手机|座机|传真|微信|联系人|网址|官网|QQ|"
    r"\b(?:e-?mail|tel|phone|mobile|cell|fax|wechat|website)\b)",
    re.IGNORECASE,
)
_ADDRESS_PART = re.compile(r"\s*[,，、]\s*")
# An English address goes on after a comma with a number or a capitalised word ("88 Century Ave,
# Shanghai"); a Chinese one only with a street, a building or a place.
_EN_ADDRESS_GOES_ON = re.compile(r"[0-9A-Z][\x20-\x7e]*")
# An English place word is a street's name before these ("Zhongshan Road" is in every city).
_EN_STREET_AFTER = re.compile(r"\s+(?:Road|Rd|Street|St|Avenue|Ave|Lu|Jie|Dadao|Boulevard|Blvd|Lane)\b", re.I)
# "4pm Beijing time": a clock, not a place.
_EN_TIME_AFTER = re.compile(r"\s+time\b", re.I)
_EN_DISTRICT_AFTER = re.compile(r"\s+(?:District|Qu|New\s+Area|County)\b", re.I)
_EN_BETWEEN_PLACES = re.compile(r"[\s,]*")
# A word not inside an e-mail address, a web address or a file name ("x@shanghai.com").
_EN_WORD = re.compile(r"(?<![A-Za-z0-9@./_'’-])[A-Za-z]+(?:['’][A-Za-z]+)?(?![A-Za-z0-9@_'’-]|\.[A-Za-z0-9])")
# Romanised surnames: "Li Jinhua" and "Wang Kunming" are people, not places.
_EN_SURNAMES = frozenset((
    "Li", "Wang", "Zhang", "Liu", "Chen", "Yang", "Huang", "Zhao", "Wu", "Zhou", "Xu", "Sun", "Ma", "Zhu",
    "Hu", "Guo", "He", "Gao", "Lin", "Luo", "Zheng", "Liang", "Xie", "Song", "Tang", "Han", "Feng", "Deng",
    "Cao", "Peng", "Zeng", "Xiao", "Tian", "Dong", "Yuan", "Pan", "Yu", "Jiang", "Cai", "Du", "Ye",
    "Cheng", "Su", "Wei", "Lu", "Ding", "Ren", "Shen", "Yao", "Cui", "Zhong", "Tan", "Fan", "Jin", "Shi",
    "Liao", "Jia", "Xia", "Fu", "Fang", "Bai", "Zou", "Meng", "Xiong", "Qin", "Qiu", "Yin", "Xue", "Yan",
    "Duan", "Lei", "Hou", "Long", "Tao", "Gu", "Mao", "Hao", "Gong", "Shao", "Wan", "Qian", "Dai", "Mo",
    "Kong", "Xiang", "Chang", "Wen", "Kang", "Niu", "Ge", "Xing", "An", "Qi", "Qiao", "Pang", "Ni",
    "Zhuang", "Nie", "Yue", "Zhai", "Zhan", "Ou", "Geng", "Guan", "Lan", "Jiao", "Zuo", "Gan", "Bao",
    "Ning", "Shang", "Shu", "Ruan", "Ke", "Ji", "Mei", "Tong", "Ling", "Bi", "Shan", "Pei", "Huo", "Tu",
    "Miao", "Qu", "Weng", "Ran", "Xin", "Chai", "Hua", "Teng", "Rao", "Mu", "Wong", "Chan", "Cheung",
    "Lee", "Lau", "Ho", "Ng", "Leung", "Chow", "Tsang", "Kwok", "Lam", "Tse", "Yip", "Fung", "Tsui", "Lo",
    "Mr", "Ms", "Mrs", "Dr"
))  # fmt: skip


@dataclass(frozen=True, slots=True)
class _Place:
    province: str
    city: str | None = None
    county: str | None = None


@dataclass(frozen=True, slots=True)
class Division:
    """An administrative division of China with its code (GB/T 2260, as in jionlp's gazetteer).

    `city` repeats the province for a municipality (上海市 上海市 浦东新区, 310115); `code` is the code of
    the deepest level known.
    """

    province: str
    city: str | None
    district: str | None
    code: str | None

    def region(self) -> Region:
        return Region(self.province, self.city, self.district)

    def label(self) -> str:
        return self.region().label()


@dataclass(frozen=True, slots=True)
class Resolution:
    """What a text says about where: one division, or several that the words fit equally (朝阳: a
    district of Beijing, a city in Liaoning) as `candidates` with `division` None.

    When the candidates share a province (or a city), `division` is that shared part.
    """

    division: Division | None
    candidates: tuple[Division, ...] = ()

    @property
    def ambiguous(self) -> bool:
        return len(self.candidates) > 1


@dataclass(frozen=True, slots=True)
class _Index:
    """jionlp's gazetteer as lookups: name lengths by first character (longest first), places by name."""

    by_first: dict[str, tuple[int, ...]]  # the lengths of the names that start with a character
    towns: dict[_Place, frozenset[str]]  # names of the towns in a county
    strong: frozenset[str]  # names that are places on their own
    places: dict[str, tuple[_Place, ...]]  # every place a name can refer to
    levels: dict[_Place, tuple[frozenset[str], frozenset[str], frozenset[str]]]  # its names per level
    rank: dict[str, int]  # prominence of a city, for ties
    codes: dict[_Place, str]


# Words around a name that is a place only sometimes (丹阳, 北滘, 中山) that say it is one here: "在北滘",
# "丹阳 工厂", "大理古城", "我们是中山的灯具厂".
_PLACE_BEFORE = re.compile(r"(?:(?<![正还都也])在|到|去|来自|位于|地处|住在|我们是|我们在|公司在|厂在)\s*$")
_WORD_ENDS = re.compile(r"(?![\u4e00-\u9fff])|的|这边|那边|工厂|厂")
_PLACE_AFTER = re.compile(r"\s*(?:这边|那边|本地|当地|古城|市区|老城|工厂|厂区|总部|分公司|办事处|办公室)")
# "我在北京出差": a trip, not where the customer is; "北京时间" is a clock.
_TRIP_AFTER = re.compile(
    r"(?:出差|参展|开展会|参会|旅游|度假|时间|的?(?:峰会|展会|博览会|论坛|年会|交流会|大会))"
)
# "来我们马鞍山厂里", "我们在苏州": where the customer is, said as such; it counts twice.
_HOME_BEFORE = re.compile(r"(?:我们|我们在|公司在|总部在|工厂在|厂在)\s*$")
_HOME_AFTER = re.compile(r"(?:厂里|厂区|工厂|总部|本地|这边)")
# A place name followed by these is a street named after it ("青岛市香港中路", "…市南京路"), not that place.
_STREET_AFTER = re.compile(r"[东西南北中]{0,2}(?:路|大街|街|大道|巷|弄|胡同)")


@functools.cache
def _index() -> _Index:
    strong: set[str] = set()
    weak: set[str] = set()
    levels: dict[_Place, tuple[frozenset[str], frozenset[str], frozenset[str]]] = {}
    codes: dict[_Place, str] = {}
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
    for province, cities in jio.china_location(detail=True).items():
        if province.startswith("_"):
            continue
        codes[_Place(province)] = cities["_admin_code"]
        for city, counties in cities.items():
            if city.startswith("_"):
                continue
            codes[_Place(province, city)] = counties["_admin_code"]
            for county, info in counties.items():
                if not county.startswith("_"):
                    codes[_Place(province, city, county)] = info["_admin_code"]
    # Renamed and merged divisions (襄樊 -> 襄阳, 新津县 -> 新津区): the old names lead to the new place.
    for change in jio.china_location_changes():
        (_, _), (old_city, old_city_alias), (old_county, old_county_alias) = change["old_loc"]
        new_province, new_city, new_county = change["new_loc"]
        place = _Place(new_province, new_city, new_county)
        if place not in levels:
            continue
        p_names, c_names, k_names = levels[place]
        if new_county is None and old_county is None:
            old = {n for n in (old_city, old_city_alias) if n} - c_names
            levels[place] = (p_names, c_names | old, k_names)
            strong |= old
        elif new_county is not None and old_county is not None:
            # "柳州地区忻城县": the old prefecture's name counts for the county's new city.
            old = {n for n in (old_county, old_county_alias) if n} - k_names
            old_cities = {n for n in (old_city, old_city_alias) if n}
            levels[place] = (p_names, c_names | old_cities, k_names | old)
            weak |= old
    _taiwan(levels, codes, strong, weak)
    towns = _towns(levels)
    ordinary = set(word_list("place_words.txt"))
    weak |= strong & ordinary
    strong -= ordinary
    strong |= weak & set(word_list("district_aliases.txt"))
    names = {name for name in strong | weak if len(name) >= 2}
    places: dict[str, list[_Place]] = {}
    for place, (p_names, c_names, k_names) in levels.items():
        own = k_names if place.county else c_names if place.city else p_names
        for name in own & names:
            places.setdefault(name, []).append(place)
    for town, counties in towns.items():
        if town not in places and len(counties) == 1 and town[-1] in "镇乡道" and town not in weak:
            # A town named in one place only is that place ("陆家嘴街道"); one of many needs its city.
            strong.add(town)
        elif town not in strong:
            weak.add(town)
        places[town] = list(dict.fromkeys([*places.get(town, []), *counties]))
    by_first: dict[str, set[int]] = {}
    for name in places:
        by_first.setdefault(name[0], set()).add(len(name))
    town_names: dict[_Place, set[str]] = {}
    for town, counties in towns.items():
        for county in counties:
            town_names.setdefault(county, set()).add(town)
    return _Index(
        {first: tuple(sorted(lengths, reverse=True)) for first, lengths in by_first.items()},
        {county: frozenset(said) for county, said in town_names.items()},
        frozenset(strong),
        {name: tuple(group) for name, group in places.items()},
        levels,
        {city: rank for rank, city in enumerate(word_list("major_cities.txt"))},
        codes,
    )


_TAIWAN = "台湾省"
# The ending of a district's or town's full name; what is left is how people say it (苓雅区 -> 苓雅).
_DIVISION_SUFFIX = re.compile(r"(?:区|乡|镇|市|街道|地区|办事处)$")


def _taiwan(
    levels: dict[_Place, tuple[frozenset[str], frozenset[str], frozenset[str]]],
    codes: dict[_Place, str],
    strong: set[str],
    weak: set[str],
) -> None:
    """Taiwan's cities and counties with their districts (nlu/data/taiwan_districts.txt) in place of
    jionlp's, which has no districts and files the counties under a placeholder city."""
    province_names = levels[_Place(_TAIWAN)][0]
    # A district's short name counts unless a city elsewhere has it: 苓雅, 西屯 and 北屯 are Taiwan's
    # (with 台中 said, 北屯 is not Xinjiang's); 中山 is Zhongshan city, so "台北市中山區" needs the 區.
    taken = {n for p, (_, c_names, _) in levels.items() if p.city and not p.county for n in c_names}
    old_codes = {p.county or p.city: code for p, code in codes.items() if p.province == _TAIWAN}
    for place in [p for p in levels if p.province == _TAIWAN and p.city]:
        del levels[place]
        codes.pop(place, None)
    for line in word_list("taiwan_districts.txt"):
        city, _, districts = line.partition("|")
        city_place = _Place(_TAIWAN, city)
        city_names = frozenset({city, city[:-1]})
        strong.update(city_names)
        levels[city_place] = (province_names, city_names, frozenset())
        if city in old_codes:
            codes[city_place] = old_codes[city]
        for district in districts.split():
            short = _DIVISION_SUFFIX.sub("", district)
            own_short = len(short) >= 2 and short not in taken
            district_names = frozenset({district, short} if own_short else {district})
            levels[_Place(_TAIWAN, city, district)] = (province_names, city_names, district_names)
            strong.add(district) if len(district) > 2 else weak.add(district)
            if own_short:
                weak.add(short)


def _towns(
    levels: dict[_Place, tuple[frozenset[str], frozenset[str], frozenset[str]]],
) -> dict[str, list[_Place]]:
    """Towns and subdistricts (镇, 乡, 街道) from jionlp's full gazetteer, each with the county it is in:
    长安镇 is in Dongguan as well as in eleven other places, and 陆家嘴 is Pudong's."""
    towns: dict[str, list[_Place]] = {}
    path = jio.china_location_file()
    if path is None:
        return towns
    ordinary = jio.chinese_words() | trade_words()
    stack = ["", "", ""]
    known = {(p.province, p.city, p.county) for p in levels if p.county}
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            depth = len(line) - len(line.lstrip("\t"))
            name = line.strip().split("\t", 1)[0]
            if depth < 3:
                stack[depth] = name
                continue
            if depth > 3 or not name.endswith(("镇", "乡", "街道")):
                continue
            key = (stack[0], stack[1], stack[2])
            if key not in known:
                continue
            place = _Place(*key)
            short = _DIVISION_SUFFIX.sub("", name)
            # "香港中路街道" is named after its road, "纺织街道" after a trade, "长安镇" after a word: the
            # short form counts only where it is a name and nothing else (北滘, 陆家嘴).
            word = short.endswith(("路", "街", "道", "巷", "村")) or short in ordinary
            for said in {name} if word else {name, short}:
                if len(said) >= 2 and place not in towns.setdefault(said, []):
                    towns[said].append(place)
    return towns


@functools.cache
def _english() -> dict[str, tuple[str, ...]]:
    """pinyin_places.txt as lower-case spelling ("xian", "hong kong") -> Chinese names."""
    index = _index()
    chinese: dict[str, tuple[str, ...]] = {}
    for line in word_list("pinyin_places.txt"):
        spelling, *names = line.split("|")
        chinese[_spelling_key(spelling)] = tuple(name for name in names if name in index.places)
    return chinese


def _spelling_key(spelling: str) -> str:
    return " ".join(spelling.lower().replace("'", "").replace("’", "").split())


def english_place_names(text: str) -> list[str]:
    """Chinese names of the places `text` names in English ("Shanghai Pudong" -> 上海, 浦东).

    Like place_names: a district whose Chinese short name is a weak place name ("Chaoyang") counts
    only next to a city or province, or before "District". Words are looked up one by one (and
    in pairs, "Hong Kong"): one alternation of every spelling scanned the text several times slower.
    """
    chinese = _english()
    index = _index()
    words = list(_EN_WORD.finditer(text))
    found: list[str] = []
    pending: list[str] = []  # a weak name that a strong one right after it confirms ("Chaoyang, Beijing")
    last_end = -1
    last_strong = False
    skip_to = 0
    for i, word in enumerate(words):
        if i < skip_to:
            continue
        start, end = word.span()
        key = _spelling_key(word[0])
        if i + 1 < len(words) and text[end : words[i + 1].start()].isspace():
            pair = key + " " + _spelling_key(words[i + 1][0])
            if pair in chinese:
                key, end, skip_to = pair, words[i + 1].end(), i + 2
        names = chinese.get(key)
        if not names:
            continue
        previous = words[i - 1][0] if i > 0 and text[words[i - 1].end() : start].strip(" .") == "" else ""
        if previous in _EN_SURNAMES or _EN_STREET_AFTER.match(text, end) or _EN_TIME_AFTER.match(text, end):
            continue
        adjacent = last_end >= 0 and _EN_BETWEEN_PLACES.fullmatch(text, last_end, start) is not None
        strong = any(name in index.strong for name in names)
        if strong or _EN_DISTRICT_AFTER.match(text, end) or (adjacent and last_strong):
            if adjacent and pending:
                found.extend(pending)
            found.extend(names)
            pending = []
        else:
            pending = list(names)
        last_end, last_strong = end, strong
    return found


def is_place(word: str) -> bool:
    """Whether `word` names a province, a city or a well-known district on its own (江苏, 金华, 浦东)."""
    return word in _index().strong


def place_names(text: str, *, weak: bool = False, home: list[str] | None = None) -> list[str]:
    """Chinese place names in `text`, in order: strong ones, and district names right after a strong one.

    With `weak`, also names that are places only sometimes (朝阳, 和平, 思茅): for text that is known
    to name a place. Names said as the speaker's own place ("我们马鞍山厂里") are also added to `home`.
    """
    index = _index()
    text = simplified(text)
    found: list[str] = []
    position = 0
    last_strong_end = -10
    while position < len(text):
        lengths = index.by_first.get(text[position], ())
        name = next((said for n in lengths if (said := text[position : position + n]) in index.places), None)
        if name is None:
            position += 1
            continue
        end = position + len(name)
        if (_STREET_AFTER.match(text, end) and not _is_level_suffix(name)) or _TRIP_AFTER.match(text, end):
            position = end
            continue
        context = _PLACE_AFTER.match(text, end)
        if (
            weak
            or name in index.strong
            or position - last_strong_end <= 1
            or (_PLACE_BEFORE.search(text, max(0, position - 6), position) and _WORD_ENDS.match(text, end))
            or context
        ):
            found.append(name)
            said_home = _HOME_BEFORE.search(text, max(0, position - 5), position) or _HOME_AFTER.match(
                text, end
            )
            if home is not None and said_home:
                home.append(name)
            last_strong_end = end
        # The word that said so ("古城" of 大理古城) is not a place of its own.
        position = context.end() if context else end
    return found


def _is_level_suffix(name: str) -> bool:
    """A full name ending in its level (上海市, 浦东新区) is the place even before a street word."""
    return name.endswith(("省", "市", "区", "县", "旗"))


def _ranked(names: list[str]) -> list[tuple[tuple[float, bool, int, int, int], _Place, int]]:
    """Every place that one of `names` may be, best first: most names matched, named by a name that is a
    place on its own (武汉市 before the 高新区 of another city), said most often, deepest, most prominent."""
    index = _index()
    said = set(names)
    strong = said & index.strong
    best: list[tuple[tuple[float, bool, int, int, int], _Place, int]] = []
    for place in {place for name in said for place in index.places[name]}:
        # One name counts once for a city and its district: 宜兰 is the county before 宜兰市 within it
        # (a municipality's name is its province's and its city's: 上海 counts for both).
        p_names, c_names, k_names = index.levels[place]
        matched = [bool(p_names & said), bool(c_names & said), bool((k_names & said) - c_names)]
        # A town said counts for its county, less than the county's own name (中山 is a city before
        # it is a subdistrict of Songjiang).
        levels = index.levels[place]
        town = not matched[2] and bool((index.towns.get(place, frozenset()) & said) - levels[0] - levels[1])
        depth = 3 if town else max(i + 1 for i, hit in enumerate(matched) if hit)
        size = 3 if place.county else 2 if place.city else 1
        rank = index.rank.get(place.city or place.province, len(index.rank))
        weak_only = not any(level & strong for level in levels)
        own = levels[0] | levels[1] | levels[2] | index.towns.get(place, frozenset())
        times = sum(1 for name in names if name in own)
        best.append(((-(sum(matched) + 0.5 * town), weak_only, -times, size - depth, rank), place, depth))
    best.sort(key=lambda item: item[0])
    return best


def _shared_depth(places: list[_Place], depth: int) -> int:
    shared = [len({(p.province, p.city, p.county)[:level] for p in places}) == 1 for level in (1, 2, 3)]
    return min(depth, sum(shared))


def _division(place: _Place, depth: int) -> Division:
    city = place.city if depth >= 2 or (place.city and place.city == place.province) else None
    county = place.county if depth >= 3 else None
    code = _index().codes.get(_Place(place.province, city, county))
    if city and "直辖" in city:
        # "省直辖县级行政区划": the gazetteer's placeholder for counties under the province itself.
        city = None
    if county and "直辖" in county:
        # "市直辖行政区划": Dongguan's and Zhongshan's towns are under the city itself.
        county = None
    return Division(place.province, city, county, code)


def resolve_names(names: list[str]) -> Region | None:
    """The place that the most of `names` belong to ("广州", "天河" -> 广东省 广州市 天河区).

    jionlp's own parse_location scans its whole gazetteer for every call (3-7 ms); the same data
    indexed by name answers in microseconds, which matters on the capture path. Equally likely
    places are told apart by the prominence of their city.
    """
    best = _ranked(names)
    if not best:
        return None
    top = [item for item in best if item[0] == best[0][0]]
    place, depth = top[0][1], top[0][2]
    if len(top) > 1:
        depth = _shared_depth([p for _, p, _ in top], depth)
        if depth == 0:
            return None
    return _division(place, depth).region()


def resolve(text: str) -> Resolution:
    """The administrative division `text` names, with its code ("浦东" -> 上海市 浦东新区 310115).

    Unlike `find_region`, a name that fits several places equally well ("朝阳") is not settled by
    the prominence of a city: the result lists the candidates and keeps only what they share.
    """
    names = place_names(text)
    if _HAS_LATIN.search(text):
        names += english_place_names(text)
    strong = bool(names)
    if not strong:
        names = place_names(text, weak=True)
    best = _ranked(names)
    if not best:
        return Resolution(None)
    top = [item for item in best if item[0][:4] == best[0][0][:4]]
    if strong and best[0][0][4] < len(_index().rank):
        # A name said as a place on its own (西安) is the major city, not a district elsewhere
        # that shares it (西安区 in Liaoyuan); a name that is only sometimes a place (朝阳) stays open.
        top = [item for item in top if item[0] == best[0][0]]
    candidates = tuple(dict.fromkeys(_division(place, depth) for _, place, depth in top))
    if len(candidates) == 1:
        return Resolution(candidates[0], candidates)
    depth = _shared_depth([place for _, place, _ in top], top[0][2])
    shared = _division(top[0][1], depth) if depth else None
    return Resolution(shared, candidates)


def find_region(texts: list[str]) -> Region | None:
    """The region of the first text (in priority order) that names a place; None when none does."""
    for text in texts:
        home: list[str] = []
        names = place_names(text, home=home)
        if _HAS_LATIN.search(text):
            names += english_place_names(text)
        # A place said as the customer's own counts twice against one they only mention.
        region = resolve_names(names + home) if names else None
        if region is not None:
            return region
    return None


def find_address(text: str) -> str | None:
    """A street address: after a label ("地址：…"), or a clause naming a place and a street or building."""
    labelled = _ADDRESS_LABEL.search(text)
    if labelled:
        return _labelled_address(labelled["addr"])
    for clause in re.split(r"[\n,，;；。!！?？]", text):
        if not _STREET.search(clause):
            continue
        names = place_names(clause)
        if names:
            return clause[clause.index(names[0]) :].strip()
    return None


def _labelled_address(said: str) -> str | None:
    """The address after a label, up to the next field or a comma that starts something else."""
    said = said[: m.start()] if (m := _NEXT_FIELD.search(said)) else said
    said = said.strip(" ,，、")
    end = len(said)
    for comma in _ADDRESS_PART.finditer(said):
        following = _ADDRESS_PART.split(said[comma.end() :], maxsplit=1)[0]
        english = following.isascii() and _EN_ADDRESS_GOES_ON.fullmatch(following)
        if not (english or _STREET.search(following) or place_names(following)):
            end = comma.start()
            break
    return said[:end] or None
