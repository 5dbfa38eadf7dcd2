"""The seed data: complete, clean, loadable twice, and true to its sources."""

import re
from pathlib import Path

import pytest
from django.apps import apps
from django.core.management import call_command

from estates.models import (
    ActivityEvidence,
    Campaign,
    CriterionEvidence,
    Estate,
    Metric,
    Nomination,
    Province,
)
from estates.pinyin import full_pinyin, pinyin_initials

pytestmark = pytest.mark.django_db

ESTATE_APP_MODELS = [
    m
    for m in apps.get_app_config("estates").get_models()
    if not m.__name__.startswith("Historical")
]

OFFICIAL_ORDER = [
    "北京",
    "天津",
    "河北",
    "山西",
    "内蒙古",
    "辽宁",
    "吉林",
    "黑龙江",
    "上海",
    "江苏",
    "浙江",
    "安徽",
    "福建",
    "江西",
    "山东",
    "河南",
    "湖北",
    "湖南",
    "广东",
    "广西",
    "海南",
    "重庆",
    "四川",
    "贵州",
    "云南",
    "西藏",
    "陕西",
    "甘肃",
    "青海",
    "宁夏",
    "新疆",
    "兵团",
]

CRITERIA = [
    "发挥党建引领物业管理作用",
    "业主大会和业主委员会运行良好",
    "多方参与健全协调运行机制",
    "物业管理相关部门职责明确",
    "实行专业化物业管理",
    "小区环境整洁，打造绿色社区",
    "小区物业费收取规范，收费率高",
    "业主满意度高",
    "定期组织开展文明创建、志愿服务等活动",
]

REQUIREMENTS = [
    "召开一次社区物业党建联席会",
    "召开一次由业主代表和物业企业参加的业主恳谈会",
    "每季度公示一次公共收益资金收支情况",
    "至少为群众办一件实事",
    "组织一次业主满意度调查",
    "开展倡树新时代美德健康生活方式主题活动",
    "组织一次“为老”或“为小”志愿服务活动",
    "开展一次活动开展情况宣传报道",
]


def counts():
    return {model.__name__: model.objects.count() for model in ESTATE_APP_MODELS}


def test_seed_loads_twice_without_duplicates():
    before = counts()
    call_command("load_seed", verbosity=0)
    assert counts() == before
    assert before["Estate"] == 5
    assert before["Province"] == 32


def test_seed_into_empty_database_creates_everything():
    for model in reversed(ESTATE_APP_MODELS):
        model._base_manager.all().delete()
    assert counts()["Estate"] == 0
    call_command("load_seed", verbosity=0)
    assert counts()["Estate"] == 5
    assert Estate.objects.published().count() == 5


def test_load_seed_if_empty_keeps_local_data(capsys):
    Estate.objects.filter(slug="lijingchangan").update(households=1600)
    call_command("load_seed", if_empty=True)
    assert "跳过" in capsys.readouterr().out
    assert Estate.objects.get(slug="lijingchangan").households == 1600


def test_provinces_in_official_order_with_gbt2260_codes():
    provinces = list(Province.objects.order_by("display_order"))
    assert [p.short_name for p in provinces] == OFFICIAL_ORDER
    assert [p.display_order for p in provinces] == list(range(1, 33))
    codes = {p.short_name: p.code for p in provinces}
    assert codes["北京"] == "110000"
    assert codes["山东"] == "370000"
    assert codes["新疆"] == "650000"
    assert all(re.fullmatch(r"[1-6]\d0000", p.code) for p in provinces)
    slugs = [p.slug for p in provinces]
    assert len(set(slugs)) == len(slugs)
    assert codes["陕西"] == "610000" and Province.objects.get(code="610000").slug == "shaanxi"


@pytest.mark.parametrize("slug", ["quanguo-2021", "shandong-2023"])
def test_each_campaign_has_the_nine_criteria_and_eight_activities(slug):
    campaign = Campaign.objects.get(slug=slug)
    assert [c.title for c in campaign.criteria.order_by("number")] == CRITERIA
    assert [r.title for r in campaign.activity_requirements.order_by("number")] == REQUIREMENTS
    assert sum(c.weight for c in campaign.criteria.all()) == 100


