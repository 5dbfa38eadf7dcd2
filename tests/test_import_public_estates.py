"""A province's spreadsheet does not change a public estate: its changes wait for review
(estates/pending.py), and an import is no way around it. A row that would change a public
estate, or add or change one of its rows, is refused for provincial staff, naming the row and the
column; the file then changes nothing. A re-uploaded row that changes nothing imports as
unchanged, and the ministry's imports apply as before."""

import csv
import io

import pytest
from django.urls import reverse

from estates.models import City, Estate, Metric, Province
from estates.roles import sync_role_groups
from estates.spreadsheets.formats import SafeCSV, SafeXLSX
from estates.spreadsheets.resources import MetricResource

from .builders import make_estate, make_staff
from .test_import_confirm import CONFIRM, confirmation, preview, said
from .test_spreadsheets import export, import_bytes

pytestmark = pytest.mark.django_db

SLUG = "aozhengchengyuannanqu"  # the seed's published Shandong estate
HEADER = ["小区名称", "网址标识", "省份", "城市", "概况"]
# What a clerk pastes from a Word report: paragraphs and full-width punctuation.
NEW_OVERVIEW = "奥正诚园南区位于临沂市兰山区，共有住户1,250户。\n2023年，小区成立“红色物业”议事会。"
PUBLIC = "已在公开网站展示，修改需经审核，请在小区页面中修改"


