"""The kept keys that let the public list and search scale: search_keys, is_published and
province_order stay true to what they copy, and search finds exactly what a plain substring
and pinyin test finds, on SQLite and on PostgreSQL (where an index answers it)."""

import pytest
from django.db import connection

from estates import workflow
from estates.enums import CampaignPhase, NominationState
from estates.models import Campaign, City, Estate, Nomination, PropertyCompany, Province
from estates.pinyin import full_pinyin, pinyin_initials
from estates.publication import refresh_all
from estates.search import grams, pinyin_suffixes, query_grams

from .builders import make_campaign, make_estate, make_staff, nominate

pytestmark = pytest.mark.django_db


def assert_flags_true():
    kept = set(Estate.objects.published().values_list("pk", flat=True))
    truth = set(Estate.objects.truly_published().values_list("pk", flat=True))
    assert kept == truth
    for estate in Estate.objects.select_related("province"):
        assert estate.province_order == estate.province.display_order, estate


def test_grams_and_suffixes():
    assert grams("东里 A1") == {"东", "里", "东里", "a", "1", "a1"}
    assert query_grams("诚园南") == {"诚园", "园南"}
    assert query_grams("园") == {"园"}
    assert query_grams("、") == set()
    assert pinyin_suffixes("双旗杆东里") == {
        "shuangqigandongli",
        "qigandongli",
        "gandongli",
        "dongli",
        "li",
    }


def test_seed_is_loaded_with_true_flags():
    assert Estate.objects.published().count() == 5
    assert_flags_true()
    assert " 诚园 " in Estate.objects.get(slug="aozhengchengyuannanqu").search_keys


def test_flags_follow_every_way_a_selection_changes():
    ministry = make_staff("ministry")
    campaign = make_campaign(phase=CampaignPhase.NOTICE, title="公示中的活动")
    estate = make_estate(name="标志测试小区")
    nomination = nominate(estate, campaign=campaign, state=NominationState.ON_NOTICE)
    assert not Estate.objects.get(pk=estate.pk).is_published

    nomination.state = NominationState.SELECTED
    nomination.save()
    assert not Estate.objects.get(pk=estate.pk).is_published  # results not yet published
    nomination.state = NominationState.ON_NOTICE
    nomination.save()
    workflow.transition(nomination, NominationState.SELECTED, ministry)
    workflow.publish_results(campaign, ministry)
    assert Estate.objects.get(pk=estate.pk).is_published
    assert_flags_true()

    workflow.transition(
        Nomination.objects.get(pk=nomination.pk), NominationState.REVOKED, ministry, reason="撤销"
    )
    assert not Estate.objects.get(pk=estate.pk).is_published

    # Bulk updates and deletions too.
    Nomination.objects.filter(pk=nomination.pk).update(state=NominationState.SELECTED)
    assert Estate.objects.get(pk=estate.pk).is_published
    Campaign.objects.filter(pk=campaign.pk).update(phase=CampaignPhase.REVIEWING)
    assert not Estate.objects.get(pk=estate.pk).is_published
    Campaign.objects.filter(pk=campaign.pk).update(phase=CampaignPhase.ARCHIVED)
    assert Estate.objects.get(pk=estate.pk).is_published
    Nomination.objects.filter(pk=nomination.pk).delete()
    assert not Estate.objects.get(pk=estate.pk).is_published

    again = nominate(estate, campaign=make_campaign(phase=CampaignPhase.PUBLISHED))
    assert Estate.objects.get(pk=estate.pk).is_published
    again.delete()
    assert not Estate.objects.get(pk=estate.pk).is_published
    assert_flags_true()


def test_province_order_follows_the_province():
    beijing = Province.objects.get(slug="beijing")
    beijing.display_order = 77
    beijing.save()
    assert set(
        Estate.objects.filter(province=beijing).values_list("province_order", flat=True)
    ) == {77}
    assert_flags_true()


def test_refresh_all_repairs_rows_written_around_save():
    Estate.objects.update(search_keys="", province_order=0, is_published=False)
    refresh_all()
    assert_flags_true()
    assert Estate.objects.filter(search_keys="").count() == 0


