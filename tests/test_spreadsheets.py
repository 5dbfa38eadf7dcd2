"""Spreadsheets in and out: round trips, the forgiving reader, refusals, formula safety."""

import csv
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import Workbook, load_workbook

from estates.models import Estate, Metric, Nomination, PropertyCompany
from estates.spreadsheets.formats import SafeCSV, SafeXLSX, write_xlsx
from estates.spreadsheets.importing import run_import
from estates.spreadsheets.resources import EstateResource, MetricResource

from .builders import make_staff
from .growth import grow

pytestmark = pytest.mark.django_db


def export(fmt, resource_class=EstateResource, queryset=None):
    resource = resource_class()
    dataset = resource.export(queryset=queryset or resource_class.Meta.model.objects.all())
    return fmt().export_data(dataset)


def import_bytes(data, fmt, user=None, resource_class=EstateResource, dry_run=False):
    dataset = fmt().create_dataset(data)
    return run_import(resource_class(user=user), dataset, dry_run=dry_run)


def empty_the_registry():
    Nomination.objects.all().delete()
    Estate.objects.all().delete()
    PropertyCompany.objects.all().delete()


@pytest.mark.parametrize("fmt", [SafeCSV, SafeXLSX], ids=["csv", "xlsx"])
def test_round_trip_is_byte_for_byte(fmt):
    first = export(fmt)
    empty_the_registry()
    _result, problems = import_bytes(first if fmt is SafeXLSX else first.encode("utf-8"), fmt)
    assert problems == []
    assert Estate.objects.count() == 5
    second = export(fmt)
    assert second == first


def test_same_data_gives_the_same_xlsx_bytes_a_second_later():
    import time

    first = export(SafeXLSX)
    time.sleep(1.1)  # openpyxl stamps the time of saving into the file
    assert export(SafeXLSX) == first


def test_export_has_chinese_headers_numbers_and_percentages():
    data = export(SafeXLSX)
    sheet = load_workbook(io.BytesIO(data)).active
    header = [c.value for c in sheet[1]]
    assert header[:4] == ["小区名称", "网址标识", "省份", "城市"]
    assert sheet.freeze_panes == "A2"
    rows = {r[0].value: r for r in sheet.iter_rows(min_row=2)}
    aozheng = rows["奥正诚园南区"]
    households = aozheng[header.index("户数（户）")]
    assert (households.value, households.data_type) == (1250, "n")
    satisfaction = aozheng[header.index("业主满意度（%）")]
    assert (float(satisfaction.value), satisfaction.number_format) == (0.9655, "0.00%")
    assert sheet.column_dimensions["A"].width >= 10


def csv_file(rows, header=None):
    header = header or ["小区名称", "网址标识", "省份", "城市", "户数（户）", "业主满意度（%）"]
    lines = [",".join(header)] + [",".join(row) for row in rows]
    return ("\ufeff" + "\r\n".join(lines) + "\r\n").encode("utf-8")


@pytest.mark.parametrize(
    ("households", "satisfaction", "expected"),
    [
        ("1250", "96.55%", (1250, "96.55")),
        ('"1,250"', "96.55", (1250, "96.55")),
        ("1250户", " 96.55 ", (1250, "96.55")),
        ("１２５０", "９６．５５％", (1250, "96.55")),
    ],
)
def test_import_forgives_format(households, satisfaction, expected):
    data = csv_file(
        [["新导入小区", "", "山东省", "临沂市", households, satisfaction], ["", "", "", "", "", ""]]
    )
    _result, problems = import_bytes(data, SafeCSV)
    assert problems == []
    estate = Estate.objects.get(name="新导入小区")
    value = Metric.objects.get(estate=estate, metric_type__code="satisfaction").value
    assert (estate.households, str(value)) == expected


def test_percent_formatted_xlsx_cell_is_read_as_a_percentage():
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["小区名称", "网址标识", "省份", "城市", "业主满意度（%）", "物业费收缴率（%）"])
    sheet.append(["百分比小区", None, "山东", "临沂市", 0.9655, 98.63])
    sheet["E2"].number_format = "0.00%"
    buffer = io.BytesIO()
    workbook.save(buffer)
    _result, problems = import_bytes(buffer.getvalue(), SafeXLSX)
    assert problems == []
    estate = Estate.objects.get(name="百分比小区")
    values = dict(
        Metric.objects.filter(estate=estate, is_latest=True).values_list(
            "metric_type__code", "value"
        )
    )
    assert {k: str(v) for k, v in values.items()} == {
        "satisfaction": "96.55",
        "fee_collection": "98.63",
    }


