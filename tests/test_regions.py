"""China's regions as shipped (fixtures/regions.json) and as clerks write them (estates.regions),
in imports (the 省份 and 城市 columns) and in the admin (only superusers edit the list)."""

import json
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from estates.management.commands.build_regions_fixture import city_rows
from estates.models import City, Estate, Province
from estates.regions import Regions, UnknownRegion, short_name
from estates.spreadsheets.formats import SafeCSV
from estates.spreadsheets.importing import run_import
from estates.spreadsheets.resources import EstateResource

from .builders import make_staff

pytestmark = pytest.mark.django_db

FIXTURE = Path(settings.BASE_DIR) / "fixtures" / "regions.json"
MUNICIPALITIES = {"110000", "120000", "310000", "500000"}
BINGTUAN = "660000"


def fixture_rows(model):
    rows = json.loads(FIXTURE.read_text(encoding="utf-8"))
    return [row["fields"] for row in rows if row["model"] == f"estates.{model}"]


def test_fixture_has_every_prefecture_level_division_with_its_province_s_code():
    provinces = {p["code"]: p["name"] for p in fixture_rows("province")}
    cities = fixture_rows("city")
    codes = [c["code"] for c in cities]
    assert len(codes) == len(set(codes))
    assert all(len(code) == 6 and code.isdigit() for code in codes)
    for city in cities:
        province = city["province"][0]
        # The 兵团's cities are 新疆's directly governed ones (6590xx), under the 兵团 here.
        expected = "65" if province == BINGTUAN else province[:2]
        assert city["code"][:2] == expected, city
    prefecture_level = [
        c for c in cities if c["code"].endswith("00") and c["code"] not in MUNICIPALITIES
    ]
    assert len(prefecture_level) >= 330
    # Every province has its cities; a municipality is its own single city.
    assert {c["province"][0] for c in cities} == set(provinces)
    for code in MUNICIPALITIES:
        assert [(c["code"], c["name"]) for c in cities if c["province"][0] == code] == [
            (code, provinces[code])
        ]
    slugs = [(c["province"][0], c["slug"]) for c in cities]
    assert len(slugs) == len(set(slugs))


def test_fixture_keeps_the_natural_keys_estates_point_to():
    cities = {(c["province"][0], c["slug"]): c for c in fixture_rows("city")}
    assert cities[("110000", "beijing")]["name"] == "北京市"
    assert cities[("370000", "linyi")] == {
        "province": ["370000"],
        "code": "371300",
        "name": "临沂市",
        "slug": "linyi",
    }


def test_fixture_names_prefectures_leagues_and_directly_governed_cities():
    by_name = {c["name"]: c for c in fixture_rows("city")}
    assert by_name["恩施土家族苗族自治州"]["code"] == "422800"
    assert by_name["锡林郭勒盟"]["code"] == "152500"
    assert by_name["大兴安岭地区"]["code"] == "232700"
    assert by_name["济源市"]["code"] == "419001"
    assert by_name["石河子市"]["province"] == [BINGTUAN]


def test_seed_database_holds_the_fixture_s_cities():
    assert City.objects.count() == len(fixture_rows("city"))
    assert City.objects.get(province__code="370000", name="济南市").code == "370100"


def test_fixture_builder_treats_municipalities_and_directly_governed_units():
    provinces = {"110000": "北京市", "410000": "河南省", "650000": "新疆维吾尔自治区"}
    provinces[BINGTUAN] = "新疆生产建设兵团"
    rows = city_rows(
        [
            {"code": "11", "name": "北京市"},
            {"code": "41", "name": "河南省"},
            {"code": "65", "name": "新疆维吾尔自治区"},
        ],
        [
            {"code": "1101", "name": "市辖区", "provinceCode": "11"},
            {"code": "4101", "name": "郑州市", "provinceCode": "41"},
            {"code": "4190", "name": "省直辖县级行政区划", "provinceCode": "41"},
            {"code": "6590", "name": "自治区直辖县级行政区划", "provinceCode": "65"},
            {"code": "6542", "name": "塔城地区", "provinceCode": "65"},
        ],
        [
            {"code": "410102", "name": "中原区", "cityCode": "4101", "provinceCode": "41"},
            {"code": "419001", "name": "济源市", "cityCode": "4190", "provinceCode": "41"},
            {"code": "659001", "name": "石河子市", "cityCode": "6590", "provinceCode": "65"},
        ],
        provinces,
    )
    assert [
        (r["fields"]["province"][0], r["fields"]["code"], r["fields"]["name"]) for r in rows
    ] == [
        ("110000", "110000", "北京市"),
        ("410000", "410100", "郑州市"),
        ("410000", "419001", "济源市"),
        ("650000", "654200", "塔城地区"),
        (BINGTUAN, "659001", "石河子市"),
    ]
    assert [r["fields"]["slug"] for r in rows] == [
        "beijing",
        "zhengzhou",
        "jiyuan",
        "tacheng",
        "shihezi",
    ]