def test_campaigns_hold_the_estates_as_the_sources_say():
    national = Campaign.objects.get(slug="quanguo-2021")
    assert national.quota == 100
    assert national.results_published_at.year == 2022
    assert national.results_published_at.month == 2
    beijing = Nomination.objects.filter(campaign=national).order_by("province_sequence")
    assert [(n.province_sequence, n.estate.name, n.state) for n in beijing] == [
        (1, "双旗杆东里", "selected"),
        (2, "厂洼街7号院", "selected"),
        (3, "丽景长安", "selected"),
        (4, "西长安壹号", "selected"),
    ]
    shandong = Campaign.objects.get(slug="shandong-2023")
    assert shandong.level == "provincial"
    assert shandong.province.name == "山东省"
    assert [n.estate.name for n in shandong.nominations.all()] == ["奥正诚园南区"]


def test_linyi_nomination_carries_every_section_as_evidence():
    nomination = Nomination.objects.get(estate__slug="aozhengchengyuannanqu")
    criteria = list(nomination.criterion_evidence.order_by("criterion__number"))
    activities = list(nomination.activity_evidence.order_by("requirement__number"))
    assert [e.criterion.title for e in criteria] == CRITERIA
    assert [e.requirement.title for e in activities] == REQUIREMENTS
    assert all(e.criterion.campaign_id == nomination.campaign_id for e in criteria)
    assert criteria[6].text.endswith("截至2021年12月31日，奥正诚园南区项目物业费收缴率达到98.63%。")
    assert criteria[7].text.endswith("截至2022年12月31日，业主整体满意度为96.55%。")
    assert activities[0].text.endswith("2021年5月，完成奥正社区第一届居委会选举工作。")
    assert activities[6].text.startswith("在党群服务中心打造了红色物业议事厅")


SEED_REPORT = Path(__file__).resolve().parents[2] / "shared" / "seeds" / "003_0597cf26e80b086b.txt"


@pytest.mark.skipif(not SEED_REPORT.exists(), reason="the seed report is not beside the repo")
def test_linyi_evidence_is_the_report_text_word_for_word():
    def words(text):
        # Compare the words only: the fixtures use full-width Chinese punctuation.
        return re.sub(r"[\s,，:：;；()（）。、“”]", "", text)

    report = words(SEED_REPORT.read_text(encoding="utf-8"))
    texts = [e.text for e in CriterionEvidence.objects.all()]
    texts += [e.text for e in ActivityEvidence.objects.all()]
    assert len(texts) == 17
    for text in texts:
        assert words(text) in report


def test_fixture_estates_have_pinyin_slugs_and_search_keys():
    for estate in Estate.objects.all():
        assert estate.slug == full_pinyin(estate.name)
        assert estate.name_pinyin == full_pinyin(estate.name)
        assert estate.name_initials == pinyin_initials(estate.name)
    assert Estate.objects.get(name="双旗杆东里").name_initials == "sqgdl"


def test_every_seed_row_passes_model_validation():
    for model in ESTATE_APP_MODELS:
        for obj in model._base_manager.all():
            obj.full_clean()


def test_metric_percentage_flags_match_their_types():
    for metric in Metric.objects.select_related("metric_type"):
        assert metric.is_percentage == metric.metric_type.is_percentage


TRADITIONAL_OR_GLOSSED = re.compile(
    r"[業區發會關這為與過國們來時對從當點]|\([a-zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜü]+\)"
)
ASCII_PUNCTUATION_IN_CHINESE = re.compile(r"[\u4e00-\u9fff][,;:!?]|[,;:!?][\u4e00-\u9fff]")


def text_values():
    for model in ESTATE_APP_MODELS:
        text_fields = [
            f.name
            for f in model._meta.fields
            if f.get_internal_type() in {"CharField", "TextField"}
        ]
        for row in model._base_manager.values(*text_fields):
            for field, value in row.items():
                yield f"{model.__name__}.{field}", value


def test_seed_text_is_clean_simplified_chinese():
    problems = [
        (where, value[:40])
        for where, value in text_values()
        if value
        and (TRADITIONAL_OR_GLOSSED.search(value) or ASCII_PUNCTUATION_IN_CHINESE.search(value))
    ]
    assert problems == []


def test_article_numbers_read_as_sentences_not_run_together():
    changwa = Estate.objects.get(slug="changwajie7haoyuan")
    assert (changwa.households, changwa.residents, changwa.units) == (368, 1332, 29)
    shuangqi = Estate.objects.get(slug="shuangqigandongli")
    assert "2019年6月" in shuangqi.overview
    assert shuangqi.year_built is None
    assert shuangqi.construction_period == "上世纪70年代"
    lijing = Estate.objects.get(slug="lijingchangan")
    assert "每年3月15日" in lijing.highlights and "次年3月15日" in lijing.highlights
    assert "实现“4个100%”" in Estate.objects.get(slug="xichanganyihao").highlights