def test_metric_dates_from_excel_and_chinese_text():
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["小区网址标识", "指标代码", "数值", "日期", "日期精度", "先后次序"])
    import datetime

    sheet.append(["lijingchangan", "satisfaction", 95, datetime.datetime(2022, 12, 31), "日", 0])
    sheet.append(["lijingchangan", "complaint_rate", "0.5", "2023年6月30日", "日", 0])
    buffer = io.BytesIO()
    workbook.save(buffer)
    _result, problems = import_bytes(buffer.getvalue(), SafeXLSX, resource_class=MetricResource)
    assert problems == []
    dates = sorted(
        Metric.objects.filter(estate__slug="lijingchangan", date__isnull=False)
        .exclude(metric_type__code="fee_collection")
        .values_list("date", flat=True)
    )
    assert [d.isoformat() for d in dates] == ["2022-12-31", "2023-06-30"]
    latest = Metric.objects.get(
        estate__slug="lijingchangan", metric_type__code="satisfaction", is_latest=True
    )
    assert latest.date == datetime.date(2022, 12, 31)


def test_every_bad_row_is_reported_and_nothing_is_written():
    before = (Estate.objects.count(), Metric.objects.count(), PropertyCompany.objects.count())
    data = csv_file(
        [
            ["好小区", "", "山东省", "临沂市", "800", "95"],
            ["坏省份", "", "火星省", "临沂市", "800", "95"],
            ["坏城市", "", "山东省", "不存在市", "800", "95"],
            ["超百分", "", "山东省", "临沂市", "800", "101"],
            ["文字户数", "", "山东省", "临沂市", "很多", "95"],
            ["奥正诚园南区", "", "山东省", "临沂市", "1250", "96"],
        ]
    )
    _result, problems = import_bytes(data, SafeCSV)
    assert problems == [
        "第 3 行「省份」：没有名为“火星省”的省份，请填写如“山东省”或“山东”",
        "第 3 行「城市」：省份有误，无法核对城市（表中填的是“临沂市”）",
        "第 4 行「城市」：山东省没有名为“不存在市”的城市（地级市）",
        "第 5 行「业主满意度（%）」：百分比必须在 0 到 100 之间，而不是“101”",
        "第 6 行「户数（户）」：应为整数，例如 1250 或 1250户，而不是“很多”",
        "第 7 行「小区名称」：临沂市已有名为“奥正诚园南区”的小区"
        "（网址标识 aozhengchengyuannanqu）。"
        "如要更新它，请在这一行的“网址标识”列填写 aozhengchengyuannanqu；"
        "如确是另一个小区，请在名称中加以区分",
    ]
    after = (Estate.objects.count(), Metric.objects.count(), PropertyCompany.objects.count())
    assert after == before


def test_province_staff_import_only_their_province():
    data = csv_file([["北京新小区", "", "北京市", "北京市", "300", "90"]])
    _result, problems = import_bytes(data, SafeCSV, user=make_staff("provincial", "shandong"))
    assert problems == ["第 2 行「省份」：只能导入本省（山东省）的数据，这一行是“北京市”"]
    assert not Estate.objects.filter(name="北京新小区").exists()


def test_text_that_looks_like_a_formula_is_defused_and_restored():
    estate = Estate.objects.get(slug="lijingchangan")
    estate.tagline = '=HYPERLINK("http://evil.example")'
    estate.save()
    csv_text = export(SafeCSV)
    rows = list(csv.DictReader(io.StringIO(csv_text.lstrip("\ufeff"))))
    assert next(r for r in rows if r["小区名称"] == "丽景长安")["标题语"].startswith("'=HYPERLINK(")
    xlsx = load_workbook(io.BytesIO(export(SafeXLSX))).active
    header = [c.value for c in xlsx[1]]
    cell = next(r for r in xlsx.iter_rows(min_row=2) if r[0].value == "丽景长安")[
        header.index("标题语")
    ]
    assert (cell.value, cell.data_type) == ('=HYPERLINK("http://evil.example")', "s")
    empty_the_registry()
    _result, problems = import_bytes(csv_text.encode(), SafeCSV)
    assert problems == []
    assert Estate.objects.get(slug="lijingchangan").tagline == '=HYPERLINK("http://evil.example")'


def test_numbers_stay_numbers_even_negative_looking_text():
    data = write_xlsx(["数"], [[-5], ["-5"]])
    sheet = load_workbook(io.BytesIO(data)).active
    assert (sheet["A2"].value, sheet["A2"].data_type) == (-5, "n")
    assert (sheet["A3"].value, sheet["A3"].data_type) == ("-5", "s")