def test_fixture_builder_refuses_a_source_whose_province_differs():
    with pytest.raises(ValueError, match="110000"):
        city_rows([{"code": "11", "name": "北平市"}], [], [], {"110000": "北京市"})


@pytest.mark.parametrize(
    ("name", "short"),
    [
        ("济南市", "济南"),
        ("恩施土家族苗族自治州", "恩施"),
        ("伊犁哈萨克自治州", "伊犁"),
        ("陵水黎族自治县", "陵水"),
        ("大兴安岭地区", "大兴安岭"),
        ("锡林郭勒盟", "锡林郭勒"),
        ("神农架林区", "神农架"),
        ("广西壮族自治区", "广西"),
        ("内蒙古自治区", "内蒙古"),
    ],
)
def test_short_name_drops_the_administrative_ending(name, short):
    assert short_name(name) == short


@pytest.fixture
def regions():
    return Regions()


def province(code):
    return Province.objects.get(code=code)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("山东省", "370000"),
        ("山东", "370000"),
        (" 山 东　省 ", "370000"),
        ("广西", "450000"),
        ("广西壮族自治区", "450000"),
        ("广西自治区", "450000"),
        ("内蒙古", "150000"),
        ("北京", "110000"),
        ("新疆生产建设兵团", BINGTUAN),
    ],
)
def test_province_is_found_as_clerks_write_it(regions, text, code):
    assert regions.province(text).code == code


def test_unknown_province_is_refused_with_an_example(regions):
    with pytest.raises(UnknownRegion) as refusal:
        regions.province("火星省")
    assert str(refusal.value) == "没有名为“火星省”的省份，请填写如“山东省”或“山东”"


@pytest.mark.parametrize(
    ("text", "province_code", "city"),
    [
        ("济南", "370000", "济南市"),
        ("济南市", "370000", "济南市"),
        ("济南 市", "370000", "济南市"),
        ("恩施", "420000", "恩施土家族苗族自治州"),
        ("恩施州", "420000", "恩施土家族苗族自治州"),
        ("锡林郭勒", "150000", "锡林郭勒盟"),
        ("大兴安岭", "230000", "大兴安岭地区"),
        ("仙桃", "420000", "仙桃市"),
        ("北京", "110000", "北京市"),
        ("北京市", "110000", "北京市"),
    ],
)
def test_city_is_found_within_its_province(regions, text, province_code, city):
    found = regions.city(text, province(province_code))
    assert (found.name, found.province.code) == (city, province_code)


def test_city_of_another_province_is_refused_naming_its_province(regions):
    with pytest.raises(UnknownRegion) as refusal:
        regions.city("苏州", province("370000"))
    assert str(refusal.value) == "“苏州市”属于江苏省，不属于山东省；请核对省份或城市"


def test_misspelt_city_is_refused_suggesting_the_nearest(regions):
    with pytest.raises(UnknownRegion) as refusal:
        regions.city("济楠", province("370000"))
    assert str(refusal.value) == "山东省没有名为“济楠”的城市（地级市）；您是否要填“济南市”？"


def test_city_far_from_every_name_is_refused_without_a_guess(regions):
    with pytest.raises(UnknownRegion) as refusal:
        regions.city("不存在市", province("370000"))
    assert str(refusal.value) == "山东省没有名为“不存在市”的城市（地级市）"


def test_district_of_a_municipality_is_refused_saying_where_it_goes(regions):
    with pytest.raises(UnknownRegion) as refusal:
        regions.city("朝阳区", province("110000"))
    assert str(refusal.value) == "北京市的城市请填写“北京市”；区县请填写在“区县”一列"


def test_city_without_a_province_is_found_when_its_name_is_unique(regions):
    city = regions.city("恩施")
    assert (city.name, city.province.name) == ("恩施土家族苗族自治州", "湖北省")
    with pytest.raises(UnknownRegion):
        regions.city("济楠")


def test_regions_are_read_in_two_queries_whatever_is_asked(regions):
    with CaptureQueriesContext(connection) as queries:
        loaded = Regions()
        loaded.city("济南", loaded.province("山东"))
        loaded.city("恩施")
        assert loaded.city("临沂").province.name == "山东省"  # no query for the province
    assert len(queries) == 2