def sheet(rows, header=HEADER):
    """A CSV file as Excel saves one: UTF-8 with a byte-order mark, cells quoted as needed."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerows([header, *rows])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def row_of(estate, overview):
    return [estate.name, estate.slug, estate.province.name, estate.city.name, overview]


@pytest.fixture(autouse=True)
def _role_permissions():
    sync_role_groups()


@pytest.fixture
def estate():
    estate = Estate.objects.get(slug=SLUG)
    assert estate.is_published and estate.province.slug == "shandong"
    return estate


@pytest.fixture
def clerk():
    return make_staff("provincial", "shandong")


def test_a_clerks_change_of_a_public_estate_is_refused_and_the_file_changes_nothing(estate, clerk):
    new = ["新导入小区", "", "山东省", "临沂市", "新小区的概况"]
    data = sheet([new, row_of(estate, NEW_OVERVIEW)])
    _result, problems = import_bytes(data, SafeCSV, user=clerk)
    assert problems == [f"第 3 行「概况」：“奥正诚园南区”{PUBLIC}"]
    fresh = Estate.objects.get(pk=estate.pk)
    assert (fresh.overview, fresh.version) == (estate.overview, estate.version)
    assert not Estate.objects.filter(name="新导入小区").exists()


def test_each_changed_column_is_named_and_a_changed_metric_too(estate, clerk):
    header = [*HEADER, "户数（户）", "业主满意度（%）"]
    latest = Metric.objects.get(estate=estate, metric_type__code="satisfaction", is_latest=True)
    before = Metric.objects.filter(estate=estate).count()
    row = [*row_of(estate, NEW_OVERVIEW), str(estate.households + 1), str(latest.value - 1)]
    _result, problems = import_bytes(sheet([row], header), SafeCSV, user=clerk)
    assert problems == [  # in the resource's order of columns
        f"第 2 行「户数（户）」：“奥正诚园南区”{PUBLIC}",
        f"第 2 行「概况」：“奥正诚园南区”{PUBLIC}",
        f"第 2 行「业主满意度（%）」：“奥正诚园南区”{PUBLIC}",
    ]
    assert Metric.objects.filter(estate=estate).count() == before
    assert Estate.objects.get(pk=estate.pk).households == estate.households


def test_the_same_sheet_unchanged_imports_as_unchanged(estate, clerk):
    header = [*HEADER, "户数（户）"]
    row = [*row_of(estate, estate.overview), f"{estate.households}户"]
    result, problems = import_bytes(sheet([row], header), SafeCSV, user=clerk)
    assert problems == []
    assert (result.totals["skip"], result.totals["update"]) == (1, 0)
    # Nothing saved: a form the clerk has open on the estate is not refused as outdated.
    assert Estate.objects.get(pk=estate.pk).version == estate.version


@pytest.mark.parametrize("fmt", [SafeCSV, SafeXLSX], ids=["csv", "xlsx"])
def test_the_provinces_own_export_imports_back_unchanged(fmt, clerk):
    shandong = Estate.objects.filter(province__slug="shandong")
    data = export(fmt, queryset=shandong)
    result, problems = import_bytes(data if fmt is SafeXLSX else data.encode("utf-8"), fmt, clerk)
    assert problems == []
    assert result.totals["skip"] == shandong.count()


def test_a_clerk_may_not_move_a_public_estate_to_another_province(estate, clerk):
    row = [estate.name, estate.slug, "北京市", "北京市", estate.overview]
    _result, problems = import_bytes(sheet([row]), SafeCSV, user=clerk)
    assert problems == ["第 2 行「省份」：只能导入本省（山东省）的数据，这一行是“北京市”"]


def test_a_clerks_estate_that_is_not_public_yet_still_changes(clerk):
    shandong = Province.objects.get(slug="shandong")
    draft = make_estate(province=shandong, city=City.objects.get(province=shandong, name="临沂市"))
    _result, problems = import_bytes(sheet([row_of(draft, NEW_OVERVIEW)]), SafeCSV, user=clerk)
    assert problems == []
    assert Estate.objects.get(pk=draft.pk).overview == NEW_OVERVIEW


def test_the_ministrys_same_sheet_applies(estate):
    ministry = make_staff("ministry")
    _result, problems = import_bytes(sheet([row_of(estate, NEW_OVERVIEW)]), SafeCSV, ministry)
    assert problems == []
    assert Estate.objects.get(pk=estate.pk).overview == NEW_OVERVIEW


METRIC_HEADER = ["小区网址标识", "指标代码", "数值", "日期", "日期精度", "先后次序", "数据说明"]


def metric_row(value, date="2024-06-30"):
    return [SLUG, "satisfaction", value, date, "日", "0", "2024年上半年业主满意度测评"]


def test_a_metric_row_for_a_public_estate_is_refused_for_the_clerk(estate, clerk):
    before = Metric.objects.filter(estate=estate).count()
    data = sheet([metric_row("97.10")], METRIC_HEADER)
    _result, problems = import_bytes(data, SafeCSV, clerk, resource_class=MetricResource)
    assert problems == [
        "第 2 行「小区网址标识」：“奥正诚园南区”已在公开网站展示，增改它的指标数据需经审核："
        "请在小区页面的“修改说明”中写明要增改的内容，由编辑或部级管理员审核"
    ]
    assert Metric.objects.filter(estate=estate).count() == before


def test_a_changed_value_of_a_public_estates_metric_is_refused_for_the_clerk(estate, clerk):
    rows = export(SafeCSV, MetricResource, Metric.objects.filter(estate=estate))
    table = list(csv.reader(io.StringIO(rows.lstrip("\ufeff"))))
    values = table[0].index("数值")
    table[1][values] = "12.34"
    _result, problems = import_bytes(
        sheet(table[1:], table[0]), SafeCSV, clerk, resource_class=MetricResource
    )
    assert [p.split("：")[0] for p in problems] == ["第 2 行「数值」"]
    assert not Metric.objects.filter(estate=estate, value="12.34").exists()
    # The same rows as exported import as unchanged.
    result, problems = import_bytes(rows.encode("utf-8"), SafeCSV, clerk, MetricResource)
    assert problems == []
    assert result.totals["skip"] == len(table) - 1


def test_the_ministrys_metric_row_applies(estate):
    data = sheet([metric_row("97.10")], METRIC_HEADER)
    ministry = make_staff("ministry")
    _result, problems = import_bytes(data, SafeCSV, ministry, resource_class=MetricResource)
    assert problems == []
    assert str(Metric.objects.get(estate=estate, date="2024-06-30").value) == "97.10"


def test_the_admin_preview_names_the_row_and_cannot_be_confirmed(client, estate, clerk):
    client.force_login(clerk)
    response = preview(client, sheet([row_of(estate, NEW_OVERVIEW)]))
    assert "confirm_form" not in response.context
    assert response.context["result"].problems == [f"第 2 行「概况」：“奥正诚园南区”{PUBLIC}"]
    assert f"“奥正诚园南区”{PUBLIC}" in response.content.decode()


def test_an_estate_published_between_preview_and_confirmation_is_not_changed(client, clerk):
    shandong = Province.objects.get(slug="shandong")
    draft = make_estate(province=shandong, city=City.objects.get(province=shandong, name="临沂市"))
    client.force_login(clerk)
    data = confirmation(preview(client, sheet([row_of(draft, NEW_OVERVIEW)])))
    Estate.objects.filter(pk=draft.pk).update(is_published=True)  # the results came out
    done = client.post(reverse(CONFIRM), data)
    assert said(done) == [f"没有导入任何数据：第 2 行「概况」：“{draft.name}”{PUBLIC}"]
    assert Estate.objects.get(pk=draft.pk).overview == draft.overview
