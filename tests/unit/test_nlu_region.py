"""Places: province / city / district from jionlp's gazetteer, street addresses, and text with no place."""

from __future__ import annotations

import pytest

from crm.facts import Region
from nlu.region import Resolution, english_place_names, find_address, find_region, resolve
from nlu.resources import word_list


@pytest.mark.parametrize(
    ("text", "region"),
    [
        ("他们在浦东张江", Region("上海市", "上海市", "浦东新区")),
        ("他们在杭州", Region("浙江省", "杭州市")),
        ("广州天河", Region("广东省", "广州市", "天河区")),
        ("北京朝阳区望京SOHO", Region("北京市", "北京市", "朝阳区")),
        ("深圳南山科技园", Region("广东省", "深圳市", "南山区")),
        ("我们公司在昆山", Region("江苏省", "苏州市", "昆山市")),
        ("成都高新区", Region("四川省", "成都市", "成都高新技术产业开发区")),
        ("重庆渝北", Region("重庆市", "重庆市", "渝北区")),
        ("广东那边的客户", Region("广东省")),
        ("上海某某科技有限公司", Region("上海市", "上海市")),
        ("地址：上海市浦东新区碧波路690号", Region("上海市", "上海市", "浦东新区")),
        # English
        ("office in Shanghai Pudong", Region("上海市", "上海市", "浦东新区")),
        ("based in Shenzhen", Region("广东省", "深圳市")),
        ("Beijing Chaoyang", Region("北京市", "北京市", "朝阳区")),
        ("Chaoyang District, Beijing", Region("北京市", "北京市", "朝阳区")),
        ("Chaoyang, Beijing", Region("北京市", "北京市", "朝阳区")),
        ("Room 1201, 88 Century Ave, Pudong, Shanghai", Region("上海市", "上海市", "浦东新区")),
        ("our plant is in Guangzhou Huangpu", Region("广东省", "广州市", "黄埔区")),
        ("HQ in Xi'an", Region("陕西省", "西安市")),
        ("we are in Hong Kong", Region("香港特别行政区", "香港")),
        ("a factory in Inner Mongolia", Region("内蒙古自治区")),
        ("Jiangsu province", Region("江苏省")),
        ("他们在Suzhou", Region("江苏省", "苏州市")),
    ],
)
def test_region(text: str, region: Region) -> None:
    assert find_region([text]) == region


@pytest.mark.parametrize(
    "text",
    [
        "今天天气不错",
        "阿里那边的李经理",  # Alibaba, not Ngari prefecture
        "我们希望和平合作",  # 和平 is a district of Tianjin and an ordinary word
        "光明乳业",
        "高新区",  # every city has one
        "张伟",
        "",
        # English words that are not a place here
        "Chaoyang",  # a district of several cities, alone
        "Li Jinhua called",  # a person's given name
        "100 Zhongshan Road",  # a street in every city
        "zhang@shanghai-metal.com",
        "see www.shanghai.gov.cn",
        "Hello, we need a CRM",
    ],
)
def test_no_region(text: str) -> None:
    assert find_region([text]) is None


def test_the_first_text_with_a_place_wins() -> None:
    assert find_region(["没有地方", "在苏州", "在杭州"]) == Region("江苏省", "苏州市")


@pytest.mark.parametrize(
    ("text", "address"),
    [
        ("地址：上海市浦东新区碧波路690号张江大厦5楼", "上海市浦东新区碧波路690号张江大厦5楼"),
        ("我们在浦东张江碧波路690号，欢迎来", "浦东张江碧波路690号"),
        ("Address: Room 1201, 88 Century Ave, Shanghai", "Room 1201, 88 Century Ave, Shanghai"),
        ("他们在杭州", None),
        ("中山路100号", None),
        # The address ends at another field or at a clause that is not part of it.
        ("地址在浦东张江，邮箱 zhang.wei@huawei.com", "浦东张江"),
        ("地址:浦东张江 电话13812345678", "浦东张江"),
        ("地址: 浦东张江,欢迎来坐坐", "浦东张江"),
        ("地址：上海市浦东新区碧波路690号，张江大厦5楼", "上海市浦东新区碧波路690号，张江大厦5楼"),
        ("Address: 88 Century Ave, Shanghai, email zhang@example.com", "88 Century Ave, Shanghai"),
        ("Address: 88 Century Ave, Shanghai, see you there", "88 Century Ave, Shanghai"),
    ],
)
def test_address(text: str, address: str | None) -> None:
    assert find_address(text) == address


def test_every_english_spelling_names_a_known_place() -> None:
    for line in word_list("pinyin_places.txt"):
        spelling = line.split("|")[0]
        assert english_place_names(f"in {spelling} District"), spelling