def csv_file(rows):
    header = ["小区名称", "网址标识", "省份", "城市", "户数（户）", "业主满意度（%）"]
    lines = [",".join(header)] + [",".join(row) for row in rows]
    return ("\ufeff" + "\r\n".join(lines) + "\r\n").encode("utf-8")


def import_rows(rows, dry_run=False):
    dataset = SafeCSV().create_dataset(csv_file(rows))
    return run_import(EstateResource(), dataset, dry_run=dry_run)


def test_import_stores_the_city_a_clerk_names_by_its_short_name():
    _result, problems = import_rows([["泉城测试小区", "", "山东省", "济南", "300", "95"]])
    assert problems == []
    estate = Estate.objects.get(name="泉城测试小区")
    assert (estate.province.name, estate.city.name, estate.city.code) == (
        "山东省",
        "济南市",
        "370100",
    )


def test_import_refuses_a_city_of_another_province_naming_it():
    _result, problems = import_rows([["姑苏测试小区", "", "山东", "苏州", "300", "95"]])
    assert [p for p in problems if "「城市」" in p] == [
        "第 2 行「城市」：“苏州市”属于江苏省，不属于山东省；请核对省份或城市"
    ]
    assert not Estate.objects.filter(name="姑苏测试小区").exists()


def region_loads(rows):
    """The queries of an import's preview that read provinces or cities other than by id
    (each row's validation checks its foreign keys by id, as Django does)."""
    with CaptureQueriesContext(connection) as queries:
        _result, problems = import_rows(rows, dry_run=True)
    assert problems == []
    tables = ('FROM "estates_province"', 'FROM "estates_city"')
    return [
        q["sql"]
        for q in queries
        if any(t in q["sql"] for t in tables) and '"id" = ' not in q["sql"]
    ]


def test_import_reads_the_regions_once_however_many_rows():
    def rows(n):
        return [
            [f"区划小区{i}", "", "山东" if i % 2 else "北京", "济南" if i % 2 else "北京", "1", ""]
            for i in range(n)
        ]

    few, many = region_loads(rows(4)), region_loads(rows(40))
    assert len(few) == len(many)
    assert len(few) <= 4  # provinces and cities, for each of the two columns


def admin_client(client, user):
    client.force_login(user)
    return client


@pytest.mark.parametrize("model", [City, Province])
@pytest.mark.parametrize("role", ["ministry", "provincial"])
def test_only_superusers_edit_the_national_list(client, model, role):
    user = make_staff(role, "shandong" if role == "provincial" else None)
    admin_client(client, user)
    name = model._meta.model_name
    assert client.get(reverse(f"admin:estates_{name}_add")).status_code == 403
    row = model.objects.filter(code="370000" if model is Province else "370100").get()
    change = client.get(reverse(f"admin:estates_{name}_change", args=[row.pk]))
    assert change.status_code == 200  # read-only: view permission stays
    assert change.context["has_change_permission"] is False
    delete = client.get(reverse(f"admin:estates_{name}_delete", args=[row.pk]))
    assert delete.status_code == 403


def test_superuser_may_correct_a_city(client, django_user_model):
    superuser = django_user_model.objects.create_superuser("regions-root", password="x")
    admin_client(client, superuser)
    city = City.objects.get(code="370100")
    assert client.get(reverse("admin:estates_city_add")).status_code == 200
    assert client.get(reverse("admin:estates_city_change", args=[city.pk])).status_code == 200


def test_estate_form_offers_no_city_adding_to_staff(client):
    admin_client(client, make_staff("provincial", "shandong"))
    response = client.get(reverse("admin:estates_estate_add"))
    widget = response.context["adminform"].form.fields["city"].widget
    assert widget.can_add_related is False


def autocomplete(client, term):
    response = client.get(
        reverse("admin:autocomplete"),
        {"term": term, "app_label": "estates", "model_name": "estate", "field_name": "city"},
    )
    return [r["text"] for r in json.loads(response.content)["results"]]


def test_city_choice_finds_a_province_s_cities_in_official_order(client):
    admin_client(client, make_staff("ministry"))
    shandong = list(
        City.objects.filter(province__code="370000").order_by("code").values_list("name", flat=True)
    )
    assert autocomplete(client, "山东") == shandong
    assert shandong[:2] == ["济南市", "青岛市"]
    assert autocomplete(client, "恩施") == ["恩施土家族苗族自治州"]


def test_city_choice_of_provincial_staff_holds_their_province_only(client):
    admin_client(client, make_staff("provincial", "shandong"))
    names = autocomplete(client, "")
    assert names[:2] == ["济南市", "青岛市"]
    assert set(names) <= set(
        City.objects.filter(province__code="370000").values_list("name", flat=True)
    )
    assert autocomplete(client, "苏州") == []