def test_export_runs_a_fixed_number_of_queries():
    def count():
        with CaptureQueriesContext(connection) as queries:
            export(SafeXLSX)
        return len(queries)

    small = count()
    grow(25)
    assert count() == small


def region_lookups(rows):
    """The queries of an import's preview that look a region up by the name in a cell (the
    foreign-key checks of each row's validation are Django's own and stay)."""
    data = csv_file(rows)
    with CaptureQueriesContext(connection) as queries:
        _result, problems = import_bytes(data, SafeCSV, dry_run=True)
    assert problems == []
    # The regions are read whole, once per import (estates/regions.py): not per row, nor per
    # name. The foreign-key checks of each row's validation ("SELECT 1 AS") are Django's own.
    return [
        q["sql"]
        for q in queries
        if q["sql"].startswith("SELECT")
        and 'SELECT 1 AS "a"' not in q["sql"]
        and ('FROM "estates_province"' in q["sql"] or 'FROM "estates_city"' in q["sql"])
    ]


def test_an_import_looks_up_each_region_name_once_however_many_rows_name_it():
    def rows(n):
        return [
            [
                f"区划小区{i}",
                "",
                "山东省" if i % 2 else "北京",
                "临沂市" if i % 2 else "北京市",
                "1",
                "",
            ]
            for i in range(n)
        ]

    few, many = region_lookups(rows(4)), region_lookups(rows(40))
    # The provinces and the cities, read for the 省份 and 城市 columns: as many for 40 rows.
    assert len(few) == len(many) <= 4


def test_each_row_naming_an_unknown_region_is_reported_even_after_good_rows():
    data = csv_file(
        [
            ["区划一", "", "山东省", "临沂市", "1", ""],
            ["区划二", "", "山东省", "不存在市", "1", ""],
            ["区划三", "", "山东", "临沂市", "1", ""],
            ["区划四", "", "山东省", "不存在市", "1", ""],
            ["区划五", "", "火星省", "临沂市", "1", ""],
            ["区划六", "", "北京市", "临沂市", "1", ""],
        ]
    )
    _result, problems = import_bytes(data, SafeCSV)
    assert problems == [
        "第 3 行「城市」：山东省没有名为“不存在市”的城市（地级市）",
        "第 5 行「城市」：山东省没有名为“不存在市”的城市（地级市）",
        "第 6 行「省份」：没有名为“火星省”的省份，请填写如“山东省”或“山东”",
        "第 6 行「城市」：省份有误，无法核对城市（表中填的是“临沂市”）",
        "第 7 行「城市」：“临沂市”属于山东省，不属于北京市；请核对省份或城市",
    ]
    assert not Estate.objects.filter(name__startswith="区划").exists()


def test_imported_values_become_the_latest_and_the_older_ones_stop_being_it():
    estate = Estate.objects.get(slug="aozhengchengyuannanqu")
    before = Metric.objects.get(estate=estate, metric_type__code="satisfaction", is_latest=True)
    data = csv_file(
        [
            [
                "奥正诚园南区",
                "aozhengchengyuannanqu",
                "山东省",
                "临沂市",
                "1250",
                str(before.value + 1),
            ],
            ["新值小区甲", "", "山东省", "临沂市", "10", "88.5"],
            ["新值小区乙", "", "山东省", "临沂市", "20", ""],
        ]
    )
    _result, problems = import_bytes(data, SafeCSV, dry_run=True)
    assert problems == []
    # The preview is rolled back whole, its latest flags too.
    before.refresh_from_db()
    assert before.is_latest
    assert not Estate.objects.filter(name="新值小区甲").exists()
    _result, problems = import_bytes(data, SafeCSV)
    assert problems == []
    latest = Metric.objects.filter(metric_type__code="satisfaction", is_latest=True)
    assert latest.get(estate=estate).value == before.value + 1
    before.refresh_from_db()
    assert not before.is_latest
    # As of the day it was imported: what the sheet reported then.
    from django.utils import timezone

    assert latest.get(estate=estate).date_display() == timezone.localdate().strftime(
        "%Y年%-m月%-d日"
    )
    assert str(latest.get(estate__name="新值小区甲").value) == "88.50"
    assert not Metric.objects.filter(estate__name="新值小区乙").exists()
    # Exactly one latest value per estate and kind, everywhere.
    from django.db.models import Count

    assert not (
        Metric.objects.filter(is_latest=True)
        .values("estate", "metric_type")
        .annotate(n=Count("pk"))
        .filter(n__gt=1)
        .exists()
    )