def reference_search(query):
    """What search means, tested row by row in Python."""
    query = " ".join(query.split())
    lowered = query.lower()
    letters = "".join(c for c in lowered if c.isascii() and c.isalnum())
    is_pinyin = bool(letters) and all(c.isascii() and (c.isalnum() or c in " '") for c in query)
    found = set()
    for estate in Estate.objects.select_related("city", "property_company"):
        texts = [estate.name, estate.district, estate.subdistrict, estate.community]
        texts.append(estate.city.name)
        if estate.property_company:
            texts.append(estate.property_company.name)
        if (
            any(lowered in text.lower() for text in texts)
            or (is_pinyin and pinyin_initials(estate.name).startswith(letters))
            or (
                is_pinyin
                and len(letters) >= 2
                and any(s.startswith(letters) for s in pinyin_suffixes(estate.name))
            )
        ):
            found.add(estate.pk)
    return found


QUERIES = [
    "园",
    "诚园",
    "奥正诚园",
    "诚园南区",
    "园南",
    "西城",
    "西城区",
    "临沂",
    "北京市",
    "物业",
    "东里",
    "7号",
    "7号院",
    "shuangqigan",
    "qigan",
    "dongli",
    "sqg",
    "azcy",
    "x",
    "XCA",
    "park",
    "Park 1",
    "丽景 长安",
    "、",
    "·",
    "诚园·",
    "100%",
    "'",
    "不存在的名字",
    "a东",
]


@pytest.fixture
def varied_estates():
    company = PropertyCompany.objects.create(name="和平里物业服务有限公司")
    linyi = City.objects.get(slug="linyi")
    make_estate(name="和平里", district="东城区", property_company=company)
    make_estate(name="Park 1号", district="朝阳区")
    make_estate(name="a东小区", province=linyi.province, city=linyi, community="平里社区")
    make_estate(name="东里南区", subdistrict="德胜街道")


@pytest.mark.parametrize("query", [*QUERIES, "和平", "平里", "和平里物", "德胜", "hepingli"])
def test_search_finds_what_the_plain_test_finds(varied_estates, query):
    found = set(Estate.objects.search(query).values_list("pk", flat=True))
    assert found == reference_search(query)


def test_renaming_a_company_or_city_updates_search(varied_estates):
    company = PropertyCompany.objects.get(name="和平里物业服务有限公司")
    company.name = "新名称物业有限公司"
    company.save()
    assert set(Estate.objects.search("新名称").values_list("name", flat=True)) == {"和平里"}
    assert not Estate.objects.search("和平里物").exists()
    linyi = City.objects.get(slug="linyi")
    linyi.name = "沂州市"
    linyi.save()
    assert "a东小区" in set(Estate.objects.search("沂州").values_list("name", flat=True))


def test_search_names_pinyin_of_new_estates():
    estate = make_estate(name="双旗杆新里")
    assert estate.name_pinyin == full_pinyin("双旗杆新里")
    assert estate in Estate.objects.search("qiganxin")


@pytest.fixture
def large_registry():
    """Enough estates, with fresh statistics, that the planner's choice means something."""
    from estates.search import search_keys

    beijing = City.objects.get(slug="beijing")
    estates = []
    for i in range(5000):
        estate = Estate(
            name=f"合成小区{i}",
            slug=f"hecheng-{i}",
            province=beijing.province,
            city=beijing,
            district="海淀区",
            name_pinyin=full_pinyin(f"合成小区{i}"),
            name_initials=pinyin_initials(f"合成小区{i}"),
            is_published=i % 2 == 0,
            province_order=beijing.province.display_order,
        )
        estate.search_keys = search_keys(estate)
        estates.append(estate)
    Estate.objects.bulk_create(estates)
    with connection.cursor() as cursor:
        # New rows wait in the GIN index's pending list until a vacuum merges them, and the
        # planner prices that list in; merge it as autovacuum does on a live site.
        cursor.execute("SELECT gin_clean_pending_list('estate_search_vector')")
        cursor.execute("ANALYZE estates_estate")


def explain(queryset):
    with connection.cursor() as cursor:
        sql, params = queryset.query.sql_with_params()
        cursor.execute("EXPLAIN " + sql, params)
        return "\n".join(row[0] for row in cursor.fetchall())


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL indexes")
@pytest.mark.parametrize("query", ["诚园", "奥正诚园", "西城区", "临沂", "qigan", "sqg"])
def test_search_is_answered_by_indexes_on_postgresql(large_registry, query):
    plan = explain(Estate.objects.search(query).order_by("name_pinyin"))
    assert "Seq Scan on estates_estate" not in plan, plan
    assert "estate_search_vector" in plan or "name_initials" in plan, plan


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL indexes")
def test_public_list_reads_its_partial_index_on_postgresql(large_registry):
    plan = explain(Estate.objects.published().order_by("province_order", "name_pinyin", "pk")[:20])
    assert "estate_public_list" in plan, plan