@pytest.mark.parametrize(
    ("text", "label", "code"),
    [
        ("浦东", "上海市浦东新区", "310115"),
        ("广州天河", "广东省广州市天河区", "440106"),
        ("他们在杭州", "浙江省杭州市", "330100"),
        ("湖北省襄樊市小水街222号", "湖北省襄阳市", "420600"),  # renamed prefecture, resolved fully
        ("襄樊", "湖北省襄阳市", "420600"),
        ("思茅", "云南省普洱市思茅区", "530802"),
        (
            "成都市新津县",
            "四川省成都市新津区",
            "510132",
        ),  # a county that became a district (code as jionlp has it)
        ("青岛市香港中路18号", "山东省青岛市", "370200"),  # a street named after Hong Kong
        ("淮安市上海路111号", "江苏省淮安市", "320800"),
        ("苏州市南京路8号", "江苏省苏州市", "320500"),
    ],
)
def test_resolve_gives_the_division_and_its_code(text: str, label: str, code: str) -> None:
    resolution = resolve(text)
    assert resolution.division is not None
    assert (resolution.division.label(), resolution.division.code) == (label, code)
    assert not resolution.ambiguous


def test_an_ambiguous_name_lists_its_candidates() -> None:
    resolution = resolve("朝阳")
    assert resolution.division is None
    assert resolution.ambiguous
    labels = {c.label() for c in resolution.candidates}
    assert {"北京市朝阳区", "辽宁省朝阳市"} <= labels


def test_a_street_named_after_another_city_does_not_pull_it_in() -> None:
    assert find_region(["地址：苏州市南京路8号"]) == Region("江苏省", "苏州市")
    assert find_region(["湖北省襄樊市小水街222号"]) == Region("湖北省", "襄阳市")


def test_resolve_finds_nothing_in_text_without_a_place() -> None:
    assert resolve("下周三见") == Resolution(None)


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("柳州地区忻城县", "广西壮族自治区来宾市忻城县"),  # an old prefecture before its county
        ("西安交通大学", "陕西省西安市"),  # the major city, not 西安区 in Liaoyuan
        ("台湾省屏东县", "台湾省屏东县"),  # no placeholder city name
    ],
)
def test_resolve_old_names_and_major_cities(text: str, label: str) -> None:
    division = resolve(text).division
    assert division is not None
    assert division.label() == label


@pytest.mark.parametrize(
    ("text", "region"),
    [
        # Taiwan's districts (nlu/data/taiwan_districts.txt), in traditional or simplified characters
        ("公司地址：高雄市苓雅區三多四路21號", Region("台湾省", "高雄市", "苓雅区")),
        ("工廠在台中市西屯區", Region("台湾省", "台中市", "西屯区")),
        ("在桃園市觀音區", Region("台湾省", "桃园市", "观音区")),
        ("台北市信義區", Region("台湾省", "台北市", "信义区")),
        ("台中西屯", Region("台湾省", "台中市", "西屯区")),
        ("我們是宜蘭的民宿", Region("台湾省", "宜兰县")),
        ("新竹總部大約60間", Region("台湾省", "新竹市")),
        # towns and subdistricts from jionlp's full gazetteer: with their city, or unique
        ("地址东莞市长安镇乌沙社区", Region("广东省", "东莞市")),
        ("佛山顺德北滘镇", Region("广东省", "佛山市", "顺德区")),
        ("地点在陆家嘴", Region("上海市", "上海市", "浦东新区")),
        # a name that is a place only sometimes, where the words around it say it is one
        ("对 在北滘", Region("广东省", "佛山市", "顺德区")),
        ("做眼镜的 丹阳 工厂一百来人", Region("江苏省", "镇江市", "丹阳市")),
        ("大理古城 两个院子", Region("云南省", "大理白族自治州")),
        ("我们是中山的灯具厂", Region("广东省", "中山市")),
        # a district alias of another city does not beat the city said before it
        ("地址：武汉市东湖高新区光谷大道77号", Region("湖北省", "武汉市")),
        ("新疆巴音郭楞", Region("新疆维吾尔自治区", "巴音郭楞蒙古自治州")),
    ],
)
def test_second_pass_regions(text: str, region: Region) -> None:
    assert find_region([text]) == region


@pytest.mark.parametrize(
    "text", ["我们是合作伙伴", "我们正在合作", "跟你们合作的公司", "长安镇", "中山路88号", "新华书店"]
)
def test_ordinary_words_and_ambiguous_towns_are_no_region(text: str) -> None:
    assert find_region([text]) is None


def test_every_taiwan_district_is_listed_once_per_city() -> None:
    lines = word_list("taiwan_districts.txt")
    assert len(lines) == 22
    districts = [line.partition("|")[2].split() for line in lines]
    assert sum(len(d) for d in districts) == 368
    assert all(len(d) == len(set(d)) for d in districts)


@pytest.mark.parametrize(
    ("text", "address"),
    [
        ("上海浦东 12月7号见", None),
        ("杭州滨江区 5号上午过来", None),
        ("杭州 下周三 3号楼", "杭州 下周三 3号楼"),
        ("苏州工业园区星湖街328号", "苏州工业园区星湖街328号"),
    ],
)
def test_a_day_is_no_house_number(text: str, address: str | None) -> None:
    assert find_address(text) == address
