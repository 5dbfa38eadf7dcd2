"""Another province's estate answers an import or an export exactly as a missing one does:
no message tells a provincial clerk that it exists, or where."""

import pytest
from django.urls import reverse

from estates.models import City, Estate, Mechanism, MechanismType, Metric, MetricType
from estates.spreadsheets.formats import SafeCSV
from estates.spreadsheets.resources import EstateResource, MechanismResource, MetricResource

from .builders import beijing, beijing_city, make_estate, make_staff
from .test_spreadsheets import csv_file, import_bytes

pytestmark = pytest.mark.django_db

MISSING = "no-such-estate"


@pytest.fixture
def hidden():
    """An unpublished estate of Beijing, which Shandong's clerk may not see."""
    return make_estate(
        name="北京未公开小区", slug="beijing-hidden", province=beijing(), city=beijing_city()
    )


def shandong_problems(data, resource_class=EstateResource):
    _result, problems = import_bytes(
        data, SafeCSV, user=make_staff("provincial", "shandong"), resource_class=resource_class
    )
    return problems


def same_answer(build, resource_class):
    """The problems for another province's slug and for a missing one, the slug blanked."""
    theirs = shandong_problems(build("beijing-hidden"), resource_class)
    missing = shandong_problems(build(MISSING), resource_class)
    return [p.replace("beijing-hidden", "…") for p in theirs], [
        p.replace(MISSING, "…") for p in missing
    ]


def test_estate_sheet_answers_another_provinces_slug_as_a_missing_one(hidden):
    def build(slug):
        return csv_file([["北京未公开小区", slug, "山东省", "临沂市", "300", "90"]])

    theirs, missing = same_answer(build, EstateResource)
    assert (
        theirs
        == missing
        == ["第 2 行「网址标识」：没有网址标识为“…”的小区；新增小区请不要填写网址标识"]
    )
    assert Estate.objects.get(pk=hidden.pk).province == beijing()


def test_estate_sheet_never_lets_provincial_staff_choose_a_slug():
    problems = shandong_problems(
        csv_file([["临沂新小区", "my-own-slug", "山东省", "临沂市", "1", ""]])
    )
    assert problems == [
        "第 2 行「网址标识」：没有网址标识为“my-own-slug”的小区；新增小区请不要填写网址标识"
    ]
    assert not Estate.objects.filter(slug="my-own-slug").exists()


def test_estate_sheet_answers_another_provinces_name_as_a_missing_one(hidden):
    taken = shandong_problems(csv_file([["北京未公开小区", "", "北京市", "北京市", "3", ""]]))
    free = shandong_problems(csv_file([["北京没有的小区", "", "北京市", "北京市", "3", ""]]))
    assert taken == free == ["第 2 行「省份」：只能导入本省（山东省）的数据，这一行是“北京市”"]


def test_estate_sheet_never_makes_a_second_estate_of_a_name_in_a_city():
    ministry = make_staff("ministry")
    data = csv_file([["奥正诚园南区", "", "山东省", "临沂市", "300", ""]])
    before = Estate.objects.filter(name="奥正诚园南区").count()
    found = (
        "第 2 行「小区名称」：临沂市已有名为“奥正诚园南区”的小区"
        "（网址标识 aozhengchengyuannanqu）。"
    )
    _result, problems = import_bytes(data, SafeCSV, user=ministry)
    assert problems == [
        found + "如要更新它，请在这一行的“网址标识”列填写 aozhengchengyuannanqu；"
        "如确是另一个小区，请在名称中加以区分"
    ]
    # A province cannot update a public estate by import either: it is told so at once.
    _result, problems = import_bytes(data, SafeCSV, user=make_staff("provincial", "shandong"))
    assert problems == [
        found + "它已在公开网站展示，修改需经审核：请在小区页面中修改，不要重复导入"
    ]
    assert Estate.objects.filter(name="奥正诚园南区").count() == before


def test_mechanism_sheet_answers_another_provinces_slug_as_a_missing_one(hidden):
    kind = MechanismType.objects.first()

    def build(slug):
        header = ["小区网址标识", "机制类别标识", "名称", "做法"]
        return csv_file([[slug, kind.slug, "议事协商", "每月一次"]], header=header)

    theirs, missing = same_answer(build, MechanismResource)
    assert theirs == missing == ["第 2 行「小区网址标识」：没有小区网址标识为“…”的记录"]
    assert not Mechanism.objects.filter(estate=hidden).exists()


def test_metric_sheet_answers_another_provinces_slug_as_a_missing_one(hidden):
    kind = MetricType.objects.first()

    def build(slug):
        header = ["小区网址标识", "指标代码", "数值", "日期", "先后次序"]
        return csv_file([[slug, kind.code, "90", "2024-01-01", "1"]], header=header)

    theirs, missing = same_answer(build, MetricResource)
    assert theirs == missing == ["第 2 行「小区网址标识」：没有小区网址标识为“…”的记录"]
    assert not Metric.objects.filter(estate=hidden).exists()


def test_admin_estate_form_answers_another_provinces_name_as_a_missing_one(client, hidden):
    client.force_login(make_staff("provincial", "shandong"))
    url = reverse("admin:estates_estate_add")

    def errors(name):
        data = {
            "name": name,
            "province": Estate.objects.filter(province__slug="shandong").first().province_id,
            "city": beijing_city().pk,
        }
        response = client.post(url, data)
        return response.context["adminform"].form.errors.get("name")

    assert errors("北京未公开小区") == errors("北京没有的小区")


def test_export_of_another_provinces_ids_is_refused_as_missing_ones(client, hidden):
    client.force_login(make_staff("provincial", "shandong"))
    url = reverse("admin:estates_estate_export")
    form = client.get(url).context["form"]
    csv_index = next(v for v, label in form.fields["format"].choices if label == "csv")

    def export(pk):
        response = client.post(url, {"format": csv_index, "resource": 0, "export_items": [pk]})
        if response.status_code == 200 and response.get("Content-Type", "").startswith("text/csv"):
            return "file"
        return [e.replace(str(pk), "…") for e in response.context["form"].errors["export_items"]]

    assert export(hidden.pk) == export(99999999) == ["选择一个有效的选项。 … 不在可用的选项中。"]


@pytest.mark.parametrize(
    "typed", ["东城 壹号院", "东城壹号院", " 东城\u3000壹号院 ", "东城\u00a0壹号院"]
)
def test_estate_sheet_knows_a_name_whatever_its_spaces(typed):
    linyi = City.objects.get(slug="linyi")
    make_estate(name="东城\u2002壹号院", province=linyi.province, city=linyi)
    problems = shandong_problems(csv_file([[typed, "", "山东省", "临沂市", "300", ""]]))
    assert len(problems) == 1
    assert problems[0].startswith("第 2 行「小区名称」：临沂市已有名为“")
    assert Estate.objects.filter(city=linyi, name__startswith="东城").count() == 1


def test_estate_sheet_refuses_one_name_twice_in_a_file_whatever_its_spaces():
    rows = [
        ["西园 小区", "", "山东省", "临沂市", "1", ""],
        ["西园小区", "", "山东省", "临沂市", "2", ""],
    ]
    assert shandong_problems(csv_file(rows)) == [
        "第 3 行「小区名称」：文件中“临沂市西园小区”出现了不止一次"
    ]


def test_admin_estate_form_knows_a_name_whatever_its_spaces(client):
    linyi = City.objects.get(slug="linyi")
    make_estate(name="东城\u2002壹号院", province=linyi.province, city=linyi)
    client.force_login(make_staff("provincial", "shandong"))
    data = {"name": "东城 壹号院", "province": linyi.province_id, "city": linyi.pk}
    response = client.post(reverse("admin:estates_estate_add"), data)
    [message] = response.context["adminform"].form.errors["name"]
    assert message.startswith("临沂市已有名为“东城 壹号院”的小区，可能是重复录入。")
